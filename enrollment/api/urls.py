"""URLs (filled by the issue that builds them)."""
urlpatterns: list = []
