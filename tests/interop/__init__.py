"""Interoperability tests against the JavaScript reference implementation."""
