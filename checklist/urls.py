"""URLs of the staff checklist pages, mounted at /staff/checklist/."""

from django.urls import path

from . import views

app_name = "checklist"

urlpatterns = [
    path("", views.ChecklistIndexView.as_view(), name="index"),
    path("alliances/<slug:alliance>/", views.AllianceView.as_view(), name="alliance"),
    path("<slug:institution>/", views.DashboardView.as_view(), name="dashboard"),
    path("<slug:institution>/export.csv", views.ExportCsvView.as_view(), name="export_csv"),
    path("<slug:institution>/export.pdf", views.ExportPdfView.as_view(), name="export_pdf"),
    path("<slug:institution>/activities/<slug:key>/", views.ActivityView.as_view(), name="activity"),
    path(
        "<slug:institution>/activities/<slug:key>/evidence/",
        views.EvidenceAddView.as_view(),
        name="evidence_add",
    ),
    path(
        "<slug:institution>/activities/<slug:key>/evidence/<int:pk>/",
        views.EvidenceDownloadView.as_view(),
        name="evidence_download",
    ),
    path(
        "<slug:institution>/activities/<slug:key>/evidence/<int:pk>/remove/",
        views.EvidenceRemoveView.as_view(),
        name="evidence_remove",
    ),
]
