"""A knowledge-base search takes its database connection before the index lock, never while holding it: with a
connection pool (PostgreSQL in production), a search that waited for a connection while holding the lock, with
every pooled connection held by requests waiting for that lock, deadlocked the web process until the pool's
timeout (seen under 40 concurrent clients: every search hung, then answered 500)."""

import pytest
from django.db import connection

from knowledge_base import actions, postings, search
from knowledge_base.models import Status

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the seeded rows back for the next test


def test_a_search_has_its_connection_before_it_takes_the_index_lock(monkeypatch):
    article = actions.create_article(
        actor=None, draft=actions.ArticleDraft(title="Jak odzyskać hasło", body="Kliknij „Nie pamiętam hasła”.")
    )
    actions.change_status(actor=None, article=article, status=Status.PUBLISHED)
    real = postings.lock()
    connected_when_locking = []

    class Watched:
        def __enter__(self):
            connected_when_locking.append(connection.connection is not None)
            return real.__enter__()

        def __exit__(self, *exc):
            return real.__exit__(*exc)

    monkeypatch.setattr(postings, "lock", Watched)
    connection.close()  # as at the start of a request: no connection yet
    results = search.search("hasło")
    assert [hit.article.pk for hit in results.hits] == [article.pk]
    assert connected_when_locking == [True]
