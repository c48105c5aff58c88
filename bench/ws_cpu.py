"""Benchmark: CPU of the daphne process per live message delivered to a websocket (issue 16).

What it answers: how much of a web process's CPU a live push costs, per message a socket receives. Under load the
same daphne processes serve the HTTP requests, so every millisecond spent on a push is taken from them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_livepush REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/ws_cpu.py [--agents 40] [--admins 8] [--pages 4] [--outsiders 4] \\
        [--events 100] [--runs 3]

Set-up, with real servers on this machine:
- one `daphne` process serving helpdesk.asgi (channels-redis on REDIS_URL, DEBUG=false): the process measured;
- a client process (asyncio + `websockets`) holding authenticated sockets: `--agents` central agents on
  /ws/tickets/ (they see everything), `--admins` regional administrators of voivodeship 14 on /ws/tickets/,
  `--pages` of those administrators with a ticket page open (/ws/tickets/<ref>/), `--outsiders` regional
  administrators of voivodeship 24 on /ws/tickets/ (they must receive nothing);
- this process changes the status of four tickets in turn through tickets.actions.change_status (the write
  path: row, event log, outbox row), two in the queue of voivodeship 14 and two in the central queue about a
  unit of voivodeship 14, so an administrator of 14 reads them by the queue or by the unit only. The outbox is
  delivered in this process (Celery eager), so the worker's CPU is not in the daphne figure.

Per run: utime + stime of the daphne process (/proc/PID/stat) from before the first change until every message
has arrived, divided by the messages the sockets received. The idle CPU of daphne over as long a quiet window is
measured too and reported (not subtracted). Reported: each run and the median. The Redis database is flushed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # daphne of the same virtualenv
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
    "DEBUG": "false",
    "HTTPS": "false",
    "SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "LOG_LEVEL": "WARNING",
}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid: int) -> float:
    """utime + stime of process `pid` so far, in milliseconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / TICKS


# --- the client process --------------------------------------------------------------------------------


async def run_clients(port: int, sockets_wanted: list[tuple[str, str, str]]) -> None:
    """Open every (label, session id, path); print READY; answer COUNT with the messages received by label."""
    import websockets

    counts: dict[str, int] = {}
    tasks = []

    async def listen(label: str, ws) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for _message in ws:
                counts[label] = counts.get(label, 0) + 1

    for label, session, path in sockets_wanted:
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}{path}",
            origin=f"http://127.0.0.1:{port}",
            additional_headers={"Cookie": f"sessionid={session}"},
            max_queue=None,
        )
        task = asyncio.create_task(listen(label, ws))
        task.ws = ws  # type: ignore[attr-defined]
        tasks.append(task)
    await asyncio.sleep(1.0)  # the presence messages of the pages opening
    print(f"READY {len(tasks)}", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while (line := await reader.readline()) and line.strip() != b"STOP":
        print(json.dumps(counts), flush=True)
    for task in tasks:
        await task.ws.close()
        task.cancel()


# --- data ------------------------------------------------------------------------------------------------


def prepare(args) -> tuple[list[tuple[str, str, str]], list, object]:
    """Staff accounts with real sessions (the test client's force_login) and the four tickets changed."""
    from django.core.management import call_command
    from django.test import Client

    from contacts.models import ReportingUnit
    from helpdesk.models import Role, User
    from tickets import actions
    from tickets.models import Channel, Queue, Ticket

    call_command("migrate", verbosity=0)
    unit, _ = ReportingUnit.objects.get_or_create(
        regon="991400001", defaults={"name": "Pomiar: jednostka mazowiecka", "voivodeship_id": "14"}
    )
    tickets = []
    for slug, with_unit in (("woj-14", False), ("woj-14", False), ("centralna", True), ("centralna", True)):
        subject = f"Pomiar CPU websocketów {len(tickets) + 1}"
        found = Ticket.objects.filter(subject=subject).first()
        if found is None:
            found = actions.open_tickets(
                [
                    actions.NewTicket(
                        channel=Channel.EMAIL,
                        subject=subject,
                        message=actions.Message(text="Zgłoszenie do pomiaru powiadomień na żywo."),
                        requester=actions.Requester(email="pomiar@example.pl"),
                        routing=actions.Routing(queue=Queue.objects.get(slug=slug)),
                    )
                ],
                actor=None,
            )[0]
            if with_unit:  # bench data: the unit set straight on the row, the queue stays central
                Ticket.objects.filter(pk=found.pk).update(reporting_unit=unit)
        tickets.append(found)

    def session(username: str, role: str, codes: tuple[str, ...]) -> str:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=None, role=role)
            user.voivodeships.set(codes)
        client = Client()
        client.force_login(user)
        return client.cookies["sessionid"].value

    wanted = [("agent", session(f"cpu-agent-{n:03d}", Role.AGENT, ()), "/ws/tickets/") for n in range(args.agents)]
    wanted += [
        ("admin14", session(f"cpu-admin14-{n:03d}", Role.REGIONAL_ADMIN, ("14",)), "/ws/tickets/")
        for n in range(args.admins)
    ]
    wanted += [
        (
            "page14",
            session(f"cpu-page14-{n:03d}", Role.REGIONAL_ADMIN, ("14",)),
            f"/ws/tickets/{tickets[n % len(tickets)].reference}/",
        )
        for n in range(args.pages)
    ]
    wanted += [
        ("outsider", session(f"cpu-admin24-{n:03d}", Role.REGIONAL_ADMIN, ("24",)), "/ws/tickets/")
        for n in range(args.outsiders)
    ]
    actor = User.objects.get(username="cpu-agent-000") if args.agents else None
    return wanted, tickets, actor


def trigger(tickets, actor, events: int, interval: float) -> None:
    """`events` status changes through tickets.actions, the four tickets in turn."""
    from tickets import actions
    from tickets.models import Status

    for n in range(events):
        ticket = tickets[n % len(tickets)]
        ticket.refresh_from_db()
        status = Status.WAITING_CUSTOMER if ticket.status != Status.WAITING_CUSTOMER else Status.OPEN
        actions.change_status(actor=actor, ticket=ticket, status=status)
        time.sleep(interval)


# --- main --------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=40, help="central agents on /ws/tickets/")
    parser.add_argument("--admins", type=int, default=8, help="regional admins of 14 on /ws/tickets/")
    parser.add_argument("--pages", type=int, default=4, help="regional admins of 14 on a ticket's page")
    parser.add_argument("--outsiders", type=int, default=4, help="regional admins of 24: must receive nothing")
    parser.add_argument("--events", type=int, default=100, help="ticket changes per run")
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between two changes")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", metavar="FILE", help="py-spy record the daphne process (--format raw) to FILE")
    parser.add_argument("--client-process", metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.client_process:
        asyncio.run(run_clients(int(args.client_process), [tuple(s) for s in json.loads(sys.stdin.readline())]))
        return 0

    url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    name = url.rsplit("/", 1)[-1]
    if not url.startswith(("postgres://", "postgresql://")) or not ("bench" in name or name.startswith("wt_")):
        print("DATABASE_URL must name a PostgreSQL database of benchmarks ('bench' or 'wt_' in its name).")
        return 2
    if not redis_url:
        print("REDIS_URL must be set (a Redis database of the benchmark's own; it is flushed).", file=sys.stderr)
        return 2
    for key, value in BENCH_ENV.items():
        os.environ.setdefault(key, value)
    env = dict(os.environ)

    import ticket_list as base  # the database creation helper of the list benchmark
    import ws_fanout

    base.ensure_database(url)
    import django

    django.setup()
    import redis

    from helpdesk.tasks import dispatch_outbox

    dispatch_outbox.app.conf.task_always_eager = True  # the outbox delivered here, not by a worker
    redis.Redis.from_url(redis_url).flushdb()
    wanted, tickets, actor = prepare(args)

    port = ws_fanout.free_port()
    procs: list[subprocess.Popen] = []
    work = Path(f"/tmp/ws_cpu_{os.getpid()}")
    work.mkdir(exist_ok=True)
    logs = contextlib.ExitStack()
    rows = []
    try:
        daphne = subprocess.Popen(
            [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "helpdesk.asgi:application"],
            env=env,
            cwd=ROOT,
            stdout=logs.enter_context((work / "daphne.log").open("w")),
            stderr=subprocess.STDOUT,
        )
        procs.append(daphne)
        ws_fanout.wait_for_port(port)
        client = subprocess.Popen(
            [sys.executable, __file__, "--client-process", str(port)],
            env=env,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(client)
        client.stdin.write(json.dumps(wanted) + "\n")
        client.stdin.flush()
        ready = client.stdout.readline().strip()
        if not ready.startswith("READY"):
            raise RuntimeError(f"client process: {ready!r}")

        def counts() -> dict[str, int]:
            client.stdin.write("COUNT\n")
            client.stdin.flush()
            return json.loads(client.stdout.readline())

        trigger(tickets, actor, 8, 0.05)  # warm-up: imports and caches of the first events
        time.sleep(1.0)
        if args.profile:
            procs.append(
                subprocess.Popen(
                    [str(BIN / "py-spy"), "record", "--format", "raw", "-o", args.profile, "-p", str(daphne.pid)],
                    stdout=logs.enter_context((work / "py-spy.log").open("w")),
                    stderr=subprocess.STDOUT,
                )
            )
            time.sleep(1.0)
        load_before = os.getloadavg()
        for run in range(args.runs):
            before_counts = counts()
            idle_start, idle_at = cpu_ms(daphne.pid), time.monotonic()
            time.sleep(args.events * args.interval)
            idle = (cpu_ms(daphne.pid) - idle_start) / (time.monotonic() - idle_at)
            start = cpu_ms(daphne.pid)
            trigger(tickets, actor, args.events, args.interval)
            previous, settled = None, time.monotonic() + 30
            while time.monotonic() < settled:  # until no more messages arrive
                time.sleep(0.5)
                now_counts = counts()
                if now_counts == previous:
                    break
                previous = now_counts
            used = cpu_ms(daphne.pid) - start
            got = {k: previous.get(k, 0) - before_counts.get(k, 0) for k in previous}
            delivered = sum(got.values())
            rows.append((run + 1, used, delivered, idle, got))
        load = os.getloadavg()
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT if proc.args[0].endswith("py-spy") else signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
        logs.close()

    by_label = {label: sum(1 for w in wanted if w[0] == label) for label in ("agent", "admin14", "page14", "outsider")}
    print(f"## Websocket CPU per delivered message: {len(wanted)} sockets, {args.events} ticket changes per run\n")
    print(f"- Machine: {platform.platform()}, {os.cpu_count()} CPUs; Python {platform.python_version()}")
    print("- Servers: 1 daphne process (DEBUG=false, channels-redis), PostgreSQL, Redis; outbox delivered by the")
    print("  bench process (Celery eager), clients in another process; all on this machine")
    print(f"- Sockets: {by_label['agent']} agents, {by_label['admin14']} admins of 14 on the list,")
    print(f"  {by_label['page14']} admins of 14 on a ticket page, {by_label['outsider']} admins of 24 (must get none)")
    print(f"- Changes: {args.events} per run, one every {args.interval:g} s, 2 tickets in the queue of 14, 2 central")
    print("  tickets about a unit of 14")
    print(f"- Load average before / after (1 min): {load_before[0]:.2f} / {load[0]:.2f} (5 min {load[1]:.2f})\n")
    print("| Run | daphne CPU ms | Messages delivered | CPU ms per message | daphne idle CPU ms/s | By socket kind |")
    print("|--:|--:|--:|--:|--:|---|")
    for run, used, delivered, idle, got in rows:
        per = used / delivered if delivered else float("nan")
        print(f"| {run} | {used:.0f} | {delivered:,} | {per:.3f} | {idle:.1f} | {json.dumps(got)} |")
    median = statistics.median(used / delivered for _r, used, delivered, _i, _g in rows if delivered)
    print(f"\nMedian CPU ms of daphne per delivered message: {median:.3f}")
    leaked = sum(got.get("outsider", 0) for *_x, got in rows)
    if leaked:
        print(f"FAILED: {leaked} messages reached a regional admin of another voivodeship")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
