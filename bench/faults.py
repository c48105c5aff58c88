"""Scripted faults under load (issue 16), each ending with a count that nothing was lost or doubled.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_faults_bench .venv/bin/python bench/faults.py
    … --faults web,worker,redis,database,storage --seconds 30 --outage 30

The production set-up on this machine, started by the script (run as root, for the tmpfs):
- PostgreSQL: the given server, reached through a TCP proxy of the script's own (tests/tcp_proxy.py) that plays
  it unreachable; the shared server is never stopped. Its database is created, migrated and loaded with the demo
  data when empty.
- Redis: a redis-server of its own on a free port (tests/redis_server.py), stopped and started by the script.
- Two daphne processes (deploy/helpdesk-web@.service's ExecStart, the port as its instance) behind the shipped
  nginx when its binary is found (NGINX_PATH, /tmp/ci-nginx/usr/sbin/nginx, nginx), else the load client tries
  the other process itself; a Celery worker and beat. Each is restarted when it exits, as systemd's Restart=always does.
- MEDIA_ROOT on a small tmpfs of its own; outgoing mail to an SMTP sink in this process (tests/smtp_server.py).
- E-mail comes in as in production when Dovecot is installed (and the script runs as root): a Dovecot of its own
  (tests/dovecot_server.py, deploy/dovecot/), a mailbox configured as docs/operations.md says (IMAPS, the
  password in an IMAP_PASSWORD_… variable, the certificate unchecked on 127.0.0.1 with
  INBOX_ALLOW_INSECURE_LOCALHOST), the IMAP watcher (`manage.py ingest_mail --imap`, deploy/helpdesk-mail.service)
  supervised like the others, and the mailbox writer APPENDs over IMAP. Without Dovecot: `manage.py ingest_mail
  <directory>` run again and again over files the writer puts there.
- Agents' websockets (bench/load_test.py's hold_websockets): one per session of agent, agent2, kierownik and
  admin, held open to /ws/tickets/ through nginx for the whole run and reconnected a second after they close;
  every handshake's outcome is counted, and every message kept with its time.

Load (simple threads; replaceable by the locust runner under bench/load/): public readers, contact forms, agents'
replies through the API, submission status changes through the feed API, incoming e-mails (some with an
attachment). A writer whose request fails retries it, as a person or a feed would, so a write that was done but
answered with an error would show up twice in the count. Replies are sent with an Idempotency-Key (docs/api.md),
as a careful API client does: a retried reply is the same reply.

Faults: web (kill -9 a web process), worker (kill -9 the Celery worker three times while it sends), watcher
(kill -9 the IMAP watcher three times in the middle of a batch of 300 messages: with Dovecot only), redis (stopped
for --outage s, then started empty), database (backends terminated, then unreachable for --outage s; the
watcher's restarts meanwhile are counted: it should retry without one), storage (MEDIA_ROOT full).

The count at the end: every e-mail written to the mailbox is exactly one ticket; every contact form answered
with success is exactly one ticket; every reply answered 201 is exactly one entry and exactly one delivered
e-mail; every status change accepted is exactly one change row; nothing is half-written in MEDIA_ROOT; no
websocket handshake was answered 500, and after Redis came back the sockets received live updates again (at
least one event of a ticket opened after it was back). Exit 0 when every count holds, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load.front import nginx_binary, start_nginx  # noqa: E402
from bench.load_test import hold_websockets  # noqa: E402
from bench.ticket_list import ensure_database  # noqa: E402
from tests import dovecot_server  # noqa: E402
from tests.redis_server import RedisServer  # noqa: E402
from tests.shipped_unit import web_command_here  # noqa: E402
from tests.smtp_server import SmtpServer  # noqa: E402
from tests.tcp_proxy import TcpProxy  # noqa: E402

VENV_BIN = Path(sys.executable).parent
RUN_ID = secrets.token_hex(3)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- processes under a supervisor ------------------------------------------------------------------------------


class Supervised:
    """A process restarted whenever it exits (systemd's Restart=always, RestartSec=1)."""

    def __init__(self, name: str, command: list[str], env: dict, logfile: Path) -> None:
        self.name, self.command, self.env, self.logfile = name, command, env, logfile
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"supervise-{name}")

    def start(self) -> Supervised:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopping:
            with self.logfile.open("ab") as out:
                self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env, stdout=out, stderr=out)
            self.process.wait()
            if self._stopping:
                return
            self.restarts += 1
            log(f"{self.name} exited with {self.process.returncode}; restarting (as Restart=always)")
            time.sleep(1)

    def kill9(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            for child in _children(self.process.pid):
                os.kill(child, signal.SIGKILL)

    def stop(self) -> None:
        self._stopping = True
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False).stdout  # noqa: S607
    return [int(line) for line in found.split()]


def wait_listening(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port} after {timeout} s")


# --- load -------------------------------------------------------------------------------------------------------


class Http:
    """urllib with cookies; `origins` tried in turn when one refuses the connection (nginx does it otherwise)."""

    def __init__(self, origins: list[str]) -> None:
        self.origins = origins
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, method: str, path: str, *, data=None, headers=None, timeout: float = 30) -> tuple[int, bytes]:
        last = None
        for origin in random.sample(self.origins, len(self.origins)):
            body = data
            if isinstance(data, dict):
                body = urllib.parse.urlencode(data).encode()
            request = urllib.request.Request(origin + path, data=body, method=method, headers=headers or {})  # noqa: S310
            try:
                with self.opener.open(request, timeout=timeout) as response:
                    return response.status, response.read()
            except urllib.error.HTTPError as failed:
                return failed.code, failed.read()
            except (OSError, urllib.error.URLError) as exc:
                last = exc
        return 0, str(last).encode()


class Load:
    def __init__(self, origins: list[str], token: str, feed_token: str, maildir: Path, facts: dict, imap=None) -> None:
        self.origins, self.token, self.feed_token, self.maildir, self.facts = origins, token, feed_token, maildir, facts
        self.imap = imap  # (Dovecot, user, password): e-mails APPENDed to its INBOX, else written to `maildir`
        self.stop = threading.Event()
        self.statuses: Counter = Counter()  # (kind, status)
        self.contacts_ok: list[str] = []
        self.replies_ok: list[str] = []
        self.changes_ok: list[str] = []
        self.mails: list[str] = []
        self.lock = threading.Lock()
        self.attachments = False  # e-mails with a 200 KiB attachment (the storage fault)

    def count(self, kind: str, status: int) -> None:
        with self.lock:
            self.statuses[(kind, status)] += 1

    def run(self, threads: dict[str, int]) -> list[threading.Thread]:
        started = []
        for name, number in threads.items():
            for index in range(number):
                thread = threading.Thread(target=getattr(self, name), args=(index,), daemon=True, name=name)
                thread.start()
                started.append(thread)
        return started

    def reader(self, index: int) -> None:
        client = Http(self.origins)
        regon, year = self.facts["regon"], self.facts["year"]
        pages = [
            "/",
            "/szukaj/?q=has%C5%82o",
            f"/status/?regon={regon}&year={year}",
            f"/api/v1/submissions/lookup?regon={regon}&year={year}",
            "/api/v1/kb/search?q=sprawozdanie",
        ]
        while not self.stop.is_set():
            status, _body = client.request("GET", random.choice(pages))
            self.count("read", status)

    def _until_done(self, kind: str, attempt) -> int:
        """Retry a write until it is answered with success (a person pressing the button again)."""
        while True:
            status = attempt()
            self.count(kind, status)
            if 200 <= status < 400 or (self.stop.is_set() and status in (400, 403, 429)):
                return status
            time.sleep(1)

    def contact(self, index: int) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            token = f"FAULT-{RUN_ID}-C{index}-{number}"
            client = Http(self.origins)
            form = {"name": "Anna Kowalska", "email": f"c{index}-{number}@przychodnia.example.pl", "regon": "",
                    "subject": token, "body": "Przycisk Wyślij jest szary.", "website": "", "attempt": ""}  # fmt: skip
            if 200 <= self._until_done("contact", lambda client=client, form=form: _send_form(client, form)) < 400:
                with self.lock:
                    self.contacts_ok.append(token)
            time.sleep(0.5)

    def replier(self, index: int) -> None:
        client = Http(self.origins)
        number = 0
        headers = {"Authorization": f"Token {self.token}", "Content-Type": "application/json"}
        while not self.stop.is_set():
            number += 1
            token = f"FAULT-{RUN_ID}-R{index}-{number}"
            reference = random.choice(self.facts["tickets"])
            body = json.dumps({"text": f"Odpowiedź {token}"}).encode()
            keyed = {**headers, "Idempotency-Key": token}  # a retry after a lost answer is the same reply

            def attempt(reference=reference, body=body, keyed=keyed) -> int:
                return client.request("POST", f"/api/v1/tickets/{reference}/replies/", data=body, headers=keyed)[0]

            if self._until_done("reply", attempt) == 201:
                with self.lock:
                    self.replies_ok.append(token)
            time.sleep(0.2)

    def feed(self, index: int) -> None:
        client = Http(self.origins)
        headers = {"Authorization": f"Token {self.feed_token}", "Content-Type": "application/json"}
        number = 0
        while not self.stop.is_set():
            number += 1
            token = f"FAULT-{RUN_ID}-S{index}-{number}"
            item = {"regon": self.facts["regon"], "form": self.facts["form"], "year": self.facts["year"],
                    "status": random.choice(self.facts["statuses"]), "note": token,
                    "changed_at": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())}  # fmt: skip
            body = json.dumps({"items": [item]}).encode()

            def attempt(body=body) -> int:
                return client.request("POST", "/api/v1/submissions/batch", data=body, headers=headers)[0]

            if self._until_done("status", attempt) == 200:
                with self.lock:
                    self.changes_ok.append(token)
            time.sleep(1.1)  # one change a second: each later than the one before

    def mailer(self, index: int) -> None:
        number = 0
        client = None
        while not self.stop.is_set():
            number += 1
            token = f"FAULT-{RUN_ID}-M{index}-{number}"
            raw = mail_bytes(token, attachment=self.attachments)
            if self.imap is None:
                (self.maildir / f"{token}.eml").write_bytes(raw)
            else:
                while True:  # APPEND until Dovecot says it is stored (it is not one of the faults)
                    try:
                        client = client or self.imap_client()
                        client.append("INBOX", raw)
                        break
                    except Exception as exc:
                        log(f"APPEND failed ({exc}); again")
                        client = None
                        time.sleep(1)
            with self.lock:
                self.mails.append(token)
            time.sleep(0.5)

    def imap_client(self):
        server, user, password = self.imap
        return server.client(user, password)


def mail_bytes(token: str, *, attachment: bool = False) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Jan Nowak <{token.lower()}@przychodnia.example.pl>"
    mail["To"] = "pomoc-ssoz@localhost"
    mail["Subject"] = f"Pytanie {token}"
    mail["Message-ID"] = f"<{token}@przychodnia.example.pl>"
    mail.set_content(f"Dzień dobry,\nnie mogę złożyć sprawozdania ({token}).\n")
    if attachment:
        mail.add_attachment(os.urandom(200 * 1024), maintype="application", subtype="pdf", filename="skan.pdf")
    return mail.as_bytes()


def _send_form(client: Http, form: dict) -> int:
    """The contact form as a browser sends it: the page (for its CSRF token), then the form. The page's own
    token (the hidden field "attempt") is kept from the first page for the retries, as a person going back to
    the page they filled in and pressing the button again sends it: the same form, sent once."""
    status, page = client.request("GET", "/kontakt/")
    found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    attempt = re.search(rb'name="attempt" value="([^"]+)"', page)
    if status != 200 or not found:
        return status or 599
    if not form["attempt"] and attempt:
        form["attempt"] = attempt.group(1).decode()
    origin = client.origins[0]
    headers = {"Referer": origin + "/kontakt/", "Origin": origin}
    return client.request("POST", "/kontakt/", data={**form, "csrfmiddlewaretoken": found.group(1).decode()},
                          headers=headers)[0]  # fmt: skip


# --- the run ----------------------------------------------------------------------------------------------------


def manage(env: dict, *args: str, check: bool = True, stdin: str | None = None) -> str:
    if args[0] == "shell":
        args = ("shell", "--no-imports", *args[1:])
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          input=stdin, check=False)  # fmt: skip
    if check and done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)}: {done.stderr[-2000:]}")
    return done.stdout


def ingest_forever(env: dict, maildir: Path, stop: threading.Event, logfile: Path) -> None:
    """E-mail in: ingest_mail over the mailbox directory again and again (a failed run is simply run again;
    the dedupe key makes a message taken before a copy, never a second ticket)."""
    while not stop.is_set():
        with logfile.open("ab") as out:
            subprocess.run([sys.executable, "manage.py", "ingest_mail", str(maildir)], cwd=ROOT, env=env,
                           stdout=out, stderr=out, check=False)  # fmt: skip
        stop.wait(2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--faults", default="web,worker,watcher,redis,database,storage")
    parser.add_argument("--seconds", type=float, default=30, help="load before and after each fault")
    parser.add_argument("--outage", type=float, default=30, help="how long Redis and the database are away")
    parser.add_argument("--readers", type=int, default=6)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        print("DATABASE_URL must name a PostgreSQL database of its own (e.g. …/helpdesk_faults_bench)")
        return 2
    parts = urllib.parse.urlsplit(database_url)
    work = Path(tempfile.mkdtemp(prefix="ssoz-faults-"))
    log(f"working directory {work}")
    media = work / "media"
    media.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(media)]
    mounted = subprocess.run(mount, check=False).returncode == 0
    maildir = work / "mail"
    maildir.mkdir()
    dovecot = dovecot_server.Dovecot().start() if dovecot_server.available() else None
    imap = None
    if dovecot:
        user, password = dovecot.new_user()
        imap = (dovecot, user, password)
        log(f"Dovecot on 127.0.0.1:{dovecot.ssl_port} (IMAPS); the watcher reads {user}'s INBOX")
    else:
        log("no Dovecot (apt-get install dovecot-imapd, run as root): e-mail comes in through ingest_mail <dir>")

    redis = RedisServer(work / "redis").start()
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432).start()
    smtp = SmtpServer().start()
    nginx_port = free_port()  # known before the web processes start: their CSRF_TRUSTED_ORIGINS
    app_db = database_url.replace(parts.netloc, f"{parts.username or 'postgres'}@127.0.0.1:{proxy.port}", 1)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings", "DEBUG": "false", "HTTPS": "false",
           "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "127.0.0.1,localhost",
           "HELPDESK_VAR_DIR": str(work / "var"), "MEDIA_ROOT": str(media), "DATABASE_URL": app_db,
           "REDIS_URL": redis.url, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port), "EMAIL_USE_TLS": "false",
           "ALLOW_DEMO_DATA": "true", "KB_CONTACT_PER_HOUR": "100000", "KB_CONTACT_ATTEMPTS_PER_HOUR": "100000",
           "KB_SEARCH_PER_MINUTE": "1000000", "REPLY_RECIPIENTS_PER_HOUR": "100000", "INBOX_ACK_LIMIT": "100000",
           "REQUESTER_REPLIES_PER_ADDRESS_HOUR": "100000", "LOOKUP_RATE_LIMIT": "1000000", "DB_POOL_MAX_SIZE": "8",
           "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{nginx_port}",
           # the mailbox as docs/operations.md configures one: the password in an IMAP_PASSWORD_… variable; the
           # test Dovecot's self-signed certificate unchecked, allowed only on 127.0.0.1
           "INBOX_ALLOW_INSECURE_LOCALHOST": "true", MAILBOX_PASSWORD_ENV: imap[2] if imap else ""}  # fmt: skip
    processes: list[Supervised] = []
    nginx = None
    stop_ingest = threading.Event()
    stop_ws = threading.Event()
    try:
        log("migrating and loading the demo data (once)")
        ensure_database(database_url)
        manage(env, "migrate", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        users = "from helpdesk.models import User; print(*User.objects.values_list('username', flat=True))"
        if "agent" not in manage(env, "shell", "-c", users).split():
            manage(env, "load_demo", "--quiet")
        token = manage(env, "issue_api_token", "agent", "--replace").split()[-1]
        shown = manage(env, "create_feed_client", f"faults-feed-{RUN_ID}")
        feed_token = re.search(r"token \(pokazywany tylko teraz\): (\S+)", shown).group(1)
        facts = json.loads(manage(env, "shell", "-c", FACTS))
        facts["database_url"] = database_url  # the server itself, not through the proxy: the script's own checks
        sessions = json.loads(manage(env, "shell", "-c", SESSIONS))
        if imap:
            mailbox = f"faults-{RUN_ID}"
            manage(env, "shell", "-c", f"NAME, USER, PORT, ENV = {mailbox!r}, {imap[1]!r}, {dovecot.ssl_port}, "
                   f"{MAILBOX_PASSWORD_ENV!r}\n" + MAILBOX)  # fmt: skip
        ports = [free_port(), free_port()]
        for number, port in enumerate(ports, 1):
            command = web_command_here(port, VENV_BIN / "daphne")  # deploy/helpdesk-web@.service, instance = port
            processes.append(Supervised(f"web{number}", command, env, work / f"web{number}.log").start())
        celery = str(VENV_BIN / "celery")
        worker = Supervised("worker", [celery, "-A", "helpdesk", "worker", "-l", "info", "--concurrency", "2"], env,
                            work / "worker.log").start()  # fmt: skip
        beat = Supervised("beat", [celery, "-A", "helpdesk", "beat", "-l", "info", "--schedule",
                                   str(work / "beat-schedule")], env, work / "beat.log").start()  # fmt: skip
        processes += [worker, beat]
        if imap:  # deploy/helpdesk-mail.service's ExecStart
            processes.append(Supervised("watcher", [sys.executable, "manage.py", "ingest_mail", "--imap"], env,
                                        work / "watcher.log").start())  # fmt: skip
        for port in ports:
            wait_listening(port)
        binary = nginx_binary()
        if binary:
            nginx = start_nginx(binary, work, ports, nginx_port)
            origins = [f"http://127.0.0.1:{nginx_port}"]
            log(f"nginx {binary} in front of daphne on {ports}")
        else:
            origins = [f"http://127.0.0.1:{port}" for port in ports]
            log("no nginx: the load client tries the other daphne itself")
        if not imap:
            threading.Thread(
                target=ingest_forever, args=(env, maildir, stop_ingest, work / "ingest.log"), daemon=True
            ).start()
        sockets: dict = {"events": []}
        threading.Thread(
            target=lambda: asyncio.run(hold_websockets(origins, sessions, stop_ws, sockets, sockets["events"])),
            daemon=True,
            name="websockets",
        ).start()

        load = Load(origins, token, feed_token, maildir, facts, imap)
        load.run({"reader": args.readers, "contact": 2, "replier": 3, "feed": 1, "mailer": 1})
        time.sleep(args.seconds)
        for fault in args.faults.split(","):
            log(f"fault: {fault}")
            FAULTS[fault](args, processes=processes, redis=redis, proxy=proxy, load=load, media=media,
                          mounted=mounted, env=env, facts=facts, sockets=sockets)  # fmt: skip
            time.sleep(args.seconds)
        log("load stops; waiting for the outbox and the ingestion to settle")
        load.stop.set()
        stop_ws.set()
        time.sleep(5)
        settle(env, load)
        stop_ingest.set()
        if "storage" in args.faults:  # those ingested after the agent's retry, refused still (none, normally)
            log(f"the agent retries what is left in quarantine: {manage(env, 'shell', '-c', RETRY_STORAGE_QUARANTINE)}")
            settle(env, load)
        report = count(env, load, smtp, media, processes, sockets, facts)
        print(report["text"])
        (work / "report.md").write_text(report["text"])
        return 0 if report["ok"] else 1
    finally:
        stop_ingest.set()
        stop_ws.set()
        for process in processes:
            process.stop()
        if dovecot:
            dovecot.stop()
        if nginx:
            nginx.terminate()
        smtp.stop()
        proxy.cut()
        redis.stop()
        if mounted:
            subprocess.run(["umount", "-l", str(media)], check=False)  # noqa: S607


MAILBOX_PASSWORD_ENV = "IMAP_PASSWORD_FAULTS"

MAILBOX = """
from inbox_ingest.models import Mailbox
from tickets.models import Queue
Mailbox.objects.exclude(name=NAME).update(is_active=False)  # those of earlier runs: their Dovecot is gone
Mailbox.objects.create(name=NAME, email_address="pomoc-ssoz@localhost", host="127.0.0.1", port=PORT,
    security=Mailbox.Security.SSL, verify_certificate=False, username=USER, secret_env=ENV,
    queue=Queue.objects.get(slug="centralna"))
"""

SESSIONS = """
import json
from django.test import Client
from helpdesk.models import User
sessions = []
for name in ("agent", "agent2", "kierownik", "admin"):
    client = Client()
    client.force_login(User.objects.get(username=name))
    sessions.append(client.cookies["sessionid"].value)
print(json.dumps(sessions))
"""


def sql(facts: dict, query: str, params: tuple = ()) -> list[tuple]:
    """A quick read of the database itself (not through the proxy the faults cut)."""
    import psycopg

    with psycopg.connect(facts["database_url"], connect_timeout=5) as connection:
        return connection.execute(query, params).fetchall()


FACTS = """
import json
from contacts.models import Submission, SubmissionStatus
from tickets.models import Ticket
s = Submission.objects.select_related("unit", "form").order_by("pk").first()
print(json.dumps({"regon": s.unit.regon, "form": s.form.code, "year": s.year,
  "statuses": list(SubmissionStatus.objects.values_list("code", flat=True))[:3],
  "tickets": list(Ticket.objects.exclude(requester_email="").order_by("pk").values_list("reference", flat=True)[:20])}))
"""


def fault_web(args, *, processes, **_kw) -> None:
    web1 = processes[0]
    web1.kill9()
    log("kill -9 web1; its supervisor restarts it")


def fault_worker(args, *, processes, **_kw) -> None:
    worker = next(p for p in processes if p.name == "worker")
    for _ in range(3):  # in the middle of sending replies and dispatching the outbox
        worker.kill9()
        log("kill -9 the Celery worker (and its pool processes)")
        time.sleep(args.seconds / 3)


def fault_watcher(args, *, processes, load, facts, **_kw) -> None:
    """kill -9 the IMAP watcher in the middle of a batch: 300 messages APPENDed at once, the watcher killed when
    it has stored some of them and not all (three times)."""
    watcher = next((p for p in processes if p.name == "watcher"), None)
    if watcher is None:
        log("no IMAP watcher (no Dovecot): the watcher fault is skipped")
        return
    client = load.imap_client()
    for burst in range(1, 4):
        tokens = [f"FAULT-{RUN_ID}-B{burst}-{n}" for n in range(300)]
        client.multiappend("INBOX", [mail_bytes(token) for token in tokens])
        with load.lock:
            load.mails.extend(tokens)
        like = f"%FAULT-{RUN_ID}-B{burst}-%"
        deadline = time.monotonic() + 60
        stored = 0
        while time.monotonic() < deadline:
            stored = sql(facts, "SELECT count(*) FROM inbox_ingest_rawmessage WHERE message_id LIKE %s", (like,))[0][0]
            if stored:
                break
            time.sleep(0.05)
        time.sleep(random.uniform(0, 0.5))  # somewhere in the batch: storing, processing, flagging
        watcher.kill9()
        log(f"kill -9 the IMAP watcher: {stored} of the burst's 300 stored when it was first seen working")
        time.sleep(args.seconds / 3)
    client.logout()


def fault_redis(args, *, redis, facts, sockets, **_kw) -> None:
    redis.stop()
    log(f"Redis stopped for {args.outage:g} s")
    time.sleep(args.outage)
    facts["last_ticket_before_redis_back"] = sql(facts, "SELECT coalesce(max(id), 0) FROM tickets_ticket")[0][0]
    facts["redis_back_at"] = time.time()
    redis.start()
    log("Redis started again (empty)")


def fault_database(args, *, env, proxy, processes, facts, **_kw) -> None:
    watcher = next((p for p in processes if p.name == "watcher"), None)
    before = watcher.restarts if watcher else 0
    terminated = manage(env, "shell", "-c", TERMINATE, check=False).strip()
    log(f"pg_terminate_backend: {terminated} backends; the database unreachable for {args.outage:g} s")
    proxy.cut()
    time.sleep(args.outage)
    proxy.restore()
    log("the database is reachable again")
    if watcher:
        time.sleep(min(args.seconds, 15))  # a watcher that died of it would be restarted by now
        facts["watcher_restarts_in_database_fault"] = watcher.restarts - before
        log(f"the IMAP watcher was restarted {watcher.restarts - before} times during the database fault")


TERMINATE = """
from django.db import connection
with connection.cursor() as c:
    c.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
              "AND pid <> pg_backend_pid()")
    print(c.fetchone()[0])
"""


def fault_storage(args, *, load, media, mounted, env, **_kw) -> None:
    if not mounted:
        log("no tmpfs (not root?): the storage fault is skipped")
        return
    filler = media / "filler"
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError:
            pass
    load.attachments = True
    log("MEDIA_ROOT full; e-mails now carry a 200 KiB attachment")
    # until e-mails were refused for want of room (ingestion under load can lag the mailbox by a minute)
    deadline = time.monotonic() + max(args.seconds, 180)
    while time.monotonic() < deadline and manage(env, "shell", "-c", STORAGE_QUARANTINED, check=False).strip() in (
        "",
        "0",
    ):
        time.sleep(3)
    load.attachments = False  # the attachments already refused wait in quarantine; those ingested fit no more
    filler.unlink()
    retried = manage(env, "shell", "-c", RETRY_STORAGE_QUARANTINE, check=False).strip()
    log(f"room made; an agent retries the quarantined e-mails: {retried}")


STORAGE_QUARANTINED = """
from inbox_ingest.models import RawMessage
print(RawMessage.objects.filter(status="quarantined", reason__startswith="StorageFull").count())
"""

RETRY_STORAGE_QUARANTINE = """
from collections import Counter
from helpdesk.models import User
from inbox_ingest import actions
from inbox_ingest.models import RawMessage
agent = User.objects.get(username="agent")
outcomes = Counter(actions.retry_quarantined(actor=agent, raw_id=pk).outcome for pk in RawMessage.objects.filter(
    status="quarantined", reason__startswith="StorageFull").values_list("pk", flat=True))
print(dict(outcomes))
"""

FAULTS = {
    "web": fault_web,
    "worker": fault_worker,
    "watcher": fault_watcher,
    "redis": fault_redis,
    "database": fault_database,
    "storage": fault_storage,
}


def settle(env: dict, load: Load, timeout: float = 420) -> None:
    """Until the outbox and the ingestion are done: an e-mail claimed by a worker killed meanwhile waits for its
    claim's lease to end (helpdesk.outbox.CLAIM_LEASE, 5 min) before another worker takes it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = json.loads(manage(env, "shell", "-c", f"MARK = 'FAULT-{RUN_ID}-'\n" + SETTLED, check=False) or "{}")
        if state and state["outbox"] == 0 and state["raw_pending"] == 0 and state["stored"] >= len(load.mails):
            return
        time.sleep(3)
    log(f"not settled after {timeout} s: {state}")


SETTLED = """
import json
from helpdesk.models import OutboxMessage
from inbox_ingest.models import RawMessage
print(json.dumps({"outbox": OutboxMessage.objects.filter(sent_at__isnull=True, failed_at__isnull=True).count(),
  "raw_pending": RawMessage.objects.filter(status="pending").count(),
  "stored": RawMessage.objects.filter(message_id__contains=MARK).values("message_id").distinct().count()}))
"""

COUNT = """
import json
from collections import Counter
from contacts.models import SubmissionChange
from inbox_ingest.models import RawMessage
from tickets.models import Entry, Ticket
mark = "FAULT-" + RUN
subjects = Counter(Ticket.objects.filter(subject__contains=mark).values_list("subject", flat=True))
replies = Entry.objects.filter(kind="outbound", body_text__contains=mark).values_list("body_text", flat=True)
changes = SubmissionChange.objects.filter(note__contains=mark).values_list("note", flat=True)
quarantined = RawMessage.objects.filter(status="quarantined", message_id__contains=mark)
print(json.dumps({"subjects": subjects, "replies": Counter(replies), "changes": Counter(changes),
                  "quarantined": list(quarantined.values_list("message_id", "reason"))}))
"""


def count(
    env: dict, load: Load, smtp: SmtpServer, media: Path, processes: list[Supervised], sockets: dict, facts: dict
) -> dict:
    found = json.loads(manage(env, "shell", "-c", f"RUN = {RUN_ID!r}\n" + COUNT))
    subjects, replies, changes = Counter(found["subjects"]), Counter(found["replies"]), Counter(found["changes"])
    delivered = Counter()
    for message in smtp.messages:
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""
        for token in re.findall(rf"FAULT-{RUN_ID}-R\d+-\d+", text):
            delivered[token] += 1
    rows = []

    def line(what: str, sent: list[str], counted) -> bool:
        exactly = sum(1 for token in sent if counted(token) == 1)
        missing = [t for t in sent if counted(t) == 0]
        doubled = [t for t in sent if counted(t) > 1]
        examples = f" missing e.g. {missing[:3]}, doubled e.g. {doubled[:3]}" if missing or doubled else ""
        rows.append(f"| {what} | {len(sent)} | {exactly} | {len(missing)} | {len(doubled)} |{examples}")
        return not missing and not doubled

    ok = all([
        line("e-mails → tickets", load.mails, lambda t: subjects.get(f"Pytanie {t}", 0)),
        line("contact forms (success) → tickets", load.contacts_ok, lambda t: subjects.get(t, 0)),
        line("replies (201) → entries", load.replies_ok, lambda t: replies.get(f"Odpowiedź {t}", 0)),
        line("replies (201) → e-mails delivered", load.replies_ok, lambda t: delivered.get(t, 0)),
        line("status changes (200) → change rows", load.changes_ok, lambda t: changes.get(t, 0)),
    ])  # fmt: skip
    partial = [str(path) for path in media.rglob(".partial-*")]
    ok = ok and not partial
    handshakes = sockets.get("handshakes", {})
    server_errors = sum(n for kind, n in handshakes.items() if kind.endswith((" 500", " 1011")))
    live = ""
    if "redis_back_at" in facts:
        after = [text for at, text in sockets["events"] if at >= facts["redis_back_at"]]
        references = {event.get("reference") for event in map(json.loads, after) if isinstance(event, dict)} - {None}
        fresh = sql(facts, "SELECT count(*) FROM tickets_ticket WHERE reference = ANY(%s) AND id > %s",
                    (sorted(references), facts["last_ticket_before_redis_back"]))[0][0]  # fmt: skip
        live = (f" Live messages received after Redis came back: {len(after)}, about {len(references)} tickets, "
                f"{fresh} of them opened after it was back.")  # fmt: skip
        ok = ok and fresh > 0
    ok = ok and server_errors == 0
    outcomes = ", ".join(f"{kind}: {n}" for kind, n in sorted(handshakes.items())) or "none"
    restarted = facts.get("watcher_restarts_in_database_fault")
    watcher_line = (f" Restarts of the IMAP watcher during the database fault: {restarted}."
                    if restarted is not None else "")  # fmt: skip
    statuses = ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(load.statuses.items()))
    restarts = ", ".join(f"{p.name} {p.restarts}" for p in processes)
    text = "\n".join([
        f"# Faults under load, run {RUN_ID}", "",
        "| what | sent | exactly once | missing | doubled |", "|---|---|---|---|---|", *rows, "",
        f"Half-written files in MEDIA_ROOT: {len(partial)}. Still quarantined: {len(found['quarantined'])}"
        + (f" (e.g. {found['quarantined'][:2]})" if found["quarantined"] else "") + ".",
        f"Answers by kind and status: {statuses}.", f"Restarts by the supervisor: {restarts}.{watcher_line}",
        f"Websocket handshakes and ends ({len(sockets.get('events', []))} messages in all): {outcomes}; "
        f"500/1011: {server_errors}.{live}",
        f"E-mail in through: {'Dovecot and the IMAP watcher' if load.imap else 'ingest_mail <dir>'}.",
        f"Result: {'nothing lost or doubled' if ok else 'SOMETHING LOST OR DOUBLED'}.",
    ])  # fmt: skip
    return {"ok": ok, "text": text}


if __name__ == "__main__":
    sys.exit(main())
