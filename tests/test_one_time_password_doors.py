"""A member of staff holding a one-time password gets through no door until they choose their own password
(issue 14, finding 9): not the API by token or by session, not the attachment downloads, not the websockets
(tests/test_websocket_access_ends.py). The API answers 403 in Polish."""

import pytest
from django.urls import reverse

from helpdesk import tokens
from tickets import actions
from tickets.models import Entry

pytestmark = pytest.mark.django_db

REFUSAL = "Najpierw zmień hasło jednorazowe"


@pytest.fixture
def ticket_14(open_email_ticket, queue_14):
    return open_email_ticket(
        queue_14,
        subject="Korekta MZ-11 (PESEL 44051401359)",
        attachments=[actions.NewAttachment(filename="mz11.xlsx", content=b"PK\x03\x04 excel", content_type="x/y")],
    )


@pytest.fixture
def flagged_bob(bob):
    bob.must_change_password = True
    bob.save(update_fields=["must_change_password"])
    return bob


def test_the_api_token_of_a_one_time_password_holder_lists_nothing_and_posts_nothing(client, flagged_bob, ticket_14):
    auth = {"HTTP_AUTHORIZATION": f"Token {tokens.issue(flagged_bob)}"}
    response = client.get("/api/v1/tickets/", **auth)
    assert response.status_code == 403 and REFUSAL in response.json()["detail"]
    assert ticket_14.reference not in response.content.decode() and "PESEL" not in response.content.decode()
    response = client.post(
        f"/api/v1/tickets/{ticket_14.reference}/notes/", {"text": "notatka"}, content_type="application/json", **auth
    )
    assert response.status_code == 403 and REFUSAL in response.json()["detail"]
    assert not ticket_14.entries.filter(kind=Entry.Kind.NOTE).exists()


def test_the_api_by_session_is_closed_too(client, flagged_bob, ticket_14):
    client.force_login(flagged_bob)
    response = client.get("/api/v1/tickets/")
    assert response.status_code in (302, 403) and ticket_14.reference not in response.content.decode()


def test_the_knowledge_base_editor_api_refuses_a_one_time_password_holder(client, redaktor):
    redaktor.must_change_password = True
    redaktor.save(update_fields=["must_change_password"])
    response = client.post(
        "/api/v1/kb/articles/",
        {"title": "Nowy", "body": "Treść"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {tokens.issue(redaktor)}",
    )
    assert response.status_code == 403 and REFUSAL in response.json()["detail"]


def test_an_attachment_is_not_downloaded_with_a_one_time_password(client, flagged_bob, ticket_14):
    attachment = ticket_14.entries.get().attachments.get()
    client.force_login(flagged_bob)
    response = client.get(reverse("attachment", args=[attachment.pk, attachment.filename]))
    assert response.status_code == 302 and response.url == reverse("password_change")
    assert b"excel" not in response.content
