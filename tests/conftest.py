"""Personas and helpers shared by the suite.

alice   central agent            (sees every queue)
bob     regional admin of 14     (mazowieckie)
celina  regional admin of 24     (śląskie): "the regional administrator of another voivodeship"
szef    supervisor               (reads everything, assigns, does not reply)
redaktor knowledge-base editor   (no tickets)
"""

from __future__ import annotations

import os

import pytest
from django.db import transaction
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from helpdesk.models import Role, User
from tests.ticket_requests import new_ticket
from tickets import actions
from tickets.models import Channel, Queue

IN_CI = os.environ.get("CI", "").lower() == "true"

# Hypothesis: few examples (the suite stays fast) and, by default, the same examples on every run ("ci": a failure
# in CI is reproduced as it was); HYPOTHESIS_PROFILE=dev explores new ones each run. Tests with their own
# @settings(max_examples=…) keep their count.
_HYPOTHESIS = {
    "max_examples": 20,
    "deadline": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True, **_HYPOTHESIS)
hypothesis_settings.register_profile("dev", **_HYPOTHESIS)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def need_server(what: str, configured: bool, how: str) -> None:
    """Skip a test whose server is not configured, except in CI, where that is a failure."""
    if configured:
        return
    message = f"{what} not configured ({how})"
    if IN_CI:
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


def _staff(username: str, role: str, voivodeships: tuple[str, ...] = ()) -> User:
    user = User.objects.create_user(
        username=username, password="test-pass-123", email=f"{username}@example.gov.pl", role=role
    )
    user.first_name = username.capitalize()
    user.save(update_fields=["first_name"])
    user.voivodeships.set(voivodeships)
    return user


@pytest.fixture(autouse=True)
def _fresh_shared_cache():
    """Each test starts with an empty cache: with Redis (the PostgreSQL + Redis pass) this worker's keys gone, in
    the embedded pass the process's memory emptied (cached public answers, helpdesk.public_cache, must not
    survive into a test whose database holds other data under the same REGON or index version)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session", autouse=True)
def _no_stray_connections_at_the_end(django_db_setup, django_db_blocker):
    """Close, at the end of the session, the connections that threads of async code (channels consumers run
    their ORM calls in a thread pool) left open to the PostgreSQL test database, so that it can be dropped
    ("database … is being accessed by other users" otherwise)."""
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture
def alice(db) -> User:
    return _staff("alice", Role.AGENT)


@pytest.fixture
def bob(db) -> User:
    return _staff("bob", Role.REGIONAL_ADMIN, ("14",))


@pytest.fixture
def celina(db) -> User:
    return _staff("celina", Role.REGIONAL_ADMIN, ("24",))


@pytest.fixture
def szef(db) -> User:
    return _staff("szef", Role.SUPERVISOR)


@pytest.fixture
def redaktor(db) -> User:
    return _staff("redaktor", Role.KB_EDITOR)


@pytest.fixture
def queue_14(db) -> Queue:
    return Queue.objects.get(slug="woj-14")


@pytest.fixture
def queue_24(db) -> Queue:
    return Queue.objects.get(slug="woj-24")


@pytest.fixture
def central(db) -> Queue:
    return Queue.objects.get(slug="centralna")


@pytest.fixture
def open_email_ticket(db):
    """Open a ticket as the e-mail channel does (actor None) in `queue`."""

    def make(queue: Queue, subject: str = "Nie mogę złożyć MZ-88", **extra):
        fields = {
            "channel": Channel.EMAIL,
            "subject": subject,
            "body_text": "Dzień dobry, system odrzuca sprawozdanie.",
            "requester_email": "rejestracja@przychodnia.example.pl",
            "requester_name": "Jan Nowak",
            "queue": queue,
            "message_id": "",
        }
        fields.update(extra)
        return actions.open_tickets([new_ticket(**fields)], actor=None)[0]

    return make


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run an action inside a block whose on-commit side effects are executed, as after a real commit."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "")
    need_server("Redis", bool(url), "set TEST_REDIS_URL=redis://127.0.0.1:6379/15")
    return url


@pytest.fixture(scope="session")
def dovecot():
    """A real Dovecot IMAP server (Debian's dovecot-imapd) on free ports of 127.0.0.1, for this test session."""
    from tests.dovecot_server import Dovecot, available

    need_server("Dovecot", available(), "apt-get install dovecot-imapd, run as root")
    server = Dovecot().start()
    yield server
    server.stop()


def _database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def daphne_server(transactional_db):
    """The real ASGI server (daphne) in its own process, on the test database: HTTP and websockets (browser
    tests, and what daphne itself answers, e.g. an over-long address)."""
    yield from run_daphne()


def shipped_daphne_options() -> tuple[str, ...]:
    """The options deploy/helpdesk-web@.service gives daphne, without its address, port and application."""
    from tests.shipped_unit import daphne_options

    return daphne_options()


def run_daphne(options: tuple[str, ...] = (), env: dict[str, str] | None = None, output=None, started=None):
    """Start daphne with these command-line `options` (e.g. the shipped unit's) and extra environment; yield its
    URL, stop it afterwards; its process is appended to the list `started` when given (to kill it). What it
    writes goes to the file `output` (a temporary one if None): never to a pipe nobody reads, which fills up and
    stops the server in the middle of a test."""
    import socket
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from django.conf import settings

    # DEBUG off, as the test runner turns it off for the tests and live_server: with it on, a refusal was Django's
    # English technical 404 page, not the site's own Polish one.
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "helpdesk.test_settings",
        "DATABASE_URL": _database_url(),
        "DEBUG": "false",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        **(env or {}),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    if output is None:
        output = Path(tempfile.mkdtemp(prefix="daphne-")) / "daphne.out"
    with open(output, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), *options, "helpdesk.asgi:application"],
            cwd=Path(__file__).resolve().parents[1],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    if started is not None:
        started.append(process)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"daphne exited: {Path(output).read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("daphne did not start within 30 s")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:  # also when the caller failed while using it (e.g. nginx missing): never a daphne left running
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a websocket's blocking read on Redis may outlast the shutdown: end it
            process.kill()
            process.wait(timeout=10)
