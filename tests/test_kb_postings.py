"""The search index's postings (knowledge_base.postings): kept exact by the write path, and the per-process
snapshot never serves a stale result. The snapshot is keyed only by the version read from the database on every
search (the write path never touches a process's memory), so a change made here is seen exactly as one made by
another process would be."""

import datetime as dt
import math
import random

import pytest
from django.db import transaction
from django.utils import timezone

from knowledge_base import actions, postings
from knowledge_base.models import Article, Posting, SearchEntry, Status, Visibility
from knowledge_base.search import _score, _top, _Word, search

pytestmark = pytest.mark.django_db


def publish(redaktor, title: str, body: str, **fields) -> Article:
    article = actions.create_article(actor=redaktor, draft=actions.ArticleDraft(title=title, body=body, **fields))
    return actions.change_status(actor=redaktor, article=article, status=Status.PUBLISHED)


def slugs(query: str, **kwargs) -> list[str]:
    return [hit.article.slug for hit in search(query, **kwargs).hits]


def stored_postings() -> dict[str, tuple[int, int, int]]:
    rows = Posting.objects.values_list("token", "title", "headings", "body")
    decoded = {token: tuple(postings.decode(v) for v in fields) for token, *fields in rows}
    return {token: bits for token, bits in decoded.items() if any(bits)}


def test_incremental_postings_equal_a_rebuild_from_the_entries(redaktor):
    first = publish(redaktor, "Zmiana hasła", "## Logowanie\n\nHasło zmienisz w profilu.")
    second = publish(redaktor, "Korekta sprawozdania MZ-11", "Korektę wysyłasz przez system.")
    actions.update_article(actor=redaktor, article=first, title="Nowe hasło", body="Hasło ustawisz po zalogowaniu.")
    actions.change_status(actor=redaktor, article=second, status=Status.ARCHIVED)
    third = publish(redaktor, "Do usunięcia", "Artykuł próbny o przeglądarce.")
    deleted = third.pk
    assert stored_postings()["przegladarka"][2] >> deleted & 1
    third.delete()
    incremental = stored_postings()
    assert incremental and not any(bits[2] >> deleted & 1 for bits in incremental.values())
    postings.rebuild()
    assert stored_postings() == incremental
    assert set(incremental["haslo"]) != {0}


def test_a_snapshot_caught_up_by_the_log_equals_a_fresh_one(redaktor):
    publish(redaktor, "Logowanie do systemu", "Profil zaufany.")
    search("logowanie")  # the process caches version v
    article = publish(redaktor, "Termin MZ-88", "Sprawozdanie do końca lutego.", visibility=Visibility.STAFF)
    actions.record_feedback(article=article, helpful=True)
    with postings.lock():
        caught_up = postings.snapshot()
        assert caught_up.meta[article.pk].visibility == Visibility.STAFF
        state = (dict(caught_up.meta), dict(caught_up.bitmaps), list(caught_up.tokens), list(caught_up.order()))
    postings.forget()
    with postings.lock():
        fresh = postings.snapshot()
        assert (dict(fresh.meta), dict(fresh.bitmaps), list(fresh.tokens), list(fresh.order())) == state


def test_edits_publishing_and_archiving_show_in_the_very_next_search(redaktor):
    article = publish(redaktor, "Wydruk potwierdzenia", "Potwierdzenie wydrukujesz z historii.")
    assert slugs("wydruk") == [article.slug]
    actions.update_article(actor=redaktor, article=article, title="Pobranie potwierdzenia", body="Pobierz PDF.")
    assert slugs("wydruk") == []
    assert slugs("pobranie") == [article.slug]
    actions.change_status(actor=redaktor, article=article, status=Status.ARCHIVED)
    assert slugs("pobranie") == []
    actions.change_status(actor=redaktor, article=article, status=Status.DRAFT)
    actions.change_status(actor=redaktor, article=article, status=Status.PUBLISHED)
    assert slugs("pobranie") == [article.slug]
    article.delete()
    assert slugs("pobranie") == []


def test_visibility_stays_exact_per_person(redaktor, alice, celina):
    public = publish(redaktor, "Księga rejestrowa publiczna", "Numer księgi.")
    staff = publish(redaktor, "Księga rejestrowa dla administratorów", "Numer księgi.", visibility=Visibility.STAFF)
    internal = publish(redaktor, "Księga rejestrowa wewnętrzna", "Numer księgi.", visibility=Visibility.INTERNAL)
    assert set(slugs("księga")) == {public.slug}
    assert set(slugs("księga", user=celina)) == {public.slug, staff.slug}
    assert set(slugs("księga", user=alice)) == {public.slug, staff.slug, internal.slug}
    assert search("księga", user=alice).total == 3


def test_scheduled_publication_and_expiry_follow_the_clock(redaktor, monkeypatch):
    now = timezone.now()
    later = publish(redaktor, "Nowy formularz MZ-30", "Od przyszłego tygodnia.", publish_at=now + dt.timedelta(hours=1))
    ending = publish(redaktor, "Stary formularz MZ-30", "Do jutra.", expire_at=now + dt.timedelta(hours=2))
    assert slugs("formularz") == [ending.slug]
    at = {"now": now + dt.timedelta(minutes=90)}
    monkeypatch.setattr(postings, "now_micros", lambda: postings._micros(at["now"]))
    assert set(slugs("formularz")) == {later.slug, ending.slug}  # no write in between: the clock alone
    at["now"] = now + dt.timedelta(hours=3)
    assert slugs("formularz") == [later.slug]


def test_a_rolled_back_change_is_not_served_from_the_cache(redaktor):
    article = publish(redaktor, "Zwrot do poprawy", "Administrator zwraca sprawozdanie.")
    with transaction.atomic():
        actions.update_article(actor=redaktor, article=article, title="Odrzucenie", body="Inna treść.")
        assert slugs("odrzucenie") == [article.slug]  # the snapshot saw the uncommitted version
        transaction.set_rollback(True)
    assert slugs("odrzucenie") == []
    assert slugs("zwrot") == [article.slug]


def test_typo_corrections_learn_new_words_after_an_edit(redaktor):
    publish(redaktor, "Logowanie", "Profil zaufany.")
    assert search("ambulatoryjnyy").hits == []  # not in the vocabulary yet (and the miss is cached)
    article = publish(redaktor, "Opieka ambulatoryjna", "Świadczenia ambulatoryjne w poradni.")
    assert slugs("ambulatoryjnyy") == [article.slug]


def test_a_bulk_copy_is_indexed_by_a_rebuild(redaktor):
    article = publish(redaktor, "Likwidacja jednostki", "Zgłoś likwidację administratorowi.")
    SearchEntry.objects.filter(pk=article.pk).delete()  # as if the entry had been lost
    assert slugs("likwidacja") == []
    actions.update_article(actor=redaktor, article=article, summary="Zamknięcie działalności")
    assert slugs("likwidacja") == [article.slug]
    postings.rebuild()
    assert slugs("likwidacja") == [article.slug]


def test_bad_input_is_safe(redaktor):
    article = publish(redaktor, "Hasło", "Zmiana hasła.")
    for query in ["", "   ", "x" * 10_000, "&|!():*\"'", '"', "<script>alert(1)</script>"]:
        results = search(query)
        assert (results.total, results.hits) == (0, []), query
    assert slugs('"zmiana hasła"') == slugs("hasło*") == slugs("hasło) | (") == [article.slug]


def test_the_top_k_equals_a_full_sort_of_every_candidate():
    """The best-first split in search._top returns exactly what scoring and sorting every candidate gives,
    ties included (random fields, few distinct idfs so that equal scores are common)."""
    rng = random.Random(6)
    for _round in range(60):
        n = rng.randint(1, 400)
        words = []
        for _w in range(rng.randint(1, 5)):
            fields = tuple(postings.from_ids(i for i in range(n) if rng.random() < share) for share in (0.05, 0.1, 0.5))
            words.append(_Word(idf=rng.choice([0.5, 1.0, 1.5, math.log(3)]), fields=fields))
        candidates = 0
        for word in words:
            candidates |= word.fields[0] | word.fields[1] | word.fields[2]
        order = [(-rng.choice([0.5, 0.75]), -rng.randint(0, 3), i) for i in range(n)]
        expected = []
        for article in postings.members(candidates):
            masks = tuple(
                sum(bit for bit, f in zip((1, 2, 4), w.fields, strict=True) if f >> article & 1) for w in words
            )
            expected.append((article, _score(words, masks)))
        expected.sort(key=lambda pair: (-pair[1], order[pair[0]]))
        need = rng.randint(1, 30)
        assert _top(words, candidates, need, order) == expected[:need]


def _whole_text_snippet(article, query) -> str:
    """The snippet as first specified: split the whole text, then cut around the first match."""
    import re

    from knowledge_base.search import SNIPPET_WORDS, _word_matches, highlight

    source = " ".join((article.body_text or article.summary or "").split())
    if not source:
        return ""
    parts = re.split(r"([^\W_]+)", source)
    positions = list(range(1, len(parts), 2))
    first = next((n for n, i in enumerate(positions) if _word_matches(parts[i], query)), 0)
    start_word = max(0, first - 8)
    end_word = min(len(positions), start_word + SNIPPET_WORDS)
    start = positions[start_word] if positions else 0
    end = positions[end_word - 1] + 2 if positions else len(parts)
    text = "".join(parts[start:end]).strip()
    return ("… " if start_word > 0 else "") + highlight(text, query) + (" …" if end_word < len(positions) else "")


def test_snippets_read_only_what_they_need_and_equal_the_whole_text_cut():
    from knowledge_base.loading import load_starter_content
    from knowledge_base.search import parse, snippet
    from tests.kb_relevance_set import QUESTIONS

    load_starter_content()
    articles = list(Article.objects.all())
    compared = 0
    for raw in [q for q, _relevant in QUESTIONS[:40]] + ["zzzz", "logowanie"]:
        query = parse(raw)
        for article in articles[:: max(1, len(articles) // 12)]:
            assert snippet(article, query) == _whole_text_snippet(article, query), (raw, article.slug)
            compared += 1
    assert compared > 400
