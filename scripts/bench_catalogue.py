#!/usr/bin/env python
"""Benchmark: requests/second for the public catalogue with 1,000 published courses under gunicorn.

Creates a separate PostgreSQL database (mcportal_bench), fills it, starts gunicorn on 127.0.0.1,
drives it from a bounded pool of client processes on this machine, prints the figures and stops
everything. Usage: .venv/bin/python scripts/bench_catalogue.py [--courses 1000] [--seconds 15]
"""
from __future__ import annotations

import argparse
import os

from _bench_http import (
    BenchRequest,
    bench_env,
    database_recreate,
    figures_header,
    figures_row,
    gunicorn_running,
    machine_description,
    measure,
    python_script_run,
)

DB_NAME = os.environ.get("MCPORTAL_BENCH_DB", "mcportal_bench")
PORT = 8097
# "{miss}" becomes a unique, ignored parameter per request (see _bench_http): the page cache never
# answers it, so those rows measure the full render (the cost of the first visitor after a change).
ENDPOINTS = [
    ("catalogue page 1 (cached)", "/courses/"),
    ("catalogue page 1 (uncached)", "/courses/?{miss}"),
    ("search + filters (uncached)", "/courses/?q=analysis&eqf=7&form=online&{miss}"),
    ("catalogue page 40 (uncached)", "/courses/?page=40&{miss}"),
    ("API list", "/api/v1/courses/"),
    ("course page", "/courses/bench-course-0500/"),
]


def catalogue_env() -> dict:
    return bench_env(
        db_name=DB_NAME,
        redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"),
        extra={"MCPORTAL_KEY_ENCRYPTION_KEY": "bench-only", "MCPORTAL_PUBLIC_URL": "https://bench.invalid"},
    )


FILL_SCRIPT = r'''
import datetime as dt, sys
from decimal import Decimal
import django
django.setup()
from django.db import transaction
from courses.models import Course, CourseLanguage, CourseRun, LearningOutcome
from mcportal.core import clock
from mcportal.core.models import Institution

total = int(sys.argv[1])
with transaction.atomic():
    institutions = [
        Institution.objects.create(legal_name=f"Bench University {i}", short_name=f"BU{i}",
                                   slug=f"bu{i}", country="CZ", city="Brno")
        for i in range(10)
    ]
    now, today = clock.now(), clock.today()
    forms = ["online", "onsite", "blended"]
    courses = Course.objects.bulk_create(
        Course(
            institution=institutions[i % 10], slug=f"bench-course-{i:04d}", code=f"B{i:04d}",
            title=f"{['Applied', 'Advanced', 'Introductory', 'Clinical'][i % 4]} topic {i} in life sciences",
            summary="A short course with a realistic summary line for the catalogue card.",
            description="Hands-on data analysis and laboratory practice. " * 10,
            eqf_level=5 + i % 4, workload_hours=25 * (1 + i % 5), ects_credits=Decimal(1 + i % 5),
            assessment_type="project", participation_form=forms[i % 3],
            quality_assurance_type="internal", grading_scheme="pass_fail", field_of_study="051",
            status="published", published_at=now,
        )
        for i in range(total)
    )
    LearningOutcome.objects.bulk_create(
        LearningOutcome(course=course, position=p, statement=f"Outcome {p}: perform the analysis of case {p}.")
        for course in courses for p in (1, 2, 3)
    )
    CourseLanguage.objects.bulk_create(CourseLanguage(course=c, language="en") for c in courses)
    CourseRun.objects.bulk_create(
        CourseRun(course=course, label=f"Run {r}", starts_on=today + dt.timedelta(days=10 + 30 * r + i % 50),
                  ends_on=today + dt.timedelta(days=60 + 30 * r + i % 50),
                  enrolment_opens_at=now - dt.timedelta(days=5), enrolment_closes_at=now + dt.timedelta(days=9),
                  capacity=30, price_amount=Decimal(0 if i % 3 else 250))
        for i, course in enumerate(courses) for r in (0, 1)
    )
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
print(f"filled {total} published courses")
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--courses", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    args = parser.parse_args()

    env = catalogue_env()
    database_recreate(env, DB_NAME)
    python_script_run(env, FILL_SCRIPT, str(args.courses))
    with gunicorn_running(env, port=PORT, workers=args.workers, ready_path="/courses/"):
        for _, path in ENDPOINTS:  # warm every worker's caches
            measure([BenchRequest("GET", path)], port=PORT, seconds=1.0, concurrency=args.workers)
        print(f"{machine_description()}; gunicorn {args.workers} sync workers; "
              f"{args.concurrency} client processes on the same machine; "
              f"{args.courses} published courses on PostgreSQL")
        print(figures_header(32))
        for label, path in ENDPOINTS:
            figures = measure(
                [BenchRequest("GET", path)], port=PORT, seconds=args.seconds, concurrency=args.concurrency
            )
            print(figures_row(label, figures, 32))


if __name__ == "__main__":
    main()
