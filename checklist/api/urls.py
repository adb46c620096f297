"""/api/v1/checklist/ routes: read endpoints of the readiness dashboard."""

from django.urls import path

from . import views

urlpatterns = [
    path("institutions/<slug:institution>/", views.ReadinessApi.as_view(), name="checklist-readiness"),
    path(
        "institutions/<slug:institution>/activities/",
        views.ActivityListApi.as_view(),
        name="checklist-activity-list",
    ),
    path(
        "institutions/<slug:institution>/activities/<slug:key>/",
        views.ActivityDetailApi.as_view(),
        name="checklist-activity-detail",
    ),
    path("alliances/<slug:alliance>/", views.AllianceComparisonApi.as_view(), name="checklist-alliance"),
]
