"""What the HTTP benchmarks share: a throwaway database, gunicorn on 127.0.0.1, and a load driver.

Imported by scripts/bench_catalogue.py and scripts/bench_verification.py (run as scripts, so this
directory is on sys.path). Each client is its own process, so the Python client does not compete
with itself for the GIL; every request opens a new connection, as independent visitors do.
"""

from __future__ import annotations

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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
# "{miss}" in a path becomes a unique, ignored parameter per request: the page cache never
# answers it, so such rows measure the full render.
CACHE_MISS_MARKER = "{miss}"


class BenchRequest(NamedTuple):
    method: str
    path: str
    body: bytes | None = None


# Whether a response counts as a success: (request, status, payload) -> bool. Module-level
# functions only, so that client processes can receive them.
ResponseCheck = Callable[[BenchRequest, int, bytes], bool]


def status_is_ok(request: BenchRequest, status: int, payload: bytes) -> bool:
    return status == 200


def bench_env(*, db_name: str, redis_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a production-settings portal on its own database; no developer settings leak in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "MCPORTAL_", "CELERY_"))
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "mcportal.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": HOST,
            "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{db_name}",
            "REDIS_URL": redis_url,
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_STATIC_ROOT": str(ROOT / "var" / "bench-static"),
            "DJANGO_LOG_LEVEL": "WARNING",
            **(extra or {}),
        }
    )
    return env


def database_recreate(env: dict[str, str], db_name: str) -> None:
    """Drop and create the benchmark's database, migrate it and collect the static files."""
    import psycopg

    with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {db_name}")
        conn.execute(f"CREATE DATABASE {db_name}")
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)


def python_script_run(env: dict[str, str], script: str, *args: str, capture: bool = False) -> str:
    """Run a Python snippet in the benchmark's environment; return its last line of output if captured."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, check=True, capture_output=capture, text=True
    )
    return done.stdout.strip().splitlines()[-1] if capture else ""


def request_send(port: int, request: BenchRequest, *, timeout: float = 30) -> tuple[int, bytes]:
    """One request on a fresh connection: (status, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = {"Host": HOST}
        if request.body is not None:
            headers["Content-Type"] = "application/json"
        conn.request(request.method, request.path, body=request.body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextmanager
def gunicorn_running(env: dict[str, str], *, port: int, workers: int, ready_path: str) -> Iterator[None]:
    """gunicorn with sync workers on 127.0.0.1:port, until ready_path answers; stopped on exit."""
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "mcportal.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(100):
            try:
                request_send(port, BenchRequest("GET", ready_path), timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        yield
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def _client(port: int, requests: list[BenchRequest], check: ResponseCheck, deadline: float, queue) -> None:
    latencies, errors, sequence = [], 0, 0
    while time.perf_counter() < deadline:
        request = requests[sequence % len(requests)]
        sequence += 1
        if CACHE_MISS_MARKER in request.path:
            unique = f"miss={os.getpid()}-{sequence}"
            request = request._replace(path=request.path.replace(CACHE_MISS_MARKER, unique))
        start = time.perf_counter()
        try:
            status, payload = request_send(port, request)
            if not check(request, status, payload):
                errors += 1
        except OSError:
            errors += 1
        latencies.append(time.perf_counter() - start)
    queue.put((latencies, errors))


def measure(
    requests: list[BenchRequest],
    *,
    port: int,
    seconds: float,
    concurrency: int,
    check: ResponseCheck = status_is_ok,
) -> dict[str, float]:
    """Drive the server from `concurrency` processes for `seconds`, each cycling through `requests`.

    Each process starts at a different request, so the server sees a mix. Returns req/s, errors,
    and the median and 95th-percentile latency in ms.
    """
    queue = multiprocessing.Queue()
    deadline = time.perf_counter() + seconds
    workers = [
        multiprocessing.Process(
            target=_client, args=(port, requests[i:] + requests[:i], check, deadline, queue)
        )
        for i in range(concurrency)
    ]
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(latency for measured, _ in results for latency in measured)
    return {
        "requests": len(latencies),
        "errors": sum(errors for _, errors in results),
        "rps": len(latencies) / seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[max(0, int(len(latencies) * 0.95) - 1)] * 1000,
    }


def machine_description() -> str:
    """Where the figures were taken: host, architecture, cores, Python and the current load."""
    return (
        f"machine: {platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}"
    )


def figures_header(label_width: int) -> str:
    return f"{'endpoint':<{label_width}}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'errors':>8}"


def figures_row(label: str, figures: dict[str, float], label_width: int) -> str:
    return (
        f"{label:<{label_width}}{figures['rps']:>8.1f}{figures['p50_ms']:>9.1f}"
        f"{figures['p95_ms']:>9.1f}{figures['errors']:>8}"
    )
