"""Where the time of a public page goes: each page of the load test's mix through Django's test client (the whole
middleware stack, no network), timed, with its SQL queries counted, and profiled with cProfile.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/load_test REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/load/profile_pages.py DATA.json [--runs 200] [--top 25]

DATA.json is the load test's data file (bench/load_test.py prints where it is). Prints per page: median and
p95 ms, the CPU time of this process per request (what other load on the machine does not inflate; the
database's and Redis's own CPU are not in it), queries per request (cached answers: after the first request);
then the functions with the most cumulative time over all pages (profiled in separate requests).
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
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
SETTINGS = {
    "DJANGO_SETTINGS_MODULE": "helpdesk.settings",
    "DEBUG": "false",
    "HTTPS": "false",
    "ALLOWED_HOSTS": "testserver",
    "SECRET_KEY": "profile-" + "k" * 50,
    "LOG_LEVEL": "WARNING",
}
for key, value in SETTINGS.items():
    os.environ.setdefault(key, value)

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    data = json.loads(Path(args.data).read_text())
    rng = random.Random(1)
    pages = {
        "status page": lambda: ("/status/", {"regon": rng.choice(data["regons"][:50]), "year": data["year"]}),
        "status API": lambda: (
            "/api/v1/submissions/lookup",
            {"regon": rng.choice(data["regons"][:50]), "year": data["year"]},
        ),
        "KB search page": lambda: ("/szukaj/", {"q": rng.choice(data["queries"][:22])}),
        "KB search API": lambda: ("/api/v1/kb/search", {"q": rng.choice(data["queries"][:22])}),
        "article": lambda: (f"/artykul/{rng.choice(data['slugs'][:20])}/", {}),
        "front page": lambda: ("/", {}),
        "contact form": lambda: ("/kontakt/", {}),
    }
    profile = cProfile.Profile()
    client = Client()  # one handler, as in a server process (a new Client loads the middleware again)
    print("| page | median ms | p95 ms | CPU ms (median) | queries (median) |\n|---|--:|--:|--:|--:|")
    for name, make in pages.items():
        times, cpu, queries = [], [], []
        for n in range(args.runs):
            path, params = make()
            client.cookies.clear()
            with CaptureQueriesContext(connection) as captured:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(path, params, REMOTE_ADDR=f"10.0.{n // 250}.{n % 250 + 1}")
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200, (name, response.status_code)
            queries.append(len(captured.captured_queries))
        for n in range(max(args.runs // 4, 1)):  # profiled apart: the profiler's own cost stays out of the times
            path, params = make()
            profile.enable()
            client.get(path, params, REMOTE_ADDR=f"10.1.{n // 250}.{n % 250 + 1}")
            profile.disable()
        times.sort()
        print(
            f"| {name} | {statistics.median(times):.1f} | {times[int(0.95 * len(times))]:.1f} | "
            f"{statistics.median(cpu):.1f} | {statistics.median(queries):.0f} |"
        )
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    print("\n```\n" + out.getvalue().strip() + "\n```")


if __name__ == "__main__":
    main()
