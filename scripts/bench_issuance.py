#!/usr/bin/env python
"""Benchmark of issuance: signed JSON-LD and signed PDFs per second on one core, and a Celery batch.

Creates a separate PostgreSQL database (mcportal_bench_issuance), loads the demo alliance, adds
completed enrolments with bulk_create (setup only), then measures (a) JSON credentials on one core
with warm and cold JSON-LD caches and the split build / canonicalise+sign / DB insert, (b) signed PDFs
on one core with the split render / QR / PAdES B-T seal (local TSA), and (c) a batch issued through the
real batch service by two Celery workers on PostgreSQL/Redis, JSON and PDF, end to end.

Usage: .venv/bin/python scripts/bench_issuance.py [--count 1000] [--json 200] [--pdf 20]
"""
from __future__ import annotations

import argparse
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = "mcportal_bench_issuance"
BROKER = os.environ.get("MCPORTAL_BENCH_BROKER_URL", "redis://127.0.0.1:6379/8")
BENCH_COURSE = "good-clinical-practice"


def bench_env() -> dict:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "MCPORTAL_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "mcportal.settings.test",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DB_NAME}",
        "REDIS_URL": BROKER,
        "MCPORTAL_TEST_REAL_CELERY": "1",
        "DJANGO_MEDIA_ROOT": str(ROOT / "var" / "bench-issuance-media"),
        "PYTHONPATH": str(ROOT),
    })
    return env


def machine() -> str:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{platform.node()}: {os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def prepare_database(env: dict, batch: int, single: int) -> None:
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "seed_demo"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([sys.executable, __file__, "--phase", "fill", "--count", str(batch),
                    "--json", str(single)], cwd=ROOT, env=env, check=True)


def _django():
    import django

    django.setup()


def _pin_to_one_core() -> str:
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to CPU {core}"


def phase_fill(count: int, single: int) -> None:
    """Completed enrolments in bulk: single in run 1 of the bench course for (a)/(b), count in run 2."""
    _django()
    from decimal import Decimal

    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from courses.models import Course
    from enrollment.models import Enrollment
    from mcportal.core import clock
    from mcportal.core.models import User

    course = Course.objects.get(slug=BENCH_COURSE)
    first, second = list(course.runs.order_by("starts_on", "pk")[:2])
    now = clock.now()
    password = make_password(None)
    with transaction.atomic():
        users = User.objects.bulk_create(
            User(email=f"bench{n:05d}@bench.invalid", full_name=f"Bench Learner Nº{n} Ærøskøbing",
                 password=password, email_verified_at=now)
            for n in range(single + count)
        )
        Enrollment.objects.bulk_create(
            Enrollment(learner=user, run=first if n < single else second, status="completed",
                       activated_at=now, completed_at=now, ended_at=now,
                       final_score=Decimal("90.00"), final_grade="Pass")
            for n, user in enumerate(users)
        )
    print(f"filled {single} + {count} completed enrolments in two runs of {BENCH_COURSE}")


def _split(label: str, samples: dict[str, list[float]], count: int, total: float) -> None:
    print(f"  {label}: {count / total:.1f}/s ({count} in {total:.2f} s); per item, median ms:")
    for step, values in samples.items():
        print(f"    {step:<28}{statistics.median(values) * 1000:8.2f}")


def phase_single(json_count: int, pdf_count: int) -> None:
    """(a) and (b) in this process, pinned to one core."""
    _django()
    import hashlib
    import uuid

    from django.conf import settings
    from django.db import transaction

    from courses.models import Course
    from credentials.facts import course_version, credential_facts_build, facts_snapshot
    from credentials.jsonld.documents import credential_document_build
    from credentials.jsonld.loader import (
        DocumentLoader,
        mcportal_context_url,
        pinned_contexts,
        portal_document_loader,
    )
    from credentials.models import Credential, DocumentSigningIdentityKind, StatusListEntry
    from credentials.rendering.pades import pades_signer_get, sign_pades
    from credentials.rendering.pdf import credential_attachment, render_credential_pdf
    from credentials.rendering.qr import verification_qr_svg_data_uri
    from credentials.rendering.timestamping import timestamper_get
    from credentials.services.issuance import (
        serialise_signed,
        status_entries_reserve,
        verification_code_generate,
    )
    from credentials.services.keys import load_active_signing_key, signing_key_ensure_active
    from credentials.services.pdf import certificate_data_for, pki_identities_ensure
    from credentials.services.x509 import document_signing_identity_load
    from credentials.signing.proofs import proof_create
    from credentials.status_lists import status_entry_document
    from enrollment.models import Enrollment
    from mcportal.core import clock

    print(f"one core: {_pin_to_one_core()}")
    course = Course.objects.get(slug=BENCH_COURSE)
    run = course.runs.order_by("starts_on", "pk").first()
    institution = course.institution
    own_url = mcportal_context_url(settings.MCPORTAL_PUBLIC_URL)
    signing_key_ensure_active(institution=institution, actor=None)
    key = load_active_signing_key(institution=institution)
    version = course_version(course)
    enrollments = list(
        Enrollment.objects.filter(run=run, status="completed", credentials__isnull=True)
        .select_related("learner", "run__course__institution").order_by("pk")[: 2 * json_count + 10]
    )
    slots = status_entries_reserve(institution=institution, count=len(enrollments))

    def issue(enrollment, slot, loader, samples) -> Credential:
        started = time.perf_counter()
        issued_at = clock.now().replace(microsecond=0)
        public_id = uuid.uuid4()
        facts = credential_facts_build(
            enrollment=enrollment, public_id=str(public_id), issued_at=issued_at,
            status_entries=[status_entry_document(s.status_list, s.index) for s in slot],
        )
        document = credential_document_build(facts, own_context_url=own_url)
        built = time.perf_counter()
        signed = proof_create(document=document, private_key=key.private_key,
                              verification_method=key.verification_method, created=issued_at,
                              document_loader=loader)
        text = serialise_signed(signed)
        sealed = time.perf_counter()
        with transaction.atomic():
            credential = Credential.objects.create(
                public_id=public_id, verification_code=verification_code_generate(),
                enrollment=enrollment, institution=institution, signing_key=key.signing_key,
                course_version=version, title=facts.title, learner_name=facts.learner_name,
                issued_at=issued_at, valid_from=facts.valid_from, valid_until=facts.valid_until,
                signed_document=text, facts=facts_snapshot(facts),
                document_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            )
            StatusListEntry.objects.filter(pk__in=[s.pk for s in slot]).update(credential=credential)
        done = time.perf_counter()
        samples["build (facts + document)"].append(built - started)
        samples["canonicalise + sign"].append(sealed - built)
        samples["DB insert"].append(done - sealed)
        return credential

    warm_loader = portal_document_loader()
    for enrollment, slot in zip(enrollments[:5], slots[:5], strict=True):  # warm pyld and Django
        issue(enrollment, slot, warm_loader, {k: [] for k in ("build (facts + document)",
                                                               "canonicalise + sign", "DB insert")})
    print("(a) signed JSON-LD credentials (eddsa-rdfc-2022), one core")
    credentials = []
    for label, offset, loader_for in (
        ("warm context caches", 5, lambda: warm_loader),
        ("cold context caches", 5 + json_count,
         lambda: DocumentLoader({url: c.document for url, c in pinned_contexts(own_context_url=own_url).items()})),
    ):
        samples = {"build (facts + document)": [], "canonicalise + sign": [], "DB insert": []}
        chosen = list(zip(enrollments[offset:offset + json_count], slots[offset:offset + json_count],
                          strict=True))
        started = time.perf_counter()
        for enrollment, slot in chosen:
            credentials.append(issue(enrollment, slot, loader_for(), samples))
        _split(label, samples, len(chosen), time.perf_counter() - started)

    print("(b) signed PDFs (WeasyPrint + segno QR + pyHanko PAdES B-T, local TSA), one core")
    pki_identities_ensure(institution=institution)
    signer_identity = document_signing_identity_load(
        institution=institution, kind=DocumentSigningIdentityKind.DOCUMENT_SIGNER)
    tsa_identity = document_signing_identity_load(
        institution=None, kind=DocumentSigningIdentityKind.TIMESTAMP_AUTHORITY)
    signer = pades_signer_get(certificate=signer_identity.certificate, chain=signer_identity.chain,
                              load_private_key=signer_identity.private_key)
    timestamper = timestamper_get(local_certificate=tsa_identity.certificate,
                                  local_chain=tsa_identity.chain,
                                  load_local_private_key=tsa_identity.private_key)
    samples = {"QR (inside render)": [], "render (HTML -> PDF)": [], "seal (PAdES B-T)": []}

    def pdf(credential, samples) -> bytes:
        started = time.perf_counter()
        certificate = certificate_data_for(credential)
        verification_qr_svg_data_uri(certificate.verification_url)
        qr = time.perf_counter()
        document = render_credential_pdf(
            certificate=certificate,
            attachments=[credential_attachment(credential.signed_document.encode("utf-8"))])
        rendered = time.perf_counter()
        sealed = sign_pades(pdf=document, signer=signer, timestamper=timestamper,
                            reason=f"Microcredential issued by {institution.legal_name}",
                            location=institution.city)
        done = time.perf_counter()
        samples["QR (inside render)"].append(qr - started)
        samples["render (HTML -> PDF)"].append(rendered - qr - (qr - started))
        samples["seal (PAdES B-T)"].append(done - rendered)
        return sealed

    pdf(credentials[0], {k: [] for k in samples})  # warm fonts, templates and keys
    started = time.perf_counter()
    for credential in credentials[1:pdf_count + 1]:
        pdf(credential, samples)
    _split("signed PDFs", samples, pdf_count, time.perf_counter() - started)
    print("    (render excludes the QR, which it draws itself; the rate includes it once)")


def phase_batch() -> None:
    """(c) from this process: create the batch with the real service, wait for the two workers."""
    _django()
    from courses.models import Course
    from credentials.choices import BatchStatus, PdfStatus
    from credentials.models import Credential
    from credentials.services.batches import issuance_batch_create
    from mcportal.core.models import User

    course = Course.objects.get(slug=BENCH_COURSE)
    run = course.runs.order_by("starts_on", "pk")[1]
    registrar = User.objects.get(email="registrar@demo.test")
    started = time.perf_counter()
    batch = issuance_batch_create(run=run, actor=registrar)
    json_done = None
    while True:
        batch.refresh_from_db()
        ready = Credential.objects.filter(enrollment__run=run, pdf_status=PdfStatus.READY).count()
        failed = Credential.objects.filter(enrollment__run=run, pdf_status=PdfStatus.FAILED).count()
        if json_done is None and batch.status != BatchStatus.RUNNING and batch.status != BatchStatus.QUEUED:
            json_done = time.perf_counter() - started
        if json_done is not None and ready + failed >= batch.issued_count:
            break
        if time.perf_counter() - started > 1800:
            print("  gave up after 30 minutes")
            break
        time.sleep(0.5)
    wall = time.perf_counter() - started
    print(f"(c) batch of {batch.total} through issuance_batch_create, two Celery workers "
          f"(prefork, concurrency 1 each), PostgreSQL + Redis")
    print(f"  status {batch.status}: issued {batch.issued_count}, skipped {batch.skipped_count}, "
          f"failed {batch.failed_count}; PDFs ready {ready}, PDFs failed {failed}")
    print(f"  JSON credentials all issued after {json_done:.1f} s ({batch.issued_count / json_done:.1f}/s)")
    print(f"  JSON + PDF end to end: {wall:.1f} s ({batch.total / wall:.2f} credentials/s); "
          f"target < 180 s for 1,000")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="credentials in the batch (c)")
    parser.add_argument("--json", type=int, default=200, help="JSON credentials per cache state (a)")
    parser.add_argument("--pdf", type=int, default=20, help="signed PDFs (b)")
    parser.add_argument("--phase", choices=["all", "fill", "single", "batch"], default="all")
    args = parser.parse_args()
    if args.phase == "fill":
        return phase_fill(args.count, 2 * args.json + 10)
    if args.phase == "single":
        return phase_single(args.json, args.pdf)
    if args.phase == "batch":
        return phase_batch()

    import redis

    env = bench_env()
    print(f"machine: {machine()}")
    prepare_database(env, args.count, args.json)
    me = [sys.executable, __file__]
    subprocess.run([*me, "--phase", "single", "--json", str(args.json), "--pdf", str(args.pdf)],
                   cwd=ROOT, env=env, check=True)
    redis.Redis.from_url(BROKER).flushdb()
    celery = str(Path(sys.executable).with_name("celery"))
    log_dir = ROOT / "var"
    log_dir.mkdir(exist_ok=True)
    workers = [
        subprocess.Popen(
            [celery, "-A", "mcportal", "worker", "-Q", "default,issuance", "--pool=prefork",
             "--concurrency=1", "--loglevel=WARNING", f"--hostname=bench-{n}@%h"],
            cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.STDOUT,
            stdout=(log_dir / f"bench-issuance-worker-{n}.log").open("wb"),
        )
        for n in range(2)
    ]
    try:
        time.sleep(3)  # both workers connected, so the batch is shared from the first chunk
        subprocess.run([*me, "--phase", "batch"], cwd=ROOT, env=env, check=True)
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        redis.Redis.from_url(BROKER).flushdb()


if __name__ == "__main__":
    main()
