"""Models of checklist (filled by the issue that builds this app)."""
