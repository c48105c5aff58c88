"""Benchmark: the agents' workspace at national scale (issue 7).

Claim checked: "with 1,000,000 tickets and 5,000,000 entries in PostgreSQL, list views and the ticket page
serve in under 150 ms (p95 server time)".

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt3_bench \\
        .venv/bin/python bench/workspace_scale.py [--tickets 1000000] [--entries 5000000] [--runs 30]

The database name must contain "bench": when it holds fewer tickets than --tickets, the ticket tables are
emptied and generated again with COPY (psycopg3 `cursor.copy`; bench data written straight into the tables,
secondary indexes dropped during the load and built afterwards; product code writes only through
tickets.actions). Data: tickets over the past year (older ones mostly closed), queues over the central desk,
triage and the 16 voivodeships (mazowieckie the largest), 12 agents (each a member of the central queue and two
voivodeship queues) and one regional administrator per voivodeship as assignees, 20,000 reporting units,
1–20 entries per ticket (mean 5: inbound mail, replies, notes, calls) with Polish text, their event log, SLA
clocks, and the search document of every ticket (the same tokens tickets.search computes). Then VACUUM
ANALYZE, and every workspace view, search, deep page and the ticket page are timed through django.test.Client
(middleware, session, view, template; no network) as an agent and as a regional administrator.
Exit status 1 when a p95 reaches the budget, a response is not 200 or a query count varies.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import re
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cpu
import ticket_list as base

SEED = 20261127
CHUNK = 20_000
BIG_TICKET_ENTRIES = 200

GREETINGS = ["Dzień dobry,", "Witam,", "Szanowni Państwo,", "Dzień dobry Pani,", "Dzień dobry Panu,"]
CLOSINGS = ["Z poważaniem", "Pozdrawiam", "Z wyrazami szacunku", "Dziękuję i pozdrawiam"]
INBOUND = [
    "Nie mogę złożyć sprawozdania {form} za {year} rok, system zgłasza błąd walidacji w dziale 2.",
    "Proszę o korektę danych w formularzu {form}, pomyliliśmy liczbę łóżek na oddziale.",
    "Czy nasze sprawozdanie {form} dotarło? Nie widzę potwierdzenia w systemie.",
    "Zapomniałam hasła do konta, a link do resetu nie przychodzi na skrzynkę.",
    "Od wczoraj nie działa logowanie przez Profil Zaufany, pojawia się komunikat o błędzie.",
    "Prosimy o przedłużenie terminu złożenia {form}, kierownik jest na urlopie.",
    "Zmienił się adres siedziby i numer telefonu jednostki, proszę o aktualizację danych.",
    "Nasza przychodnia została przejęta przez inny podmiot, kto teraz składa sprawozdanie?",
    "W formularzu {form} brakuje pozycji dla poradni rehabilitacyjnej.",
    "Dostaliśmy wezwanie do złożenia {form}, ale sprawozdanie zostało wysłane w terminie.",
    "Załączam zrzut ekranu z błędem, który pojawia się przy zatwierdzaniu sprawozdania.",
    "Gabinet zakończył działalność w czerwcu, czy musimy składać sprawozdanie za cały rok?",
    "Proszę o informację, czy w dziale 3 należy wykazać personel zatrudniony na umowę zlecenia.",
    "Nie znajduję na liście formularza {form}, choć w zeszłym roku go składaliśmy.",
    "System wylogowuje mnie po kilku minutach i tracę wprowadzone dane.",
]
OUTBOUND = [
    "Dziękujemy za wiadomość, sprawozdanie {form} zostało przyjęte w dniu wczorajszym.",
    "Korekta jest możliwa po odblokowaniu sprawozdania przez administratora wojewódzkiego.",
    "Link do zmiany hasła wysłaliśmy ponownie, proszę sprawdzić również folder spam.",
    "Proszę o podanie numeru REGON jednostki, abyśmy mogli odnaleźć sprawozdanie.",
    "Termin złożenia formularza {form} upływa z końcem lutego, przedłużenie nie jest możliwe.",
    "Błąd walidacji dotyczy sumy w wierszu 12, proszę sprawdzić wartości w kolumnie 4.",
    "Dane adresowe zaktualizowaliśmy zgodnie z wpisem w rejestrze podmiotów leczniczych.",
    "Przekazaliśmy sprawę do administratora wojewódzkiego, który skontaktuje się z Państwem.",
]
NOTES = [
    "Sprawdziłam w rejestrze: jednostka aktywna, sprawozdanie w statusie roboczym.",
    "Do wyjaśnienia z administratorem wojewódzkim, czekamy na odpowiedź.",
    "Klient dzwonił drugi raz w tej sprawie, prosi o pilny kontakt.",
    "Duplikat zgłoszenia z zeszłego tygodnia, łączę po weryfikacji.",
]
CALLS = [
    "Rozmowa: pani kierownik pytała o termin {form}, wyjaśniono.",
    "Oddzwoniono, przekazano instrukcję odblokowania konta.",
    "Dzwoniący nie podał REGON, poproszono o wiadomość e-mail.",
]


def _escape(value) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def _row(*values) -> str:
    return "\t".join(map(_escape, values)) + "\n"


class Tokens:
    """Search tokens as tickets.search computes them, cached per text piece (the pieces repeat)."""

    def __init__(self):
        from tickets import search

        self.search = search
        self.cache: dict[str, frozenset[str]] = {}

    def __call__(self, text: str) -> frozenset[str]:
        found = self.cache.get(text)
        if found is None:
            found = self.cache[text] = frozenset(self.search.document_tokens(text))
        return found


TICKET_COLUMNS = (
    "id, reference, subject, status, priority, channel, requester_name, requester_email, requester_phone,"
    " created_at, updated_at, first_response_at, resolved_at, closed_at, assignee_id, category_id, queue_id,"
    " reporting_unit_id, requester_id, related_to_id, identification, tags, unit_candidates, callback_due_at,"
    " sla_due_at"
)
ENTRY_COLUMNS = (
    'id, kind, sender_name, sender_email, "to", cc, subject, body_text, body_html, message_id, in_reply_to,'
    " call_direction, call_duration_seconds, created_at, author_id, ticket_id, visible_text, call_id,"
    " caller_number, outside_hours"
)
EVENT_COLUMNS = "id, kind, data, reason, created_at, actor_id, ticket_id"
TIMER_COLUMNS = (
    "id, kind, target_seconds, warn_before_seconds, state, consumed_seconds, running_since, due_at, done_at,"
    " warned_at, breached_at, next_check_at, policy_id, ticket_id"
)
TABLES = ["tickets_ticket", "tickets_entry", "tickets_ticketevent", "tickets_slatimer", "tickets_ticketsearch"]


def entry_counts(rng: random.Random, tickets: int, entries: int) -> list[int]:
    """1–20 entries per ticket, skewed to few (mean entries/tickets), summing to exactly `entries`."""
    mean_extra = entries / tickets - 1
    counts = [1 + min(19, int(rng.expovariate(1 / (mean_extra + 0.5)))) for _ in range(tickets)]
    difference = entries - sum(counts)
    step = 1 if difference > 0 else -1
    while difference:
        i = rng.randrange(tickets)
        if 1 <= counts[i] + step <= 20:
            counts[i] += step
            difference -= step
    return counts


def generate(args, rng: random.Random, units_by_voivodeship, agents, admins) -> None:
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from tickets.models import Category, Queue, ReferenceCounter

    print(f"Generating {args.tickets:,} tickets and {args.entries:,} entries", file=sys.stderr)
    started = time.perf_counter()
    tokens = Tokens()
    queues = list(Queue.objects.all())
    weights = {}
    for queue in queues:
        weights[queue] = {"centralna": 35.0, "do-rozdzielenia": 5.0}.get(queue.slug) or (
            12.0 if queue.voivodeship_id == "14" else 3.2
        )
    queue_list, queue_weights = list(weights), list(weights.values())
    categories = [c.pk for c in Category.objects.all()] + [None]
    all_units = [u for units in units_by_voivodeship.values() for u in units]
    unit_tokens = {}
    prefix = settings.TICKET_REFERENCE_PREFIX
    now = timezone.now()
    counts = entry_counts(rng, args.tickets, args.entries)
    # one ticket with many more entries than the distribution gives, for the ticket page
    counts[-1] = BIG_TICKET_ENTRIES
    year_seconds = 365 * 86400
    created = sorted(now - timedelta(seconds=rng.uniform(3600, year_seconds)) for _ in range(args.tickets))
    counters: dict[int, int] = {}
    statuses_for = {}
    next_entry = next_event = next_timer = 1
    staff_by_id = {a.pk: a for a in agents} | {a.pk: a for a in admins.values()}
    staff_names = {pk: f"{u.first_name} {u.last_name}" for pk, u in staff_by_id.items()}
    staff_emails = {pk: f"{u.username}@pomoc-ssoz.example.gov.pl" for pk, u in staff_by_id.items()}

    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) AND indexname NOT IN"
            " (SELECT conname FROM pg_constraint)",
            [TABLES],
        )
        dropped = cursor.fetchall()
        # kept in the database until they are built again: a run stopped half-way leaves no table without them
        cursor.executemany(
            "INSERT INTO bench_dropped_indexes VALUES (%s) ON CONFLICT DO NOTHING", [[d] for _n, d in dropped]
        )
        for name, _definition in dropped:
            cursor.execute(f'DROP INDEX "{name}"')
        cursor.execute("SET session_replication_role = replica")  # no FK triggers during the load
    raw = connection.connection  # the psycopg connection under Django's

    for chunk_start in range(0, args.tickets, CHUNK):
        out = {table: io.StringIO() for table in TABLES}
        for index in range(chunk_start, min(chunk_start + CHUNK, args.tickets)):
            ticket_id = index + 1
            opened = created[index]
            age = now - opened
            status = base.pick(rng, base.status_weights(age))
            queue = rng.choices(queue_list, queue_weights)[0]
            n_entries = counts[index]
            updated, first_response, resolved_at, closed_at, assignee = base.lifecycle(
                rng, opened, age, status, queue, admins, agents
            )
            # SLA clocks (written below): first response (done once answered) and resolution (done once resolved,
            # paused while waiting for the customer); the ticket keeps the earliest due time of the running ones,
            # as tickets.sla does (the "overdue" view and ?sort=sla read it)
            fr_due = opened + timedelta(hours=8)
            res_due = opened + timedelta(days=5)
            done = status in ("resolved", "closed")
            paused = status == "waiting_customer"
            sla_due = min(([] if first_response else [fr_due]) + ([] if done or paused else [res_due]), default=None)
            unit = None
            if rng.random() < 0.85:
                unit = rng.choice(units_by_voivodeship.get(queue.voivodeship_id) or all_units)
            first, last = rng.choice(base.FIRST_NAMES), rng.choice(base.LAST_NAMES)
            domain = unit.email_domain if unit else "gmail.com"
            requester_name = f"{first} {last}"
            requester_email = f"{base.ascii_slug(first)}.{base.ascii_slug(last)}@{domain}"
            year = timezone.localtime(opened).year
            counters[year] = counters.get(year, 0) + 1
            reference = f"{prefix}-{year}-{counters[year]:06d}"
            form = rng.choice(base.FORMS)
            subject = rng.choice(base.SUBJECTS).format(form=form, year=year - 1)
            channel = base.pick(rng, {"email": 65, "phone": 20, "web": 12, "api": 3})
            statuses_for[ticket_id] = status
            out["tickets_ticket"].write(
                _row(
                    ticket_id, reference, subject, status, base.pick(rng, {1: 15, 2: 65, 3: 15, 4: 5}), channel,
                    requester_name, requester_email, "", opened, updated, first_response, resolved_at, closed_at,
                    assignee.pk if assignee else None, rng.choice(categories), queue.pk, unit.pk if unit else None,
                    None, None, "identified" if unit else "unidentified", "[]", "[]", None, sla_due,
                )
            )  # fmt: skip
            # the same tokens as search.document_tokens(requester_email), from cached pieces
            doc = set(tokens(subject)) | tokens(first) | tokens(last) | tokens(base.ascii_slug(first))
            doc |= tokens(base.ascii_slug(last)) | {prefix.lower(), str(year), f"{counters[year]:06d}"}
            if unit is not None:
                if unit.pk not in unit_tokens:
                    unit_tokens[unit.pk] = tokens(unit.name) | tokens(unit.email_domain)
                doc |= unit_tokens[unit.pk]
            else:
                doc |= tokens(domain)
            # the conversation: spread between opening and the last change
            span = max((updated - opened).total_seconds(), 60.0)
            moments = sorted(opened + timedelta(seconds=span * (i / max(n_entries - 1, 1))) for i in range(n_entries))
            out["tickets_ticketevent"].write(
                _row(next_event, "opened", json.dumps({"channel": channel, "queue": queue.slug,
                     "queue_name": queue.name}), "", opened, None, ticket_id)
            )  # fmt: skip
            next_event += 1
            for position, moment in enumerate(moments):
                if position == 0:
                    kind = "call" if channel == "phone" else "inbound"
                else:
                    kind = base.pick(rng, {"inbound": 40, "outbound": 35, "note": 15, "call": 10})
                staff = assignee or rng.choice(agents)
                if kind == "inbound":
                    sentences = rng.sample(INBOUND, rng.randint(1, 3))
                    sender_name, sender_email, author = requester_name, requester_email, None
                    text_parts = [rng.choice(GREETINGS), *[s.format(form=form, year=year - 1) for s in sentences]]
                    text_parts += [rng.choice(CLOSINGS), requester_name, unit.name if unit else ""]
                elif kind == "outbound":
                    sentences = rng.sample(OUTBOUND, rng.randint(1, 2))
                    sender_name, sender_email, author = staff_names[staff.pk], staff_emails[staff.pk], staff.pk
                    text_parts = [rng.choice(GREETINGS), *[s.format(form=form, year=year - 1) for s in sentences]]
                    text_parts += [rng.choice(CLOSINGS), sender_name, "Pomoc SSOZ"]
                elif kind == "note":
                    sentences = [rng.choice(NOTES)]
                    sender_name, sender_email, author = staff_names[staff.pk], staff_emails[staff.pk], staff.pk
                    text_parts = sentences
                else:
                    sentences = [rng.choice(CALLS).format(form=form)]
                    sender_name, sender_email, author = staff_names[staff.pk], staff_emails[staff.pk], staff.pk
                    text_parts = sentences
                body = "\n".join(part for part in text_parts if part)
                for part in text_parts:
                    doc |= tokens(part)
                entry_subject = subject if kind in ("inbound", "outbound") else ""
                is_call = kind == "call"
                # the two largest tables: rows formatted directly (texts have no tab or backslash)
                message_id = f"<{ticket_id}.{position}@bench>" if kind in ("inbound", "outbound") else ""
                direction = rng.choice(["incoming", "outgoing"]) if is_call else ""
                duration = rng.randint(20, 900) if is_call else "\\N"
                at = moment.isoformat()
                copy_body = body.replace("\n", "\\n")
                by = author if author else "\\N"
                out["tickets_entry"].write(
                    f"{next_entry}\t{kind}\t{sender_name}\t{sender_email}\t[]\t[]\t{entry_subject}\t"
                    f"{copy_body}\t\t{message_id}\t\t{direction}\t{duration}\t{at}\t{by}\t"
                    f"{ticket_id}\t\t\t\tf\n"
                )
                out["tickets_ticketevent"].write(
                    f'{next_event}\tentry_added\t{{"entry": {next_entry}, "entry_kind": "{kind}"}}\t\t{at}\t{by}\t'
                    f"{ticket_id}\n"
                )
                next_entry += 1
                next_event += 1
            if status in ("resolved", "closed"):
                out["tickets_ticketevent"].write(
                    _row(next_event, "status_changed", json.dumps({"from": "open", "to": status}), "", updated,
                         assignee.pk if assignee else None, ticket_id)
                )  # fmt: skip
                next_event += 1
            out["tickets_slatimer"].write(
                _row(next_timer, "first_response", 8 * 3600, 3600, "done" if first_response else "running", 0,
                     None if first_response else opened, None if first_response else fr_due,
                     first_response, None, None, None if first_response else fr_due, None, ticket_id)
            )  # fmt: skip
            next_timer += 1
            breached = None if done or res_due > now else res_due
            out["tickets_slatimer"].write(
                _row(next_timer, "resolution", 40 * 3600, 3600,
                     "done" if done else ("paused" if paused else "running"), 0,
                     None if done or paused else opened, None if done or paused else res_due,
                     resolved_at if done else None, None, breached,
                     None if done or paused or breached else res_due, None, ticket_id)
            )  # fmt: skip
            next_timer += 1
            out["tickets_ticketsearch"].write(f"{ticket_id}\t{' '.join(sorted(doc))}\n")
        with raw.cursor() as cur:
            for table, columns in (
                ("tickets_ticket", TICKET_COLUMNS),
                ("tickets_entry", ENTRY_COLUMNS),
                ("tickets_ticketevent", EVENT_COLUMNS),
                ("tickets_slatimer", TIMER_COLUMNS),
                ("tickets_ticketsearch", "ticket_id, vector"),
            ):
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(out[table].getvalue())
        raw.commit()
        done_tickets = min(chunk_start + CHUNK, args.tickets)
        print(
            f"  {done_tickets:,} tickets, {next_entry - 1:,} entries ({time.perf_counter() - started:.0f} s)",
            file=sys.stderr,
        )

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        for table, seq_value in (
            ("tickets_ticket", args.tickets),
            ("tickets_entry", next_entry - 1),
            ("tickets_ticketevent", next_event - 1),
            ("tickets_slatimer", next_timer - 1),
        ):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [seq_value])
        print(f"Building {len(dropped)} indexes", file=sys.stderr)
        for _name, definition in dropped:
            cursor.execute(definition)
        cursor.execute("DELETE FROM bench_dropped_indexes")
    for year, last in counters.items():
        ReferenceCounter.objects.update_or_create(year=year, defaults={"last_number": last})
    print(f"Generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def restore_dropped_indexes() -> None:
    """Build the indexes an earlier generation dropped for its load and did not build again (it was stopped)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_dropped_indexes (definition text PRIMARY KEY)")
        cursor.execute("SELECT definition FROM bench_dropped_indexes")
        for (definition,) in cursor.fetchall():
            print(f"Building an index a stopped generation left out: {definition}", file=sys.stderr)
            cursor.execute(re.sub(r"^CREATE (UNIQUE )?INDEX ", r"CREATE \1INDEX IF NOT EXISTS ", definition))
        cursor.execute("DELETE FROM bench_dropped_indexes")


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in [*TABLES, "tickets_queue", "contacts_reportingunit", "helpdesk_user", "tickets_queue_members"]:
            cursor.execute(f'VACUUM ANALYZE "{table}"')


def ensure_memberships(agents, admins) -> None:
    from tickets.models import Queue

    central = Queue.objects.get(slug="centralna")
    regional = list(Queue.objects.filter(voivodeship__isnull=False).order_by("voivodeship_id"))
    for n, agent in enumerate(agents):
        central.members.add(agent)
        regional[n % len(regional)].members.add(agent)
        regional[(n + 5) % len(regional)].members.add(agent)
    for code, admin in admins.items():
        Queue.objects.get(voivodeship_id=code).members.add(admin)


# --- measurement ---------------------------------------------------------------------------------------


def measure(client, user, label: str, url: str, runs: int, warmup: int, meter=None) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        client.get(url)
    times, sql_times, query_counts, statuses = [], [], set(), set()
    if meter:
        meter.start()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        times.append(elapsed * 1000)
        sql_times.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        query_counts.add(len(ctx.captured_queries))
        statuses.add(response.status_code)
    process_cpu, database_cpu = meter.stop() if meter else (None, None)
    rows = None
    if url.startswith("/tickets/?") or url == "/tickets/":
        from django.http import QueryDict

        from tickets import selectors

        filters = selectors.TicketFilters.from_query(QueryDict(url.partition("?")[2]))
        paginator = selectors.list_paginator(user, filters, selectors.list_tickets(user, filters), 50)
        rows = f"{paginator.count:,}" + ("+" if paginator.capped else "")
    return {
        "label": label,
        "user": user.username,
        "url": url,
        "rows": rows,
        "queries": query_counts,
        "statuses": statuses,
        "median": statistics.median(times),
        "p95": base.p95(times),
        "sql_median": statistics.median(sql_times),
        # mean CPU per request (ms): this process (Django) and the PostgreSQL backends serving it
        "cpu_ms": None if process_cpu is None else process_cpu * 1000 / runs,
        "db_cpu_ms": None if database_cpu is None else database_cpu * 1000 / runs,
    }


def explain_slow(client, url: str, threshold_ms: float) -> None:
    """Print the plan of every query of one request that took longer than `threshold_ms` (to stderr)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    for query in ctx.captured_queries:
        if float(query["time"]) * 1000 >= threshold_ms:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"--- {url} ({float(query['time']) * 1000:.0f} ms)\n{query['sql'][:3000]}\n{plan}\n", file=sys.stderr)


LIST_SCENARIOS = [
    ("all tickets", ""),
    ("my tickets", "view=mine"),
    ("my queues", "view=my_queues"),
    ("my voivodeship", "view=region"),
    ("unassigned", "view=unassigned"),
    ("overdue", "view=overdue"),
    ("overdue by SLA due", "view=overdue&sort=sla"),
    ("waiting for the customer", "view=waiting_customer"),
    ("waiting for the region", "view=waiting_region"),
    ("recently updated", "view=recent"),
    ("open, by priority", "status=open&sort=priority"),
    ("search, common word", "q=korekta"),
    ("search, two words", "q=gabinet+działalność"),
    ("search, inflected + no diacritics", "q=hasla+konta"),
    ("search, prefix", "q=rehabilit"),
    ("search, name", "q=Wiśniewska"),
    ("search in my tickets", "view=mine&q=termin"),
    ("deep page (40, the last one counted)", "page=40"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--entries", type=int, default=5_000_000)
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--budget-ms", type=float, default=150.0, help="the p95 every request must stay under")
    parser.add_argument("--only", default="", help="measure only rows whose label contains this")
    parser.add_argument("--explain", type=float, default=0, help="EXPLAIN ANALYZE every query slower than this (ms)")
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wt3_bench")
    if not url.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must point at PostgreSQL for this benchmark.", file=sys.stderr)
        return 2
    if "bench" not in url.rsplit("/", 1)[-1]:
        print("The database name must contain 'bench' (its ticket tables are emptied).", file=sys.stderr)
        return 2
    base.ensure_database(url)

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from helpdesk.models import User
    from tickets.models import Entry, Ticket

    call_command("migrate", verbosity=0)
    rng = random.Random(SEED)
    base.UNITS = args.units
    units = base.ensure_units(rng)
    agents, admins = base.ensure_staff(rng)
    ensure_memberships(agents, admins)
    restore_dropped_indexes()
    have = Ticket.objects.count()
    if have < args.tickets:
        generate(args, rng, units, agents, admins)
        vacuum_analyze()
    elif "--analyze" in sys.argv:
        vacuum_analyze()

    typical = Ticket.objects.filter(status="open").order_by("-updated_at").values_list("reference", flat=True)[5]
    longest = (
        Entry.objects.filter(ticket_id__lt=args.tickets)
        .values("ticket_id")
        .annotate(n=django.db.models.Count("id"))
        .filter(n=20)
        .order_by("ticket_id")
        .values_list("ticket_id", flat=True)
        .first()
    )
    longest_ref = Ticket.objects.get(pk=longest).reference if longest else typical
    big_ref = Ticket.objects.get(pk=args.tickets).reference
    agent = User.objects.get(pk=agents[0].pk)
    admin = User.objects.get(pk=admins["14"].pk)
    admin_visible = (
        Ticket.objects.filter(queue__voivodeship_id="14").order_by("-id").values_list("reference", flat=True)
    )
    from helpdesk.speed import heap

    heap.settle()  # as the web process does once helpdesk.asgi is loaded (its start-up objects frozen)
    meter = cpu.meter_for_default_database()
    results = []
    for user in (agent, admin):
        client = Client()
        client.force_login(user)
        scenarios = [(label, f"/tickets/?{q}" if q else "/tickets/") for label, q in LIST_SCENARIOS]
        if user is agent:
            scenarios = [s for s in scenarios if s[0] != "my voivodeship"]
            pages = [("ticket page, typical", typical), ("ticket page, 20 entries", longest_ref)]
            pages.append((f"ticket page, {BIG_TICKET_ENTRIES} entries", big_ref))
        else:
            pages = [("ticket page, own voivodeship", admin_visible[3])]
        scenarios += [(label, f"/tickets/{ref}/") for label, ref in pages]
        for label, path in scenarios:
            if args.only and args.only not in label:
                continue
            results.append(measure(client, user, label, path, args.runs, args.warmup, meter))
            if args.explain:
                explain_slow(client, path, args.explain)
            r = results[-1]
            cpu_note = f" cpu {r['cpu_ms']:.1f}+{r['db_cpu_ms']:.1f} db" if r["cpu_ms"] is not None else ""
            print(f"  {r['user']} {r['label']}: median {r['median']:.1f} p95 {r['p95']:.1f}{cpu_note}", file=sys.stderr)

    load = os.getloadavg()
    print(f"## Workspace at scale: {args.tickets:,} tickets, {Entry.objects.count():,} entries, PostgreSQL\n")
    print("\n".join(base.machine_lines()))
    print(f"- Load average during the run (1/5/15 min): {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    print(
        f"- Runs: {args.runs} timed requests per row after {args.warmup} warm-ups; budget p95 {args.budget_ms:g} ms\n"
    )
    status = base.report(results, args.budget_ms, "p95", "Rows", lambda r: r["rows"] or "—")
    if meter:
        meter.close()
        print_cpu(results)
    return status


def print_cpu(results: list[dict]) -> None:
    """CPU per request, mean over the timed runs: less distorted than wall-clock time by other load on the
    machine (a request waiting for a core counts in its time, not in its CPU)."""
    print("\nCPU per request (mean of the timed runs; bench/cpu.py):\n")
    print("| Request | User | Django process CPU ms | PostgreSQL backend CPU ms | Total CPU ms |")
    print("|---|---|--:|--:|--:|")
    for r in results:
        total = r["cpu_ms"] + r["db_cpu_ms"]
        print(f"| {r['label']} | {r['user']} | {r['cpu_ms']:.1f} | {r['db_cpu_ms']:.1f} | {total:.1f} |")


if __name__ == "__main__":
    sys.exit(main())
