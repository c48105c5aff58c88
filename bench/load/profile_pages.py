"""Where the time of a public page goes: each page of the load test's mix through Django's test client (the whole
middleware stack, no network), timed, with its SQL queries counted, and profiled with cProfile.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/load_test REDIS_URL=redis://127.0.0.1:6379/9 \\
        .venv/bin/python bench/load/profile_pages.py DATA.json [--runs 200] [--top 25] [--agents] [--only NAME]
            [--sort cumulative|tottime] [--dump FILE]

DATA.json is the load test's data file (bench/load_test.py prints where it is). `--agents` measures the agents'
pages of the mix instead (the ticket list plain, filtered as locust filters it and searched, and the ticket page of
the data file's tickets), logged in with the first agent session of the data file, whose cookies are kept between
requests as a browser keeps them; `--only` keeps the pages whose name contains NAME. Prints per page: median and
p95 ms, the CPU time of this process per request (what other load on the machine does not inflate; the
database's and Redis's own CPU are not in it), queries per request (cached answers: after the first request);
then the functions with the most cumulative CPU time over all pages (profiled in separate requests).
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
    parser.add_argument("--agents", action="store_true", help="the agents' pages instead of the public ones")
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--dump", help="also write the profile to this file (pstats), to read its callers")
    args = parser.parse_args()
    data = json.loads(Path(args.data).read_text())
    rng = random.Random(1)
    pages = agent_pages(data, rng) if args.agents else public_pages(data, rng)
    pages = {name: make for name, make in pages.items() if args.only in name}
    profile = cProfile.Profile(time.process_time)  # CPU, not wall time: other load on the machine stays out
    client = Client()  # one handler, as in a server process (a new Client loads the middleware again)
    print("| page | median ms | p95 ms | CPU ms (median) | queries (median) |\n|---|--:|--:|--:|--:|")
    for name, make in pages.items():
        times, cpu, queries = [], [], []
        for n in range(args.runs):
            path, params = make()
            login(client, data, args.agents)
            with CaptureQueriesContext(connection) as captured:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = client.get(path, params, REMOTE_ADDR=f"10.0.{n // 250}.{n % 250 + 1}")
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200, (name, response.status_code)
            queries.append(len(captured.captured_queries))
        # profiled apart, so that the profiler's own cost stays out of the times (not at all with --top 0)
        for n in range(max(args.runs // 4, 1) if args.top or args.dump else 0):
            path, params = make()
            login(client, data, args.agents)
            profile.enable()
            client.get(path, params, REMOTE_ADDR=f"10.1.{n // 250}.{n % 250 + 1}")
            profile.disable()
        times.sort()
        print(
            f"| {name} | {statistics.median(times):.1f} | {times[int(0.95 * len(times))]:.1f} | "
            f"{statistics.median(cpu):.1f} | {statistics.median(queries):.0f} |"
        )
    if args.dump:
        profile.dump_stats(args.dump)
    out = io.StringIO()
    if args.top:
        pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
        print("\n```\n" + out.getvalue().strip() + "\n```")


def login(client: Client, data: dict, agent: bool) -> None:
    """A unit's browser has no cookies (each request a new visitor); an agent's keeps its session and CSRF cookie."""
    if not agent:
        client.cookies.clear()
    elif "sessionid" not in client.cookies:
        client.cookies["sessionid"] = data["sessions"][0]


def agent_pages(data: dict, rng: random.Random) -> dict:
    return {
        "agent: ticket list": lambda: ("/tickets/", {}),
        "agent: ticket list (filter)": lambda: ("/tickets/", {"status": "open", "assignee": "me"}),
        "agent: ticket list (open, woj-14)": lambda: ("/tickets/", {"status": "open", "queue": "woj-14"}),
        "agent: ticket search": lambda: ("/tickets/", {"q": rng.choice(["korekta", "sprawozdanie", "hasło"])}),
        "agent: ticket page": lambda: (f"/tickets/{rng.choice(data['tickets'])}/", {}),
    }


def public_pages(data: dict, rng: random.Random) -> dict:
    return {
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


if __name__ == "__main__":
    main()
