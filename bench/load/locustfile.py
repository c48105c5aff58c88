"""Deadline day for locust (PyPI `locust`, the `bench` extra): the public crowd and 50 agents at once.

Run by bench/load_test.py, which starts the servers, makes the data and passes it in LOAD_DATA (a JSON file:
the web processes' base URLs, REGONs, search queries, article slugs, agents' sessions, ticket references). By hand:

    LOAD_DATA=/tmp/load/data.json .venv/bin/locust -f bench/load/locustfile.py --headless -u 370 -r 50 -t 2m

- `Unit` (the crowd, one request per second each: `constant_pacing`, so the offered load is the number of units):
  the status lookup as a page and through the API, KB searches (page and API), articles, the front page and,
  now and then, the contact form (a ticket each). Every simulated unit has its own client address
  (`X-Forwarded-For`, which daphne trusts with `--proxy-headers`, as behind the shipped nginx): the per-address
  limits count each person, as they would on the day.
- `Agent` (exactly LOAD_AGENTS of them, 50 by default, with the sessions the runner made): list tickets, open
  one, and now and then answer it (a note, or a reply by e-mail through the outbox and the Celery worker).
Request names group the statistics: "public: …" and "agent: …" (the runner sums them per group).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading

import stats  # noqa: F401  (records every response time for the runner's report)
from locust import FastHttpUser, HttpUser, between, constant_pacing, task

DATA = json.loads(open(os.environ["LOAD_DATA"]).read()) if os.environ.get("LOAD_DATA") else {}  # noqa: SIM115
BASES = DATA.get("bases", ["http://127.0.0.1:8000"])
_next_base = itertools.count()
_lock = threading.Lock()


def _base() -> str:
    """Users are spread over the web processes in turn (the runner has no proxy in front of them)."""
    with _lock:
        return BASES[next(_next_base) % len(BASES)]


def _address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def _field(page: str, name: str) -> str:
    """The value of the input named `name` in `page` ('' when there is none)."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    value = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
    return value.group(1).replace("&amp;", "&").replace("&quot;", '"') if value else ""


class Unit(FastHttpUser):
    """A reporting unit's person on deadline day."""

    wait_time = constant_pacing(float(os.environ.get("LOAD_PACING", "1")))
    weight = 10

    def on_start(self) -> None:
        self.host = _base()
        self.client.base_url = self.host
        self.address = _address()
        self.regon = random.choice(DATA["regons"])

    def _get(self, path: str, name: str, **params):
        return self.client.get(path, params=params or None, name=name, headers={"X-Forwarded-For": self.address})

    @task(25)
    def status_page(self) -> None:
        self._get("/status/", "public: status page", regon=self.regon, year=DATA["year"])

    @task(15)
    def status_api(self) -> None:
        self._get("/api/v1/submissions/lookup", "public: status API", regon=self.regon, year=DATA["year"])

    @task(20)
    def search_page(self) -> None:
        self._get("/szukaj/", "public: KB search page", q=random.choice(DATA["queries"]))

    @task(10)
    def search_api(self) -> None:
        self._get("/api/v1/kb/search", "public: KB search API", q=random.choice(DATA["queries"]))

    @task(15)
    def article(self) -> None:
        self._get(f"/artykul/{random.choice(DATA['slugs'])}/", "public: article")

    @task(8)
    def front_page(self) -> None:
        self._get("/", "public: front page")

    @task(2)
    def contact_form(self) -> None:
        """A new person writes in (own address: the form's limit is per address and hour)."""
        address = _address()
        form = self.client.get("/kontakt/", name="public: contact form", headers={"X-Forwarded-For": address})
        token = _field(form.text or "", "csrfmiddlewaretoken")
        data = {
            "csrfmiddlewaretoken": token,
            "name": "Anna Testowa",
            "email": f"osoba{random.randint(1, 10**9)}@example.pl",
            "regon": self.regon,
            "subject": "Nie mogę wysłać sprawozdania MZ-11",
            "body": "Dzień dobry, system nie przyjmuje sprawozdania MZ-11, pokazuje błąd walidacji. Proszę o pomoc.",
            "website": "",
            "attempt": _field(form.text or "", "attempt"),
        }
        with self.client.post(
            "/kontakt/",
            data=data,
            name="public: contact form sent",
            headers={"X-Forwarded-For": address, "Referer": self.host + "/kontakt/"},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code == 302:
                response.success()
            else:
                response.failure(f"contact form answered {response.status_code}")


class Agent(HttpUser):
    """An agent working the queue: the list, a ticket, now and then an answer. Logged in before the rush (a
    session made by the runner, as after the morning's login): the run measures the work, not 50 logins."""

    fixed_count = int(os.environ.get("LOAD_AGENTS", "50"))
    wait_time = between(2, 6)
    _sessions = itertools.count()

    def on_start(self) -> None:
        self.host = _base()
        self.client.base_url = self.host
        session = DATA["sessions"][next(Agent._sessions) % len(DATA["sessions"])]
        self.client.cookies.set("sessionid", session)

    @task(10)
    def ticket_list(self) -> None:
        self.client.get("/tickets/", name="agent: ticket list")

    @task(4)
    def ticket_list_filtered(self) -> None:
        self.client.get("/tickets/?status=open&assignee=me", name="agent: ticket list (filter)")

    @task(10)
    def open_ticket(self) -> None:
        self.client.get(f"/tickets/{random.choice(DATA['tickets'])}/", name="agent: ticket page")

    @task(2)
    def answer_ticket(self) -> None:
        reference = random.choice(DATA["tickets"])
        page = self.client.get(f"/tickets/{reference}/", name="agent: ticket page").text or ""
        outbound = random.random() < 0.5 and _field(page, "to")
        data = {
            "csrfmiddlewaretoken": _field(page, "csrfmiddlewaretoken"),
            "kind": "outbound" if outbound else "note",
            "to": _field(page, "to") if outbound else "",
            "cc": "",
            "body_text": "Dzień dobry, sprawdziliśmy: sprawozdanie dotarło i czeka na weryfikację. Pozdrawiamy.",
            "seen_event": _field(page, "seen_event"),
            "submission_key": _field(page, "submission_key"),  # the page's one-time key, as a browser sends it
        }
        with self.client.post(
            f"/tickets/{reference}/reply",
            data=data,
            headers={"Referer": f"{self.host}/tickets/{reference}/"},
            name="agent: answer",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code in (302, 409):  # 409: someone else answered first, as a person would see
                response.success()
            else:
                response.failure(f"answer answered {response.status_code}")
