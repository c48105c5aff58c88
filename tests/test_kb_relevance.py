"""The shipped knowledge base answers the questions people really type: MRR@5 ≥ 0.8 and recall@5 ≥ 0.9 on the
relevance set (tests/kb_relevance_set.py), on whichever database the suite runs (CI runs both)."""

import pytest

from knowledge_base.loading import load_starter_content
from knowledge_base.search import search
from tests.kb_relevance_set import QUESTIONS

pytestmark = pytest.mark.django_db


def evaluate(questions, k=5):
    reciprocal, recalled, misses = 0.0, 0, []
    for query, relevant in questions:
        slugs = [hit.article.slug for hit in search(query, limit=k).hits]
        rank = next((n for n, slug in enumerate(slugs, 1) if slug in relevant), None)
        reciprocal += 1 / rank if rank else 0
        recalled += rank is not None
        if rank != 1:
            misses.append((query, rank, slugs[:3]))
    return reciprocal / len(questions), recalled / len(questions), misses


def test_the_relevance_set_is_large_enough_and_points_at_shipped_articles():
    load_starter_content()
    from knowledge_base.models import Article

    slugs = set(Article.objects.values_list("slug", flat=True))
    assert len(QUESTIONS) >= 80
    assert all(relevant <= slugs for _query, relevant in QUESTIONS)


def test_the_shipped_content_answers_typical_questions_within_the_first_five_results():
    load_starter_content()
    mrr, recall, misses = evaluate(QUESTIONS)
    for miss in misses:
        print(miss)
    print(f"MRR@5={mrr:.3f} recall@5={recall:.3f}")
    assert mrr >= 0.8, misses
    assert recall >= 0.9, misses
