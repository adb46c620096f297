"""Models of enrollment (filled by the issue that builds this app)."""
