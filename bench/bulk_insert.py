"""Benchmark: helpdesk.speed.bulk.insert() of plain new rows on PostgreSQL, COPY against INSERT … SELECT unnest.

The imports of contacts write two kinds of rows through bulk.insert(): upserts and rows whose keys they need
back (one array per column, INSERT … unnest … ON CONFLICT / RETURNING), and plain new rows (the history of an
import, a person's e-mail addresses and phone numbers), which go in with COPY. This times the plain rows both
ways, in one process, as CPU seconds of the client (time.process_time) and of its database backend
(/proc/<backend pid>/stat, so the database must be on this machine), each write rolled back. The INSERT is
forced by an `ON CONFLICT DO NOTHING` that never fires (the tables have no unique index on these columns).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/helpdesk_bench .venv/bin/python bench/bulk_insert.py [--rows 100000]

Run it on the database bench/submissions.py filled (it reads that run's Submission rows).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 40)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection, transaction
    from django.utils import timezone
    from submissions import machine_lines

    from contacts.models import Person, PersonPhone, Submission, SubmissionChange
    from helpdesk.speed import bulk

    def backend_cpu() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")

    now = timezone.now()
    with transaction.atomic():
        person = Person.objects.create(name="bench")
        submissions = list(Submission.objects.values_list("pk", "status_id")[: args.rows])
        history = ["submission_id", "status_id", "changed_at", "recorded_at", "source", "actor_id", "import_run_id"]
        cases = {
            "PersonPhone": (
                PersonPhone,
                ["person_id", "number"],
                [[person.pk, f"+48{n:09d}"] for n in range(args.rows)],
            ),
            "SubmissionChange": (
                SubmissionChange,
                [*history, "note"],
                [[pk, status, now, now, "file", None, None, ""] for pk, status in submissions],
            ),
        }
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        lines = []
        for name, (model, columns, rows) in cases.items():
            times: dict[str, list[tuple[float, float, float]]] = {"COPY": [], "INSERT … unnest": []}
            for _run in range(args.runs):
                for way, tail in (("COPY", ""), ("INSERT … unnest", "ON CONFLICT DO NOTHING")):
                    with transaction.atomic():
                        cpu, database, wall = time.process_time(), backend_cpu(), time.perf_counter()
                        bulk.insert(model, columns, rows, tail=tail)
                        times[way].append(
                            (time.process_time() - cpu, backend_cpu() - database, time.perf_counter() - wall)
                        )
                        transaction.set_rollback(True)
            for way, got in times.items():
                client, server, wall = (statistics.median(t[n] for t in got) for n in range(3))
                lines.append(
                    f"| {name}, {len(rows):,} rows | {way} | {client:.2f} | {server:.2f} | {client + server:.2f} "
                    f"| {wall:.2f} |"
                )
        transaction.set_rollback(True)
    print("\n".join(["## bulk.insert() of plain rows: COPY against INSERT … unnest", "", *machine_lines()]))
    print(f"- Date: {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} (UTC)")
    print(f"- Command: `DATABASE_URL=… .venv/bin/python bench/bulk_insert.py --rows {args.rows} --runs {args.runs}`")
    print(f"- Load average before: {load}; medians of {args.runs} runs")
    print("\n| Rows | Way | CPU client s | CPU database s | CPU total s | Wall s |\n|---|---|--:|--:|--:|--:|")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
