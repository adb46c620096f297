"""The live stack the browser tests drive, and the headless Chromium that drives it.

Per test: a gunicorn process serving the portal on 127.0.0.1 and a Celery worker consuming a Redis
database of its own, both on the PostgreSQL database that pytest-django created (so the test
commits its rows: transaction=True). E-mails sent by either process are written as files to an
outbox folder that the test reads. The browser is Debian's chromium, launched by Playwright
(no browser download). Without /usr/bin/chromium the tests skip on a developer's machine and fail
in CI (CI=true), so a CI run can never pass without having run them.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.db import connection
from playwright.sync_api import expect, sync_playwright

from tests.browser.a11y import AuditResult, audit, overflowing_elements
from tests.fixtures.celery_broker import redis_broker

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "var" / "browser-artefacts"
CHROMIUM = Path(os.environ.get("MCPORTAL_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Database 10: apart from the integration tests (7) and the benchmarks (8, 9, 12).
BROKER_URL = os.environ.get("MCPORTAL_TEST_BROKER_URL", "redis://127.0.0.1:6379/10")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
STARTUP_SECONDS = 60
# Long enough for a WeasyPrint PDF and a PAdES seal on a busy two-core machine.
STEP_TIMEOUT_MS = 30_000

# Assertions wait as long as actions do (Playwright's default of 5 s is short for a busy CI machine).
expect.set_options(timeout=STEP_TIMEOUT_MS)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _missing(reason: str):
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: the browser tests must run, .ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium browser (Playwright ``Browser``) shared by the tests of one module.

    Playwright's sync API keeps its event loop running in this thread while it is open, which
    makes Django refuse ORM calls as if they came from async code. The test's ORM calls are
    synchronous and never run inside that loop, so the guard is lifted while the browser is
    open, and only then: the module scope closes the loop (and restores the guard) before tests
    of other folders run.
    """
    if not CHROMIUM.exists():
        _missing(f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver")
    saved = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if saved is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = saved


@pytest.fixture
def broker():
    """An empty Redis database as broker; this process queues tasks there for the worker."""
    with redis_broker(BROKER_URL, when_missing=_missing) as url:
        yield url


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Outbox:
    """The e-mails the portal's processes wrote (Django's file-based backend, one file per batch)."""

    folder: Path

    def messages(self) -> list[EmailMessage]:
        found = []
        for path in sorted(self.folder.glob("*.log"), key=lambda item: item.stat().st_mtime):
            # The backend separates messages in a file with a line of 79 dashes.
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    found.append(message_from_bytes(chunk.strip() + b"\n", policy=policy.default))
        return found

    def wait_for(self, *, to: str, subject_contains: str, timeout: float = 60) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages():
                if to in message["To"] and subject_contains.lower() in message["Subject"].lower():
                    return message
            time.sleep(0.2)
        subjects = [(message["To"], message["Subject"]) for message in self.messages()]
        pytest.fail(f"no e-mail to {to} about {subject_contains!r} within {timeout}s; outbox: {subjects}")

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(preferencelist=("plain",)).get_content()


@dataclass
class Portal:
    """The running portal: its URL, its outbox, its media folder and its two processes.

    A test may stop and restart the worker (``stop("worker")``, ``start("worker")``) to hold tasks
    in the queue, e.g. to see a batch page before any item is processed.
    """

    url: str
    outbox: Outbox
    media_root: Path
    env: dict[str, str]
    commands: dict[str, list[str]]
    logs: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    log_files: list[Path] = field(default_factory=list)

    def start(self, name: str) -> None:
        log_path = self.logs / f"{name}-{len(self.log_files)}.log"
        self.log_files.append(log_path)
        with open(log_path, "wb") as log:
            self.processes[name] = subprocess.Popen(
                self.commands[name], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._ready(name, log_path):
            self.assert_running()
            if time.monotonic() > deadline:
                pytest.fail(f"the {name} process did not start within {STARTUP_SECONDS}s")
            time.sleep(0.2)

    def _ready(self, name: str, log_path: Path) -> bool:
        if name == "worker":
            return b" ready." in log_path.read_bytes()
        with (
            contextlib.suppress(urllib.error.URLError, ConnectionError, TimeoutError),
            urllib.request.urlopen(f"{self.url}/courses/", timeout=5) as response,
        ):
            return response.status == 200
        return False

    def stop(self, name: str, *, graceful: bool = True) -> None:
        """Stop a process: SIGTERM lets a worker finish its tasks; SIGKILL is for the teardown."""
        _kill_group(self.processes.pop(name), signal.SIGTERM if graceful else signal.SIGKILL)

    def assert_running(self) -> None:
        for name, process in self.processes.items():
            assert process.poll() is None, f"the {name} process exited with {process.returncode}"


def _kill_group(process: subprocess.Popen, sig: int) -> None:
    """Signal the process and its children (gunicorn's and Celery's pool) together."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.fixture
def portal(transactional_db, broker, settings, tmp_path) -> Iterator[Portal]:
    """gunicorn + a Celery worker on the test database; the URL, the outbox and the media folder."""
    if connection.vendor != "postgresql":
        _missing("the browser tests need PostgreSQL (the portal runs in other processes)")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    media_root = Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    # What this process renders (e-mails queued by services the test calls) links to the live server.
    settings.MCPORTAL_PUBLIC_URL = url

    database = settings.DATABASES["default"]
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database.get("PASSWORD") else "")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "CELERY_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "tests.browser.settings",
        "DATABASE_URL": f"postgres://{credentials}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "REDIS_URL": broker,
        "MCPORTAL_TEST_REAL_CELERY": "1",
        "MCPORTAL_BROWSER_PUBLIC_URL": url,
        "MCPORTAL_BROWSER_OUTBOX": str(outbox),
        "DJANGO_MEDIA_ROOT": str(media_root),
        # Small chunks, so a batch's progress moves in steps that the page can show.
        "MCPORTAL_ISSUANCE_CHUNK_SIZE": "1",
        "PYTHONUNBUFFERED": "1",
    })
    binaries = Path(sys.executable).parent
    commands = {
        "server": [
            str(binaries / "gunicorn"), "mcportal.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", "1", "--threads", "4", "--timeout", "120", "--access-logfile", "-",
            # No control socket: its default path is shared by every gunicorn on the machine.
            "--no-control-socket",
        ],
        "worker": [
            str(binaries / "celery"), "-A", "mcportal", "worker", "-Q", "default,issuance",
            "--pool=prefork", "--concurrency=2", "--loglevel=INFO", "--without-gossip",
            "--without-mingle", "--without-heartbeat", f"--hostname=browser-{port}@%h",
        ],
    }
    running = Portal(
        url=url, outbox=Outbox(outbox), media_root=media_root, env=env, commands=commands, logs=tmp_path
    )
    try:
        running.start("server")
        running.start("worker")
        yield running
    finally:
        for name in list(running.processes):
            running.stop(name, graceful=False)
        for log in running.log_files:
            sys.stdout.write(f"--- {log.name} (tail) ---\n{log.read_text(errors='replace')[-4000:]}\n")


class Journey:
    """One person's way through the portal: their browser context, the audit and the screenshots.

    ``check(page, name)`` audits the page (a11y.py) and saves a screenshot as a test artefact.
    Every page the person's browser navigates to is recorded, and ``finish()`` fails if one of
    them was never audited, if a page raised a JavaScript error or if the server answered 5xx.
    """

    def __init__(self, chromium, portal: Portal, artefacts: Path, person: str, viewport: dict):
        self.portal = portal
        self.person = person
        self.artefacts = artefacts
        self.viewport = viewport
        self.context = chromium.new_context(
            base_url=portal.url, viewport=viewport, accept_downloads=True, locale="en-GB",
            timezone_id="UTC",
        )
        self.context.set_default_timeout(STEP_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.visited: list[str] = []
        self.audits: dict[str, AuditResult] = {}
        self.errors: list[str] = []
        self.page.on("framenavigated", self._navigated)
        self.page.on("pageerror", lambda error: self.errors.append(f"JavaScript error: {error}"))
        self.page.on("response", self._response)

    def _navigated(self, frame) -> None:
        if frame == self.page.main_frame:
            self.visited.append(_without_fragment(frame.url))

    def _response(self, response) -> None:
        if response.status >= 500:
            self.errors.append(f"HTTP {response.status} from {response.url}")

    def goto(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path} answered {response and response.status}"

    def check(self, name: str, *, known_problems: tuple[str, ...] = ()) -> AuditResult:
        """Audit the current page and keep a full-page screenshot named after the step.

        ``known_problems`` names defects that are reported to the page's owners and not fixed yet
        (each a text that one problem contains). They are tolerated, and nothing else is; once a
        known problem is gone, a warning in the test summary says that its entry can be removed.
        """
        self.page.wait_for_load_state("load")
        result = audit(self.page)
        self.audits[_without_fragment(self.page.url)] = result
        number = len(list(self.artefacts.glob(f"{self.person}-*.png"))) + 1
        self.page.screenshot(path=self.artefacts / f"{self.person}-{number:02d}-{name}.png", full_page=True)
        for known in known_problems:
            matching = [problem for problem in result.problems if known in problem]
            if not matching:
                warnings.warn(
                    f"the known problem {known!r} is fixed on {result.url}: remove it from the test",
                    stacklevel=2,
                )
            result.problems = [problem for problem in result.problems if problem not in matching]
        assert result.ok, f"accessibility problems on {result.url}:\n- " + "\n- ".join(result.problems)
        if self.viewport["width"] <= PHONE["width"]:
            wide = overflowing_elements(self.page)
            assert not wide, f"{self.page.url} scrolls sideways on a phone; too wide:\n- " + "\n- ".join(wide)
        return result

    def login(self, email: str, *, then: str, password: str = "correct horse battery staple") -> None:
        """Log in on the login page and land on ``then`` (the caller checks that page)."""
        self.goto(f"/accounts/login/?{urlencode({'next': then})}")
        self.check("login")
        self.page.get_by_label("E-mail", exact=True).fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("main").get_by_role("button", name="Log in").click()
        self.page.wait_for_load_state("load")
        assert "/accounts/login/" not in self.page.url, "the login failed"

    def finish(self) -> None:
        unaudited = sorted({url for url in self.visited if url not in self.audits and url != "about:blank"})
        problems = [f"page visited without an accessibility check: {url}" for url in unaudited]
        assert not (problems + self.errors), "\n".join(problems + self.errors)


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


@pytest.fixture
def artefacts(request) -> Path:
    """var/browser-artefacts/<test name>/: screenshots and downloads, kept after the run."""
    folder = ARTEFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def journey(chromium, portal, artefacts):
    """journey(person, viewport=DESKTOP) opens a fresh browser context for one person."""
    opened: list[Journey] = []

    def open_journey(person: str, *, viewport: dict = DESKTOP) -> Journey:
        opened.append(Journey(chromium, portal, artefacts, person, viewport))
        return opened[-1]

    yield open_journey
    for one in opened:
        one.context.close()
