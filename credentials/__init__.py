"""Issued microcredentials: signed JSON-LD, PDFs, batches, status lists and issuer keys."""
