"""URLs (filled by the issue that builds them)."""
app_name = "enrollment_staff"
urlpatterns: list = []
