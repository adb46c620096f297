"""Models of credentials (filled by the issue that builds this app)."""
