"""Benchmark: the ticket page and its collaboration actions (mentions, merge, links, follow) on a large
PostgreSQL database.

Claim checked: "the ticket page with links, merged duplicates, followers, mentions and previewed attachments
serves in under 150 ms (p95) with a constant number of queries, and each action takes a few tens of ms".

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt4_bench \\
        .venv/bin/python bench/ticket_page_actions.py [--tickets 100000] [--runs 30]

The background tickets are generated like bench/ticket_list.py (bulk inserts; the same generator). The measured
ticket is built through tickets.actions: 30 entries (notes with @mentions, replies, attachments incl. PNG and
PDF), 5 links, 5 merged duplicates and 3 followers; a plain ticket of the same queue is measured beside it.
Requests go through django.test.Client (middleware, session, view, template; no network). Side effects run as
in the embedded default (outbox handed over in-process, e-mail written to var/sent-mail/).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import ticket_list as generator  # noqa: E402  (bench/ticket_list.py: data generation and report helpers)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wt4_bench"
MARK = "BENCH strona zgłoszenia"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def open_in_14(subject: str, *, requester_email: str = "rejestracja@przychodnia.example.pl", attachments=()):
    from tickets import actions
    from tickets.models import Queue

    request = actions.NewTicket(
        channel="email",
        subject=subject,
        message=actions.Message(text="Dzień dobry, system odrzuca sprawozdanie MZ-88.", attachments=attachments),
        requester=actions.Requester(name="Jan Nowak", email=requester_email),
        routing=actions.Routing(queue=Queue.objects.get(slug="woj-14")),
    )
    return actions.open_tickets([request], actor=None)[0]


def busy_ticket(agents, admin):
    """The measured ticket (made once, found again on later runs)."""
    from tickets import actions
    from tickets.models import Entry, Ticket

    existing = Ticket.objects.filter(subject=MARK, merged_into__isnull=True).first()
    if existing is not None:
        return existing
    ticket = open_in_14(
        MARK,
        attachments=(
            actions.NewAttachment("zrzut.png", PNG, "image/png"),
            actions.NewAttachment("pismo.pdf", b"%PDF-1.4 bench", "application/pdf"),
        ),
    )
    alice = agents[0]
    for n in range(10):
        question = actions.NewEntry(
            ticket=ticket, kind=Entry.Kind.INBOUND, message=actions.Message(text=f"Pytanie {n}")
        )
        actions.add_entries([question], actor=None)
        note = actions.Message(text=f"@{agents[1].username} zerknij {n}")
        reply = actions.Message(text=f"Odpowiedź {n}")
        actions.add_entries(
            [
                actions.NewEntry(ticket=ticket, kind=Entry.Kind.NOTE, message=note),
                actions.NewEntry(ticket=ticket, kind=Entry.Kind.OUTBOUND, message=reply),
            ],
            actor=alice,
        )
    for n in range(5):
        actions.link_tickets(actor=alice, ticket=ticket, other=open_in_14(f"Powiązane {n}"))
        actions.merge_tickets(
            actor=alice,
            source=open_in_14(f"Duplikat {n}", requester_email=f"osoba{n}@przychodnia.example.pl"),
            target=ticket,
        )
    for person in (alice, agents[1], admin):
        actions.follow(actor=person, ticket=ticket)
    return ticket


def timed(runs: int, warmup: int, call) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        call()
    times, counts, statuses = [], set(), set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            status = call()
            times.append((time.perf_counter() - start) * 1000)
        counts.add(len(ctx.captured_queries))
        statuses.add(status)
    return {"median": statistics.median(times), "p95": generator.p95(times), "queries": counts, "statuses": statuses}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--budget-ms", type=float, default=150.0, help="p95 budget of the page requests")
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must point at PostgreSQL for this benchmark.", file=sys.stderr)
        return 2
    generator.ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from helpdesk.models import User
    from tickets import actions

    call_command("migrate", verbosity=0)
    rng = random.Random(generator.SEED)
    units = generator.ensure_units(rng)
    agents, admins = generator.ensure_staff(rng)
    generator.ensure_tickets(args.tickets, rng, units, agents, admins)
    generator.ensure_search_documents()
    busy = busy_ticket(agents, admins["14"])
    plain = open_in_14("BENCH zwykłe zgłoszenie")
    generator.vacuum_analyze()

    rows = []
    for user in (agents[0], admins["14"]):
        user = User.objects.get(pk=user.pk)
        client = Client()
        client.force_login(user)
        for label, ticket in (("busy ticket", busy), ("plain ticket", plain)):
            page = f"/tickets/{ticket.reference}/"
            rows.append(
                (
                    f"GET {label} page",
                    user.username,
                    timed(args.runs, args.warmup, lambda p=page, c=client: c.get(p).status_code),
                )
            )
        rows.append(
            (
                "GET /tickets/?view=followed",
                user.username,
                timed(args.runs, args.warmup, lambda c=client: c.get("/tickets/?view=followed").status_code),
            )
        )

    alice, colleague = agents[0], agents[1]
    client = Client()
    client.force_login(alice)
    target = plain.reference
    note = timed(
        args.runs,
        0,
        lambda: (
            client.post(
                f"/tickets/{target}/reply",
                {"kind": "note", "body_text": f"@{colleague.username} sprawdź", "seen_event": 10**12},
            ).status_code
        ),
    )
    rows.append(("POST note with an @mention", alice.username, note))
    other = open_in_14("BENCH do powiązania").reference

    def link_cycle() -> int:
        first = client.post(f"/tickets/{target}/link", {"reference": other}).status_code
        client.post(f"/tickets/{target}/unlink", {"reference": other})
        return first

    rows.append(("POST link (+ unlink, untimed pair)", alice.username, timed(args.runs, 0, link_cycle)))

    def follow_cycle() -> int:
        first = client.post(f"/tickets/{target}/follow", {"follow": "1"}).status_code
        client.post(f"/tickets/{target}/follow", {"follow": "0"})
        return first

    rows.append(("POST follow (+ unfollow, untimed pair)", alice.username, timed(args.runs, 0, follow_cycle)))
    duplicates = [open_in_14("BENCH duplikat") for _ in range(args.runs)]
    pending = iter(duplicates)
    rows.append(
        (
            "POST merge a duplicate (with 1 entry)",
            alice.username,
            timed(
                args.runs,
                0,
                lambda: client.post(f"/tickets/{next(pending).reference}/merge", {"reference": target}).status_code,
            ),
        )
    )
    actions.unfollow(actor=alice, ticket=plain)

    print(f"## Ticket page actions: mentions, merge, links, follow ({args.tickets:,} background tickets, PostgreSQL)\n")
    print("\n".join(generator.machine_lines()))
    print(f"- Load while measuring: {os.getloadavg()[0]:.2f} (1-min average)")
    print(f"- Runs: {args.runs} timed requests per row ({args.warmup} warm-ups for the pages)\n")
    print("| Request | User | SQL queries | Median ms | p95 ms | HTTP |")
    print("|---|---|--:|--:|--:|--:|")
    failures = []
    for label, who, r in rows:
        queries = ", ".join(str(n) for n in sorted(r["queries"]))
        statuses = ", ".join(str(s) for s in sorted(r["statuses"]))
        print(f"| {label} | {who} | {queries} | {r['median']:.1f} | {r['p95']:.1f} | {statuses} |")
        if label.startswith("GET") and r["p95"] >= args.budget_ms:
            failures.append(f"{label} as {who}: p95 {r['p95']:.1f} ms >= {args.budget_ms:g} ms")
        if label.startswith("GET") and len(r["queries"]) != 1:
            failures.append(f"{label} as {who}: query count varies ({queries})")
        if not r["statuses"] <= {200, 302}:
            failures.append(f"{label} as {who}: HTTP {statuses}")
    print()
    if failures:
        print("FAILED:\n" + "\n".join(f"- {f}" for f in failures))
        return 1
    print(f"OK: page p95 under {args.budget_ms:g} ms, constant queries per page, every action answered.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
