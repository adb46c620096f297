"""schema.org Course JSON-LD of the public course page: a pure builder and a script-safe dump."""
from __future__ import annotations

import json
from decimal import Decimal

from django.conf import settings
from django.utils.safestring import SafeString, mark_safe

from mcportal.core.models import Institution

from .models import Course, CourseRun

# Inside <script> nothing may close the element or open a comment: the same three escapes as
# django.utils.html.json_script, which cannot set type="application/ld+json".
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _number(value: Decimal) -> int | float:
    # ECTS credits are whole or half numbers, which a float holds exactly.
    return int(value) if value == value.to_integral_value() else float(value)


def _organisation(institution: Institution) -> dict:
    organisation = {
        "@type": "CollegeOrUniversity",
        "name": institution.legal_name,
        "address": {"@type": "PostalAddress", "addressCountry": str(institution.country)},
    }
    if institution.short_name and institution.short_name != institution.legal_name:
        organisation["alternateName"] = institution.short_name
    if institution.website:
        organisation["url"] = institution.website
    if institution.city:
        organisation["address"]["addressLocality"] = institution.city
    return organisation


def _course_instance(run: CourseRun, course: Course) -> dict:
    instance = {
        "@type": "CourseInstance",
        "name": run.label,
        "courseMode": course.participation_form,
        "startDate": run.starts_on.isoformat(),
        "endDate": run.ends_on.isoformat(),
        "offers": {
            "@type": "Offer",
            "category": "Free" if run.is_free else "Paid",
            "price": str(run.price.amount),
            "priceCurrency": run.currency,
            "validFrom": run.enrolment_opens_at.isoformat(),
            "validThrough": run.enrolment_closes_at.isoformat(),
            "availability": "https://schema.org/SoldOut"
            if run.is_full
            else "https://schema.org/InStock",
        },
    }
    if course.workload_hours:
        instance["courseWorkload"] = f"PT{course.workload_hours}H"
    if run.location:
        instance["location"] = run.location
    return instance


def course_structured_data(course: Course) -> dict:
    """Describe a published course as a schema.org Course for search engines.

    Reads only what course_get_published prefetches (outcomes, languages, partners, upcoming_runs).
    """
    url = f"{settings.MCPORTAL_PUBLIC_URL}{course.get_absolute_url()}"
    institutions = [course.institution, *course.partner_institutions.all()]
    providers = [_organisation(institution) for institution in institutions]
    data: dict = {
        "@context": "https://schema.org",
        "@type": "Course",
        "@id": url,
        "url": url,
        "name": course.title,
        "description": course.summary or course.description,
        "provider": providers[0] if len(providers) == 1 else providers,
        "inLanguage": [language.language for language in course.languages.all()],
        "teaches": [outcome.statement for outcome in course.outcomes.all()],
        "hasCourseInstance": [_course_instance(run, course) for run in course.upcoming_runs],
    }
    if course.code:
        data["courseCode"] = course.code
    credential: dict = {
        "@type": "EducationalOccupationalCredential",
        "name": course.title,
        "credentialCategory": "Microcredential",
    }
    if course.eqf_level is not None:
        data["educationalLevel"] = f"EQF level {course.eqf_level}"
        credential["educationalLevel"] = f"EQF level {course.eqf_level}"
    if course.validity_months:
        credential["validFor"] = f"P{course.validity_months}M"
    data["educationalCredentialAwarded"] = credential
    if course.ects_credits is not None:
        data["numberOfCredits"] = {
            "@type": "QuantitativeValue",
            "value": _number(course.ects_credits),
            "unitText": "ECTS",
        }
    if course.workload_hours:
        data["timeRequired"] = f"PT{course.workload_hours}H"
    if course.prerequisites.strip():
        data["coursePrerequisites"] = course.prerequisites.strip()
    if course.field_of_study:
        data["about"] = course.get_field_of_study_display()
    return data


def structured_data_json(data: dict) -> SafeString:
    """Serialise JSON-LD for a <script type="application/ld+json">; nothing can break out."""
    text = json.dumps(data, ensure_ascii=False).translate(_SCRIPT_ESCAPES)
    return mark_safe(text)  # noqa: S308 (every character that could end the script is escaped)
