"""`?limit=` of the API's paginated lists has a ceiling (API_MAX_PAGE_SIZE): `/api/v1/tickets/?limit=1000000` gets
that many rows and a link to the next page, never the whole table."""

import pytest
from django.conf import settings

from helpdesk.pagination import CappedLimitOffsetPagination

pytestmark = pytest.mark.django_db


def test_every_paginated_api_list_uses_the_capped_pagination():
    assert settings.REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] == "helpdesk.pagination.CappedLimitOffsetPagination"
    assert CappedLimitOffsetPagination().max_limit == settings.API_MAX_PAGE_SIZE == 200


def test_a_huge_limit_is_cut_to_the_ceiling_with_a_next_page(client, alice, central, open_email_ticket, settings):
    settings.API_MAX_PAGE_SIZE = 2
    for n in range(3):
        open_email_ticket(central, subject=f"Sprawa numer {n}")
    client.force_login(alice)
    body = client.get("/api/v1/tickets/?limit=1000000").json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert "limit=2" in body["next"] and "offset=2" in body["next"]
    rest = client.get(body["next"]).json()
    assert [row["subject"] for row in rest["results"]] == ["Sprawa numer 0"]  # newest first: the oldest is last


def test_a_limit_under_the_ceiling_is_honoured_and_a_bad_one_falls_back(client, alice, central, open_email_ticket):
    for n in range(3):
        open_email_ticket(central, subject=f"Sprawa numer {n}")
    client.force_login(alice)
    assert len(client.get("/api/v1/tickets/?limit=1").json()["results"]) == 1
    for bad in ("²", "-5", "abc", "99999999999999999999999"):
        response = client.get("/api/v1/tickets/", {"limit": bad, "offset": bad})
        assert response.status_code == 200, bad
        assert len(response.json()["results"]) <= 3
