"""URLs (filled by the issue that builds them)."""
app_name = "enrollment"
urlpatterns: list = []
