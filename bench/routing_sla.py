"""Benchmark: routing + SLA due times for 100,000 tickets, and the SLA escalation scan over 1,000,000 tickets.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt4 .venv/bin/python bench/routing_sla.py \
        [--route 100000] [--open-tickets 2000] [--tickets 1000000] [--due 500] [--runs 50]

1. Routing and SLA arithmetic: the shipped default rules (compiled once, as a worker does) evaluated on
   --route generated Polish messages (subject + body, inflected, some without diacritics), plus both due
   times (first response, resolution) on the office calendar from the message's arrival moment. Per-ticket
   median / p95 and throughput. No database inside the loop.
2. The whole write path: --open-tickets calls of tickets.actions.open_tickets (one ticket each) without queue or unit
   (identification by REGON in the text, routing, SLA timers, event log, outbox), per-call median / p95.
3. The escalation scan over --tickets tickets (about 15 % open with running clocks, the rest closed with finished
   clocks), generated in SQL: EXPLAIN ANALYZE of the scan query, its median / p95 over --runs, then one
   `escalation.escalate()` that logs --due warnings/breaches.

The database is migrated first; generated rows carry the reference prefix BENCH- and are reused on a rerun.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/wt4"

SEED = 20261127
SUBJECTS = [
    ("Nie mogę się zalogować", "Zapomniałam hasła, konto jest zablokowane."),
    ("haslo", "Moje haslo wygaslo, prosze o pomoc z logowaniem"),
    ("Profil Zaufany", "Logowanie przez profil zaufany nie działa od rana."),
    ("Błąd", "Przeglądarka pokazuje komunikat błędu przy wysyłce formularza."),
    ("Korekta {form}", "Prośba o korektę sprawozdania {form}, pomyłka w dziale 2. REGON {regon}"),
    ("korekta", "Chcemy zlozyc korekte sprawozdania {form}. REGON {regon}"),
    ("Termin {form}", "Czy można złożyć {form} po terminie? REGON {regon}"),
    ("{form}", "Jak wykazać lekarzy w sprawozdaniu {form} według stanu na 31 grudnia? REGON {regon}"),
    ("Pytanie", "Dzień dobry, mam pytanie dotyczące naszej placówki."),
]
FORMS = ["MZ-11", "MZ-29", "MZ-88", "MZ-89", "MZ-06"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def regons(count: int) -> list[str]:
    from stdnum.pl import regon

    rng = random.Random(SEED)
    result = []
    while len(result) < count:
        body = f"{rng.randrange(10**7, 10**8)}"
        result.append(body + regon.calc_check_digit(body))
    return sorted(set(result))


def ensure_units(count: int = 2000) -> list[str]:
    from contacts.models import ReportingUnit

    numbers = regons(count)
    existing = set(ReportingUnit.objects.filter(regon__in=numbers).values_list("regon", flat=True))
    codes = [f"{n:02d}" for n in range(2, 33, 2)]
    ReportingUnit.objects.bulk_create(
        [
            ReportingUnit(name=f"Bench jednostka {number}", regon=number, voivodeship_id=codes[i % 16])
            for i, number in enumerate(numbers)
            if number not in existing
        ],
        batch_size=1000,
    )
    return numbers


def message(rng: random.Random, numbers: list[str]) -> tuple[str, str]:
    subject, body = rng.choice(SUBJECTS)
    values = {"form": rng.choice(FORMS), "regon": rng.choice(numbers)}
    return subject.format(**values), body.format(**values)


def bench_routing(count: int, numbers: list[str]) -> dict:
    from helpdesk.models import BusinessCalendar
    from tickets import rules

    compiled = rules.active_rules()
    schedule = BusinessCalendar.objects.get(name="Dni robocze 8:00–16:00").schedule()
    rng = random.Random(SEED)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    first, resolution = dt.timedelta(hours=8), dt.timedelta(hours=40)
    samples, queues = [], {}
    began = time.perf_counter()
    for n in range(count):
        subject, body = message(rng, numbers)
        moment = start + dt.timedelta(minutes=rng.randrange(0, 365 * 24 * 60))
        voivodeship = f"{(n % 16) * 2 + 2:02d}" if "REGON" in body else None
        t0 = time.perf_counter()
        decision = rules.evaluate(
            rules.Facts(channel="email", sender="x@example.pl", unit_voivodeship=voivodeship, subject=subject,
                        body=body, moment=moment),
            compiled,
        )  # fmt: skip
        schedule.add(moment, first)
        schedule.add(moment, resolution)
        samples.append((time.perf_counter() - t0) * 1000)
        key = decision.steps[0]["rule_name"] if decision.steps else "(żadna)"
        queues[key] = queues.get(key, 0) + 1
    total = time.perf_counter() - began
    return {"samples": samples, "total": total, "rules": queues}


def bench_open_ticket(count: int, numbers: list[str]) -> dict:
    from tickets import actions

    rng = random.Random(SEED + 1)
    samples = []
    for _n in range(count):
        subject, body = message(rng, numbers)
        t0 = time.perf_counter()
        requester = actions.Requester(email=f"osoba{rng.randrange(10**6)}@example.pl")
        request = actions.NewTicket(
            channel="email", subject=subject, message=actions.Message(text=body), requester=requester
        )
        actions.open_tickets([request], actor=None)
        samples.append((time.perf_counter() - t0) * 1000)
    return {"samples": samples}


def generate_scan_data(total: int, due: int) -> None:
    """BENCH- tickets and their SLA timers, in SQL; about 15 % open with running clocks, the rest closed."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket WHERE reference LIKE 'BENCH-%%'")
        have = cursor.fetchone()[0]
        if have < total:
            print(f"generating {total - have:,} tickets and their SLA timers…", flush=True)
            cursor.execute("SELECT id FROM tickets_queue ORDER BY id")
            queue_ids = [row[0] for row in cursor.fetchall()]
            cursor.execute(
                """
                INSERT INTO tickets_ticket (reference, subject, status, priority, channel, queue_id, requester_name,
                    requester_email, requester_phone, created_at, updated_at, tags, identification, unit_candidates,
                    resolved_at, closed_at)
                SELECT 'BENCH-' || g, 'Zgłoszenie testowe ' || g,
                       CASE WHEN g %% 100 < 15 THEN 'open' ELSE 'closed' END,
                       2, 'email', (%s::int[])[1 + g %% %s], '', '', '',
                       now() - (g %% 525600) * interval '1 minute', now(), '[]', 'identified', '[]',
                       NULL, CASE WHEN g %% 100 < 15 THEN NULL ELSE now() END
                FROM generate_series(%s, %s) AS g
                """,
                [queue_ids, len(queue_ids), have + 1, total],
            )
        cursor.execute(
            """
            INSERT INTO tickets_slatimer (ticket_id, kind, target_seconds, warn_before_seconds, state,
                consumed_seconds, running_since, due_at, done_at, next_check_at)
            SELECT t.id, k.kind, 28800, 3600,
                   CASE WHEN t.status = 'open' THEN 'running' ELSE 'done' END, 0,
                   CASE WHEN t.status = 'open' THEN t.created_at END,
                   CASE WHEN t.status = 'open' THEN now() + (t.id %% 14400) * interval '1 minute' END,
                   CASE WHEN t.status = 'open' THEN NULL ELSE t.closed_at END,
                   CASE WHEN t.status = 'open' THEN now() + (t.id %% 14400) * interval '1 minute' END
            FROM tickets_ticket t CROSS JOIN (VALUES ('first_response'), ('resolution')) AS k(kind)
            WHERE t.reference LIKE 'BENCH-%%'
              AND NOT EXISTS (SELECT 1 FROM tickets_slatimer s WHERE s.ticket_id = t.id)
            """,
            [],
        )
        # make exactly `due` running clocks due now (their warning already sent, so each run logs a breach)
        cursor.execute(
            """
            UPDATE tickets_slatimer
               SET due_at = now() - interval '1 minute', next_check_at = now() - interval '1 minute',
                   warned_at = now() - interval '1 hour', breached_at = NULL
            WHERE id IN (SELECT s.id FROM tickets_slatimer s JOIN tickets_ticket t ON t.id = s.ticket_id
                         WHERE t.reference LIKE 'BENCH-%%' AND s.state = 'running' ORDER BY s.id LIMIT %s)
            """,
            [due],
        )
        cursor.execute("VACUUM ANALYZE tickets_ticket")
        cursor.execute("VACUUM ANALYZE tickets_slatimer")


def bench_scan(runs: int, due: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from tickets import escalation, sla

    query = sla.due_for_check(timezone.now(), 1000).query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE t.status = 'open') FROM tickets_ticket t "
            "WHERE t.reference LIKE 'BENCH-%%'"
        )
        tickets, open_tickets = cursor.fetchone()
        cursor.execute("SELECT count(*), count(next_check_at) FROM tickets_slatimer")
        timers, to_check = cursor.fetchone()
    samples = []
    for _n in range(runs):
        t0 = time.perf_counter()
        found = list(sla.due_for_check(timezone.now(), 1000))
        samples.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    escalated = escalation.escalate(timezone.now(), limit=1000)
    escalate_ms = (time.perf_counter() - t0) * 1000
    return {
        "plan": plan,
        "samples": samples,
        "found": len(found),
        "escalated": escalated,
        "escalate_ms": escalate_ms,
        "tickets": tickets,
        "open": open_tickets,
        "timers": timers,
        "to_check": to_check,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--route", type=int, default=100_000)
    parser.add_argument("--open-tickets", type=int, default=2000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=500)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        print("DATABASE_URL must point at PostgreSQL", file=sys.stderr)
        return 2
    setup_django(url)
    from django.db import connection

    numbers = ensure_units()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    print(f"# Routing and SLA benchmark ({dt.date.today()})\n")
    print(f"Machine: {platform.platform()}, {os.cpu_count()} CPU, Python {platform.python_version()}; "
          f"PostgreSQL {pg_version} on the same machine.\n")  # fmt: skip

    routing = bench_routing(args.route, numbers)
    s = routing["samples"]
    print(f"## 1. Routing rules + two SLA due times, {args.route:,} tickets (in memory)\n")
    print(f"median {statistics.median(s) * 1000:.0f} µs, p95 {percentile(s, 0.95) * 1000:.0f} µs per ticket; "
          f"total {routing['total']:.1f} s ({args.route / routing['total']:,.0f} tickets/s)\n")  # fmt: skip
    for name, count in sorted(routing["rules"].items(), key=lambda item: -item[1]):
        print(f"- {name}: {count:,}")

    opened = bench_open_ticket(args.open_tickets, numbers)
    s = opened["samples"]
    print(f"\n## 2. open_tickets, one at a time (identify + route + SLA + log + outbox), {args.open_tickets:,} calls\n")
    print(f"median {statistics.median(s):.1f} ms, p95 {percentile(s, 0.95):.1f} ms per ticket\n")

    generate_scan_data(args.tickets, args.due)
    scan = bench_scan(args.runs, args.due)
    s = scan["samples"]
    print(f"## 3. Escalation scan: {scan['tickets']:,} BENCH tickets ({scan['open']:,} open), "
          f"{scan['timers']:,} SLA timers, {scan['to_check']:,} with a next check\n")  # fmt: skip
    print(f"scan query (due now, limit 1000): median {statistics.median(s):.2f} ms, p95 {percentile(s, 0.95):.2f} ms "
          f"over {args.runs} runs, {scan['found']} timers due\n")  # fmt: skip
    each = scan["escalate_ms"] / max(1, scan["escalated"])
    print(f"escalation.escalate(): {scan['escalated']} escalations logged in {scan['escalate_ms']:.0f} ms "
          f"({each:.1f} ms each: claim with a row lock, event, next check)\n")  # fmt: skip
    print("```\n" + scan["plan"] + "\n```")
    ok = "Index" in scan["plan"] and "Seq Scan" not in scan["plan"]
    print("\nOK: the scan uses the partial index and reads no closed ticket." if ok else "\nFAIL: no index scan")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
