"""The CPU of the pages with forms under Django's default form renderer and under helpdesk.speed.forms.FormRenderer
(settings.FORM_RENDERER), alternated in one run: each round renders every page with one renderer, then the other.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/load_test REDIS_URL=redis://127.0.0.1:6379/9 \\
        SECRET_KEY=<the load test's> .venv/bin/python bench/load/form_renderer.py DATA.json [--rounds 4]

DATA.json is the load test's data file (bench/load_test.py prints where it is); the agent's session in it is signed
with the load test's SECRET_KEY (`"load-test-" + "k" * 50` unless LOAD_SECRET_KEY was set). Prints the median CPU
time of this process per page (the first round is a warm-up), Django's renderer against ours.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import profile_pages  # sets Django up as the profile does
from django.test import Client
from django.test.utils import override_settings

RENDERERS = {"Django's": "django.forms.renderers.DjangoTemplates", "ours": "helpdesk.speed.forms.FormRenderer"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    data = json.loads(Path(args.data).read_text())
    agent = Client()
    profile_pages.login(agent, data, True)
    pages = {
        "agent: ticket page": (agent, [f"/tickets/{reference}/" for reference in data["tickets"][:15]]),
        "agent: ticket list": (agent, ["/tickets/"] * 15),
        "agent: call form": (agent, ["/tickets/calls/new"] * 15),
        "public: contact form": (Client(), ["/kontakt/"] * 15),
    }
    times: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.rounds + 1):
        for renderer, path in RENDERERS.items():
            with override_settings(FORM_RENDERER=path):
                for name, (client, urls) in pages.items():
                    for url in urls:
                        started = time.process_time()
                        response = client.get(url)
                        spent = time.process_time() - started
                        assert response.status_code == 200, (url, response.status_code)
                        if round_:
                            times.setdefault((name, renderer), []).append(spent * 1000)
    print("| page | Django's renderer, CPU ms | ours | change |\n|---|--:|--:|--:|")
    for name in pages:
        before, after = (statistics.median(times[(name, renderer)]) for renderer in RENDERERS)
        print(f"| {name} | {before:.1f} | {after:.1f} | {100 * (after - before) / before:+.0f} % |")


if __name__ == "__main__":
    main()
