"""Catalogue read endpoints (public) and the staff publication check and publish operation."""
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from mcportal.api.permissions import IsStaffMember
from mcportal.core.roles import Capability, user_has_capability

from .. import selectors, services
from ..forms import CatalogueFilterForm
from ..validation import course_publication_report
from .serializers import (
    CourseDetailOutputSerializer,
    CourseListOutputSerializer,
    InstitutionOutputSerializer,
    PublicationReportOutputSerializer,
)

CATALOGUE_PARAMETERS = [
    OpenApiParameter("q", str, description="Words searched in title, description and outcomes."),
    OpenApiParameter("eqf", int, many=True, description="EQF level(s), 1–8."),
    OpenApiParameter("ects_min", OpenApiTypes.DECIMAL),
    OpenApiParameter("ects_max", OpenApiTypes.DECIMAL),
    OpenApiParameter("lang", str, many=True, description="ISO 639-1 language code(s)."),
    OpenApiParameter("form", str, many=True, enum=["online", "onsite", "blended"]),
    OpenApiParameter("field", str, many=True, description="ISCED-F field code(s)."),
    OpenApiParameter("price", str, enum=["free", "paid"]),
    OpenApiParameter("institution", str, description="Institution slug."),
    OpenApiParameter("soon", bool, description="Only courses with a run starting soon."),
    OpenApiParameter(
        "sort", str, enum=["relevance", "starting", "title", "ects", "-ects", "eqf", "newest"]
    ),
]


@extend_schema(parameters=CATALOGUE_PARAMETERS, tags=["catalogue"])
class CourseListApi(generics.ListAPIView):
    """Published courses, filtered and sorted like the public catalogue."""

    permission_classes = [AllowAny]
    serializer_class = CourseListOutputSerializer

    def get_queryset(self):
        form = CatalogueFilterForm(data=self.request.query_params)
        if not form.is_valid():
            raise ValidationError(
                {name: [str(message) for message in messages] for name, messages in form.errors.items()}
            )
        return selectors.course_list_published(filters=form.to_filters())


@extend_schema(tags=["catalogue"])
class CourseDetailApi(generics.RetrieveAPIView):
    """One published course with every EU element and its upcoming runs."""

    permission_classes = [AllowAny]
    serializer_class = CourseDetailOutputSerializer

    def get_object(self):
        course = selectors.course_get_published(slug=self.kwargs["slug"])
        if course is None:
            raise Http404
        return course


@extend_schema(tags=["catalogue"])
class InstitutionListApi(generics.ListAPIView):
    """Institutions that award at least one published course."""

    permission_classes = [AllowAny]
    serializer_class = InstitutionOutputSerializer

    def get_queryset(self):
        return selectors.institution_list_in_catalogue()


def _course_for_staff(request, slug: str, capability: Capability):
    """The course if the user may see it; 404 outside their institutions, 403 without the role."""
    course = selectors.course_get_for_staff(
        user=request.user, slug=slug, capability=Capability.COURSE_VIEW_DRAFTS
    )
    if course is None:
        raise Http404
    if not user_has_capability(request.user, capability, course.institution):
        raise PermissionDenied(f"This needs the '{capability.label}' permission.")
    return course


@extend_schema(tags=["staff"], responses=PublicationReportOutputSerializer)
class CoursePublicationCheckApi(APIView):
    """What the course lacks before it may be published (staff of its institution)."""

    permission_classes = [IsStaffMember]

    def get(self, request, slug: str):
        course = _course_for_staff(request, slug, Capability.COURSE_VIEW_DRAFTS)
        report = course_publication_report(course)
        payload = {
            "is_publishable": report.is_publishable,
            "problems": [problem.as_dict() for problem in report.problems],
            "warnings": [warning.as_dict() for warning in report.warnings],
            "present": report.present,
        }
        return Response(PublicationReportOutputSerializer(payload).data)


@extend_schema(tags=["staff"], request=None, responses=CourseDetailOutputSerializer)
class CoursePublishApi(APIView):
    """Publish the course; 422 problem JSON lists each missing or inconsistent EU element."""

    permission_classes = [IsStaffMember]

    def post(self, request, slug: str):
        course = _course_for_staff(request, slug, Capability.COURSE_PUBLISH)
        services.course_publish(course=course, actor=request.user)
        published = selectors.course_get_published(slug=slug)
        return Response(
            CourseDetailOutputSerializer(published, context={"request": request}).data,
            status=status.HTTP_200_OK,
        )
