"""schema.org Course JSON-LD: what the builder states, and that its serialisation is script-safe."""
import datetime as dt
import json
from decimal import Decimal

import pytest

from courses.selectors import course_get_published
from courses.services import course_publish
from courses.structured_data import course_structured_data, structured_data_json
from mcportal.core import clock
from tests.factories.courses import CourseFactory, CourseRunFactory


def _published(actor, **attributes):
    return course_publish(course=CourseFactory(**attributes), actor=actor)


def _fetch(course):
    # The builder reads what the public page's selector prefetches, so build from that.
    return course_get_published(slug=course.slug)


def test_course_structured_data_states_every_schema_org_property(
    registrar, institution, settings
):
    settings.MCPORTAL_PUBLIC_URL = "https://portal.example"
    course = _published(
        registrar,
        institution=institution,
        slug="applied-bioinformatics",
        code="LS101",
        title="Applied Bioinformatics",
        summary="Hands-on analysis of sequencing data.",
        prerequisites="Basic Python.",
        validity_months=36,
        outcomes=["Design a differential expression analysis.", "Interpret the results."],
        languages=["en", "cs"],
    )
    today = clock.today()
    opens = dt.datetime(2030, 1, 1, 9, 0, tzinfo=dt.UTC)
    closes = dt.datetime(2030, 2, 1, 0, 0, tzinfo=dt.UTC)
    CourseRunFactory(
        course=course, label="Autumn", starts_on=today + dt.timedelta(days=30),
        ends_on=today + dt.timedelta(days=90), enrolment_opens_at=opens,
        enrolment_closes_at=closes, price_amount=Decimal("490"), location="Brno",
    )
    CourseRunFactory(
        course=course, label="Winter", starts_on=today + dt.timedelta(days=120),
        ends_on=today + dt.timedelta(days=150), enrolment_opens_at=opens,
        enrolment_closes_at=closes, capacity=10, seats_taken=10,
    )

    data = course_structured_data(_fetch(course))

    assert data == {
        "@context": "https://schema.org",
        "@type": "Course",
        "@id": "https://portal.example/courses/applied-bioinformatics/",
        "url": "https://portal.example/courses/applied-bioinformatics/",
        "name": "Applied Bioinformatics",
        "description": "Hands-on analysis of sequencing data.",
        "courseCode": "LS101",
        "provider": {
            "@type": "CollegeOrUniversity",
            "name": "Masaryk University",
            "alternateName": "MUNI",
            "url": "https://www.example.edu",
            "address": {
                "@type": "PostalAddress",
                "addressCountry": "CZ",
                "addressLocality": "Brno",
            },
        },
        "inLanguage": ["cs", "en"],
        "teaches": ["Design a differential expression analysis.", "Interpret the results."],
        "educationalLevel": "EQF level 7",
        "educationalCredentialAwarded": {
            "@type": "EducationalOccupationalCredential",
            "name": "Applied Bioinformatics",
            "credentialCategory": "Microcredential",
            "educationalLevel": "EQF level 7",
            "validFor": "P36M",
        },
        "numberOfCredits": {"@type": "QuantitativeValue", "value": 5, "unitText": "ECTS"},
        "timeRequired": "PT125H",
        "coursePrerequisites": "Basic Python.",
        "about": "051 Biological and related sciences",
        "hasCourseInstance": [
            {
                "@type": "CourseInstance",
                "name": "Autumn",
                "courseMode": "online",
                "startDate": (today + dt.timedelta(days=30)).isoformat(),
                "endDate": (today + dt.timedelta(days=90)).isoformat(),
                "courseWorkload": "PT125H",
                "location": "Brno",
                "offers": {
                    "@type": "Offer",
                    "category": "Paid",
                    "price": "490.00",
                    "priceCurrency": "EUR",
                    "validFrom": "2030-01-01T09:00:00+00:00",
                    "validThrough": "2030-02-01T00:00:00+00:00",
                    "availability": "https://schema.org/InStock",
                },
            },
            {
                "@type": "CourseInstance",
                "name": "Winter",
                "courseMode": "online",
                "startDate": (today + dt.timedelta(days=120)).isoformat(),
                "endDate": (today + dt.timedelta(days=150)).isoformat(),
                "courseWorkload": "PT125H",
                "offers": {
                    "@type": "Offer",
                    "category": "Free",
                    "price": "0.00",
                    "priceCurrency": "EUR",
                    "validFrom": "2030-01-01T09:00:00+00:00",
                    "validThrough": "2030-02-01T00:00:00+00:00",
                    "availability": "https://schema.org/SoldOut",
                },
            },
        ],
    }


def test_joint_course_lists_every_awarding_institution_as_provider(
    registrar, institution, other_institution
):
    course = _published(registrar, institution=institution, slug="joint")
    course.partner_institutions.add(other_institution)

    data = course_structured_data(_fetch(course))

    assert [(p["name"], p["address"]["addressCountry"]) for p in data["provider"]] == [
        ("Masaryk University", "CZ"),
        ("University of Tartu", "EE"),
    ]


def test_course_without_runs_or_optional_elements_omits_them(registrar, institution):
    course = _published(
        registrar, institution=institution, slug="minimal", code="", summary="",
        description="Full text.", ects_credits=Decimal("2.5"), workload_hours=70,
        eqf_level=5, qf_ehea_cycle="short",
    )

    data = course_structured_data(_fetch(course))

    assert data["hasCourseInstance"] == []
    assert data["description"] == "Full text."
    assert data["numberOfCredits"] == {
        "@type": "QuantitativeValue", "value": 2.5, "unitText": "ECTS",
    }
    assert data["educationalLevel"] == "EQF level 5"
    assert "courseCode" not in data
    assert "coursePrerequisites" not in data
    assert "validFor" not in data["educationalCredentialAwarded"]


@pytest.mark.parametrize(
    ("value", "expected", "_case"),
    [
        ("</script><script>alert(1)</script>",
         '"\\u003C/script\\u003E\\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E"',
         "closing tag"),
        ("<!-- a & b -->", '"\\u003C!-- a \\u0026 b --\\u003E"', "comment and ampersand"),
        ("Zürich – Brno", '"Zürich – Brno"', "non-ASCII stays readable"),
    ],
)
def test_structured_data_json_escapes_what_could_end_the_script(value, expected, _case):
    text = structured_data_json({"name": value})

    assert text == '{"name": ' + expected + "}"
    assert json.loads(text) == {"name": value}
