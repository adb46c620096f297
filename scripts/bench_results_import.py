#!/usr/bin/env python
"""Benchmark: import 10,000 result rows from CSV, then read a roster of 5,000 enrolments.

Creates a separate PostgreSQL database (mcportal_enrol_bench), fills one run with learners,
enrolments, units and four assessments, and times, in this process:
  1. results_import of a CSV with --rows rows (new results; many learners complete),
  2. the same file again with every score changed (corrections with a reason),
  3. run_roster_csv_rows over every enrolment of the run (--roster enrolments), with its query count,
  4. one page of the roster API, sorted by weighted score.
Prints time and rows/s for each, then drops the database (unless --keep).
Usage: .venv/bin/python scripts/bench_results_import.py [--rows 10000] [--roster 5000] [--keep]
"""
from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "mcportal_enrol_bench"
ASSESSMENTS = 4


def prepare_database() -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, check=True,
                   env=os.environ)


def drop_database() -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")


def fill(roster: int):
    """One run with `roster` active learners, five units and four assessments of 25 % each."""
    import datetime as dt
    from decimal import Decimal

    from django.db import connection, transaction

    from courses.models import Course, CourseRun
    from enrollment.models import Assessment, Enrollment, Unit, UnitProgress
    from mcportal.core import clock
    from mcportal.core.models import Institution, Membership, User

    now, today = clock.now(), clock.today()
    with transaction.atomic():
        institution = Institution.objects.create(legal_name="Bench University", short_name="BU", slug="bu",
                                                 country="CZ", city="Brno")
        instructor = User.objects.create_user("instructor@bench.example", full_name="Bench Instructor")
        Membership.objects.create(user=instructor, institution=institution, role="instructor")
        course = Course.objects.create(
            institution=institution, slug="bench", title="Bench course", eqf_level=7, workload_hours=125,
            ects_credits=Decimal("5"), assessment_type="project", participation_form="online",
            quality_assurance_type="internal", grading_scheme="ects_grades", status="published", published_at=now,
        )
        run = CourseRun.objects.create(
            course=course, label="Bench run", starts_on=today, ends_on=today + dt.timedelta(days=60),
            enrolment_opens_at=now - dt.timedelta(days=30), enrolment_closes_at=now + dt.timedelta(days=1),
            capacity=None, seats_taken=roster,
        )
        units = Unit.objects.bulk_create(Unit(run=run, position=p, title=f"Unit {p}") for p in range(1, 6))
        for position in range(1, ASSESSMENTS + 1):
            Assessment.objects.create(run=run, position=position, title=f"Assessment {position}", kind="exam",
                                      weight=Decimal(100 // ASSESSMENTS), pass_mark=Decimal("50"))
        learners = User.objects.bulk_create(
            User(email=f"learner{i:05d}@bench.example", full_name=f"Learner {i:05d}", password="!",
                 email_verified_at=now)
            for i in range(roster)
        )
        enrollments = Enrollment.objects.bulk_create(
            Enrollment(learner=learner, run=run, status="active", activated_at=now) for learner in learners
        )
        UnitProgress.objects.bulk_create(
            UnitProgress(enrollment=enrollment, unit=unit, completed_at=now)
            for index, enrollment in enumerate(enrollments) for unit in units[: index % 6]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return run, instructor, learners


def csv_content(learners, rows: int, *, raise_by: int = 0) -> bytes:
    """Semicolon CSV with decimal commas, as a spreadsheet in a comma-decimal locale saves it.

    raise_by adds points to every score (capped at 100): a correction that keeps every pass.
    """
    generator = random.Random(1)  # noqa: S311 - reproducible test data, not a secret
    lines = ["email;assessment;score"]
    per_learner = ASSESSMENTS
    for index in range(rows):
        learner = learners[index // per_learner]
        position = index % per_learner + 1
        score = f"{min(generator.randint(3000, 10000) + raise_by * 100, 10000) / 100:.2f}".replace(".", ",")
        lines.append(f"{learner.email};{position};{score}")
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def timed(label: str, rows: int, call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        outcome = call()
        seconds = time.perf_counter() - start
    print(f"{label:<44}{rows:>8}{seconds:>10.2f}{rows / seconds:>12.0f}{len(queries):>10}")
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--roster", type=int, default=5_000)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    args = parser.parse_args()
    if args.rows > args.roster * ASSESSMENTS:
        parser.error(f"--rows may be at most --roster × {ASSESSMENTS}")

    os.environ["DJANGO_SETTINGS_MODULE"] = "mcportal.settings.test"
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB_NAME}"
    sys.path.insert(0, str(ROOT))
    prepare_database()
    import django

    django.setup()
    # The benchmark serves no static files; whitenoise's note about their directory is noise here.
    warnings.filterwarnings("ignore", message="No directory at")
    from django.test import Client

    from enrollment.selectors import run_roster_csv_rows
    from enrollment.services import results_import

    try:
        run, instructor, learners = fill(args.roster)
        first = csv_content(learners, args.rows)
        second = csv_content(learners, args.rows, raise_by=5)
        print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, PostgreSQL on 127.0.0.1; "
              f"{args.roster} active enrolments, {ASSESSMENTS} assessments, CSV of {len(first):,} bytes")
        print(f"{'operation':<44}{'rows':>8}{'seconds':>10}{'rows/s':>12}{'queries':>10}")
        report = timed("results_import (new results)", args.rows,
                       lambda: results_import(run=run, csv_file=first, actor=instructor))
        again = timed("results_import (every score corrected)", args.rows,
                      lambda: results_import(run=run, csv_file=second, actor=instructor, reason="Re-marked"))
        rows = timed(f"roster CSV rows ({args.roster} enrolments)", args.roster,
                     lambda: list(run_roster_csv_rows(run=run)))
        client = Client()
        client.force_login(instructor)
        url = f"/api/v1/runs/{run.pk}/enrolments/?ordering=-score&page=3&page_size=100"
        page = timed("roster API page of 100, sorted by score", 100, lambda: client.get(url))
        assert page.status_code == 200, page.content
        print(f"first import: {report.created} created, {report.completed} completed; "
              f"second: {again.corrected} corrected, {again.unchanged} unchanged, {again.regraded} re-graded; "
              f"roster: {len(rows) - 1} rows")
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
