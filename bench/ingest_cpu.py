"""Benchmark: CPU time per message of e-mail ingestion (Maildir → PostgreSQL), the ingesting process, its parsing
workers and its PostgreSQL backend apart, medians of --repeat runs for each number of workers.

On a shared machine the wall clock measures the others; the CPU time of the processes doing the work does not
(much). The ingesting process is the bottleneck of ingestion (the parsing workers run beside it), so its CPU per
message is the figure to compare between two commits, run back to back:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wt_NAME_bench \
        .venv/bin/python bench/ingest_cpu.py [--messages 2000] [--workers 0,1] [--repeat 3]

The messages are those of bench/ingest_mail.py (its generator, same seed), written to a Maildir and ingested by
`ingest_mail`'s path (ingest_stream) on emptied tables of a database whose name contains "bench".
"""

from __future__ import annotations

import argparse
import json
import mailbox as stdlib_mailbox
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import ingest_mail  # noqa: E402  (sets the environment up for Django)


def _children_cpu() -> float:
    return ingest_mail.workers_cpu_seconds()  # waits for the workers to be reaped


def one_run(maildir: Path, workers: int) -> dict:
    from django.db import connection

    from inbox_ingest import sources
    from inbox_ingest.management.commands.ingest_mail import ingest_stream

    ingest_mail.empty_tables()
    process, children = time.process_time(), _children_cpu()
    backend = ingest_mail.backend_cpu_seconds(connection)
    started = time.perf_counter()
    count = sum(1 for _result in ingest_stream(sources.messages(maildir), mailbox=None, workers=workers))
    return {
        "messages": count,
        "seconds": time.perf_counter() - started,
        "process_s": time.process_time() - process,
        "workers_s": _children_cpu() - children,  # once the workers have ended (after the wall clock)
        "backend_s": ingest_mail.backend_cpu_seconds(connection) - backend,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--workers", default="0,1", help="parsing worker processes, comma-separated (default 0,1)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print the runs as JSON too")
    parser.add_argument("--label", default="", help="what the tree is (e.g. a commit), for the report")
    args = parser.parse_args()
    url = os.environ.setdefault("DATABASE_URL", ingest_mail.DEFAULT_URL)
    ingest_mail.prepare_database(url)

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    from helpdesk.celery import app

    app.conf.task_always_eager = False
    call_command("migrate", verbosity=0)
    messages = ingest_mail.generate(args.messages)
    workdir = Path(tempfile.mkdtemp(prefix="ssoz-bench-cpu-"))
    box = stdlib_mailbox.Maildir(workdir / "Maildir")
    for raw in messages:
        box.add(raw)

    load_before = os.getloadavg()
    counts = [int(value) for value in args.workers.split(",")]
    runs: dict[int, list[dict]] = {workers: [] for workers in counts}
    for _ in range(args.repeat):  # interleaved, so a change of load touches every setting alike
        for workers in counts:
            runs[workers].append(one_run(workdir / "Maildir", workers))
    load_after = os.getloadavg()

    print(f"## E-mail ingestion CPU per message, {len(messages):,} messages, medians of {args.repeat} runs\n")
    print(f"- Tree: {ROOT} ({args.label or 'unlabelled'})")
    print(f"- Machine: {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"- Load average before: {', '.join(f'{v:.2f}' for v in load_before)}; after: "
          f"{', '.join(f'{v:.2f}' for v in load_after)}\n")  # fmt: skip
    print("| workers | ingesting process ms/msg | parsing workers ms/msg | PostgreSQL backend ms/msg "
          "| all ms/msg | process msgs per CPU-s | wall msgs/s |")  # fmt: skip
    print("|--:|--:|--:|--:|--:|--:|--:|")
    for workers, items in runs.items():
        n = items[0]["messages"]

        def median(key: str, items: list[dict] = items) -> float:
            return statistics.median(item[key] for item in items)

        every = statistics.median(item["process_s"] + item["workers_s"] + item["backend_s"] for item in items)
        print(
            f"| {workers} | {median('process_s') / n * 1000:.3f} | {median('workers_s') / n * 1000:.3f} "
            f"| {median('backend_s') / n * 1000:.3f} | {every / n * 1000:.3f} | {n / median('process_s'):.1f} "
            f"| {n / median('seconds'):.1f} |"
        )
    if args.json:
        print("\n```json\n" + json.dumps(runs, indent=1) + "\n```")


if __name__ == "__main__":
    main()
