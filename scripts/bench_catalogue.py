#!/usr/bin/env python
"""Benchmark: requests/second for the public catalogue with 1,000 published courses under gunicorn.

Creates a separate PostgreSQL database (mcportal_bench), fills it, starts gunicorn on 127.0.0.1,
drives it from a bounded pool of client processes on this machine, prints the figures and stops
everything. Usage: .venv/bin/python scripts/bench_catalogue.py [--courses 1000] [--seconds 15]
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "mcportal_bench"
PORT = 8097
# "{miss}" becomes a unique, ignored parameter per request: the page cache never answers it,
# so those rows measure the full render (the cost of the first visitor after a change).
ENDPOINTS = [
    ("catalogue page 1 (cached)", "/courses/"),
    ("catalogue page 1 (uncached)", "/courses/?{miss}"),
    ("search + filters (uncached)", "/courses/?q=analysis&eqf=7&form=online&{miss}"),
    ("catalogue page 40 (uncached)", "/courses/?page=40&{miss}"),
    ("API list", "/api/v1/courses/"),
    ("course page", "/courses/bench-course-0500/"),
]


def bench_env() -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "MCPORTAL_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "mcportal.settings.production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"),
        "MCPORTAL_KEY_ENCRYPTION_KEY": "bench-only",
        "MCPORTAL_PUBLIC_URL": "https://bench.invalid",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_STATIC_ROOT": str(ROOT / "var" / "bench-static"),
        "DJANGO_LOG_LEVEL": "WARNING",
    })
    return env


def prepare_database(env: dict, courses: int) -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME}")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    run = [sys.executable, "manage.py"]
    subprocess.run([*run, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*run, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [sys.executable, "-c", FILL_SCRIPT, str(courses)], cwd=ROOT, env=env, check=True
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


def _client(path: str, deadline: float, queue) -> None:
    latencies, errors, sequence = [], 0, 0
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        sequence += 1
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        try:
            url = path.replace("{miss}", f"miss={os.getpid()}-{sequence}")
            conn.request("GET", url, headers={"Host": "127.0.0.1"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors += 1
        except OSError:
            errors += 1
        finally:
            conn.close()
        latencies.append(time.perf_counter() - start)
    queue.put((latencies, errors))


def measure(path: str, seconds: float, concurrency: int) -> dict:
    queue = multiprocessing.Queue()
    deadline = time.perf_counter() + seconds
    workers = [multiprocessing.Process(target=_client, args=(path, deadline, queue))
               for _ in range(concurrency)]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(lat for lats, _ in results for lat in lats)
    errors = sum(err for _, err in results)
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--courses", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    args = parser.parse_args()

    env = bench_env()
    prepare_database(env, args.courses)
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "mcportal.wsgi", "--bind",
         f"127.0.0.1:{PORT}", "--workers", str(args.workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    try:
        for _ in range(50):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
                conn.request("GET", "/courses/")
                conn.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        for _, path in ENDPOINTS:  # warm every worker's caches
            measure(path, 1.0, args.workers)
        print(f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}; gunicorn {args.workers} sync workers; "
              f"{args.concurrency} client processes on the same machine; "
              f"{args.courses} published courses on PostgreSQL")
        print(f"{'endpoint':<32}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}")
        for label, path in ENDPOINTS:
            figures = measure(path, args.seconds, args.concurrency)
            print(f"{label:<32}{figures['rps']:>8.1f}{figures['p50_ms']:>9.1f}"
                  f"{figures['p95_ms']:>9.1f}{figures['errors']:>8}")
    finally:
        gunicorn.send_signal(signal.SIGTERM)
        gunicorn.wait(timeout=30)


if __name__ == "__main__":
    main()
