"""/api/v1/: each app's API under its own prefix."""
from django.urls import include, path

app_name = "api"

urlpatterns = [
    path("", include("courses.api.urls")),
    path("", include("enrollment.api.urls")),
    path("payments/", include("payments.api.urls")),
    path("", include("verification.api.urls")),
    path("checklist/", include("checklist.api.urls")),
]
