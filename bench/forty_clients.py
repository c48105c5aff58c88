"""One web process exactly as the README's production section starts it, under 40 concurrent clients (issue 16's
"done when": no error).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/load_recipe REDIS_URL=redis://127.0.0.1:6379/11 \\
        .venv/bin/python bench/forty_clients.py [--clients 40] [--seconds 30]

What runs:
- ONE daphne started with deploy/helpdesk-web@.service's ExecStart (read from the unit, a free port of
  127.0.0.1 as its instance), in the environment of deploy/env.example: DEBUG=false, HTTPS at its production
  default (on: the clients send `X-Forwarded-Proto: https` as the shipped nginx does), PostgreSQL from
  DATABASE_URL with the pool at its defaults (DB_POOL_MAX_SIZE 10, DB_POOL_TIMEOUT 10 s), WEB_REQUEST_THREADS at
  its default (8), Redis from REDIS_URL (cache, channel layer, broker; its database is flushed first, so every
  run starts with a cold cache as after a restart). No nginx: one process has nothing to spread over.
- The database (its name must contain `bench` or `load`) is created when missing, migrated, its static files
  collected, and loaded with the demo data (`manage.py load_demo`) when it holds no reporting unit.
- `--clients` threads (40), each a `requests` session (keep-alive, as a browser), reading the public pages for
  `--seconds` (30), one visit after another: the front page, the status lookup page and API for a REGON of the
  demo data, the KB search page and API, an article. Each visit comes from a client address of its own
  (X-Forwarded-For, which daphne trusts with --proxy-headers as behind nginx): the per-address limits
  (LOOKUP_RATE_LIMIT 30 a minute, KB_SEARCH_PER_MINUTE 120) count people, as on the day, so no 429 is provoked.

The report: requests, answers by status, p50/p95/max, requests/s, daphne's CPU per request (from /proc: less
distorted by a shared machine than wall-clock times), the most PostgreSQL connections to the database at once
(pg_stat_activity every 0.5 s), the load average before and after, the machine. Exit status 1 when any answer
is not 200 (a 5xx, a connection error or time-out, a 429 or 400, which none of these requests provokes), 2 on a
wrong set-up.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from load_test import ConnectionSampler, free_port, machine, production_env, wait_for_port  # noqa: E402

from tests.shipped_unit import web_command_here  # noqa: E402

PYTHON = Path(sys.executable)
SEARCHES = ["sprawozdanie", "termin", "MZ-03", "korekta", "hasło", "REGON", "zmiana administratora", "MZ-11"]
FACTS = """
import json
from contacts.models import ReportingUnit, Submission
from knowledge_base.models import Article
lookups = list(Submission.objects.filter(unit__regon__isnull=False).values_list("unit__regon", "year")[:300])
if not lookups:
    regons = ReportingUnit.objects.exclude(regon=None).values_list("regon", flat=True)[:300]
    lookups = [(regon, None) for regon in regons]
print(json.dumps({"lookups": lookups, "articles": [a.get_absolute_url() for a in Article.objects.live()[:100]]}))
"""


def manage(env: dict, *args: str) -> str:
    done = subprocess.run(
        [str(PYTHON), "manage.py", *args], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    return done.stdout


def prepare(env: dict) -> dict:
    """The database made ready (created, migrated, static files, demo data when empty); the data to ask for."""
    from ticket_list import ensure_database

    ensure_database(env["DATABASE_URL"])
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input")
    units = manage(
        env, "shell", "-c", "from contacts.models import ReportingUnit; print(ReportingUnit.objects.count())"
    )
    if units.strip().splitlines()[-1] == "0":
        print("empty database: manage.py load_demo", file=sys.stderr)
        manage({**env, "ALLOW_DEMO_DATA": "true"}, "load_demo", "--quiet")
    facts = json.loads(manage(env, "shell", "-c", FACTS).strip().splitlines()[-1])
    if not facts["lookups"] or not facts["articles"]:
        raise SystemExit(f"no REGON or no published article in the database: {facts}")
    return facts


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def visit(facts: dict, rng: random.Random) -> list[tuple[str, str]]:
    """One person's visit: (kind, path) in order."""
    regon, year = rng.choice(facts["lookups"])
    query = f"regon={regon}" + (f"&year={year}" if year else "")
    words = rng.choice(SEARCHES).replace(" ", "+")
    return [
        ("front", "/"),
        ("lookup page", f"/status/?{query}"),
        ("lookup API", f"/api/v1/submissions/lookup?{query}"),
        ("search page", f"/szukaj/?q={words}"),
        ("search API", f"/api/v1/kb/search?q={words}"),
        ("article", rng.choice(facts["articles"])),
    ]


class Clients:
    def __init__(self, base: str, facts: dict, count: int) -> None:
        self.base, self.facts, self.count = base, facts, count
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.times: list[float] = []
        self.statuses: Counter = Counter()  # (kind, status); status 0: connection error or time-out
        self.errors: Counter = Counter()  # a connection error's type

    def client(self, number: int) -> None:
        import requests

        rng = random.Random(number)
        session = requests.Session()
        visits = 0
        while not self.stop.is_set():
            visits += 1
            address = f"10.{number}.{visits // 250 % 250}.{visits % 250 + 1}"  # one address per visit, never reused
            headers = {"X-Forwarded-For": address, "X-Forwarded-Proto": "https", "Accept-Language": "pl"}
            for kind, path in visit(self.facts, rng):
                if self.stop.is_set():
                    return
                started = time.perf_counter()
                try:
                    response = session.get(self.base + path, headers=headers, timeout=30, allow_redirects=False)
                    status, error = response.status_code, None
                except requests.RequestException as exc:
                    status, error = 0, type(exc).__name__
                elapsed = time.perf_counter() - started
                with self.lock:
                    self.times.append(elapsed)
                    self.statuses[kind, status] += 1
                    if error:
                        self.errors[error] += 1

    def run(self, seconds: float) -> float:
        threads = [threading.Thread(target=self.client, args=(n,), daemon=True) for n in range(self.count)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        self.stop.set()
        for thread in threads:
            thread.join(timeout=40)
        return time.perf_counter() - started


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    database_url, redis_url = os.environ.get("DATABASE_URL", ""), os.environ.get("REDIS_URL", "")
    name = database_url.rsplit("/", 1)[-1]
    if not database_url.startswith(("postgres://", "postgresql://")) or not ("bench" in name or "load" in name):
        print("DATABASE_URL must be a PostgreSQL database whose name contains 'bench' or 'load'", file=sys.stderr)
        return 2
    if not redis_url.startswith("redis://"):
        print("REDIS_URL must be set (redis://127.0.0.1:6379/N): the production recipe has Redis", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="forty_"))
    env = production_env(database_url, redis_url, work)
    env.pop("HTTPS", None)  # its production default (on, behind nginx: X-Forwarded-Proto says https)
    env["SITE_URL"] = "https://127.0.0.1"
    for key in ("DB_POOL_MAX_SIZE", "DB_POOL_MIN_SIZE", "DB_POOL_TIMEOUT", "DB_CONN_MAX_AGE", "WEB_REQUEST_THREADS"):
        env.pop(key, None)  # the defaults, as the README's production section leaves them
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    facts = prepare(env)
    port = free_port()
    command = web_command_here(port, PYTHON.parent / "daphne")
    with (work / "daphne.log").open("w") as log:
        daphne = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port)
        sampler = ConnectionSampler(database_url)
        sampler.start()
        load_before = os.getloadavg()
        cpu_before = cpu_seconds(daphne.pid)
        clients = Clients(f"http://127.0.0.1:{port}", facts, args.clients)
        elapsed = clients.run(args.seconds)
        cpu = cpu_seconds(daphne.pid) - cpu_before
        load_after = os.getloadavg()
        sampler.stop.set()
        sampler.join(timeout=5)
    finally:
        daphne.terminate()
        try:
            daphne.wait(timeout=15)
        except subprocess.TimeoutExpired:
            daphne.kill()
    total = sum(clients.statuses.values())
    by_status = Counter()
    for (_kind, status), count in clients.statuses.items():
        by_status[status] += count
    failed = total - by_status[200]
    times = [t * 1000 for t in clients.times]
    print(f"## One daphne process as the README says, {args.clients} concurrent clients, {args.seconds:.0f} s")
    print()
    print(f"- Command: `{' '.join(shlex.quote(w) for w in sys.argv)}`")
    print(f"- Server: `{' '.join(command[1:])}` (deploy/helpdesk-web@.service), DEBUG=false, HTTPS on, pool defaults")
    print(*machine(), sep="\n")
    print(f"- Load average before {load_before[0]:.2f}, after {load_after[0]:.2f} (machine shared by other engineers)")
    print(f"- Requests: {total} in {elapsed:.1f} s = {total / elapsed:.1f} req/s")
    errors = f", connection errors {dict(clients.errors)}" if clients.errors else ""
    print(f"- Answers by status (0: no answer): {dict(sorted(by_status.items()))}{errors}")
    print(f"- Latency ms: p50 {statistics.median(times):.0f}, p95 {percentile(times, 0.95):.0f}, max {max(times):.0f}")
    print(f"- daphne CPU: {cpu:.1f} s, {1000 * cpu / max(total, 1):.1f} ms per request")
    most = max(sampler.samples, default=0)
    print(f"- PostgreSQL connections to the database: at most {most} at once ({len(sampler.samples)} samples)")
    print()
    print("| page | requests | not 200 |")
    print("|---|---|---|")
    for kind in ["front", "lookup page", "lookup API", "search page", "search API", "article"]:
        counts = {status: n for (k, status), n in clients.statuses.items() if k == kind}
        bad = {status: n for status, n in counts.items() if status != 200}
        print(f"| {kind} | {sum(counts.values())} | {bad or 0} |")
    print()
    if failed:
        print(f"FAIL: {failed} answers not 200 (see {work / 'daphne.log'})")
        return 1
    print("OK: no error")
    return 0


if __name__ == "__main__":
    sys.exit(main())
