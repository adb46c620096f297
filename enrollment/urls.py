"""URLs of the learner's enrolment pages, mounted at /learning/."""

from django.urls import path

from . import views

app_name = "enrollment"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("enrol/<int:run_id>/", views.EnrolView.as_view(), name="enrol"),
    path("enrolments/<int:enrollment_id>/leave/", views.LeaveView.as_view(), name="leave"),
    path("enrolments/<int:enrollment_id>/checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("bundles/", views.BundleListView.as_view(), name="bundles"),
    path("bundles/<int:bundle_id>/checkout/", views.BundleCheckoutView.as_view(), name="bundle_checkout"),
]
