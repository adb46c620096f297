"""URLs of the staff credential pages (issue per run, preview, batches), mounted at /staff/credentials/."""

from django.urls import path

from . import staff_views as views

app_name = "credentials_staff"

urlpatterns = [
    path("runs/<int:run_id>/", views.RunCredentialsView.as_view(), name="run"),
    path(
        "runs/<int:run_id>/enrolments/<int:enrollment_id>/preview/",
        views.CredentialPreviewView.as_view(),
        name="preview",
    ),
    path(
        "runs/<int:run_id>/enrolments/<int:enrollment_id>/issue/",
        views.CredentialIssueView.as_view(),
        name="issue",
    ),
    path("runs/<int:run_id>/batches/", views.BatchCreateView.as_view(), name="batch_create"),
    path("batches/<int:batch_id>/", views.BatchDetailView.as_view(), name="batch"),
    path("batches/<int:batch_id>/progress.json", views.BatchProgressView.as_view(), name="batch_progress"),
    path("batches/<int:batch_id>/retry/", views.BatchRetryView.as_view(), name="batch_retry"),
]
