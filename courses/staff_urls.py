"""URLs of the staff course pages, mounted at /staff/courses/."""
from django.urls import path

from . import staff_views

app_name = "courses_staff"

urlpatterns = [
    path("", staff_views.CourseListView.as_view(), name="list"),
    path("new/", staff_views.CourseCreateView.as_view(), name="create"),
    path("<slug:slug>/", staff_views.CourseDetailView.as_view(), name="detail"),
    path("<slug:slug>/edit/", staff_views.CourseEditView.as_view(), name="edit"),
    path("<slug:slug>/publish/", staff_views.CoursePublishView.as_view(), name="publish"),
    path("<slug:slug>/withdraw/", staff_views.CourseWithdrawView.as_view(), name="withdraw"),
    path("<slug:slug>/archive/", staff_views.CourseArchiveView.as_view(), name="archive"),
    path("<slug:slug>/runs/new/", staff_views.CourseRunCreateView.as_view(), name="run_create"),
    path(
        "<slug:slug>/runs/<int:pk>/edit/", staff_views.CourseRunEditView.as_view(), name="run_edit"
    ),
    path(
        "<slug:slug>/runs/<int:pk>/cancel/",
        staff_views.CourseRunCancelView.as_view(),
        name="run_cancel",
    ),
]
