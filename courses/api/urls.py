"""/api/v1/ routes of the course catalogue."""
from django.urls import path

from . import views

urlpatterns = [
    path("courses/", views.CourseListApi.as_view(), name="course-list"),
    path("courses/<slug:slug>/", views.CourseDetailApi.as_view(), name="course-detail"),
    path(
        "courses/<slug:slug>/publication-check/",
        views.CoursePublicationCheckApi.as_view(),
        name="course-publication-check",
    ),
    path("courses/<slug:slug>/publish/", views.CoursePublishApi.as_view(), name="course-publish"),
    path("institutions/", views.InstitutionListApi.as_view(), name="institution-list"),
]
