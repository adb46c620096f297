"""URLs (filled by the issue that builds them)."""
app_name = "credentials"
urlpatterns: list = []
