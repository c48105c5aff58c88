"""/ws/notify/ catches up after a reconnect: every push carries its outbox row's id (`notice`), and
/tickets/notices?after=<id> answers what was sent to this person since, as the socket would have delivered it.
A call that rang meanwhile is over and is left out; nobody reads another person's notices."""

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.urls import reverse

from helpdesk import outbox
from tickets import actions

pytestmark = pytest.mark.django_db


def notices(client, user, after):
    client.force_login(user)
    response = client.get(reverse("tickets:notices"), {"after": after})
    assert response.status_code == 200
    return response.json()


def test_a_ticket_assigned_while_the_socket_was_away_is_caught_up_once(
    client, alice, bob, queue_14, open_email_ticket, django_capture_on_commit_callbacks
):
    ticket = open_email_ticket(queue_14, subject="MZ-11: korekta działu III")
    cursor = outbox.latest_id()  # the page was rendered here
    actions.assign(actor=alice, ticket=ticket, assignee=bob)

    caught = notices(client, bob, cursor)
    assert [(n["change"], n["reference"], n["subject"]) for n in caught["notices"]] == [
        ("assigned_to_you", ticket.reference, "MZ-11: korekta działu III")
    ]
    assert caught["complete"] and caught["last"] >= caught["notices"][0]["notice"] > cursor
    assert notices(client, bob, caught["last"])["notices"] == []  # asked again from the new cursor: nothing


def test_nobody_reads_another_persons_notices(client, alice, bob, celina, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14, subject="Wniosek o dostęp dla Anny Kowalskiej")
    actions.assign(actor=alice, ticket=ticket, assignee=bob)
    for other in (alice, celina):
        caught = notices(client, other, 0)
        assert caught["notices"] == [] and "Anny Kowalskiej" not in str(caught)


def test_a_call_that_rang_meanwhile_is_left_out(client, bob):
    outbox.enqueue_push(groups=[f"user.{bob.pk}"], event={"change": "call", "number": "+48221234567"})
    assert notices(client, bob, 0)["notices"] == []


@pytest.mark.parametrize("after", ["", "-1", "abc", "²", "١٢", "1" * 19])
def test_a_cursor_that_is_not_a_number_gets_a_clear_error(client, bob, after):
    client.force_login(bob)
    response = client.get(reverse("tickets:notices"), {"after": after})
    assert response.status_code == 400
    assert "musi być numerem zdarzenia" in response.json()["error"]


def test_a_nul_byte_in_the_cursor_is_refused_before_the_view(client, bob):
    client.force_login(bob)
    response = client.get(reverse("tickets:notices"), {"after": "1\x00"})
    assert response.status_code == 400 and "niedozwolony znak" in response.content.decode()


def test_a_knowledge_base_editor_has_no_notices_to_catch_up(client, redaktor):
    client.force_login(redaktor)
    assert client.get(reverse("tickets:notices"), {"after": 0}).status_code == 403


def test_a_live_push_carries_its_notice_id(bob):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"user.{bob.pk}", channel)
    message = outbox.enqueue_push(groups=[f"user.{bob.pk}"], event={"change": "followed", "reference": "X"})
    assert outbox.dispatch(message.pk)
    received = async_to_sync(layer.receive)(channel)
    assert received["type"] == "ticket.events"  # the outbox's pushes go in batches (of one here)
    assert received["events"] == [{"change": "followed", "reference": "X", "notice": message.pk}]


def test_a_page_starts_from_the_newest_push(client, bob):
    last = outbox.enqueue_push(groups=["tickets.all"], event={"change": "x"})
    client.force_login(bob)
    page = client.get(reverse("own_settings")).content.decode()
    assert f'data-after="{last.pk}"' in page and f'data-catch-up="{reverse("tickets:notices")}"' in page
