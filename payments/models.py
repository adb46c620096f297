"""Models of payments (filled by the issue that builds this app)."""
