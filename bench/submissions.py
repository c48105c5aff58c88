"""Benchmark: reporting units and submission statuses at national scale in PostgreSQL.

Claims checked:
- `import_units` loads 200,000 units (with a contact person each) in under a minute;
- `import_submissions` takes 1,000,000 rows in minutes, with flat memory;
- the public lookup (`GET /api/v1/submissions/lookup` and `/status/`) answers with p95 under 20 ms over
  200,000 units × 15 forms × 3 years (about 9 million status rows).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench .venv/bin/python bench/submissions.py \
        [--units 200000] [--years 3] [--import-rows 1000000] [--runs 300]

The script creates the database if missing and migrates it. Units are loaded through `manage.py import_units`
from a generated CSV (timed); the ~9M status rows of the baseline are then written with COPY (bench data, not
measured); a generated file of --import-rows newer status changes goes through `manage.py import_submissions`
in a child process (timed, peak memory reported), and the same file again (idempotent re-import). Finally the
lookup is timed through django.test.Client for random REGONs. Exit status 1 when a claim fails.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("DEBUG", "false")  # measured as production runs (static files from the manifest)
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)
os.environ.setdefault("HTTPS", "false")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("LOOKUP_RATE_LIMIT", "1000000")  # the benchmark is one client asking many times

SEED = 20260301
VOIVODESHIPS = [f"{code:02d}" for code in range(2, 33, 2)]
KINDS = ["szpital", "przychodnia", "indywidualna praktyka lekarska", "grupowa praktyka lekarska", "inny"]
STATUS_WEIGHTS = {
    "accepted": 50, "under_verification": 8, "submitted": 8, "returned": 5, "corrected": 4,
    "draft": 8, "after_deadline": 7, "assigned": 10,
}  # fmt: skip


def ensure_database(url: str) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    cfg = dj_database_url.parse(url)
    params = {k.lower(): cfg.get(k) or None for k in ("HOST", "PORT", "USER", "PASSWORD")}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [cfg["NAME"]]).fetchone():
            print(f"Creating database {cfg['NAME']}", file=sys.stderr)
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(cfg["NAME"])))


def regon_for(number: int) -> str:
    from stdnum.pl import regon

    body = f"{10_000_000 + number:08d}"
    return body + regon.calc_check_digit(body)


def write_units_csv(path: Path, count: int) -> None:
    rng = random.Random(SEED)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["REGON", "Nazwa", "Rodzaj", "Kod TERYT", "Adres", "E-mail", "Telefon", "Osoba kontaktowa"])
        for n in range(count):
            code = rng.choice(VOIVODESHIPS)
            writer.writerow(
                [
                    regon_for(n),
                    f"Jednostka testowa {n}",
                    rng.choice(KINDS),
                    f"{code}{rng.randint(1, 63):02d}{rng.randint(1, 99):02d}{rng.randint(1, 5)}",
                    f"ul. Testowa {n % 300 + 1}",
                    f"kontakt{n}@jednostka{n}.example.pl",
                    f"5{n:08d}",
                    f"Osoba {n}",
                ]
            )


def child(command: list[str]) -> tuple[float, int, str, str]:
    """Run a manage.py command in a child process: (seconds, peak RSS in MiB, output, CPU seconds of the child
    and of its database backend as "client + database": on a shared machine the wall time says little)."""
    started = time.monotonic()
    wrapper = (
        "import os, resource, sys; from django.core.management import execute_from_command_line; "
        "import django; sys.argv = ['manage.py'] + sys.argv[1:]; "
        "from django.db import connections; connections.close_all = lambda: None; "  # keep its backend to ask
        "execute_from_command_line(sys.argv); "
        "from django.db import connection; cursor = connection.cursor(); cursor.execute('SELECT pg_backend_pid()'); "
        "stat = open(f'/proc/{cursor.fetchone()[0]}/stat').read().rsplit(')', 1)[1].split(); "
        "usage = resource.getrusage(resource.RUSAGE_SELF); "
        "print('MAXRSS', usage.ru_maxrss); print('CPU', usage.ru_utime + usage.ru_stime); "
        "print('DBCPU', (int(stat[11]) + int(stat[12])) / os.sysconf('SC_CLK_TCK'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", wrapper, *command], cwd=ROOT, capture_output=True, text=True, check=False
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        print(done.stdout, done.stderr, file=sys.stderr)
        raise SystemExit(f"{command[0]} failed")
    found = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines() if line.startswith(_MEASURES)}
    output = "\n".join(line for line in done.stdout.splitlines() if not line.startswith(_MEASURES))
    cpu = f"{float(found['CPU']):.1f} + {float(found['DBCPU']):.1f} s"
    return seconds, int(found["MAXRSS"]) // 1024, output, cpu


_MEASURES = ("MAXRSS ", "CPU ", "DBCPU ")


def copy_baseline(years: list[int]) -> int:
    """Write one status row per unit, form and year with COPY (bench data; product imports use the engine)."""
    from django.db import connection

    from contacts.models import ReportingUnit, StatisticalForm, Submission, SubmissionStatus

    rng = random.Random(SEED + 1)
    forms = list(StatisticalForm.objects.values_list("pk", flat=True))
    statuses = {s.code: s.pk for s in SubmissionStatus.objects.all()}
    codes, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    unit_ids = list(ReportingUnit.objects.order_by("pk").values_list("pk", flat=True))
    table = Submission._meta.db_table
    written = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor
        columns = "unit_id, form_id, year, status_id, changed_at, source, created_at, updated_at"
        with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for unit_id in unit_ids:
                for form_id in forms:
                    for year in years:
                        status = statuses["assigned"] if year == years[-1] else statuses[rng.choices(codes, weights)[0]]
                        moment = f"{year + 1}-0{rng.randint(1, 4)}-{rng.randint(10, 28)} 10:00:00+01"
                        copy.write_row((unit_id, form_id, year, status, moment, "import", moment, moment))
                        written += 1
    return written


def write_changes_file(path: Path, rows: int, year: int, units: int) -> None:
    """`rows` newer status changes of year `year`, for random units and forms, as a CSV the statistics system
    could send (distinct (unit, form) pairs, so every row is a real update)."""
    from contacts.models import StatisticalForm

    rng = random.Random(SEED + 2)
    forms = list(StatisticalForm.objects.values_list("code", flat=True))
    pairs = rng.sample(range(units * len(forms)), rows)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["regon", "form", "year", "status", "changed_at"])
        for pair in pairs:
            unit, form = divmod(pair, len(forms))
            status = rng.choice(["accepted", "returned", "corrected", "under_verification"])
            writer.writerow(
                [regon_for(unit), forms[form], year, status, f"{year + 1}-05-{rng.randint(1, 28):02d} 12:00"]
            )


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def time_lookups(paths: list[str], regons: list[str], runs: int) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    results = []
    rng = random.Random(SEED + 3)
    for label, path, extra in paths:
        for regon in regons[:20]:  # warm-up
            client.get(path, {"regon": regon, **extra})
        times, queries, statuses = [], set(), set()
        for _ in range(runs):
            regon = rng.choice(regons)
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(path, {"regon": regon, **extra})
                times.append((time.perf_counter() - started) * 1000)
            queries.add(len(captured))
            statuses.add(response.status_code)
        results.append(
            {
                "label": label,
                "median": statistics.median(times),
                "p95": p95(times),
                "queries": "/".join(str(q) for q in sorted(queries)),
                "status": "/".join(str(s) for s in sorted(statuses)),
            }
        )
    return results


def machine_lines() -> list[str]:
    import django
    from django.db import connection

    mem = cpu = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        server = cursor.fetchone()[0]
    return [
        f"- Machine: {platform.platform()}, {os.cpu_count()} CPUs ({cpu}), {mem} RAM",
        f"- Python {platform.python_version()}, Django {django.get_version()}",
        f"- Database: {server}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=200_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--units-only", action="store_true", help="Only time import_units (into an empty database).")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("Set DATABASE_URL to a PostgreSQL database of its own (see bench/README.md).", file=sys.stderr)
        return 2
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from contacts.models import ReportingUnit, StatisticalForm, Submission, SubmissionChange

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    report = ["## Reporting units and submission statuses, PostgreSQL", ""]
    claims_hold = True
    latest = 2026
    years = list(range(latest - args.years + 1, latest + 1))
    work = Path(tempfile.mkdtemp(prefix="bench-submissions-"))
    lines = []

    if ReportingUnit.objects.count() < args.units:
        units_csv = work / "units.csv"
        write_units_csv(units_csv, args.units)
        seconds, rss, output, cpu = child(["import_units", str(units_csv), "--quiet"])
        rate = args.units / seconds
        lines.append(
            f"| `import_units` {args.units:,} units + people (new) | {seconds:.1f} s | {rate:,.0f}/s | {rss} MiB "
            f"| {cpu} |"
        )
        claims_hold &= seconds < 60
        print(output, file=sys.stderr)
        seconds, rss, output, cpu = child(["import_units", str(units_csv), "--quiet"])
        rate = args.units / seconds
        lines.append(
            f"| `import_units` the same file again (unchanged) | {seconds:.1f} s | {rate:,.0f}/s | {rss} MiB | {cpu} |"
        )
    if args.units_only:
        print(
            "\n".join(
                [
                    *report,
                    *machine_lines(),
                    "",
                    "| Import | Time | Rate | Peak memory | CPU client + database |",
                    "|---|--:|--:|--:|--:|",
                    *lines,
                ]
            )
        )
        return 0 if claims_hold else 1
    units = ReportingUnit.objects.count()
    expected = units * StatisticalForm.objects.count() * len(years)
    if Submission.objects.count() < expected:
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {SubmissionChange._meta.db_table}, {Submission._meta.db_table}")
        written = copy_baseline(years)
        print(f"baseline: {written:,} status rows by COPY in {time.monotonic() - started:.0f} s", file=sys.stderr)
    with connection.cursor() as cursor:
        for model in (ReportingUnit, Submission, SubmissionChange):
            cursor.execute(f'VACUUM ANALYZE "{model._meta.db_table}"')
    status_rows = Submission.objects.count()

    if args.import_rows:
        changes = work / "changes.csv"
        write_changes_file(changes, args.import_rows, years[-2], units)
        for label in ("newer statuses, all updates + history", "the same file again (all unchanged)"):
            seconds, rss, output, cpu = child(["import_submissions", str(changes), "--quiet"])
            print(output, file=sys.stderr)
            lines.append(
                f"| `import_submissions` {args.import_rows:,} rows: {label} | {seconds:.1f} s | "
                f"{args.import_rows / seconds:,.0f}/s | {rss} MiB | {cpu} |"
            )
            claims_hold &= seconds < 600
        small = work / "changes-small.csv"
        with changes.open() as source, small.open("w") as target:
            for n, line in enumerate(source):
                if n > args.import_rows // 10:
                    break
                target.write(line)
        seconds, rss, _output, cpu = child(["import_submissions", str(small), "--quiet"])
        lines.append(
            f"| `import_submissions` {args.import_rows // 10:,} rows (memory comparison, unchanged) | "
            f"{seconds:.1f} s | {args.import_rows // 10 / seconds:,.0f}/s | {rss} MiB | {cpu} |"
        )

    regons = list(ReportingUnit.objects.order_by("?").values_list("regon", flat=True)[:2000])
    lookups = time_lookups(
        [
            ("API, all forms of the year", "/api/v1/submissions/lookup", {"year": years[-2]}),
            ("API, one form", "/api/v1/submissions/lookup", {"year": years[-2], "form": "MZ-88"}),
            ("page /status/, all forms", "/status/", {"year": str(years[-2])}),
        ],
        regons,
        args.runs,
    )
    report += [
        f"- Date: {time.strftime('%Y-%m-%d', time.gmtime())} (UTC)",
        f"- Command: `DATABASE_URL=… .venv/bin/python bench/submissions.py --units {args.units} --years {args.years} "
        f"--import-rows {args.import_rows} --runs {args.runs}`",
        *machine_lines(),
        f"- Data: {units:,} units, {StatisticalForm.objects.count()} forms, {len(years)} years: "
        f"{status_rows:,} status rows",
        "",
    ]
    if lines:
        report += [
            "| Import | Time | Rate | Peak memory (child process) | CPU client + database |",
            "|---|--:|--:|--:|--:|",
            *lines,
            "",
        ]
    report += ["| Lookup | Median ms | p95 ms | SQL queries | HTTP |", "|---|--:|--:|--:|--:|"]
    for row in lookups:
        report.append(
            f"| {row['label']} | {row['median']:.1f} | {row['p95']:.1f} | {row['queries']} | {row['status']} |"
        )
        claims_hold &= row["p95"] < 20 and row["status"] == "200"
    report += ["", "All claims hold." if claims_hold else "A CLAIM FAILED (see above)."]
    print("\n".join(report))
    return 0 if claims_hold else 1


if __name__ == "__main__":
    sys.exit(main())
