"""CPU per request of the six public pages of deadline day (issue 16), in this process: the status lookup page and
API, the KB search page and API, an article, the front page. Each request goes through django.test.Client (the
full middleware stack, the view, the template; no network) with production settings (DEBUG=false, Redis) from an
address of its own and without cookies, as a visitor of deadline day; `time.process_time()` around it. Printed per
page and cache case: median and p90 of CPU ms, Redis round trips and SQL queries per request (medians), the
answers' status codes.

Cache cases: `warm` (every timed question was asked once just before: its answer and page are kept in Redis),
`new` (questions drawn afresh: with thousands of REGONs a status lookup is mostly a new question, its answer
computed, while the shared answers, e.g. the forms' list, are kept), `cold` (the Redis db is flushed before
every timed request: every answer computed, every page rendered).

Data: `--data FILE` (the load test's data file, bench/load_test.py: regons, year, queries, slugs) against the
database it was made for; without it the database's own units, articles and a few searches are used, and an empty
database is migrated and loaded with the demo data first (`manage.py load_demo`). Run from the project root:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/load_test REDIS_URL=redis://127.0.0.1:6379/6 \\
        HELPDESK_VAR_DIR=/tmp/load_xxx/var .venv/bin/python bench/public_cpu.py --data /tmp/load_xxx/data.json

The Redis db of REDIS_URL is flushed. `--profile` prints cProfile's top functions per page (cumulative).
Compare two checkouts by running each from its own root back to back on the same machine (the figures move with
the machine's load; its load average is printed).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path.cwd()
sys.path.insert(0, str(ROOT))

CASES = ("warm", "new", "cold")
PAGES = ("status page", "status API", "KB search page", "KB search API", "article", "front page")
SEARCHES = ["hasło", "jak wysłać sprawozdanie", "termin złożenia", "korekta sprawozdania", "logowanie", "REGON"]


def configure(args: argparse.Namespace) -> None:
    env = {
        "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": "bench-" + "x" * 50,
        "ALLOWED_HOSTS": "testserver,127.0.0.1",
    }
    for name, value in env.items():
        os.environ.setdefault(name, value)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database")
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("REDIS_URL must name a Redis db of the bench's own (it is flushed)")
    if not os.environ.get("HELPDESK_VAR_DIR"):
        var = Path(tempfile.gettempdir()) / "public_cpu_var"
        os.environ["HELPDESK_VAR_DIR"] = str(var)
    import django

    django.setup()


def prepare_database(data_file: str | None) -> dict:
    """The questions to ask: from the load test's data file, else from the database (demo data when empty)."""
    from django.conf import settings
    from django.core.management import call_command

    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", "--no-input", verbosity=0)
    if data_file:
        return json.loads(Path(data_file).read_text())
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if not any(part in name for part in ("wt_", "bench", "load")):
        raise SystemExit(f"without --data the database is migrated and filled: use one named wt_/bench/load ({name})")
    call_command("migrate", "--no-input", verbosity=0)
    from contacts.models import ReportingUnit, Submission
    from knowledge_base.models import Article

    if not ReportingUnit.objects.exists():
        subprocess.run(
            [sys.executable, "manage.py", "load_demo", "--quiet"],
            env={**os.environ, "ALLOW_DEMO_DATA": "true"},
            cwd=ROOT,
            check=True,
        )
    rows = list(Submission.objects.values_list("unit__regon", "year").distinct()[:500])
    if not rows:
        raise SystemExit("no submission in the database")
    year = max(year for _, year in rows)
    return {
        "year": year,
        "regons": sorted({regon for regon, row_year in rows if row_year == year}),
        "queries": SEARCHES,
        "slugs": list(Article.objects.live().filter(visibility="public").values_list("slug", flat=True)[:200]),
    }


class Counters:
    """Redis round trips (one per packet of commands sent: a pipeline is one) and SQL queries."""

    def __init__(self) -> None:
        import redis.connection
        from django.db import connections

        self.redis = 0
        self.sql = 0
        original = redis.connection.AbstractConnection.send_packed_command
        counters = self

        def send_packed_command(conn, command, check_health=True):
            counters.redis += 1
            return original(conn, command, check_health)

        redis.connection.AbstractConnection.send_packed_command = send_packed_command

        def count(execute, sql, params, many, context):
            counters.sql += 1
            return execute(sql, params, many, context)

        self._wrapper = count
        self._connections = connections

    def install(self) -> None:
        for conn in self._connections.all():
            if self._wrapper not in conn.execute_wrappers:
                conn.execute_wrappers.append(self._wrapper)


def requests_of(data: dict, rng: random.Random):
    """The client, and per page a function drawing one request's (path, parameters)."""
    from django.test import Client

    def lookup() -> tuple[str, dict]:
        return "", {"regon": rng.choice(data["regons"]), "year": data["year"]}

    def search() -> tuple[str, dict]:
        return "", {"q": rng.choice(data["queries"])}

    draws = {
        "status page": lambda: ("/status/", lookup()[1]),
        "status API": lambda: ("/api/v1/submissions/lookup", lookup()[1]),
        "KB search page": lambda: ("/szukaj/", search()[1]),
        "KB search API": lambda: ("/api/v1/kb/search", search()[1]),
        "article": lambda: (f"/artykul/{rng.choice(data['slugs'])}/", {}),
        "front page": lambda: ("/", {}),
    }
    return Client(), draws


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def machine() -> str:
    load = Path("/proc/loadavg").read_text().split()[:3]
    git = ["git", "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git, cwd=ROOT, capture_output=True, text=True, check=False)
    return f"{os.cpu_count()} CPUs, load {' '.join(load)}, {ROOT} at {commit.stdout.strip() or '?'}"


def database() -> str:
    from django.db import connection

    from contacts.models import ReportingUnit, Submission
    from knowledge_base.models import Article

    return (
        f"{connection.settings_dict['NAME']}: {ReportingUnit.objects.count()} units, "
        f"{Submission.objects.count()} submissions, {Article.objects.live().count()} live articles"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", help="the load test's data file (regons, year, queries, slugs)")
    parser.add_argument("--runs", type=int, default=200, help="timed requests per page and case (200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first (20)")
    parser.add_argument("--cases", default="warm,new,cold", help="comma-separated, of warm, new, cold (all)")
    parser.add_argument("--only", action="append", choices=PAGES, help="this page only (repeatable)")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions per page and case")
    args = parser.parse_args()

    configure(args)
    data = prepare_database(args.data)
    from django.core.cache import cache

    counters = Counters()
    rng = random.Random(args.seed)
    client, draws = requests_of(data, rng)
    redis_client = cache._cache.get_client(write=True)  # the bench's own db (REDIS_URL): flushed
    redis_client.flushdb()

    def address() -> str:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"

    def ask(path: str, params: dict):
        client.cookies.clear()  # a visitor without a session, as every visitor of deadline day
        return client.get(path, params, REMOTE_ADDR=address())

    print(f"# Public pages, CPU per request ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})\n")
    print(f"- machine: {machine()}")
    print(f"- database: {database()}")
    print(f"- {args.runs} timed requests per row after {args.warmup} untimed; every request from a new address\n")
    print("| page | cache | CPU ms median | CPU ms p90 | Redis round trips | SQL queries | statuses |")
    print("|---|---|---:|---:|---:|---:|---|")
    profiles = []
    for case in args.cases.split(","):
        if case not in CASES:
            raise SystemExit(f"unknown case {case!r}: one of {', '.join(CASES)}")
        for name in PAGES:
            if args.only and name not in args.only:
                continue
            for _ in range(args.warmup):
                ask(*draws[name]())
            questions = [draws[name]() for _ in range(args.runs)]
            if case == "warm":
                for question in questions:  # asked once before: the answers and pages are kept
                    ask(*question)
            profile = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall time
            times, trips, queries, statuses = [], [], [], {}
            for question in questions:
                if case == "cold":
                    redis_client.flushdb()
                counters.install()
                counters.redis = counters.sql = 0
                started = time.process_time()
                if profile:
                    profile.enable()
                response = ask(*question)
                if profile:
                    profile.disable()
                times.append((time.process_time() - started) * 1000)
                trips.append(counters.redis)
                queries.append(counters.sql)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            print(
                f"| {name} | {case} | {statistics.median(times):.2f} | {pct(times, 0.9):.2f} | "
                f"{statistics.median(trips):g} | {statistics.median(queries):g} | "
                f"{', '.join(f'{code}×{n}' for code, n in sorted(statuses.items()))} |",
                flush=True,
            )
            if profile:
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(40)
                profiles.append(f"## {name}, {case}\n\n```\n{out.getvalue()[:12000]}\n```\n")
    redis_client.flushdb()
    for text in profiles:
        print("\n" + text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
