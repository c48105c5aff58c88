"""Benchmark: the agent ticket list (/tickets/) over a large PostgreSQL database.

Claim checked: "The ticket list with 100,000 tickets in PostgreSQL runs a constant number of queries and
stays under 150 ms server time".

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench \
        .venv/bin/python bench/ticket_list.py [--tickets 100000] [--runs 30]

The script creates the database if it is missing, migrates it, tops the data up to --tickets tickets,
then times GET /tickets/ through django.test.Client (the whole middleware stack, session, view, template;
no network, no browser) for several filter combinations, as an agent and as the regional administrator
of voivodeship 14. It prints a markdown report and exits with status 1 when a median reaches the budget,
a response is not 200 or the number of queries of a request varies between runs.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import statistics
import sys
import time
import unicodedata
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("LOG_LEVEL", "WARNING")

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/helpdesk_bench"

UNITS = 3000
AGENTS = 12
BATCH = 5000
SEED = 20260101

# (label, query string); every combination is measured as an agent and as the regional admin of "14".
SCENARIOS = [
    ("no filter", ""),
    ("open", "status=open"),
    ("woj-14, open", "queue=woj-14&status=open"),
    ("assigned to me", "assignee=me"),
    ("search", "q={q}"),
    ("page 50", "page=50"),
]

FIRST_NAMES = [
    "Anna", "Katarzyna", "Małgorzata", "Agnieszka", "Barbara", "Ewa", "Magdalena", "Joanna", "Monika",
    "Piotr", "Krzysztof", "Tomasz", "Paweł", "Marcin", "Michał", "Andrzej", "Jan", "Łukasz", "Grzegorz",
]  # fmt: skip
LAST_NAMES = [
    "Nowak", "Kowalska", "Wiśniewska", "Wójcik", "Kowalczyk", "Kamińska", "Lewandowski", "Zieliński",
    "Szymański", "Woźniak", "Dąbrowski", "Kozłowska", "Jankowski", "Mazur", "Kwiatkowska", "Krawczyk",
]  # fmt: skip
CITIES = [
    "Warszawa", "Kraków", "Łódź", "Wrocław", "Poznań", "Gdańsk", "Szczecin", "Bydgoszcz", "Lublin",
    "Białystok", "Katowice", "Radom", "Płock", "Siedlce", "Ostrołęka", "Kielce", "Rzeszów", "Opole",
]  # fmt: skip
UNIT_KINDS = [
    ("hospital", "Szpital Specjalistyczny"),
    ("outpatient", "Niepubliczny Zakład Opieki Zdrowotnej"),
    ("outpatient", "Przychodnia Rejonowa"),
    ("individual_practice", "Indywidualna Praktyka Lekarska"),
    ("group_practice", "Grupowa Praktyka Lekarska"),
    ("other", "Centrum Medyczne"),
]
FORMS = ["MZ-11", "MZ-15", "MZ-24", "MZ-29", "MZ-30", "MZ-35", "MZ-88", "MZ-89"]
SUBJECTS = [
    "Nie mogę zalogować się do systemu SSOZ",
    "Korekta sprawozdania {form} za {year}",
    "Prośba o korektę danych w formularzu {form}",
    "Brak formularza {form} na liście sprawozdań",
    "Pytanie o termin złożenia {form}",
    "Zmiana danych jednostki (REGON, adres)",
    "Czy sprawozdanie {form} dotarło?",
    "Błąd walidacji w formularzu {form}",
    "Konto dla nowej jednostki sprawozdawczej",
    "Profil Zaufany: błąd podczas logowania",
    "Spóźnione sprawozdanie {form} za {year}",
    "Re: Wezwanie do złożenia sprawozdania {form}",
]


def ascii_slug(text: str) -> str:
    text = text.replace("ł", "l").replace("Ł", "L")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "")


# --- database -----------------------------------------------------------------------------------------


def ensure_database(url: str) -> None:
    """CREATE DATABASE when the one named in `url` does not exist (connects to the "postgres" database)."""
    import dj_database_url
    import psycopg
    from psycopg import sql

    cfg = dj_database_url.parse(url)
    params = {
        "host": cfg.get("HOST") or None,
        "port": cfg.get("PORT") or None,
        "user": cfg.get("USER") or None,
        "password": cfg.get("PASSWORD") or None,
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone()
        if not exists:
            print(f"Creating database {cfg['NAME']}", file=sys.stderr)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))


# --- data generation ----------------------------------------------------------------------------------
#
# This is benchmark data, so it is written with bulk_create in batches, straight into the tables: going
# through tickets.actions (one transaction, event and entry per ticket) would take far longer for 100,000
# tickets and is not what is measured. Product code always writes tickets through tickets.actions.


def ensure_units(rng: random.Random):
    from stdnum.pl import regon

    from contacts.models import ReportingUnit, Voivodeship

    codes = list(Voivodeship.objects.values_list("code", flat=True))
    existing = ReportingUnit.objects.count()
    if existing < UNITS:
        print(f"Creating {UNITS - existing} reporting units", file=sys.stderr)
        units = []
        for i in range(existing, UNITS):
            base = f"{71_000_000 + i:08d}"
            kind, label = rng.choice(UNIT_KINDS)
            city = rng.choice(CITIES)
            units.append(
                ReportingUnit(
                    name=f"{label} nr {i + 1} w {city}",
                    regon=base + regon.calc_check_digit(base),
                    kind=kind,
                    voivodeship_id=rng.choice(codes),
                    address=f"ul. Zdrowia {i % 200 + 1}, {city}",
                    email_domain=f"jednostka{i + 1}.example.pl",
                )
            )
        ReportingUnit.objects.bulk_create(units, batch_size=BATCH, ignore_conflicts=True)
    by_voivodeship: dict[str, list] = {}
    for unit in ReportingUnit.objects.only("id", "name", "voivodeship_id", "email_domain"):
        by_voivodeship.setdefault(unit.voivodeship_id, []).append(unit)
    return by_voivodeship


def ensure_staff(rng: random.Random):
    from contacts.models import Voivodeship
    from helpdesk.models import Role, User

    def staff(username: str, role: str, first: str, last: str) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username, password=None, role=role, first_name=first, last_name=last
            )
        return user

    agents = [
        staff(f"bench-agent-{n:02d}", Role.AGENT, FIRST_NAMES[n % len(FIRST_NAMES)], LAST_NAMES[n % len(LAST_NAMES)])
        for n in range(1, AGENTS + 1)
    ]
    admins = {}
    for n, code in enumerate(Voivodeship.objects.values_list("code", flat=True)):
        admin = staff(f"bench-admin-{code}", Role.REGIONAL_ADMIN, FIRST_NAMES[-n - 1], LAST_NAMES[-n - 1])
        admin.voivodeships.set([code])
        admins[code] = admin
    return agents, admins


def pick(rng: random.Random, weighted: dict):
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def status_weights(age: timedelta) -> dict[str, float]:
    if age < timedelta(days=3):
        return {"new": 35, "open": 35, "waiting_customer": 10, "waiting_region": 10, "resolved": 7, "closed": 3}
    if age < timedelta(days=30):
        return {"new": 5, "open": 20, "waiting_customer": 10, "waiting_region": 8, "resolved": 25, "closed": 32}
    return {"new": 0.5, "open": 2, "waiting_customer": 1, "waiting_region": 1, "resolved": 5, "closed": 90.5}


def lifecycle(rng, opened, age, status: str, queue, admins: dict, agents: list) -> tuple:
    """A generated ticket's times and assignee for its status: (updated, first response, resolved, closed, assignee)."""
    if status in ("resolved", "closed"):
        updated = opened + min(age, timedelta(hours=rng.expovariate(1 / 72)))
    else:
        updated = opened + age * rng.random() ** 2
    first_response = None
    if status != "new":
        first_response = opened + min(updated - opened, timedelta(hours=rng.expovariate(1 / 4)))
    resolved_at = closed_at = None
    if status == "resolved":
        resolved_at = updated
    elif status == "closed":
        closed_at = updated
        resolved_at = updated - min(updated - opened, timedelta(days=rng.uniform(0, 7)))
    assignee = None
    if status != "new" and queue.slug != "do-rozdzielenia" and rng.random() < 0.9:
        admin = admins.get(queue.voivodeship_id)
        assignee = admin if admin is not None and rng.random() < 0.5 else rng.choice(agents)
    return updated, first_response, resolved_at, closed_at, assignee


def ensure_tickets(target: int, rng: random.Random, units_by_voivodeship, agents, admins) -> int:
    from django.conf import settings
    from django.db import transaction
    from django.utils import timezone

    from tickets.models import Category, Queue, ReferenceCounter, Ticket

    missing = target - Ticket.objects.count()
    if missing <= 0:
        return 0
    print(f"Creating {missing} tickets", file=sys.stderr)
    queues = list(Queue.objects.all())
    queue_weights = {}
    for queue in queues:
        if queue.slug == "centralna":
            queue_weights[queue] = 35.0
        elif queue.slug == "do-rozdzielenia":
            queue_weights[queue] = 5.0
        elif queue.voivodeship_id == "14":  # mazowieckie: the largest voivodeship
            queue_weights[queue] = 12.0
        else:
            queue_weights[queue] = 3.2
    categories = [*Category.objects.all(), None]
    all_units = [unit for units in units_by_voivodeship.values() for unit in units]
    now = timezone.now()
    year_seconds = 365 * 86400
    created = sorted(now - timedelta(seconds=rng.uniform(0, year_seconds)) for _ in range(missing))

    prefix = settings.TICKET_REFERENCE_PREFIX
    counters: dict[int, int] = {}

    def next_number(year: int) -> int:
        if year not in counters:
            counter = ReferenceCounter.objects.filter(year=year).values_list("last_number", flat=True).first()
            last_ref = (
                Ticket.objects.filter(reference__startswith=f"{prefix}-{year}-")
                .order_by("-reference")
                .values_list("reference", flat=True)
                .first()
            )
            counters[year] = max(counter or 0, int(last_ref.rsplit("-", 1)[1]) if last_ref else 0)
        counters[year] += 1
        return counters[year]

    batch = []
    for opened in created:
        age = now - opened
        status = pick(rng, status_weights(age))
        queue = pick(rng, queue_weights)
        updated, first_response, resolved_at, closed_at, assignee = lifecycle(
            rng, opened, age, status, queue, admins, agents
        )
        unit = None
        if rng.random() < 0.85:
            pool = units_by_voivodeship.get(queue.voivodeship_id) or all_units
            unit = rng.choice(pool)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        domain = unit.email_domain if unit else "gmail.com"
        local_year = timezone.localtime(opened).year
        batch.append(
            Ticket(
                reference=f"{prefix}-{local_year}-{next_number(local_year):06d}",
                subject=rng.choice(SUBJECTS).format(form=rng.choice(FORMS), year=local_year - 1),
                status=status,
                priority=pick(rng, {1: 15, 2: 65, 3: 15, 4: 5}),
                channel=pick(rng, {"email": 65, "phone": 20, "web": 12, "api": 3}),
                category=rng.choice(categories),
                queue=queue,
                assignee=assignee,
                reporting_unit=unit,
                requester_name=f"{first} {last}",
                requester_email=f"{ascii_slug(first)}.{ascii_slug(last)}@{domain}",
                created_at=opened,
                updated_at=updated,
                first_response_at=first_response,
                resolved_at=resolved_at,
                closed_at=closed_at,
            )
        )
        if len(batch) >= BATCH:
            with transaction.atomic():
                Ticket.objects.bulk_create(batch)
            batch = []
    with transaction.atomic():
        Ticket.objects.bulk_create(batch)
        for year, last_number in counters.items():
            ReferenceCounter.objects.update_or_create(year=year, defaults={"last_number": last_number})
    return missing


def ensure_search_documents() -> None:
    """Give every generated ticket its full-text search document (tickets.search), as tickets.actions would:
    bulk-written tickets have none, and without them `?q=` would measure an empty search."""
    from django.db import transaction

    from tickets import search
    from tickets.models import Ticket, TicketSearch

    missing = Ticket.objects.exclude(pk__in=TicketSearch.objects.values("ticket_id")).order_by("pk")
    while chunk := list(missing[:BATCH]):
        with transaction.atomic():
            search.add_many((t.pk, search.document_tokens(search.ticket_text(t))) for t in chunk)


def vacuum_analyze() -> None:
    """Fresh statistics and visibility map, as autovacuum would leave them on a live database."""
    from django.db import connection

    from contacts.models import ReportingUnit
    from helpdesk.models import User
    from tickets.models import Queue, Ticket

    with connection.cursor() as cursor:
        for model in (Ticket, Queue, ReportingUnit, User):
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')


# --- measurement ---------------------------------------------------------------------------------------


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def machine_lines() -> list[str]:
    import django
    from django.db import connection

    from tickets.models import Ticket

    mem = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu_model = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0]
    return [
        f"- Machine: {platform.platform()}, {os.cpu_count()} CPUs ({cpu_model}), {mem} RAM",
        f"- Python {platform.python_version()}, Django {django.get_version()}",
        f"- Database: {connection.vendor}, {server}",
        f"- Tickets: {Ticket.objects.count():,}",
    ]


def measure(client, user, label: str, query: str, runs: int, warmup: int) -> dict:
    from django.db import connection
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from tickets import selectors

    url = "/tickets/" + (f"?{query}" if query else "")
    for _ in range(warmup):
        client.get(url)
    times, sql_times, query_counts, statuses = [], [], set(), set()
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - start
        times.append(elapsed * 1000)
        sql_times.append(sum(float(q["time"]) for q in ctx.captured_queries) * 1000)
        query_counts.add(len(ctx.captured_queries))
        statuses.add(response.status_code)
    matching = selectors.list_tickets(user, selectors.TicketFilters.from_query(QueryDict(query))).count()
    return {
        "label": label,
        "user": user.username,
        "url": url,
        "matching": matching,
        "queries": query_counts,
        "statuses": statuses,
        "median": statistics.median(times),
        "p95": p95(times),
        "sql_median": statistics.median(sql_times),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets the database must hold")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per combination")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per combination first")
    parser.add_argument("--q", default="korekta", help="the search word for ?q=")
    parser.add_argument("--budget-ms", type=float, default=150.0, help="the median every request must stay under")
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must point at PostgreSQL for this benchmark.", file=sys.stderr)
        return 2
    ensure_database(url)

    import django

    django.setup()

    from django.core.management import call_command
    from django.test import Client

    from helpdesk.models import User

    call_command("migrate", verbosity=0)
    rng = random.Random(SEED)
    units = ensure_units(rng)
    agents, admins = ensure_staff(rng)
    started = time.perf_counter()
    created = ensure_tickets(args.tickets, rng, units, agents, admins)
    ensure_search_documents()
    if created:
        print(f"Generated {created} tickets in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    vacuum_analyze()

    results = []
    for user in (agents[0], admins["14"]):
        user = User.objects.get(pk=user.pk)
        client = Client()
        client.force_login(user)
        for label, query in SCENARIOS:
            results.append(measure(client, user, label, query.format(q=args.q), args.runs, args.warmup))

    print(f"## Ticket list, {args.tickets:,} tickets, PostgreSQL\n")
    print("\n".join(machine_lines()))
    print(f"- Runs: {args.runs} timed requests per row after {args.warmup} warm-ups; budget {args.budget_ms:g} ms\n")
    return report(results, args.budget_ms, "median", "Matching tickets", lambda r: f"{r['matching']:,}")


def report(results: list[dict], budget_ms: float, statistic: str, rows_header: str, rows_of) -> int:
    """The markdown table of measured requests and the verdict: every `statistic` ("median" or "p95") under the
    budget, every response 200, the same query count in every run; exit status 1 otherwise."""
    print(f"| Request | User | {rows_header} | SQL queries | Median ms | p95 ms | SQL ms (median) | HTTP |")
    print("|---|---|--:|--:|--:|--:|--:|--:|")
    failures = []
    for r in results:
        queries = ", ".join(str(n) for n in sorted(r["queries"]))
        statuses = ", ".join(str(s) for s in sorted(r["statuses"]))
        print(
            f"| {r['label']} `{r['url']}` | {r['user']} | {rows_of(r)} | {queries} | "
            f"{r['median']:.1f} | {r['p95']:.1f} | {r['sql_median']:.1f} | {statuses} |"
        )
        if r[statistic] >= budget_ms:
            failures.append(f"{r['url']} as {r['user']}: {statistic} {r[statistic]:.1f} ms >= {budget_ms:g} ms")
        if r["statuses"] != {200}:
            failures.append(f"{r['url']} as {r['user']}: HTTP {statuses}")
        if len(r["queries"]) != 1:
            failures.append(f"{r['url']} as {r['user']}: query count varies between runs ({queries})")
    print()
    if failures:
        print("FAILED:\n" + "\n".join(f"- {f}" for f in failures))
        return 1
    print(f"OK: every {statistic} under {budget_ms:g} ms, every response 200, query counts constant per request.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
