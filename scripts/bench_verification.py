#!/usr/bin/env python
"""Benchmark: the verification page (req/s under gunicorn, 16 concurrent clients) and verify API
(credentials/s), plus the cold in-process cost of verifying one credential.

Creates a separate PostgreSQL database (mcportal_bench_verification), issues --credentials real
credentials through the services, starts gunicorn (production settings, Redis cache) on 127.0.0.1
with the verification rate limits turned off, drives it from --concurrency client processes on this
machine, prints the figures and stops everything.

Usage: .venv/bin/python scripts/bench_verification.py [--seconds 8] [--concurrency 16] [--credentials 20]
"""

from __future__ import annotations

import argparse
import json
import os

from _bench_http import (
    ROOT,
    BenchRequest,
    bench_env,
    database_recreate,
    figures_header,
    figures_row,
    gunicorn_running,
    machine_description,
    measure,
    python_script_run,
    request_send,
)

DB_NAME = os.environ.get("MCPORTAL_BENCH_DB", "mcportal_bench_verification")
REDIS = os.environ.get("MCPORTAL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
PORT = 8098
PUBLIC_URL = "https://bench.invalid"


def verification_env() -> dict:
    return bench_env(
        db_name=DB_NAME,
        redis_url=REDIS,
        extra={
            # PDFs are not needed here: their tasks go to an in-memory broker nobody reads.
            "CELERY_BROKER_URL": "memory://",
            "MCPORTAL_KEY_ENCRYPTION_KEY": "bench-only-key-encryption-key-0123456789abcdef",
            "MCPORTAL_PUBLIC_URL": PUBLIC_URL,
            "MCPORTAL_VERIFICATION_RATE_PAGE": "off",
            "MCPORTAL_VERIFICATION_RATE_FILE": "off",
            "MCPORTAL_VERIFICATION_RATE_API": "off",
            "DJANGO_MEDIA_ROOT": str(ROOT / "var" / "bench-verification-media"),
            "PYTHONPATH": str(ROOT),
        },
    )


def verdict_is_valid(request: BenchRequest, status: int, payload: bytes) -> bool:
    """A 200, and for a posted credential also the verdict "valid" (a wrong verdict is an error)."""
    if status != 200:
        return False
    return request.body is None or json.loads(payload)["verdict"] == "valid"


FILL_SCRIPT = r"""
import json, sys
from decimal import Decimal
import django
django.setup()
from django.core.cache import cache
from courses.services import course_publish
from credentials.services.issuance import credential_issue
from enrollment.services import enrollment_enrol, result_record
from mcportal.core.choices import Role
from tests.factories.core import InstitutionFactory, MembershipFactory
from tests.factories.courses import CourseFactory, CourseRunFactory
from tests.factories.enrollment import AssessmentFactory, LearnerFactory

count = int(sys.argv[1])
cache.clear()
institution = InstitutionFactory(legal_name="Bench University", short_name="BU", slug="bench")
registrar = MembershipFactory(institution=institution, role=Role.REGISTRAR).user
course = CourseFactory(institution=institution, grading_scheme="ects_grades")
course_publish(course=course, actor=registrar)
run = CourseRunFactory(course=course, capacity=None)
assessment = AssessmentFactory(run=run, weight=Decimal("100"))
codes = []
for number in range(count):
    learner = LearnerFactory(full_name=f"Bench Learner {number}")
    enrollment = enrollment_enrol(learner=learner, run=run, actor=learner)
    result_record(enrollment=enrollment, assessment=assessment, score=Decimal("80"), actor=registrar)
    codes.append(credential_issue(enrollment=learner.enrollments.get(), actor=registrar).credential.verification_code)
print(json.dumps(codes))
"""

COLD_SCRIPT = r"""
import json, sys, time
import django
django.setup()
from django.core.cache import cache
from credentials.models import Credential
from verification.services import verification_run_for_document
documents = [json.loads(text) for text in Credential.objects.values_list("signed_document", flat=True)]
verification_run_for_document(document=documents[0])  # warm the pinned contexts
started = time.perf_counter()
for document in documents:
    cache.clear()
    assert verification_run_for_document(document=document).verdict == "valid"
elapsed = time.perf_counter() - started
print(json.dumps({"count": len(documents), "seconds": elapsed}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--credentials", type=int, default=20)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    args = parser.parse_args()

    env = verification_env()
    database_recreate(env, DB_NAME)
    codes = json.loads(python_script_run(env, FILL_SCRIPT, str(args.credentials), capture=True))
    cold = json.loads(python_script_run(env, COLD_SCRIPT, capture=True))
    with gunicorn_running(env, port=PORT, workers=args.workers, ready_path=f"/v/{codes[0]}"):
        documents = [
            json.loads(request_send(PORT, BenchRequest("GET", f"/v/{code}/credential.json"))[1])
            for code in codes
        ]
        pages = [BenchRequest("GET", f"/v/{code}") for code in codes]
        twins = [BenchRequest("GET", f"/v/{code}.json") for code in codes]
        api = [
            BenchRequest(
                "POST", "/api/v1/credentials/verify", json.dumps({"verifiableCredential": d}).encode()
            )
            for d in documents
        ]
        load = {"port": PORT, "check": verdict_is_valid}
        for requests in (pages, twins, api):  # warm every worker and the verdict caches
            measure(requests, seconds=1.5, concurrency=args.workers, **load)
        print(
            f"{machine_description()}; "
            f"gunicorn {args.workers} sync workers (production settings, Redis cache); "
            f"{args.concurrency} client processes on the same machine; {len(codes)} credentials"
        )
        print(figures_header(44))
        for label, requests in (
            ("verification page /v/<code> (valid)", pages),
            ("JSON twin /v/<code>.json", twins),
            ("POST /api/v1/credentials/verify", api),
        ):
            figures = measure(requests, seconds=args.seconds, concurrency=args.concurrency, **load)
            print(figures_row(label, figures, 44))
        print(
            f"cold verify (in-process, cache cleared each time, one core): "
            f"{cold['count'] / cold['seconds']:.1f} credentials/s "
            f"({cold['seconds'] * 1000 / cold['count']:.0f} ms each over {cold['count']})"
        )


if __name__ == "__main__":
    main()
