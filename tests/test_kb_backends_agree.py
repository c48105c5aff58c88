"""PostgreSQL and SQLite return the same articles, in the same order, with the same snippets, for the same
content: the relevance set plus awkward input."""

import pytest
from django.conf import settings

from knowledge_base import postings
from knowledge_base.loading import load_starter_content
from knowledge_base.models import Article, Category, SearchEntry, TermForm
from knowledge_base.search import search
from tests.conftest import need_server
from tests.kb_relevance_set import QUESTIONS

OTHER = "kb_compare"
pytestmark = pytest.mark.django_db(databases=["default", OTHER] if OTHER in settings.DATABASES else ["default"])

AWKWARD = [
    '"zmiana hasła"',
    '"profil zaufany" logowanie',
    "&|!():*\"'",
    "MZ 88",
    "mz-11 nfz",
    "lodz",
    "zal",
    "x" * 10000,
]


def copy_to(alias: str) -> None:
    for model in (Category, TermForm, Article, SearchEntry):
        rows = list(model.objects.all())
        for row in rows:
            if isinstance(row, Article):
                row.created_by_id = None
                row.translation_of_id = None
        model.objects.using(alias).bulk_create(rows, batch_size=500)
    postings.rebuild(using=alias)  # a bulk copy bypasses the write path: index what was copied


def test_both_databases_rank_the_same_articles_in_the_same_order():
    need_server(
        "A second database for the comparison",
        OTHER in settings.DATABASES,
        "run on PostgreSQL, or set KB_COMPARE_DATABASE_URL=postgres://… when the suite runs on SQLite",
    )
    load_starter_content()
    copy_to(OTHER)
    vendors = {settings.DATABASES["default"]["ENGINE"], settings.DATABASES[OTHER]["ENGINE"]}
    assert len(vendors) == 2
    compared = 0
    for query in [q for q, _relevant in QUESTIONS] + AWKWARD:
        here = search(query, limit=10)
        there = search(query, limit=10, using=OTHER)
        assert [(h.article.slug, round(h.score, 6), h.snippet) for h in here.hits] == [
            (h.article.slug, round(h.score, 6), h.snippet) for h in there.hits
        ], query
        assert here.total == there.total, query
        compared += bool(here.hits)
    assert compared >= 90
