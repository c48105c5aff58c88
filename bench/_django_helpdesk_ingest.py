"""Run by bench/ingest_mail.py with the throwaway venv's Python (django-helpdesk 2.6.1 from PyPI, never one
of our dependencies): django-helpdesk's own ingestion into a PostgreSQL database of its own. Prints one JSON
line with the figures.

    /tmp/ssoz-bench-dh/bin/python bench/_django_helpdesk_ingest.py MAILDIR DATABASE_URL
    /tmp/ssoz-bench-dh/bin/python bench/_django_helpdesk_ingest.py imaps://USER:PASSWORD@HOST:PORT DATABASE_URL

With a Maildir it calls its ingestion function (`extract_email_metadata`, what its `process_queue` calls for
each file of a local directory) on every message; with an imaps:// address it runs its own IMAP path,
`process_queue` of an IMAP queue (`imap_sync`: SEARCH NOT DELETED, FETCH (RFC822) one message at a time,
ingest, STORE +FLAGS \\Deleted, EXPUNGE at the end), against the same Dovecot our watcher reads.

DATABASE_URL is a PostgreSQL URL, or `sqlite:///PATH` (the setting the issue's reference figure, ~60 messages/s,
was measured with; the file is deleted first).
"""

import imaplib
import json
import logging
import mailbox
import os
import sys
import time
from urllib.parse import urlparse

import django
from django.conf import settings

source, url = sys.argv[1], sys.argv[2]
IMAP = urlparse(source) if source.startswith("imaps://") else None
parsed = urlparse(url)
SQLITE = parsed.scheme == "sqlite"
if SQLITE:
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": parsed.path}
    if os.path.exists(parsed.path):
        os.remove(parsed.path)
else:
    database = {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parsed.path.lstrip("/"),
        "USER": parsed.username or "postgres",
        "PASSWORD": parsed.password or "",
        "HOST": parsed.hostname or "127.0.0.1",
        "PORT": parsed.port or 5432,
    }
settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only",
    DATABASES={"default": database},
    INSTALLED_APPS=[
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
        "django.contrib.staticfiles",
        "django.contrib.sites",
        "django.contrib.humanize",
        "rest_framework",
        "helpdesk",
    ],
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {}}],
    SITE_ID=1,
    USE_TZ=True,
    MEDIA_ROOT="/tmp/ssoz-bench-dh-media",
    DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    HELPDESK_TEAMS_MODE_ENABLED=False,
    ROOT_URLCONF=__name__,  # urlpatterns below: its notifications reverse "helpdesk:…"
    STATIC_URL="/static/",
    HELPDESK_VALID_EXTENSIONS=[".txt", ".pdf", ".xls", ".xlsx", ".png", ".jpg", ".zip"],
    LOGGING={"version": 1, "disable_existing_loggers": False, "root": {"level": "ERROR"}},
)
django.setup()

from django.urls import include, path  # noqa: E402

urlpatterns = [path("helpdesk/", include("helpdesk.urls"))]

from django.contrib.auth.models import Permission  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import encoding  # noqa: E402

call_command("migrate", verbosity=0)
from helpdesk.email import extract_email_metadata, process_queue  # noqa: E402

from helpdesk.models import Queue, Ticket  # noqa: E402

if not SQLITE:  # a new SQLite file is empty anyway
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE helpdesk_ticket CASCADE")
if not Queue.objects.filter(slug="bench").exists():  # its Queue.save() adds a permission per queue
    Permission.objects.filter(codename="queue_access_bench").delete()
queue, _created = Queue.objects.get_or_create(
    slug="bench", defaults={"title": "Bench", "email_address": "pomoc-ssoz@localhost"}
)
logger = logging.getLogger("bench")


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mib() -> float:
    """This process's peak RSS (VmHWM: getrusage's ru_maxrss would keep the larger peak of the benchmark
    process that started it, as Linux carries it over an exec)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def backend_cpu_seconds() -> float:
    """CPU time used so far by this connection's PostgreSQL backend process (same machine: /proc); SQLite
    runs inside this process."""
    if SQLITE:
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


samples, outcomes = [], {"ok": 0, "error": 0}
if IMAP:
    queue.email_box_type, queue.email_box_ssl = "imap", True
    queue.email_box_host, queue.email_box_port = IMAP.hostname, IMAP.port
    queue.email_box_user, queue.email_box_pass = IMAP.username, IMAP.password
    queue.email_box_imap_folder = "INBOX"
    queue.save()

    def on_server() -> int:
        server = imaplib.IMAP4_SSL(IMAP.hostname, IMAP.port)  # like its own: no certificate check
        server.login(IMAP.username, IMAP.password)
        server.select("INBOX")
        count = len(server.search(None, "NOT", "DELETED")[1][0].split())
        server.logout()
        return count

    MESSAGES = on_server()
    cpu, server_cpu = time.process_time(), backend_cpu_seconds()
    started = time.perf_counter()
    process_queue(queue, logger)  # its own loop; it logs and goes on after a failed message
    seconds = time.perf_counter() - started
    client, server = time.process_time() - cpu, backend_cpu_seconds() - server_cpu
    left = on_server()  # it deletes what it ingested and leaves what failed
    outcomes = {"ok": MESSAGES - left, "left on the server": left}
else:
    box = mailbox.Maildir(source, factory=None, create=False)
    keys = sorted(box.keys())
    cpu, server_cpu = time.process_time(), backend_cpu_seconds()
    started = time.perf_counter()
    for index, key in enumerate(keys, start=1):
        with box.get_file(key) as handle:
            message = encoding.force_str(handle.read(), errors="replace")  # as its process_queue reads a file
        try:
            extract_email_metadata(message=message, queue=queue, logger=logger)
            outcomes["ok"] += 1
        except Exception as exc:  # counted and reported, like its own process_queue logs and goes on
            outcomes["error"] += 1
            outcomes.setdefault("first_error", f"{type(exc).__name__}: {exc}"[:300])
        if index % max(1, len(keys) // 10) == 0:
            samples.append(round(rss_mib(), 1))
    seconds = time.perf_counter() - started
    client, server = time.process_time() - cpu, backend_cpu_seconds() - server_cpu
    MESSAGES = len(keys)
print(
    json.dumps(
        {
            "label": f"django-helpdesk 2.6.1: {'Dovecot (IMAPS)' if IMAP else 'Maildir'} → "
            f"{'SQLite' if SQLITE else 'PostgreSQL'}",
            "messages": MESSAGES,
            "seconds": round(seconds, 1),
            "per_second": round(MESSAGES / seconds, 1),
            "cpu_client_s": round(client, 1),
            "cpu_server_s": round(server, 1),
            "per_cpu_second": round(MESSAGES / (client + server), 1),
            "peak_rss_mib": peak_mib(),
            "rss_samples_mib": samples,
            "outcomes": {**outcomes, "tickets": Ticket.objects.count()},
        }
    )
)
