"""Benchmark: a ticket event reaches 200 connected websocket clients (issue 7).

Claim checked: "a ticket event reaches 200 connected websocket clients in under 200 ms (p95)".

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt3_ws_bench REDIS_URL=redis://127.0.0.1:6379/3 \\
        .venv/bin/python bench/ws_fanout.py [--clients 200] [--events 50] [--interval 0.2]

The production path, end to end, with real servers on this machine:
- one `daphne` process serving helpdesk.asgi (channels-redis on REDIS_URL), DEBUG=false;
- one Celery worker (`celery -A helpdesk worker`, broker REDIS_URL) delivering the outbox;
- a client process (asyncio + `websockets`) holding `--clients` authenticated connections to /ws/tickets/ with
  the session cookies of staff accounts: 85 % central agents (group tickets.all), 15 % regional administrators
  of voivodeship 14 (group tickets.v14), plus `--outsiders` administrators of voivodeship 24, who must receive
  nothing (the scoping check);
- this process changes tickets of the woj-14 queue through tickets.actions.change_status (the only write path:
  row, event log and outbox row in one transaction; after commit the outbox hands the push to Celery, the
  worker sends it to the channel layer, daphne to the sockets).

Latency of one delivery = receipt time in the client process − the moment the action's transaction committed
(an on_commit callback registered before the action's own, so it runs first). Both are `time.time()` on the
same machine. Reported: median and p95 of every delivery, and of the time until the last of the clients had
an event ("reaches all"). The database name must contain "bench"; the Redis database is flushed first.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
    "DEBUG": "false",
    "HTTPS": "false",
    "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "LOG_LEVEL": "WARNING",
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


# --- the client process --------------------------------------------------------------------------------


async def run_clients(port: int, cookies: list[tuple[str, str]], out_path: str) -> None:
    """Connect every (label, session id), print READY, record every message until STOP on stdin."""
    import websockets

    received: list[tuple[float, int, str, dict]] = []
    sockets = []

    async def listen(index: int, label: str, ws) -> None:
        try:
            async for message in ws:
                received.append((time.time(), index, label, json.loads(message)))
        except websockets.ConnectionClosed:
            pass

    for index, (label, session) in enumerate(cookies):
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/ws/tickets/",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": f"sessionid={session}"},
            max_queue=None,
        )
        sockets.append(asyncio.create_task(listen(index, label, ws)))
        sockets[-1].ws = ws
    print(f"READY {len(sockets)}", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while (line := await reader.readline()) and line.strip() != b"STOP":
        pass
    await asyncio.sleep(0.5)
    for task in sockets:
        await task.ws.close()
        task.cancel()
    Path(out_path).write_text(json.dumps(received))


# --- servers ---------------------------------------------------------------------------------------------


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


def wait_for_worker(env: dict, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = subprocess.run(
            [str(ROOT / ".venv/bin/celery"), "-A", "helpdesk", "inspect", "ping", "--timeout", "2"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if "pong" in result.stdout:
            return
        time.sleep(0.5)
    raise RuntimeError("the Celery worker did not answer")


# --- data ------------------------------------------------------------------------------------------------


def prepare(clients: int, outsiders: int, events: int):
    """Staff accounts with sessions (via the test client's force_login: a real session row) and tickets."""
    from django.core.management import call_command
    from django.test import Client

    from helpdesk.models import Role, User
    from tickets import actions
    from tickets.models import Channel, Queue, Ticket

    call_command("migrate", verbosity=0)
    admins_14 = max(1, round(clients * 0.15))
    wanted = [(f"ws-agent-{n:03d}", Role.AGENT, ()) for n in range(clients - admins_14)]
    wanted += [(f"ws-admin14-{n:03d}", Role.REGIONAL_ADMIN, ("14",)) for n in range(admins_14)]
    wanted += [(f"ws-admin24-{n:03d}", Role.REGIONAL_ADMIN, ("24",)) for n in range(outsiders)]
    cookies = []
    for username, role, codes in wanted:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=None, role=role)
            user.voivodeships.set(codes)
        client = Client()
        client.force_login(user)
        label = "outsider" if "admin24" in username else ("admin14" if "admin14" in username else "agent")
        cookies.append((label, client.cookies["sessionid"].value))
    queue = Queue.objects.get(slug="woj-14")
    tickets = list(Ticket.objects.filter(queue=queue, subject__startswith="Benchmark websocket").order_by("pk"))
    while len(tickets) < events:
        tickets.append(
            actions.open_tickets(
                [
                    actions.NewTicket(
                        channel=Channel.EMAIL,
                        subject=f"Benchmark websocket {len(tickets) + 1}",
                        message=actions.Message(text="Zgłoszenie do pomiaru powiadomień na żywo."),
                        requester=actions.Requester(email="pomiar@example.pl"),
                        routing=actions.Routing(queue=queue),
                    )
                ],
                actor=None,
            )[0]
        )
    actor = User.objects.get(username="ws-agent-000")
    return cookies, tickets[:events], actor


def trigger(tickets, actor, interval: float) -> dict[str, float]:
    """Change each ticket's status through tickets.actions; returns reference → commit time."""
    from django.db import transaction

    from tickets import actions
    from tickets.models import Status

    committed: dict[str, float] = {}
    for ticket in tickets:
        ticket.refresh_from_db()
        status = Status.WAITING_CUSTOMER if ticket.status != Status.WAITING_CUSTOMER else Status.OPEN
        with transaction.atomic():
            transaction.on_commit(lambda ref=ticket.reference: committed.__setitem__(ref, time.time()))
            actions.change_status(actor=actor, ticket=ticket, status=status)
        time.sleep(interval)
    return committed


# --- main --------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=200, help="connections that must receive every event")
    parser.add_argument("--outsiders", type=int, default=10, help="regional admins of 24 that must receive none")
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.2, help="seconds between two ticket changes")
    parser.add_argument("--budget-ms", type=float, default=200.0)
    parser.add_argument("--client-process", nargs=2, metavar=("PORT", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.client_process:
        cookies = json.loads(sys.stdin.readline())
        asyncio.run(run_clients(int(args.client_process[0]), cookies, args.client_process[1]))
        return 0

    url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or "bench" not in url.rsplit("/", 1)[-1]:
        print("DATABASE_URL must name a PostgreSQL database whose name contains 'bench'.", file=sys.stderr)
        return 2
    if not redis_url:
        print("REDIS_URL must be set (a Redis database of the benchmark's own; it is flushed).", file=sys.stderr)
        return 2
    for key, value in BENCH_ENV.items():
        os.environ.setdefault(key, value)
    env = dict(os.environ)

    import ticket_list as base  # the database creation helper of the list benchmark

    base.ensure_database(url)
    import django

    django.setup()
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    cookies, tickets, actor = prepare(args.clients, args.outsiders, args.events)

    port = free_port()
    procs = []
    work = Path(f"/tmp/ws_fanout_{os.getpid()}")
    work.mkdir(exist_ok=True)
    logs = contextlib.ExitStack()
    try:
        procs.append(
            subprocess.Popen(
                [str(ROOT / ".venv/bin/celery"), "-A", "helpdesk", "worker", "-l", "warning", "--concurrency", "2"],
                env=env,
                cwd=ROOT,
                stdout=logs.enter_context((work / "celery.log").open("w")),
                stderr=subprocess.STDOUT,
            )
        )
        procs.append(
            subprocess.Popen(
                [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"],
                env=env,
                cwd=ROOT,
                stdout=logs.enter_context((work / "daphne.log").open("w")),
                stderr=subprocess.STDOUT,
            )
        )
        wait_for_port(port)
        wait_for_worker(env)
        out_file = work / "received.json"
        client = subprocess.Popen(
            [sys.executable, __file__, "--client-process", str(port), str(out_file)],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(client)
        client.stdin.write(json.dumps(cookies) + "\n")
        client.stdin.flush()
        ready = client.stdout.readline().strip()
        if not ready.startswith("READY"):
            raise RuntimeError(f"client process: {ready!r}")
        time.sleep(1.0)
        load_before = os.getloadavg()
        trigger_started = time.time()
        committed = trigger(tickets, actor, args.interval)
        time.sleep(2.0)
        client.stdin.write("STOP\n")
        client.stdin.flush()
        client.wait(timeout=60)
        received = json.loads(out_file.read_text())
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        logs.close()

    receiving = [i for i, (label, _s) in enumerate(cookies) if label != "outsider"]
    outsiders = {i for i, (label, _s) in enumerate(cookies) if label == "outsider"}
    latencies: list[float] = []
    reach_all: list[float] = []
    missing = 0
    by_event: dict[str, dict[int, float]] = {ref: {} for ref in committed}
    outsider_messages = 0
    for at, index, _label, event in received:
        if index in outsiders:
            outsider_messages += 1
            continue
        ref = event.get("reference")
        if event.get("change") == "status_changed" and ref in by_event and index not in by_event[ref]:
            by_event[ref][index] = (at - committed[ref]) * 1000
    for _ref, deliveries in by_event.items():
        latencies.extend(deliveries.values())
        missing += len(receiving) - len(deliveries)
        if len(deliveries) == len(receiving):
            reach_all.append(max(deliveries.values()))

    # where the time goes: the worker's delivery to the channel layer is stamped on the outbox row (sent_at)
    from datetime import UTC, datetime

    from helpdesk.models import OutboxMessage

    handed: list[float] = []
    pushes = OutboxMessage.objects.filter(
        kind=OutboxMessage.Kind.PUSH, created_at__gte=datetime.fromtimestamp(trigger_started - 1, UTC)
    )
    for payload, sent_at in pushes.values_list("payload", "sent_at"):
        ref = payload.get("event", {}).get("reference")
        if payload.get("event", {}).get("change") == "status_changed" and ref in committed and sent_at:
            handed.append((sent_at.timestamp() - committed[ref]) * 1000)

    load = os.getloadavg()
    print(f"## Websocket fan-out: {len(receiving)} clients, {len(committed)} ticket events\n")
    print(f"- Machine: {platform.platform()}, {os.cpu_count()} CPUs; Python {platform.python_version()}")
    print("- Servers: 1 daphne process (DEBUG=false), 1 Celery worker (2 processes), Redis channel layer and broker,")
    print("  PostgreSQL; all on this machine, as the client process")
    print(f"- Clients: {len(receiving)} receiving ({sum(1 for c in cookies if c[0] == 'agent')} agents,")
    print(f"  {sum(1 for c in cookies if c[0] == 'admin14')} regional admins of 14) + {len(outsiders)} admins of 24")
    print(f"- Events: {len(committed)} status changes through tickets.actions, one every {args.interval:g} s")
    print(f"- Load average before / after (1 min): {load_before[0]:.2f} / {load[0]:.2f} (5 min {load[1]:.2f})\n")
    print("| Measure | Samples | Median ms | p95 ms | Max ms |")
    print("|---|--:|--:|--:|--:|")
    for name, values in (
        ("commit → worker has sent it to the channel layer", handed),
        ("commit → one client", latencies),
        ("commit → all clients", reach_all),
    ):
        if values:
            print(
                f"| {name} | {len(values):,} | {statistics.median(values):.1f} | {p95(values):.1f} | "
                f"{max(values):.1f} |"
            )
    print()
    print(f"- Deliveries missing: {missing}; messages received by admins of 24: {outsider_messages}")
    failures = []
    if missing:
        failures.append(f"{missing} deliveries missing")
    if outsider_messages:
        failures.append(f"{outsider_messages} events reached a regional admin of another voivodeship")
    if not reach_all or p95(reach_all) >= args.budget_ms:
        failures.append(f"p95 until all clients had the event: {p95(reach_all) if reach_all else 'n/a'} ms")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print(f"OK: p95 until all {len(receiving)} clients had the event under {args.budget_ms:g} ms, none missing.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
