"""Prices, orders, payment providers, refunds and invoices."""
