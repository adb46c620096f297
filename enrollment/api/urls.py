"""/api/v1/ routes of enrolment: the learner's own (me/…), per run and per enrolment (staff)."""
from django.urls import path

from . import views

urlpatterns = [
    path("me/enrolments/", views.MyEnrollmentListApi.as_view(), name="my-enrolment-list"),
    path("me/enrolments/<int:enrollment_id>/", views.MyEnrollmentDetailApi.as_view(),
         name="my-enrolment-detail"),
    path("me/enrolments/<int:enrollment_id>/withdraw/", views.MyEnrollmentWithdrawApi.as_view(),
         name="my-enrolment-withdraw"),
    path("me/enrolments/<int:enrollment_id>/cancel/", views.MyEnrollmentCancelApi.as_view(),
         name="my-enrolment-cancel"),
    path("runs/<int:run_id>/enrol/", views.RunEnrolApi.as_view(), name="run-enrol"),
    path("runs/<int:run_id>/enrolments/", views.RunRosterApi.as_view(), name="run-roster"),
    path("runs/<int:run_id>/structure/", views.RunStructureApi.as_view(), name="run-structure"),
    path("runs/<int:run_id>/results/import/", views.RunResultsImportApi.as_view(),
         name="run-results-import"),
    path("runs/<int:run_id>/close/", views.RunCloseApi.as_view(), name="run-close"),
    path("enrolments/<int:enrollment_id>/results/", views.EnrollmentResultListApi.as_view(),
         name="enrolment-result-list"),
    path("enrolments/<int:enrollment_id>/results/record/", views.EnrollmentResultRecordApi.as_view(),
         name="enrolment-result-record"),
    path("enrolments/<int:enrollment_id>/withdraw/", views.EnrollmentWithdrawApi.as_view(),
         name="enrolment-withdraw"),
    path("enrolments/<int:enrollment_id>/cancel/", views.EnrollmentCancelApi.as_view(),
         name="enrolment-cancel"),
    path("enrolments/<int:enrollment_id>/confirm-payment/", views.EnrollmentPaymentConfirmApi.as_view(),
         name="enrolment-confirm-payment"),
]
