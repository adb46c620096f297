"""URL wiring: public pages, staff pages, accounts, admin and the versioned API."""
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="courses:catalogue", permanent=False), name="home"),
    path("courses/", include("courses.urls")),
    path("staff/courses/", include("courses.staff_urls")),
    path("staff/runs/", include("enrollment.staff_urls")),
    path("staff/credentials/", include("credentials.staff_urls")),
    path("staff/checklist/", include("checklist.urls")),
    path("learning/credentials/", include("credentials.learner_urls")),
    path("learning/", include("enrollment.urls")),
    path("payments/", include("payments.urls")),
    path("staff/payments/", include("payments.staff_urls")),
    path("", include("credentials.urls")),
    path("", include("verification.urls")),
    path("accounts/", include("mcportal.accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("mcportal.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

handler400 = "mcportal.core.error_views.bad_request"
handler403 = "mcportal.core.error_views.permission_denied"
handler404 = "mcportal.core.error_views.page_not_found"
handler500 = "mcportal.core.error_views.server_error"

# No /media/ route, not even in DEBUG: stored files (signed PDFs, invoices, checklist evidence) hold
# personal data and are served only by views that check who asks.
