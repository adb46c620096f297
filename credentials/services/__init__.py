"""Services of credentials: every write that matters, one module per concern (keys, x509, …)."""
