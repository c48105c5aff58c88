"""Benchmark: e-mail ingestion into PostgreSQL, from a Maildir and from a real Dovecot, against django-helpdesk.

Claims checked: "at least 500 messages/s into PostgreSQL, memory flat as the mailbox grows, and at least 10×
django-helpdesk 2.6.1 on the same messages in the same run".

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench_ingest \
        .venv/bin/python bench/ingest_mail.py [--messages 10000] [--no-dovecot] [--no-django-helpdesk] [--workers 0,1]

The script generates --messages realistic messages (Polish text in UTF-8, ISO-8859-2 and Windows-1250, plain
and HTML, some with attachments, some replies that thread into earlier tickets, a few out-of-office answers),
writes them to a Maildir, and measures three runs, each on empty e-mail/ticket tables of a database of its
own (the name must contain "bench"; it is created when missing, migrated, and its tickets are deleted); runs 1
and 2 once for each number of parsing worker processes in --workers (0: parsing in the ingesting process; the
workers' CPU time is counted with the client's):

1. ours, Maildir → PostgreSQL: `ingest_mail`'s path (store raw, parse, thread, ticket + entry + attachments,
   acknowledgement into the outbox, delivered by the dummy mail backend);
2. ours, Dovecot → PostgreSQL: the same messages appended to a real Dovecot (needs root and dovecot-imapd),
   then one watcher pass (fetch with BODY.PEEK[], store, process, mark \\Seen);
3. django-helpdesk 2.6.1 from PyPI in a separate throwaway venv (/tmp/ssoz-bench-dh; never one of our
   dependencies), its own ingestion function (`helpdesk.email.object_from_message`) on the same Maildir, into
   a PostgreSQL database of its own on the same server, and once more into an SQLite file (the setting of the
   issue's reference figure, about 60 messages/s on this kind of machine).

It prints a markdown report: messages/s, peak RSS, RSS after every tenth of the messages (flatness), outcomes,
and the CPU time used by the ingesting process plus its PostgreSQL backend (from /proc; the load of other
processes on the machine slows the wall clock but not this), as messages per CPU-second.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import mailbox as stdlib_mailbox
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from email.header import Header
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "false")  # production settings: no query logging
os.environ.setdefault("SECRET_KEY", "bench-only-not-secret")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("INBOX_ALLOW_INSECURE_LOCALHOST", "true")  # the bench's Dovecot: 127.0.0.1, self-signed
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench_ingest"
DH_VENV = Path("/tmp/ssoz-bench-dh")
SEED = 20260301

SUBJECTS = [
    "Nie mogę złożyć sprawozdania MZ-88", "Błąd walidacji w formularzu MZ-11", "Logowanie przez Profil Zaufany",
    "Korekta sprawozdania MZ-03", "Brak formularza MZ-89 na liście", "Zmiana REGON jednostki",
    "Termin złożenia MZ-29", "Zamknięcie praktyki lekarskiej", "Pytanie o liczbę etatów (stan na 31 grudnia)",
]  # fmt: skip
BODY = (
    "Dzień dobry,\n\nzwracam się z prośbą o pomoc: przy próbie wysłania sprawozdania system zgłasza błąd "
    "walidacji w dziale {n}. Sprawdziłam dane dwukrotnie, REGON jednostki {regon}.\n\n"
    "Z poważaniem\nGrażyna Wiśniewska\nPrzychodnia Zdrowie Sp. z o.o.\n"
)
CHARSETS = ["utf-8", "utf-8", "iso-8859-2", "windows-1250"]


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def backend_cpu_seconds(connection) -> float:
    """CPU time used so far by this connection's PostgreSQL backend process (same machine: /proc)."""
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:  # the server on another machine
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def workers_cpu_seconds() -> float:
    """CPU time of the parsing workers that have ended (children of this process). The ingestion does not wait
    for its workers to end (pipeline.Preparer.close): this waits until they are reaped, so their CPU is counted
    whole (call it after the wall clock is read)."""
    import multiprocessing

    deadline = time.monotonic() + 30
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.01)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu_seconds(pid: int) -> float:
    """CPU time used so far by process `pid` and every process under it, alive or ended (/proc; an ended
    child's time is in its parent's cutime/cstime once reaped). Used for the bench's Dovecot (its master, the
    imap-login process that ends TLS, the imap process that answers)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        times[int(entry)] = sum(int(value) for value in fields[11:15]) / tick  # utime stime cutime cstime
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        total += times.get(current, 0.0)
        stack.extend(children.get(current, []))
    return total


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(count: int) -> list[bytes]:
    chance = random.Random(SEED)
    messages: list[bytes] = []
    sent_ids: list[str] = []
    attachment = bytes(chance.randrange(256) for _ in range(20_000))
    for n in range(count):
        charset = chance.choice(CHARSETS)
        sender = f"jednostka{chance.randrange(3000)}@przychodnia{chance.randrange(50)}.example.pl"
        subject = chance.choice(SUBJECTS) + f" ({n})"
        message_id = f"<bench-{n}@przychodnia.example.pl>"
        body = BODY.format(n=n % 17 + 1, regon="123456785")
        headers = [
            f"From: {Header('Grażyna Wiśniewska', charset).encode()} <{sender}>",
            "To: pomoc-ssoz@localhost",
            f"Subject: {Header(subject, charset).encode()}",
            "Date: Mon, 3 Mar 2025 10:00:00 +0100",
            f"Message-ID: {message_id}",
            "MIME-Version: 1.0",
        ]
        kind = chance.random()
        if kind < 0.05 and sent_ids:  # a reply quoting the earlier message
            earlier = chance.choice(sent_ids)
            headers += [f"In-Reply-To: {earlier}", f"References: {earlier}"]
            headers[2] = f"Subject: {Header('Odp: ' + subject, charset).encode()}"
            body = "Dziękuję, już działa.\n\n-----Wiadomość oryginalna-----\nOd: Pomoc SSOZ\n" + "\n".join(
                "> " + line for line in body.splitlines()
            )
        elif kind < 0.07:
            headers += ["Auto-Submitted: auto-replied"]
            headers[2] = f"Subject: {Header('Odpowiedź automatyczna: ' + subject, charset).encode()}"
            body = "Jestem na urlopie do 20 marca.\n"
        encoded = base64.encodebytes(body.encode(charset)).decode()
        if kind > 0.90:  # with an attachment
            headers.append('Content-Type: multipart/mixed; boundary="b"')
            parts = (
                f"--b\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                f'{encoded}\r\n--b\r\nContent-Type: application/vnd.ms-excel; name="MZ-88_{n}.xls"\r\n'
                f'Content-Disposition: attachment; filename="MZ-88_{n}.xls"\r\nContent-Transfer-Encoding: base64'
                f"\r\n\r\n{base64.encodebytes(attachment[: 5000 + n % 15000]).decode()}\r\n--b--\r\n"
            )
            raw = "\r\n".join(headers) + "\r\n\r\n" + parts
        elif kind > 0.75:  # HTML alternative
            html = "<html><body>" + "".join(f"<p>{line}</p>" for line in body.splitlines()) + "</body></html>"
            headers.append('Content-Type: multipart/alternative; boundary="a"')
            raw = "\r\n".join(headers) + (
                f"\r\n\r\n--a\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: base64"
                f"\r\n\r\n{encoded}\r\n--a\r\nContent-Type: text/html; charset={charset}\r\n"
                f"Content-Transfer-Encoding: base64\r\n\r\n{base64.encodebytes(html.encode(charset)).decode()}"
                "\r\n--a--\r\n"
            )
        else:
            headers += [f"Content-Type: text/plain; charset={charset}", "Content-Transfer-Encoding: base64"]
            raw = "\r\n".join(headers) + "\r\n\r\n" + encoded
        messages.append(raw.encode("ascii"))
        sent_ids.append(message_id)
    return messages


def prepare_database(url: str) -> None:
    import dj_database_url
    import psycopg

    name = dj_database_url.parse(url)["NAME"]
    if "bench" not in name:
        sys.exit(f"refusing to use database {name!r}: its name must contain 'bench' (it is emptied)")
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def empty_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE inbox_ingest_rawmessage, inbox_ingest_sentmessage, inbox_ingest_failingaddress, "
            "inbox_ingest_watcherstate, inbox_ingest_mailbox, tickets_ticket, tickets_storedfile, "
            "helpdesk_outboxmessage CASCADE"
        )
        cursor.execute("VACUUM ANALYZE")


class Meter:
    def __init__(self, total: int, dovecot_pid: int | None = None) -> None:
        self.total = total
        self.dovecot_pid = dovecot_pid
        self.dovecot_cpu = tree_cpu_seconds(dovecot_pid) if dovecot_pid else 0.0
        self.count = 0
        self.outcomes: dict[str, int] = {}
        self.samples: list[float] = []
        from django.db import connection

        self.connection = connection
        self.process_cpu = time.process_time()
        self.workers_cpu = workers_cpu_seconds()
        self.server_cpu = backend_cpu_seconds(connection)
        self.started = time.perf_counter()

    def __call__(self, result) -> None:
        self.count += 1
        self.outcomes[result.outcome] = self.outcomes.get(result.outcome, 0) + 1
        if self.count % max(1, self.total // 10) == 0:
            self.samples.append(round(rss_mib(), 1))

    def report(self, label: str) -> dict:
        seconds = time.perf_counter() - self.started
        process = time.process_time() - self.process_cpu  # the ingesting process, all its threads
        workers = workers_cpu_seconds() - self.workers_cpu
        client = process + workers  # with the parsing workers
        server = backend_cpu_seconds(self.connection) - self.server_cpu
        dovecot = tree_cpu_seconds(self.dovecot_pid) - self.dovecot_cpu if self.dovecot_pid else None
        return {
            "cpu_process_s": round(process, 2),
            "cpu_workers_s": round(workers, 2),
            "cpu_dovecot_s": None if dovecot is None else round(dovecot, 2),
            "process_ms_per_message": round(1000 * process / self.count, 3),
            "per_process_cpu_second": round(self.count / process, 1),
            "cpu_client_s": round(client, 1),
            "cpu_server_s": round(server, 2),
            "per_cpu_second": round(self.count / (client + server), 1),
            "label": label,
            "messages": self.count,
            "seconds": round(seconds, 1),
            "per_second": round(self.count / seconds, 1),
            "peak_rss_mib": round(peak_mib(), 1),
            "rss_samples_mib": self.samples,
            "outcomes": self.outcomes,
        }


def ours_from_maildir(maildir: Path, total: int, workers: int) -> dict:
    from inbox_ingest import sources
    from inbox_ingest.management.commands.ingest_mail import ingest_stream

    empty_tables()
    meter = Meter(total)
    # what `manage.py ingest_mail --workers N MAILDIR` does
    for result in ingest_stream(sources.messages(maildir), mailbox=None, workers=workers):
        meter(result)
    return meter.report(f"ours: Maildir → PostgreSQL, {workers} parsing workers")


@contextlib.contextmanager
def dovecot_with(messages: list[bytes]):
    """A fresh Dovecot whose user's INBOX holds `messages` (MULTIAPPEND): yields (server, user, password,
    seconds the appends took)."""
    import ssl

    from imapclient import IMAPClient

    from tests.dovecot_server import Dovecot

    server = Dovecot().start()
    try:
        user, password = server.new_user()
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with IMAPClient("127.0.0.1", port=server.ssl_port, ssl=True, ssl_context=context) as client:
            client.login(user, password)
            loading = time.perf_counter()
            for start in range(0, len(messages), 1000):
                client.multiappend("INBOX", messages[start : start + 1000])
            loaded = time.perf_counter() - loading
            client.logout()
        yield server, user, password, loaded
    finally:
        server.stop()


def ours_from_dovecot(messages: list[bytes], workers: int) -> dict:
    import ssl

    from imapclient import IMAPClient

    from inbox_ingest.models import Mailbox
    from inbox_ingest.watcher import Watcher
    from tickets.models import Queue

    empty_tables()
    with dovecot_with(messages) as (server, user, password, loaded):
        os.environ["IMAP_PASSWORD_BENCH"] = password
        box = Mailbox.objects.create(
            name="bench", email_address="bench@localhost", host="127.0.0.1", port=server.ssl_port,
            verify_certificate=False, username=user, secret_env="IMAP_PASSWORD_BENCH",
            queue=Queue.objects.get(slug="centralna"),
        )  # fmt: skip
        meter = Meter(len(messages), server.process.pid)
        Watcher(box, report=meter, workers=workers).run_once()
        result = meter.report(f"ours: Dovecot (IMAPS) → PostgreSQL, {workers} parsing workers")
        result["multiappend_seconds"] = round(loaded, 1)
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with IMAPClient("127.0.0.1", port=server.ssl_port, ssl=True, ssl_context=context) as client:
            client.login(user, password)
            client.select_folder("INBOX")
            result["seen_on_server"] = len(client.search(["SEEN"]))
            client.logout()
        return result


def django_helpdesk(source: Path | str, url: str, workdir: Path, *, sqlite: bool = False) -> dict | None:
    """django-helpdesk's ingestion of `source` (the Maildir, or an imaps:// address of a loaded Dovecot) into
    a PostgreSQL database of its own next to ours, or (`sqlite`) into an SQLite file, as the issue's reference
    figure was measured."""
    python = DH_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating the throwaway venv {DH_VENV} with django-helpdesk 2.6.1 from PyPI", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(DH_VENV)], check=True)
        subprocess.run(
            [str(DH_VENV / "bin" / "pip"), "install", "-q", "django-helpdesk==2.6.1", "psycopg[binary]"], check=True
        )
    if sqlite:
        dh_url = f"sqlite:///{workdir / 'django-helpdesk.sqlite3'}"
    else:
        dh_url = url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1] + "_dh"
        prepare_database(dh_url)
    result = subprocess.run(
        [str(python), str(ROOT / "bench" / "_django_helpdesk_ingest.py"), str(source), dh_url],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        print(result.stderr[-3000:], file=sys.stderr)
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def django_helpdesk_from_dovecot(messages: list[bytes], url: str, workdir: Path) -> dict | None:
    with dovecot_with(messages) as (server, user, password, _loaded):
        return django_helpdesk(f"imaps://{user}:{password}@127.0.0.1:{server.ssl_port}", url, workdir)


MEDIAN_FIELDS = [
    "per_second", "process_ms_per_message", "per_process_cpu_second", "cpu_process_s", "cpu_workers_s",
    "cpu_server_s", "cpu_dovecot_s", "per_cpu_second",
]  # fmt: skip


def medians(results: list[dict]) -> list[dict]:
    """One row per label (run kind), each field the median over its repeats."""
    import statistics

    by_label: dict[str, list[dict]] = {}
    for row in results:
        by_label.setdefault(row["label"], []).append(row)
    rows = []
    for label, runs in by_label.items():
        row = {"label": label, "runs": len(runs)}
        for name in MEDIAN_FIELDS:
            values = [run[name] for run in runs if run.get(name) is not None]
            row[name] = round(statistics.median(values), 3) if values else None
        rows.append(row)
    return rows


def print_medians(results: list[dict]) -> None:
    """CPU per message of each party, medians over the repeats: the figures a shared machine does not distort."""
    print(
        "Medians over the repeats. CPU of the ingesting process (all its threads, without the parsing workers), "
        "of the parsing workers, of its PostgreSQL backend and of Dovecot (master, imap-login, imap), per 1,000 "
        "messages:\n"
    )
    print(
        "| run | runs | messages/s (wall) | ingesting process CPU s / 1,000 | messages per process CPU-second "
        "| workers CPU s / 1,000 | PostgreSQL backend CPU s / 1,000 | Dovecot CPU s / 1,000 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    count = {row["label"]: row["messages"] for row in results}
    for row in medians(results):
        per_k = 1000 / count[row["label"]]

        def scaled(name: str, row: dict = row, per_k: float = per_k) -> str:
            return "–" if row[name] is None else f"{row[name] * per_k:.2f}"

        print(
            f"| {row['label']} | {row['runs']} | {row['per_second']} | {row['process_ms_per_message']:.2f} "
            f"| {row['per_process_cpu_second']} | {scaled('cpu_workers_s')} | {scaled('cpu_server_s')} "
            f"| {scaled('cpu_dovecot_s')} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--no-dovecot", action="store_true")
    parser.add_argument("--no-django-helpdesk", action="store_true")
    parser.add_argument(
        "--workers", default="0,1", help="parsing worker processes to measure, comma-separated (default 0,1)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="our runs, each this many times, interleaved; medians printed (default 1)"
    )
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    prepare_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    # As in production, ingestion only publishes the outbox rows to the broker (Redis, when REDIS_URL is set:
    # use a Redis database of its own, the queued tasks stay there); workers deliver them (not measured).
    # Without REDIS_URL the broker is kombu's in-memory one, whose queue grows inside this process.
    from helpdesk.celery import app

    app.conf.task_always_eager = False
    call_command("migrate", verbosity=0)

    messages = generate(args.messages)
    workdir = Path(tempfile.mkdtemp(prefix="ssoz-bench-mail-"))
    box = stdlib_mailbox.Maildir(workdir / "Maildir")
    for raw in messages:
        box.add(raw)
    size = sum(len(raw) for raw in messages)

    results = []
    for _repeat in range(max(1, args.repeat)):
        for workers in [int(value) for value in args.workers.split(",")]:
            results.append(ours_from_maildir(workdir / "Maildir", len(messages), workers))
            if not args.no_dovecot:
                results.append(ours_from_dovecot(messages, workers))
    theirs: dict[str, dict] = {}  # source ("Maildir", "Dovecot") → django-helpdesk's run into PostgreSQL
    theirs_sqlite = None
    if not args.no_django_helpdesk:
        runs = [
            ("Maildir", lambda: django_helpdesk(workdir / "Maildir", url, workdir)),
            *([] if args.no_dovecot else [("Dovecot", lambda: django_helpdesk_from_dovecot(messages, url, workdir))]),
        ]
        for source, run in runs:
            if row := run():
                theirs[source] = row
        theirs_sqlite = django_helpdesk(workdir / "Maildir", url, workdir, sqlite=True)

    from django.db import connection

    print(f"## E-mail ingestion, {len(messages):,} messages ({size / 2**20:.1f} MiB)\n")
    load = os.getloadavg()[0]
    broker = "Redis" if settings.REDIS_URL else "in-memory (no REDIS_URL)"
    print(f"Machine: {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"PostgreSQL {connection.pg_version // 10000} on the same machine, Celery broker {broker}, "
          f"load average at the end {load:.1f}.\n")  # fmt: skip
    print(
        "| run | messages | seconds | messages/s | CPU s: client + PostgreSQL backend | messages per CPU-second "
        "| peak RSS MiB | RSS after each tenth (MiB) | outcomes |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for row in [*results, *theirs.values(), *([theirs_sqlite] if theirs_sqlite else [])]:
        print(
            f"| {row['label']} | {row['messages']} | {row['seconds']} | {row['per_second']} "
            f"| {row.get('cpu_client_s')} + {row.get('cpu_server_s')} | {row.get('per_cpu_second')} "
            f"| {row['peak_rss_mib']} | {' '.join(str(s) for s in row['rss_samples_mib'])} | {row['outcomes']} |"
        )
    for row in results:
        if "multiappend_seconds" in row:
            print(f"\nDovecot: {len(messages)} messages appended with MULTIAPPEND in {row['multiappend_seconds']} s; "
                  f"{row['seen_on_server']} marked \\Seen after the pass.")  # fmt: skip
    print()
    print_medians(results)
    print()
    for row in medians(results):
        source = "Dovecot" if "Dovecot" in row["label"] else "Maildir"
        if same := theirs.get(source):  # the same messages from the same kind of source into PostgreSQL
            print(
                f"- {row['label']}: {row['per_second'] / same['per_second']:.1f}× django-helpdesk from the same "
                f"{source} in messages/s, {row['per_cpu_second'] / same['per_cpu_second']:.1f}× in messages per "
                "CPU-second"
                + (
                    f"; {row['per_second'] / theirs_sqlite['per_second']:.1f}× django-helpdesk Maildir → SQLite "
                    "in messages/s"
                    if theirs_sqlite
                    else ""
                )
            )


if __name__ == "__main__":
    main()
