"""/api/v1/: each app's API under its own prefix."""
from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("courses.api.urls")),
    path("", include("enrollment.api.urls")),
]
