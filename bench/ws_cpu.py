"""Benchmark: CPU of the daphne process per live event and per frame delivered to a websocket (issue 16), and
of the outbox worker per push row.

What it answers: how much of a web process's CPU a live push costs, per event a socket receives and per frame
(a frame carries one event, or a batch of them: tickets.consumers `ticket_events`). Under load the same daphne
processes serve the HTTP requests, so every millisecond spent on a push is taken from them.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_livepush REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/ws_cpu.py [--agents 40] [--admins 8] [--pages 4] [--outsiders 4] \\
        [--events 200] [--batch 25] [--interval 0.3] [--runs 3]

Set-up, with real servers on this machine:
- one `daphne` process serving helpdesk.asgi (channels-redis on REDIS_URL, DEBUG=false): the process measured;
- a client process (asyncio + `websockets`) holding authenticated sockets: `--agents` central agents on
  /ws/tickets/ (they see everything), `--admins` regional administrators of voivodeship 14 on /ws/tickets/,
  `--pages` of those administrators with a ticket page open (/ws/tickets/<ref>/), `--outsiders` regional
  administrators of voivodeship 24 on /ws/tickets/ (they must receive nothing);
- this process makes the pushes as the e-mail ingestion does: `--events` new tickets per run, opened
  `--batch` at a time by one tickets.actions.open_tickets call (one outbox task per batch), every `--interval`
  s; in turn in the queue of voivodeship 14, in the central queue about a unit of 14 (an administrator of 14
  reads it by the unit only) and in the queue of voivodeship 12 (only the agents see it). `--batch 0`: the
  old load instead, the status of four tickets changed one at a time (two in the queue of 14, two central about
  a unit of 14). The outbox is delivered in this process (Celery eager), so the worker's CPU is not in the
  daphne figure; it is measured apart: process CPU (time.process_time) inside the outbox's dispatch, per push row.

Per run: utime + stime of the daphne process (/proc/PID/stat) from before the first change until every frame
has arrived, divided by the events and by the frames the sockets received. The idle CPU of daphne over as long a
quiet window is measured too and reported (not subtracted). Reported: each run and the medians. The Redis
database is flushed. Runs against whichever code is at the root of the checkout it sits in (main: one frame per
event; the batch-first branch: one frame per batch).
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

    counts: dict[str, int] = {}  # frames by label; events under "<label>:events"
    tasks = []

    async def listen(label: str, ws) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for message in ws:
                data = json.loads(message)
                events = len(data["events"]) if isinstance(data.get("events"), list) else 1
                counts[label] = counts.get(label, 0) + 1
                counts[f"{label}:events"] = counts.get(f"{label}:events", 0) + events

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


PLACES = ("woj-14", "centralna", "woj-12")  # the queue; the central one about a unit of 14
_opened = [0]


def open_batches(events: int, batch: int, interval: float) -> None:
    """`events` new tickets, `batch` per open_tickets call (as the e-mail ingestion opens them), the places in
    turn."""
    from contacts.models import ReportingUnit
    from tickets import actions
    from tickets.models import Channel, Queue

    queues = {slug: Queue.objects.get(slug=slug) for slug in PLACES}
    unit = ReportingUnit.objects.get(regon="991400001")
    for start in range(0, events, batch):
        new = []
        for _n in range(min(batch, events - start)):
            _opened[0] += 1
            slug = PLACES[_opened[0] % len(PLACES)]
            new.append(
                actions.NewTicket(
                    channel=Channel.EMAIL,
                    subject=f"Pomiar partii {_opened[0]}",
                    message=actions.Message(text="Zgłoszenie do pomiaru powiadomień na żywo w partiach."),
                    requester=actions.Requester(email="pomiar@example.pl", unit=unit if slug == "centralna" else None),
                    routing=actions.Routing(queue=queues[slug]),
                )
            )
        actions.open_tickets(new, actor=None)
        time.sleep(interval)


class WorkerCPU:
    """Process CPU spent inside the outbox's dispatch in this process (the eager Celery worker): the batch
    entry point where there is one (outbox.dispatch_many), else the one-row one (outbox.dispatch)."""

    def __init__(self) -> None:
        from helpdesk import outbox

        self.seconds = 0.0
        name = "dispatch_many" if hasattr(outbox, "dispatch_many") else "dispatch"
        real = getattr(outbox, name)

        def timed(*args, **kwargs):
            start = time.process_time()
            try:
                return real(*args, **kwargs)
            finally:
                self.seconds += time.process_time() - start

        setattr(outbox, name, timed)
        self.entry = f"outbox.{name}"


def outbox_rows(after: int) -> tuple[int, int]:
    """Push and e-mail rows written after row `after`."""
    from helpdesk.models import OutboxMessage

    rows = OutboxMessage.objects.filter(pk__gt=after)
    return rows.filter(kind="push").count(), rows.filter(kind="email").count()


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
    parser.add_argument("--events", type=int, default=200, help="tickets opened (or changes) per run")
    parser.add_argument("--batch", type=int, default=25, help="tickets per open_tickets call; 0: status changes")
    parser.add_argument("--interval", type=float, default=0.3, help="seconds between two batches (changes)")
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
    from helpdesk import outbox

    def load(events: int) -> None:
        if args.batch:
            open_batches(events, args.batch, args.interval)
        else:
            trigger(tickets, actor, events, args.interval)

    worker = WorkerCPU()

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

        load(max(8, 2 * args.batch))  # warm-up: imports and caches of the first events
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
            time.sleep(min(10.0, max(2.0, args.events / max(args.batch, 1) * args.interval)))
            idle = (cpu_ms(daphne.pid) - idle_start) / (time.monotonic() - idle_at)
            last_row, worker_before = outbox.latest_id(), worker.seconds
            start = cpu_ms(daphne.pid)
            load(args.events)
            previous, settled = None, time.monotonic() + 30
            while time.monotonic() < settled:  # until no more messages arrive
                time.sleep(0.5)
                now_counts = counts()
                if now_counts == previous:
                    break
                previous = now_counts
            used = cpu_ms(daphne.pid) - start
            got = {k: previous.get(k, 0) - before_counts.get(k, 0) for k in previous}
            frames = sum(v for k, v in got.items() if ":" not in k)
            events = sum(v for k, v in got.items() if k.endswith(":events"))
            pushes, emails = outbox_rows(last_row)
            worker_ms = (worker.seconds - worker_before) * 1000
            rows.append((run + 1, used, events, frames, idle, got, worker_ms, pushes, emails))
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
    print(f"## Websocket CPU per delivered event and frame: {len(wanted)} sockets, {args.events} pushes per run\n")
    print(f"- Code: {ROOT} ({'batch-first outbox' if hasattr(outbox, 'dispatch_many') else 'one push at a time'})")
    print(f"- Machine: {platform.platform()}, {os.cpu_count()} CPUs; Python {platform.python_version()}")
    print("- Servers: 1 daphne process (DEBUG=false, channels-redis), PostgreSQL, Redis; outbox delivered by the")
    print("  bench process (Celery eager), clients in another process; all on this machine")
    print(f"- Sockets: {by_label['agent']} agents, {by_label['admin14']} admins of 14 on the list,")
    print(f"  {by_label['page14']} admins of 14 on a ticket page, {by_label['outsider']} admins of 24 (must get none)")
    if args.batch:
        print(f"- Load: {args.events} new tickets per run, {args.batch} per open_tickets call, a call every")
        print(f"  {args.interval:g} s; in turn in the queue of 14, central about a unit of 14, in the queue of 12")
    else:
        print(f"- Load: {args.events} status changes per run, one every {args.interval:g} s (four tickets in turn)")
    print(f"- Worker CPU: process CPU inside {worker.entry} in the bench process, per push row written")
    print(f"- Load average before / after (1 min): {load_before[0]:.2f} / {load[0]:.2f} (5 min {load[1]:.2f})\n")
    print(
        "| Run | daphne CPU ms | Events delivered | Frames | daphne ms per event | daphne ms per frame "
        "| daphne idle ms/s | Worker ms per push row (rows; e-mails) | Events by socket kind |"
    )
    print("|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for run, used, events, frames, idle, got, worker_ms, pushes, emails in rows:
        per_event = used / events if events else float("nan")
        per_frame = used / frames if frames else float("nan")
        per_row = worker_ms / pushes if pushes else float("nan")
        kinds = {k.split(":")[0]: v for k, v in got.items() if k.endswith(":events")}
        print(
            f"| {run} | {used:.0f} | {events:,} | {frames:,} | {per_event:.3f} | {per_frame:.3f} | {idle:.1f} "
            f"| {per_row:.3f} ({pushes}; {emails}) | {json.dumps(kinds)} |"
        )
    counted = [row for row in rows if row[2] and row[3]]
    if counted:
        print(f"\nMedian daphne CPU ms per delivered event: {statistics.median(r[1] / r[2] for r in counted):.3f}")
        print(f"Median daphne CPU ms per delivered frame: {statistics.median(r[1] / r[3] for r in counted):.3f}")
    with_rows = [row for row in rows if row[7]]
    if with_rows:
        print(f"Median worker CPU ms per push row: {statistics.median(r[6] / r[7] for r in with_rows):.3f}")
    leaked = sum(got.get("outsider", 0) for *_x, got, _w, _p, _e in rows)
    if leaked:
        print(f"FAILED: {leaked} frames reached a regional admin of another voivodeship")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
