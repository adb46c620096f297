#!/usr/bin/env python
"""Benchmark of issuance: signed JSON-LD and signed PDFs per second on one core, and a Celery batch.

Creates a separate PostgreSQL database (--db, default mcportal_bench_issuance), loads the demo
alliance and adds completed enrolments with bulk_create (setup only), then measures, through the
real services:

(a) JSON credentials on one core: credentials_issue_for_run (what a batch chunk runs) in chunks of
    --chunk, with the per-credential split prepare / facts / document / canonicalise+sign /
    serialise / DB (lock, bulk insert of credentials, status entries and audit rows);
(b) signed PDFs on one core: credential_pdfs_render (what a batch's PDF task runs), split into
    signer lookup / certificate data / QR / WeasyPrint render / PAdES B-T seal / store;
(c) a batch of --count issued by issuance_batch_create and --workers Celery workers (prefork,
    --concurrency each) on PostgreSQL + Redis, JSON and PDF, end to end, with the workers' CPU time.

Every figure is printed as wall-clock time and as CPU time of the measuring process
(time.process_time): on a shared machine the wall figures suffer from other processes, the CPU
figures are what the work costs. (a) and (b) are pinned to one core.

Usage: .venv/bin/python scripts/bench_issuance.py [--count 1000] [--json 200] [--pdf 20]
           [--chunk 50] [--pdf-chunk 10] [--workers 2] [--concurrency 1] [--no-batch]
           [--db mcportal_bench_issuance] [--broker redis://127.0.0.1:6379/8]
"""
from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DB_NAME = os.environ.get("MCPORTAL_BENCH_DB", "mcportal_bench_issuance")
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


class StepClock:
    """Wall and CPU seconds per named step, collected by wrapping the services' own functions.

    Only this benchmark process wraps them (module attributes are swapped, the code is unchanged),
    so the split is the split of the real service path, not of a re-implementation.
    """

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self._patched: list[tuple[object, str, object]] = []
        self._depth = 0

    def wrap(self, module, name: str, step: str) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.process_time()
            try:
                return original(*args, **kwargs)
            finally:
                self.wall[step] += time.perf_counter() - wall
                self.cpu[step] += time.process_time() - cpu

        setattr(module, name, timed)
        self._patched.append((module, name, original))

    def restore(self) -> None:
        for module, name, original in reversed(self._patched):
            setattr(module, name, original)
        self._patched.clear()

    def reset(self) -> None:
        self.wall.clear()
        self.cpu.clear()


def _report(label: str, unit: str, count: int, wall: float, cpu: float, clock: StepClock,
            steps: list[str], rest: str, target: float) -> None:
    print(f"  {label}: {count} {unit} in {wall:.2f} s wall, {cpu:.2f} s CPU")
    print(f"    rate: {count / wall:6.1f}/s wall-clock | {count / cpu:6.1f}/s of CPU time"
          f"   (target >= {target:g}/s on one core)")
    print(f"    per {unit[:-1]}, ms:{'wall':>31}{'cpu':>10}")
    known_wall = known_cpu = 0.0
    rows = []
    for step in steps:
        step_wall, step_cpu = clock.wall.get(step, 0.0), clock.cpu.get(step, 0.0)
        known_wall += step_wall
        known_cpu += step_cpu
        rows.append((step, step_wall, step_cpu))
    rows.append((rest, max(wall - known_wall, 0.0), max(cpu - known_cpu, 0.0)))
    slowest = max(rows, key=lambda row: row[2])[0]
    for step, step_wall, step_cpu in rows:
        marker = "  <- slowest" if step == slowest else ""
        print(f"      {step:<36}{step_wall / count * 1000:8.2f}{step_cpu / count * 1000:10.2f}{marker}")
    print(f"      {'total':<36}{wall / count * 1000:8.2f}{cpu / count * 1000:10.2f}")


def phase_single(json_count: int, pdf_count: int, chunk: int) -> None:
    """(a) and (b) in this process, pinned to one core, through the real services."""
    _django()
    import gc

    from courses.models import Course
    from credentials.facts import run_facts_build
    from credentials.rendering import pdf as rendering_pdf
    from credentials.services import issuance
    from credentials.services import pdf as pdf_service
    from credentials.services.issuance import credentials_issue_for_run, status_entries_reserve
    from enrollment.models import Enrollment
    from mcportal.core.models import User

    print(f"one core: {_pin_to_one_core()}")
    course = Course.objects.get(slug=BENCH_COURSE)
    run = course.runs.order_by("starts_on", "pk").first()
    registrar = User.objects.get(email="registrar@demo.test")
    enrollments = list(
        Enrollment.objects.filter(run=run, status="completed", credentials__isnull=True).order_by("pk")
    )[: json_count + chunk]
    if len(enrollments) < json_count + chunk:
        sys.exit(f"need {json_count + chunk} completed enrolments in run 1; --phase fill makes them")
    outcomes_of = []

    def issue(batch: list) -> None:
        slots = status_entries_reserve(institution=course.institution, count=len(batch))
        prepared = issuance.run_issuance_prepare(run=run, actor=registrar)
        outcomes = credentials_issue_for_run(
            issuance=prepared, enrollments=batch, actor=registrar, status_slots=slots
        )
        failed = [outcome for outcome in outcomes if not isinstance(outcome, issuance.IssueOutcome)]
        if failed:
            sys.exit(f"issuance refused: {failed[0]}")
        outcomes_of.extend(outcomes)

    issue(enrollments[:chunk])  # warm: Django, pyld's context caches, the key, the templates
    gc.collect()
    gc.freeze()  # as mcportal/celery.py does in every worker process

    clock = StepClock()
    clock.wrap(issuance, "run_issuance_prepare", "prepare run (once per chunk)")
    clock.wrap(issuance, "credential_facts_build", "facts (per learner)")
    clock.wrap(issuance, "credential_document_build", "document build")
    clock.wrap(issuance, "proof_create", "canonicalise + sign (eddsa-rdfc)")
    clock.wrap(issuance, "serialise_signed", "serialise")
    print(f"(a) signed JSON-LD credentials (eddsa-rdfc-2022) via credentials_issue_for_run, chunks of {chunk}")
    outcomes_of.clear()
    rest = enrollments[chunk:]
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, json_count, chunk):
        issue(rest[start : min(start + chunk, json_count)])
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    clock.restore()
    _report("JSON credentials", "credentials", json_count, wall, cpu, clock,
            ["prepare run (once per chunk)", "facts (per learner)", "document build",
             "canonicalise + sign (eddsa-rdfc)", "serialise"],
            "DB (lock, check, bulk insert, audit)", 100)
    facts_wall, facts_cpu = time.perf_counter(), time.process_time()
    for _ in range(20):
        run_facts_build(run=run)
    print(f"    (building the run's facts per credential, as before, would add "
          f"{(time.perf_counter() - facts_wall) / 20 * 1000:.2f} ms wall, "
          f"{(time.process_time() - facts_cpu) / 20 * 1000:.2f} ms CPU each)")

    credential_ids = [outcome.credential.pk for outcome in outcomes_of]
    pdf_service.credential_pdfs_render(credential_ids=credential_ids[:1])  # warm fonts, keys
    clock = StepClock()
    clock.wrap(pdf_service, "_sealing_tools", "signer + TSA lookup (once/task)")
    clock.wrap(pdf_service, "certificate_data_for", "certificate data")
    clock.wrap(rendering_pdf, "verification_qr_svg_data_uri", "QR code (segno SVG)")
    clock.wrap(pdf_service, "render_credential_pdf", "render HTML -> PDF (WeasyPrint)")
    clock.wrap(pdf_service, "sign_pades", "seal (PAdES B-T, local TSA)")
    clock.wrap(pdf_service, "_pdf_store", "store (file + row)")
    chosen = credential_ids[1 : pdf_count + 1]
    print(f"(b) signed PDFs via credential_pdfs_render (one task's work), {len(chosen)} PDFs")
    wall, cpu = time.perf_counter(), time.process_time()
    failed = pdf_service.credential_pdfs_render(credential_ids=chosen)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    clock.restore()
    if failed:
        sys.exit(f"timestamping failed for {failed}")
    # The QR code is drawn inside the render: report the render without it.
    for table in (clock.wall, clock.cpu):
        table["render HTML -> PDF (WeasyPrint)"] -= table["QR code (segno SVG)"]
    _report("signed PDFs", "PDFs", len(chosen), wall, cpu, clock,
            ["signer + TSA lookup (once/task)", "certificate data", "QR code (segno SVG)",
             "render HTML -> PDF (WeasyPrint)", "seal (PAdES B-T, local TSA)", "store (file + row)"],
            "query + other", 3)


def _process_group_cpu_seconds(group_ids: set[int]) -> float:
    """utime + stime of every live process in the given process groups (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the command: state ppid pgrp ... utime(12) stime(13) cutime(14) cstime(15).
        if int(fields[2]) in group_ids:
            total += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    return total / ticks


def phase_batch(workers: int, concurrency: int, group_ids: set[int]) -> None:
    """(c) from this process: create the batch with the real service, wait for the workers."""
    _django()
    from courses.models import Course
    from credentials.choices import BatchStatus, PdfStatus
    from credentials.models import Credential
    from credentials.services.batches import issuance_batch_create
    from mcportal.core.models import User

    course = Course.objects.get(slug=BENCH_COURSE)
    run = course.runs.order_by("starts_on", "pk")[1]
    registrar = User.objects.get(email="registrar@demo.test")
    cpu_before = _process_group_cpu_seconds(group_ids)
    started = time.perf_counter()
    batch = issuance_batch_create(run=run, actor=registrar)
    json_done = None
    ready = failed = 0
    while True:
        batch.refresh_from_db()
        if json_done is None and batch.status not in (BatchStatus.RUNNING, BatchStatus.QUEUED):
            json_done = time.perf_counter() - started
        if json_done is not None:
            ready = Credential.objects.filter(enrollment__run=run, pdf_status=PdfStatus.READY).count()
            failed = Credential.objects.filter(enrollment__run=run, pdf_status=PdfStatus.FAILED).count()
            if ready + failed >= batch.issued_count:
                break
        if time.perf_counter() - started > 1800:
            print("  gave up after 30 minutes")
            break
        time.sleep(0.25)
    wall = time.perf_counter() - started
    cpu = _process_group_cpu_seconds(group_ids) - cpu_before
    print(f"(c) batch of {batch.total} through issuance_batch_create, {workers} Celery workers "
          f"(prefork, concurrency {concurrency} each), PostgreSQL + Redis")
    print(f"  status {batch.status}: issued {batch.issued_count}, skipped {batch.skipped_count}, "
          f"failed {batch.failed_count}; PDFs ready {ready}, PDFs failed {failed}")
    if json_done:
        print(f"  JSON credentials all issued after {json_done:.1f} s wall "
              f"({batch.issued_count / json_done:.1f}/s, while PDFs render alongside)")
    print(f"  JSON + PDF end to end: {wall:.1f} s wall ({batch.total / wall:.2f} credentials/s); "
          f"target < 180 s for 1,000")
    print(f"  workers' CPU time: {cpu:.1f} s ({cpu / max(batch.total, 1) * 1000:.0f} ms per credential, "
          f"JSON + PDF); on {os.cpu_count()} idle cores that is >= {cpu / (os.cpu_count() or 1):.1f} s wall")


def main() -> None:
    global DB_NAME, BROKER
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="credentials in the batch (c)")
    parser.add_argument("--json", type=int, default=200, help="JSON credentials on one core (a)")
    parser.add_argument("--pdf", type=int, default=20, help="signed PDFs on one core (b)")
    parser.add_argument("--chunk", type=int, default=50, help="credentials per issuance chunk (a, c)")
    parser.add_argument("--pdf-chunk", type=int, default=10, help="PDFs per render task (c)")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes for (c)")
    parser.add_argument("--concurrency", type=int, default=1, help="prefork children per worker (c)")
    parser.add_argument("--no-batch", action="store_true", help="skip (c), the Celery batch")
    parser.add_argument("--db", default=DB_NAME, help="scratch database (dropped and re-created)")
    parser.add_argument("--broker", default=BROKER, help="Redis URL for (c) (its db is flushed)")
    parser.add_argument("--phase", choices=["all", "fill", "single", "batch"], default="all",
                        help=argparse.SUPPRESS)
    parser.add_argument("--groups", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    DB_NAME, BROKER = args.db, args.broker
    if args.phase == "fill":
        return phase_fill(args.count, args.json)
    if args.phase == "single":
        return phase_single(args.json, args.pdf, args.chunk)
    if args.phase == "batch":
        return phase_batch(args.workers, args.concurrency, {int(g) for g in args.groups.split(",") if g})

    import redis

    env = bench_env()
    env["MCPORTAL_ISSUANCE_CHUNK_SIZE"] = str(args.chunk)
    env["MCPORTAL_PDF_CHUNK_SIZE"] = str(args.pdf_chunk)
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    prepare_database(env, args.count if not args.no_batch else 0, args.json + args.chunk)
    me = [sys.executable, __file__]
    sizes = ["--json", str(args.json), "--pdf", str(args.pdf), "--chunk", str(args.chunk)]
    subprocess.run([*me, "--phase", "single", *sizes], cwd=ROOT, env=env, check=True)
    if args.no_batch:
        return
    redis.Redis.from_url(BROKER).flushdb()
    celery = str(Path(sys.executable).with_name("celery"))
    log_dir = ROOT / "var"
    log_dir.mkdir(exist_ok=True)
    workers = [
        subprocess.Popen(
            [celery, "-A", "mcportal", "worker", "-Q", "default,issuance", "--pool=prefork",
             f"--concurrency={args.concurrency}", "--loglevel=WARNING", f"--hostname=bench-{n}@%h"],
            cwd=ROOT, env=env, start_new_session=True, stderr=subprocess.STDOUT,
            stdout=(log_dir / f"bench-issuance-worker-{n}.log").open("wb"),
        )
        for n in range(args.workers)
    ]
    try:
        time.sleep(5)  # every worker connected, so the batch is shared from the first chunk
        groups = ",".join(str(worker.pid) for worker in workers)  # start_new_session: pgid == pid
        subprocess.run([*me, "--phase", "batch", "--workers", str(args.workers),
                        "--concurrency", str(args.concurrency), "--groups", groups],
                       cwd=ROOT, env=env, check=True)
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
