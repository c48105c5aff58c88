"""The load test's data (bench/load_test.py runs this with the production environment):

    python bench/load/make_data.py DATA.json UNITS ARTICLES AGENTS

Once per database: `load_demo` (offices, units, staff, tickets, the starter knowledge base), UNITS units with
three reports each for last year (through contacts.submissions.StatusBatch, the feeds' write path), ARTICLES
published FAQ articles (through knowledge_base.actions) and AGENTS agents. Every time: a session per agent (as
after their morning login) and DATA.json with what locust picks from: REGONs (one in ten unknown), queries,
article slugs, ticket references, agents' session ids.
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from stdnum.pl import regon as stdnum_regon  # noqa: E402

from contacts import lookup  # noqa: E402
from contacts.models import ReportingUnit, Submission, Voivodeship  # noqa: E402
from contacts.submissions import StatusBatch  # noqa: E402
from helpdesk.models import Role, User  # noqa: E402
from knowledge_base import actions as kb  # noqa: E402
from knowledge_base.models import Article, Status  # noqa: E402
from tickets.models import Ticket  # noqa: E402

PREFIX = "Jednostka obciążeniowa"
FORMS = ("MZ-11", "MZ-88", "MZ-89")
STATUSES = ("assigned", "draft", "submitted", "under_verification", "accepted", "returned")
TOPICS = [
    "hasło",
    "logowanie",
    "sprawozdanie",
    "korekta",
    "termin",
    "walidacja",
    "certyfikat",
    "profil jednostki",
    "formularz",
    "administrator",
    "eksport danych",
    "import pliku",
    "podpis",
    "wydruk",
    "błąd systemu",
]


def regon9(base: int) -> str:
    digits = f"{base:08d}"
    return digits + stdnum_regon.calc_check_digit(digits)


def units(count: int, rng: random.Random) -> list[str]:
    have = list(ReportingUnit.objects.filter(name__startswith=PREFIX).values_list("regon", flat=True))
    if len(have) >= count:
        return have[:count]
    codes = list(Voivodeship.objects.values_list("code", flat=True))
    new = [
        ReportingUnit(
            name=f"{PREFIX} {n}",
            regon=regon9(70_000_000 + n),
            voivodeship_id=rng.choice(codes),
            kind=rng.choice(["hospital", "outpatient", "individual_practice"]),
        )
        for n in range(len(have), count)
    ]
    ReportingUnit.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    regons = have + [unit.regon for unit in new]
    year = lookup.default_year()
    rows = [
        (
            f"{regon}-{form}",
            {
                "regon": regon,
                "form": form,
                "year": year,
                "status": rng.choice(STATUSES),
                "changed_at": "2026-03-01T10:00:00+01:00",
            },
        )
        for regon in regons[len(have) :]
        for form in FORMS
    ]
    with transaction.atomic():
        StatusBatch(source=Submission.Source.IMPORT).apply(rows)
    return regons


def articles(count: int, rng: random.Random) -> None:
    have = Article.objects.filter(slug__startswith="obciazenie-").count()
    for n in range(have, count):
        topic, other = rng.sample(TOPICS, 2)
        body = (
            f"## {topic.capitalize()}\n\nJeśli masz problem: {topic} i {other}, sprawdź najpierw dane jednostki "
            f"i formularz. Sprawozdanie MZ-{rng.choice(['11', '88', '89'])} wysyła się do terminu.\n\n"
            + " ".join(rng.choice(TOPICS) for _ in range(80))
        )
        draft = kb.ArticleDraft(title=f"Pytanie {n}: {topic} a {other}", body=body)
        article = kb.create_article(actor=None, draft=draft, slug=f"obciazenie-{n}")
        kb.change_status(actor=None, article=article, status=Status.PUBLISHED)


def agents(count: int) -> list[str]:
    sessions = []
    for n in range(count):
        user, _created = User.objects.get_or_create(
            username=f"obciazenie-agent-{n:02d}", defaults={"role": Role.AGENT, "must_change_password": False}
        )
        client = Client()
        client.force_login(user)
        sessions.append(client.cookies["sessionid"].value)
    return sessions


def main() -> None:
    out, unit_count, article_count, agent_count = sys.argv[1], *map(int, sys.argv[2:5])
    rng = random.Random(20261207)
    if not User.objects.filter(username="agent").exists():
        call_command("load_demo", quiet=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    regons = units(unit_count, rng)
    articles(article_count, rng)
    demo_regons = list(Submission.objects.filter(year=lookup.default_year()).values_list("unit__regon", flat=True))
    known = sorted({*regons, *filter(None, demo_regons)})
    unknown = [regon9(90_000_000 + n) for n in range(max(len(known) // 10, 1))]
    words = [
        w
        for title in Article.objects.filter(status=Status.PUBLISHED).values_list("title", flat=True)[:400]
        for w in title.split()
        if len(w) > 4
    ]
    from load_test import QUERIES

    queries = QUERIES * 20 + sorted(set(words))  # popular questions often, the rest now and then
    tickets = list(Ticket.objects.order_by("-pk").values_list("reference", flat=True)[:400])
    slugs = list(Article.objects.filter(status=Status.PUBLISHED, visibility="public").values_list("slug", flat=True))
    data = {
        "year": lookup.default_year(),
        "regons": known + unknown,
        "queries": queries,
        "slugs": slugs,
        "tickets": tickets,
        "sessions": agents(agent_count),
    }
    Path(out).write_text(json.dumps(data))
    print(f"data: {len(known)} units with reports, {len(slugs)} articles, {len(tickets)} tickets", file=sys.stderr)


if __name__ == "__main__":
    main()
