"""Load test: deadline day against the shipped production recipe, with locust (issue 16).

Claim checked: "on this 2-core machine, with PostgreSQL and Redis beside it: at least 300 public requests/s with
p95 under 300 ms and no error, the agents' pages p95 under 300 ms at the same time; the database connection count
stays under the pools' limit".

    pip install -c constraints.txt -e ".[dev,bench]"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/load_test REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/load_test.py [--duration 120] [--public-users 320] [--agents 50] [--web 2]

What runs (see docs/load.md):
- the recipe of deploy/ and the README's production section, started by this script on free 127.0.0.1 ports:
  `--web` daphne processes exactly as deploy/helpdesk-web@.service runs them (`--proxy-headers --access-log
  /dev/null helpdesk.asgi:application`), one Celery worker as deploy/helpdesk-worker.service (`--concurrency 4`)
  and one beat, with DEBUG=false, the PostgreSQL pool (DB_POOL_MAX_SIZE, default 10 per process), Redis as
  cache, channel layer and broker. Differences, all said in the report: plain HTTP (HTTPS=false: no nginx/TLS in
  front; locust spreads its users over the daphne ports itself), mail goes to files (no SMTP relay);
- data made by the script the first time: `load_demo` plus `--units` units with three reports each, `--articles`
  published articles, 50 agents, and a Maildir of `--mails` messages that `manage.py ingest_mail` ingests while
  the load runs (the e-mail backlog);
- 50 websockets of the agents held open to /ws/tickets/ for the whole run (their messages are counted);
- locust (bench/load/locustfile.py): `--public-users` units at one request per second each (status page and API,
  KB search page and API, articles, front page, contact form) and `--agents` agents (list, open, answer);
- PostgreSQL's connections to the database sampled every 0.5 s from pg_stat_activity.

It prints a markdown report (machine, database, conditions, per request type and per group: requests, errors,
median, p95, req/s; connections; the backlog's ingestion) and exits 0 when the claim holds, 1 when it does not.
The database name must contain "load" or "bench" (it is filled with generated data); the Redis database is
flushed first.

Other scripts (the fault runs) use it as a library: `prepare(...)` makes the data, `Stack(...)` starts and stops
the servers (its `procs` can be killed), `run_load(bases, duration, ...)` runs the mix against any base URLs and
returns the figures, `report(...)` prints them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))
VENV = ROOT / ".venv" / "bin"
AGENT_PASSWORD = "obciazenie-agent-2026"
QUERIES = [
    "hasło",
    "nie pamiętam hasła",
    "jak wysłać sprawozdanie",
    "MZ-11",
    "mz 88",
    "korekta sprawozdania",
    "termin MZ-88",
    "walidacja błąd",
    "logowanie",
    "administrator wojewódzki",
    "zmiana danych jednostki",
    "sprawozdanie odrzucone",
    "jak poprawić sprawozdanie",
    "certyfikat",
    "konto zablokowane",
    "MZ-89 instrukcja",
    "sprawozdań",
    "formularza",
    "walidacjii",
    "terminy sprawozdań 2026",
    "brak formularza na liście",
    "profil jednostki",
]
TARGET_RPS, TARGET_P95_MS = 300, 300


# --- data ------------------------------------------------------------------------------------------------------


def production_env(database_url: str, redis_url: str, var_dir: Path) -> dict[str, str]:
    """The environment of deploy/env.example, pointed at this machine's servers (plain HTTP, mail to files)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "HELPDESK_TEST"))}
    env.update(
        DEBUG="false",
        SECRET_KEY=os.environ.get("LOAD_SECRET_KEY", "load-test-" + "k" * 50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        HTTPS="false",
        SITE_URL="http://127.0.0.1",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        HELPDESK_VAR_DIR=str(var_dir),
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="helpdesk.settings",
    )
    return env


def _manage(env: dict, *args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV / "python"), "manage.py", *args], env=env, cwd=ROOT, check=True, **kwargs)


def prepare(env: dict, *, units: int, articles: int, agents: int, work: Path) -> Path:
    """Migrate, collect static files, load the demo data and the generated data (once), and write the data file
    for locust; returns its path."""
    from ticket_list import ensure_database

    seeded = from_seed(env["DATABASE_URL"])
    if not seeded:
        ensure_database(env["DATABASE_URL"])
    _manage(env, "migrate", "--no-input", stdout=subprocess.DEVNULL)
    _manage(env, "collectstatic", "--no-input", stdout=subprocess.DEVNULL)
    data = work / "data.json"
    script = BENCH / "load" / "make_data.py"
    subprocess.run(
        [str(VENV / "python"), str(script), str(data), str(units), str(articles), str(agents)],
        env={**env, "ALLOW_DEMO_DATA": "true"},
        cwd=ROOT,
        check=True,
    )
    if not seeded:
        make_seed(env["DATABASE_URL"])
    return data


def _admin_connection(url: str):
    """A connection to the server's "postgres" database, and the name of the database of `url`."""
    import dj_database_url
    import psycopg

    cfg = dj_database_url.parse(url)
    params = {key.lower(): cfg.get(key) or None for key in ("HOST", "PORT", "USER", "PASSWORD")}
    return psycopg.connect(dbname="postgres", autocommit=True, **params), cfg["NAME"]


def from_seed(url: str) -> bool:
    """Every run starts from the same data: the database is made again from its seed (`<name>_seed`, a copy
    taken when the data was first generated), without the tickets, e-mails and answers of earlier runs (each
    run adds about 2,000 tickets; the agents' counts and lists grew with them from run to run). False when there
    is no seed yet."""
    from psycopg import sql

    conn, name = _admin_connection(url)
    with conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [f"{name}_seed"]).fetchone():
            return False
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(f"{name}_seed"))
        )
    return True


def make_seed(url: str) -> None:
    """Keep the freshly generated data as `<name>_seed` (see from_seed), its statistics gathered first."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as data:
        data.execute("ANALYZE")
    conn, name = _admin_connection(url)
    with conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(f"{name}_seed"), sql.Identifier(name))
        )


# --- servers -----------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


@dataclass
class Stack:
    """The production processes of deploy/, started as its units start them (ports of our own)."""

    env: dict
    web: int = 2
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="load_")))
    front: bool = True  # the shipped nginx in front (plain HTTP), when its binary is found
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    ports: list[int] = field(default_factory=list)
    nginx_port: int | None = None
    _logs: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @property
    def bases(self) -> list[str]:
        """Where clients go: nginx, or without it every daphne (locust spreads its users over them)."""
        if self.nginx_port is not None and "nginx" in self.procs:
            return [f"http://127.0.0.1:{self.nginx_port}"]
        return [f"http://127.0.0.1:{port}" for port in self.ports]

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        log = self._logs.enter_context((self.work / f"{name}.log").open("a"))
        self.procs[name] = subprocess.Popen(argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        return self.procs[name]

    def start_web(self, index: int, port: int) -> subprocess.Popen:
        # deploy/helpdesk-web@.service's ExecStart, read from the unit, with our port as its instance
        from tests.shipped_unit import web_command_here

        return self.start(f"web{index}", web_command_here(port, VENV / "daphne"))

    def __enter__(self) -> Stack:
        from load.front import nginx_binary, start_nginx

        binary = nginx_binary() if self.front else None
        if binary:  # its address is the site's origin for the contact form's CSRF check
            self.nginx_port = free_port()
            self.env = {**self.env, "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{self.nginx_port}"}
        # deploy/helpdesk-worker.service and the README's single beat
        self.start("worker", [str(VENV / "celery"), "-A", "helpdesk", "worker", "-l", "info", "--concurrency", "4"])
        beat_file = str(self.work / "celerybeat-schedule")
        self.start("beat", [str(VENV / "celery"), "-A", "helpdesk", "beat", "-l", "info", "-s", beat_file])
        for index in range(self.web):
            port = free_port()
            self.ports.append(port)
            self.start_web(index, port)
        for port in self.ports:
            wait_for_port(port)
        if binary and self.nginx_port is not None:
            self.procs["nginx"] = start_nginx(binary, self.work, self.ports, self.nginx_port)
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        self._logs.close()

    def pool_limit(self) -> int:
        """Connections the started processes may hold: each process's pool (daphne ×web, the worker's 4 children
        and its parent, beat) and the ingest command."""
        size = int(self.env.get("DB_POOL_MAX_SIZE", "10"))
        return size * (self.web + 5 + 1 + 1)


# --- what runs beside locust -----------------------------------------------------------------------------------


class ConnectionSampler(threading.Thread):
    """PostgreSQL's connections to the database (pg_stat_activity), every 0.5 s, this sampler's own excluded."""

    def __init__(self, database_url: str):
        super().__init__(daemon=True)
        import dj_database_url

        self.cfg = dj_database_url.parse(database_url)
        self.samples: list[int] = []
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        cfg = self.cfg
        with psycopg.connect(
            dbname=cfg["NAME"],
            host=cfg.get("HOST") or None,
            port=cfg.get("PORT") or None,
            user=cfg.get("USER") or None,
            password=cfg.get("PASSWORD") or None,
            autocommit=True,
        ) as conn:
            while not self.stop.wait(0.5):
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    [cfg["NAME"]],
                ).fetchone()
                self.samples.append(row[0])


async def hold_websockets(
    bases: list[str], cookies: list[str], stop: threading.Event, out: dict, events: list | None = None
) -> None:
    """Agents' live lists: one websocket per session to /ws/tickets/, open until `stop`, reconnecting after a
    second when refused or closed (as the page's script does); counts opens, failures (by kind), messages (frames)
    and the events they carry (a frame is one event or a batch, {"events": [...]}), and every handshake's outcome
    (`handshakes`: "accepted", "refused <HTTP status>", "closed <close code>" once an accepted socket ends, "no
    connection <error>"). `events`: (time.time(), text) of each message appended."""
    import websockets
    from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

    out.update(opened=0, messages=0, events=0, failures={}, handshakes={})

    def counted(table: str, kind: str) -> None:
        out[table][kind] = out[table].get(kind, 0) + 1

    async def one(index: int, session: str) -> None:
        base = bases[index % len(bases)]
        while not stop.is_set():
            accepted = False
            try:
                async with websockets.connect(
                    base.replace("http://", "ws://") + "/ws/tickets/",
                    origin=base,
                    additional_headers={"Cookie": f"sessionid={session}"},
                    max_queue=None,
                    open_timeout=30,
                ) as ws:
                    accepted = True
                    out["opened"] += 1
                    counted("handshakes", "accepted")
                    while not stop.is_set():
                        try:
                            text = await asyncio.wait_for(ws.recv(), timeout=0.5)
                        except TimeoutError:
                            continue
                        out["messages"] += 1
                        frame = json.loads(text)
                        batch = frame.get("events") if isinstance(frame, dict) else None
                        out["events"] += len(batch) if isinstance(batch, list) else 1
                        if events is not None:
                            events.append((time.time(), text))
            except InvalidStatus as refused:
                counted("failures", type(refused).__name__)
                counted("handshakes", f"refused {refused.response.status_code}")
                await asyncio.sleep(1)
            except ConnectionClosed as closed:
                counted("failures", type(closed).__name__)
                code = closed.rcvd.code if closed.rcvd else 1006
                counted("handshakes", f"closed {code}" if accepted else f"no connection (closed {code})")
                await asyncio.sleep(1)
            except (WebSocketException, OSError, TimeoutError) as exc:
                counted("failures", type(exc).__name__)
                counted("handshakes", f"closed {type(exc).__name__}" if accepted else f"no connection "
                        f"({type(exc).__name__})")  # fmt: skip
                await asyncio.sleep(1)

    await asyncio.gather(*(one(index, session) for index, session in enumerate(cookies)))


def write_maildir(path: Path, count: int) -> None:
    """The e-mail backlog: bench/ingest_mail.py's realistic messages, with Message-IDs of this run."""
    import mailbox

    from ingest_mail import generate

    run = secrets.token_hex(4)
    box = mailbox.Maildir(str(path), create=True)
    for raw in generate(count):
        box.add(raw.replace(b"<bench-", f"<load-{run}-".encode()))


# --- the run ---------------------------------------------------------------------------------------------------


def run_load(
    bases: list[str],
    duration: int,
    *,
    data_path: Path,
    env: dict,
    public_users: int = 320,
    agents: int = 50,
    mails: int = 2000,
    work: Path | None = None,
    pids: dict[str, int] | None = None,
    profile: bool = False,
) -> dict:
    """Deadline day for `duration` seconds against `bases` (servers started by the caller): locust's mix, 50
    websockets, the e-mail backlog ingested, connections sampled. Returns the figures (see report()). With
    `profile`, py-spy samples the first web process (`pids["web0"]`) for the run (bench/load/spy_top.py)."""
    work = work or Path(tempfile.mkdtemp(prefix="load_run_"))
    data = json.loads(data_path.read_text())
    data["bases"] = bases
    run_data = work / "run-data.json"
    run_data.write_text(json.dumps(data))
    figures: dict = {"bases": bases, "duration": duration, "public_users": public_users, "agents": agents}

    sampler = ConnectionSampler(env["DATABASE_URL"])
    sampler.start()
    stop_ws = threading.Event()
    ws_out: dict = {}
    ws_thread = threading.Thread(
        target=lambda: asyncio.run(hold_websockets(bases, data["sessions"][:agents], stop_ws, ws_out)), daemon=True
    )
    ws_thread.start()

    ingest = None
    if mails:
        maildir = work / "Maildir"
        write_maildir(maildir, mails)
        started = time.time()
        log = (work / "ingest.log").open("w")
        ingest = subprocess.Popen(
            [str(VENV / "python"), "manage.py", "ingest_mail", str(maildir)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    out = work / "locust.json"
    load_avg_before = os.getloadavg()
    locust_env = {**env, "LOAD_DATA": str(run_data), "LOAD_OUT": str(out), "LOAD_AGENTS": str(agents)}
    users = public_users + agents
    cpu_before = _children_cpu()
    servers_before = process_cpu(pids or {})
    machine_before, services_before = machine_busy(), service_cpu()
    spy = None
    if profile and pids and "web0" in pids:
        spy_out = work / "web0.pyspy.txt"
        spy_args = ["--rate", "200", "--gil", "--nonblocking", "--format", "raw", "-o", str(spy_out)]
        spy = subprocess.Popen(
            [str(VENV / "py-spy"), "record", "--pid", str(pids["web0"]), *spy_args],
            stdout=subprocess.DEVNULL,
            stderr=(work / "py-spy.log").open("w"),
        )
    subprocess.run(
        [
            str(VENV / "locust"),
            "-f",
            str(BENCH / "load" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(max(users // 5, 1)),
            "-t",
            f"{duration}s",
            "--only-summary",
            "--stop-timeout",
            "10",
            "--host",
            bases[0],
            "--loglevel",
            "WARNING",
        ],
        env=locust_env,
        cwd=BENCH / "load",
        stdout=(work / "locust.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    if spy is not None:  # stopped with the load (SIGINT: py-spy writes what it sampled and exits)
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()
        figures["profile"] = str(spy_out)
    figures["locust_cpu_seconds"] = round(_children_cpu() - cpu_before, 1)
    servers_after = process_cpu(pids or {})
    figures["server_cpu_seconds"] = {
        name: round(servers_after[name] - servers_before[name], 1) for name in servers_after
    }
    services_after = service_cpu()
    figures["machine_cpu_seconds"] = round(machine_busy() - machine_before, 1)
    figures["service_cpu_seconds"] = {
        name: round(services_after[name] - services_before.get(name, 0.0), 1) for name in services_after
    }
    figures["load_avg_before"] = load_avg_before
    stop_ws.set()
    ws_thread.join(timeout=10)
    sampler.stop.set()
    sampler.join(timeout=5)
    if ingest is not None:
        code = ingest.poll()
        figures["ingest"] = {
            "messages": mails,
            "finished": code is not None,
            "exit_code": code,
            "seconds": round(time.time() - started, 1) if code is None else None,
        }
        if code is None:
            ingest.wait()
            figures["ingest"]["seconds_to_finish"] = round(time.time() - started, 1)
        figures["ingest"]["exit_code"] = ingest.returncode
    figures["locust"] = json.loads(out.read_text()) if out.exists() else {"requests": {}, "errors": [["no output", 1]]}
    figures["websockets"] = ws_out
    figures["connections"] = {
        "max": max(sampler.samples, default=0),
        "median": sorted(sampler.samples)[len(sampler.samples) // 2] if sampler.samples else 0,
        "samples": len(sampler.samples),
    }
    return figures


def process_cpu(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) used so far by each named process and its children (psutil, from locust)."""
    import psutil

    used = {}
    for name, pid in pids.items():
        try:
            root = psutil.Process(pid)
            total = sum(sum(p.cpu_times()[:2]) for p in [root, *root.children(recursive=True)])
        except psutil.Error:
            total = 0.0
        used[name] = total
    return used


def service_cpu() -> dict[str, float]:
    """CPU seconds used so far by the machine's PostgreSQL and Redis servers (every process of theirs now
    running: PostgreSQL's backends of a pool live as long as the run)."""
    import psutil

    used = {"PostgreSQL": 0.0, "Redis": 0.0}
    for process in psutil.process_iter(["name", "cpu_times"]):
        name = process.info["name"] or ""
        times = process.info["cpu_times"]
        group = "PostgreSQL" if name.startswith("postgres") else "Redis" if name.startswith("redis") else None
        if group and times is not None:
            used[group] += times.user + times.system
    return used


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores: /proc/stat's first line, idle and iowait left out)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _children_cpu() -> float:
    usage = os.times()
    return usage.children_user + usage.children_system


# --- the report --------------------------------------------------------------------------------------------------


def verdict(figures: dict, pool_limit: int) -> list[str]:
    """What does not hold of the claim (empty: it holds)."""
    requests = figures["locust"]["requests"]
    public, agent = requests.get("public (all)", {}), requests.get("agent (all)", {})
    misses = []
    if public.get("per_second", 0) < TARGET_RPS:
        misses.append(f"public {public.get('per_second', 0)} req/s < {TARGET_RPS}")
    if public.get("p95_ms", 1e9) >= TARGET_P95_MS:
        misses.append(f"public p95 {public.get('p95_ms')} ms ≥ {TARGET_P95_MS}")
    if public.get("failures", 1):
        misses.append(f"{public.get('failures')} public errors")
    if agent.get("p95_ms", 1e9) >= TARGET_P95_MS:
        misses.append(f"agents' p95 {agent.get('p95_ms')} ms ≥ {TARGET_P95_MS}")
    if agent.get("failures", 1):
        misses.append(f"{agent.get('failures')} agent errors")
    if figures["connections"]["max"] >= pool_limit:
        misses.append(f"{figures['connections']['max']} connections ≥ the pools' limit {pool_limit}")
    return misses


def machine() -> list[str]:
    import psycopg

    lines = [f"- Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"]
    try:
        with open("/proc/meminfo") as meminfo:
            total = int(meminfo.readline().split()[1]) / 1024 / 1024
        lines[0] += f", {total:.1f} GiB RAM"
    except OSError:
        pass
    with contextlib.suppress(Exception), psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
        version = conn.execute("SHOW server_version").fetchone()[0]
        limit = conn.execute("SHOW max_connections").fetchone()[0]
        lines.append(f"- Database: PostgreSQL {version} on 127.0.0.1 (max_connections {limit}), Redis on 127.0.0.1")
    return lines


def report(figures: dict, *, pool_limit: int, web: int, command: str) -> str:
    requests = figures["locust"]["requests"]
    out = [
        f"- Command: `{command}`",
        *machine(),
        f"- Servers: {web} daphne process(es) as deploy/helpdesk-web@.service, 1 Celery worker (--concurrency 4), "
        "1 beat; DEBUG=false, HTTPS=false, "
        + (
            "the shipped deploy/nginx.conf's proxy block and edge cache in front (plain HTTP, one nginx worker), "
            if figures.get("edge") is not None
            else "no nginx (locust spreads users over the daphne ports), "
        )
        + "DB pool 10 per process, Redis cache/channel layer/broker, mail to files",
        f"- Load: {figures['public_users']} units at 1 request/s each + {figures['agents']} agents (every 2–6 s), "
        f"{figures['duration']} s; load average before: {', '.join(f'{x:.2f}' for x in figures['load_avg_before'])}"
        f"; locust's own CPU: {figures['locust_cpu_seconds']} s",
        "",
        "| request | requests | errors | median ms | p95 ms | p99 ms | req/s |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, row in requests.items():
        label = f"**{name}**" if name.endswith("(all)") else name
        out.append(
            f"| {label} | {row['requests']} | {row['failures']} | {row['median_ms']} | {row['p95_ms']} | "
            f"{row['p99_ms']} | {row['per_second']} |"
        )
    connections = figures["connections"]
    ws = figures["websockets"]
    out += [
        "",
        f"- PostgreSQL connections to the database: max {connections['max']}, median {connections['median']} "
        f"({connections['samples']} samples); the pools' limit for these processes: {pool_limit}",
        f"- Websockets: {len(figures.get('sessions', [])) or figures['agents']} held open: {ws.get('opened', 0)} "
        f"connections opened (reconnections included), failures: {ws.get('failures') or 'none'}, "
        f"handshakes and ends: {ws.get('handshakes') or 'none'}, "
        f"{ws.get('messages', 0)} messages (frames) received carrying {ws.get('events', 0)} events",
    ]
    web_cpu = sum(v for k, v in figures.get("server_cpu_seconds", {}).items() if k.startswith("web"))
    answered = sum(row["requests"] for name, row in requests.items() if name.endswith("(all)"))
    if web_cpu and answered:
        per_request = 1000 * web_cpu / answered
        out.append(
            f"- CPU used during the run: web processes {web_cpu:.1f} s ("
            + ", ".join(f"{k} {v}" for k, v in sorted(figures["server_cpu_seconds"].items()) if k.startswith("web"))
            + f") for {answered} requests = {per_request:.1f} ms "
            f"per request (at most about {2000 / per_request:.0f} req/s on two idle cores for the web processes "
            f"alone); worker {figures['server_cpu_seconds'].get('worker', 0)} s, beat "
            f"{figures['server_cpu_seconds'].get('beat', 0)} s"
        )
    if figures.get("machine_cpu_seconds"):
        known = {
            "web": web_cpu,
            **{k: v for k, v in figures.get("server_cpu_seconds", {}).items() if not k.startswith("web")},
            **figures.get("service_cpu_seconds", {}),
            "locust": figures["locust_cpu_seconds"],
        }
        rest = figures["machine_cpu_seconds"] - sum(known.values())
        out.append(
            f"- The machine's CPU during the load: {figures['machine_cpu_seconds']} s busy of "
            f"{(os.cpu_count() or 1) * figures['locust'].get('seconds', figures['duration']):.0f} s on "
            f"{os.cpu_count()} cores: "
            + ", ".join(f"{k} {v:.1f}" for k, v in sorted(known.items(), key=lambda kv: -kv[1]) if v)
            + f", the rest (the e-mail ingestion, the websocket holder, the system) {rest:.1f}"
        )
    if figures.get("edge"):
        parts = []
        for segment, statuses in sorted(figures["edge"].items(), key=lambda item: -sum(item[1].values())):
            total = sum(statuses.values())
            hits = sum(statuses.get(status, 0) for status in ("HIT", "STALE", "UPDATING"))
            parts.append(f"`{segment}` {total} ({100 * hits / total:.0f} % from the edge)")
        out.append(
            "- Answered by nginx from its edge cache (HIT, or STALE/UPDATING while it fetched a new copy) of all "
            "answers per path: "
            + ", ".join(parts[:10])
            + f"; nginx CPU {figures['server_cpu_seconds'].get('nginx', 0)} s"
        )
    if figures.get("timeline"):
        out.append(
            "- Through the run, every answer as nginx timed it (s from the start: answers, median / p95 ms, errors): "
            + "; ".join(
                f"{s}: {n}, {med:.0f} / {p95:.0f}" + (f", {bad}" if bad else "")
                for s, n, med, p95, bad in figures["timeline"]
            )
        )
    if "ingest" in figures:
        ingest = figures["ingest"]
        done = (
            f"finished within the run (exit {ingest['exit_code']})"
            if ingest["finished"]
            else f"finished {ingest.get('seconds_to_finish')} s after it started (exit {ingest['exit_code']})"
        )
        out.append(f"- E-mail backlog: {ingest['messages']} messages through `manage.py ingest_mail`, {done}")
    if figures["locust"].get("errors"):
        out.append("- Errors: " + "; ".join(f"{text} ×{count}" for text, count in figures["locust"]["errors"]))
    misses = verdict(figures, pool_limit)
    out += ["", "Claim holds." if not misses else "Claim does NOT hold: " + "; ".join(misses) + "."]
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=120, help="seconds of load")
    parser.add_argument("--public-users", type=int, default=320, help="units, one request per second each")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--web", type=int, default=2, help="daphne processes")
    parser.add_argument("--units", type=int, default=5000, help="generated units (three reports each)")
    parser.add_argument("--articles", type=int, default=300, help="generated published articles")
    parser.add_argument("--mails", type=int, default=2000, help="e-mail backlog ingested during the run")
    parser.add_argument("--base-url", action="append", help="run against servers already running (repeatable)")
    parser.add_argument("--profile", action="store_true", help="py-spy the first web process; print its top functions")
    parser.add_argument("--no-nginx", action="store_true", help="clients straight to daphne, without the shipped nginx")
    args = parser.parse_args()
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    if not database_url.startswith("postgres") or not any(
        w in database_url.rsplit("/", 1)[-1] for w in ("load", "bench")
    ):
        print(
            "DATABASE_URL must name a PostgreSQL database of the test's own (its name containing load or bench).",
            file=sys.stderr,
        )
        return 2
    if not redis_url:
        print("REDIS_URL must be set (a Redis database of the test's own: it is flushed).", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="load_"))
    env = production_env(database_url, redis_url, Path(os.environ.get("LOAD_VAR_DIR", work / "var")))
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    data = prepare(env, units=args.units, articles=args.articles, agents=args.agents, work=work)
    command = "bench/load_test.py " + " ".join(sys.argv[1:])
    if args.base_url:
        figures = run_load(
            args.base_url,
            args.duration,
            data_path=data,
            env=env,
            public_users=args.public_users,
            agents=args.agents,
            mails=args.mails,
            work=work,
        )
        limit = int(env.get("DB_POOL_MAX_SIZE", "10")) * (len(args.base_url) + 7)
    else:
        with Stack(env, web=args.web, work=work, front=not args.no_nginx) as stack:
            figures = run_load(
                stack.bases,
                args.duration,
                data_path=data,
                env=env,
                public_users=args.public_users,
                agents=args.agents,
                mails=args.mails,
                work=work,
                pids={name: proc.pid for name, proc in stack.procs.items()},
                profile=args.profile,
            )
            limit = stack.pool_limit()
            if "nginx" in stack.procs:
                from load.front import edge_counts, timeline

                figures["edge"] = edge_counts(work)
                figures["timeline"] = timeline(work)
    print(report(figures, pool_limit=limit, web=len(args.base_url or []) or args.web, command=command))
    if figures.get("profile"):
        from load.spy_top import table

        print("\nWhere web0's CPU went (py-spy, 200 samples/s):\n\n" + table(Path(figures["profile"])))
    print(f"\n(logs and data in {work})")
    return 0 if not verdict(figures, limit) else 1


if __name__ == "__main__":
    sys.exit(main())
