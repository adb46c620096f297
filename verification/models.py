"""Models of verification (filled by the issue that builds this app)."""
