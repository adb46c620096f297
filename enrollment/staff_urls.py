"""URLs of the staff run pages (roster, results, structure, payments), mounted at /staff/runs/."""

from django.urls import path

from . import staff_views as views
from .staff_forms import AssessmentForm

app_name = "enrollment_staff"

urlpatterns = [
    path("<int:run_id>/", views.RosterView.as_view(), name="roster"),
    path("<int:run_id>/roster.csv", views.RosterCsvView.as_view(), name="roster_csv"),
    path("<int:run_id>/progress/", views.ProgressMarkView.as_view(), name="progress_mark"),
    path("<int:run_id>/close/", views.RunCloseView.as_view(), name="close"),
    path(
        "<int:run_id>/learners/<int:enrollment_id>/",
        views.LearnerResultsView.as_view(),
        name="learner_results",
    ),
    path("<int:run_id>/results/import/", views.ResultsImportView.as_view(), name="results_import"),
    path("<int:run_id>/structure/", views.StructureView.as_view(), name="structure"),
    path("<int:run_id>/units/new/", views.StructureItemEditView.as_view(kind="unit"), name="unit_create"),
    path(
        "<int:run_id>/units/<int:item_id>/",
        views.StructureItemEditView.as_view(kind="unit"),
        name="unit_edit",
    ),
    path(
        "<int:run_id>/units/<int:item_id>/delete/",
        views.StructureItemDeleteView.as_view(kind="unit"),
        name="unit_delete",
    ),
    path(
        "<int:run_id>/assessments/new/",
        views.StructureItemEditView.as_view(kind="assessment", form_class=AssessmentForm),
        name="assessment_create",
    ),
    path(
        "<int:run_id>/assessments/<int:item_id>/",
        views.StructureItemEditView.as_view(kind="assessment", form_class=AssessmentForm),
        name="assessment_edit",
    ),
    path(
        "<int:run_id>/assessments/<int:item_id>/delete/",
        views.StructureItemDeleteView.as_view(kind="assessment"),
        name="assessment_delete",
    ),
    path("<int:run_id>/payments/", views.PaymentsView.as_view(), name="payments"),
    path(
        "<int:run_id>/payments/<int:enrollment_id>/confirm/",
        views.PaymentConfirmView.as_view(),
        name="payment_confirm",
    ),
]
