"""Public URLs of courses: the catalogue and each published course's page."""
from django.urls import path

from . import views

app_name = "courses"
urlpatterns = [
    path("", views.catalogue_view, name="catalogue"),
    path("<slug:slug>/", views.course_detail_view, name="detail"),
]
