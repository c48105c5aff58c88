"""No mass mailing through replies: one reply goes to at most REPLY_MAX_RECIPIENTS addresses (To and Cc
together) and one member of staff's replies to at most REPLY_RECIPIENTS_PER_HOUR addresses an hour; a refused
reply is explained in Polish, sends nothing, writes nothing and counts nothing."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.urls import reverse

from helpdesk import outbox
from helpdesk.models import OutboxMessage, Role
from tests.conftest import _staff
from tests.ticket_requests import new_entry
from tickets import actions
from tickets.models import Entry

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 12, 7, 11, 5, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    cache.clear()
    with time_machine.travel(NOON, tick=False):
        yield


def addresses(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}@x.pl" for i in range(n)]  # short: 120 of them fit the form's field


def post_reply(client, ticket, to: list[str], cc: list[str] = ()):
    return client.post(
        reverse("tickets:reply", args=[ticket.reference]),
        {"kind": "outbound", "to": ", ".join(to), "cc": ", ".join(cc), "body_text": "Promocja!"},
    )


def test_a_reply_to_240_addresses_is_refused_on_the_page_with_the_text_kept(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    response = post_reply(client, ticket, addresses("do", 120), addresses("kopia", 120))
    page = response.content.decode()
    assert response.status_code == 400
    assert "Odpowiedź może mieć najwyżej 20 adresatów (pola Do i Kopia razem), a ma 240." in page
    assert "Promocja!" in page  # the text is kept in the form
    assert not ticket.entries.filter(kind=Entry.Kind.OUTBOUND).exists()
    assert not OutboxMessage.objects.filter(kind=OutboxMessage.Kind.EMAIL).exists()
    outbox.drain()
    assert not mail.outbox


def test_twenty_addresses_go_out(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    assert post_reply(client, ticket, addresses("do", 10), addresses("kopia", 10)).status_code == 302
    outbox.drain()
    sent = [m for m in mail.outbox if m.body.startswith("Promocja!")]
    assert len(sent) == 1 and len(sent[0].to) + len(sent[0].cc) == 20


@override_settings(REPLY_RECIPIENTS_PER_HOUR=50)
def test_replies_of_one_person_reach_at_most_the_hourly_number_of_addresses(alice, central, open_email_ticket):
    colleague = _staff("alicja", Role.AGENT)
    ticket = open_email_ticket(central)
    for n in range(2):  # 40 of 50
        actions.add_entries(
            [new_entry(ticket=ticket, kind="outbound", to=addresses(f"r{n}-", 20), body_text="x")], actor=alice
        )[0]
    with pytest.raises(ValidationError) as refused:
        actions.add_entries(
            [new_entry(ticket=ticket, kind="outbound", to=addresses("r2-", 20), body_text="x")], actor=alice
        )[0]
    assert "Ta odpowiedź nie została wysłana" in " ".join(refused.value.messages)
    assert "więcej niż 50 adresatów" in " ".join(refused.value.messages)
    # the refused one counted nothing: 10 more still go; and a colleague has a limit of their own
    actions.add_entries(
        [new_entry(ticket=ticket, kind="outbound", to=addresses("r3-", 10), body_text="x")], actor=alice
    )[0]
    actions.add_entries(
        [new_entry(ticket=ticket, kind="outbound", to=addresses("s-", 20), body_text="x")], actor=colleague
    )[0]
    with pytest.raises(ValidationError):
        actions.add_entries(
            [new_entry(ticket=ticket, kind="outbound", to=["jeszcze@example.com"], body_text="x")], actor=alice
        )[0]
    assert ticket.entries.filter(kind=Entry.Kind.OUTBOUND).count() == 4
    with time_machine.travel(NOON + dt.timedelta(hours=1), tick=False):  # the next hour
        actions.add_entries(
            [new_entry(ticket=ticket, kind="outbound", to=addresses("r4-", 20), body_text="x")], actor=alice
        )[0]


@override_settings(REPLY_RECIPIENTS_PER_HOUR=25)
def test_the_hourly_limit_is_explained_on_the_page(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    assert post_reply(client, ticket, addresses("a", 20)).status_code == 302
    page = post_reply(client, ticket, addresses("b", 10)).content.decode()
    assert "w tej godzinie Twoje odpowiedzi trafiłyby do więcej niż 25 adresatów" in page
    assert ticket.entries.filter(kind=Entry.Kind.OUTBOUND).count() == 1


def test_the_api_refuses_a_mass_reply_with_the_same_message_and_sends_a_normal_one(
    client, alice, celina, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14)
    client.force_login(alice)
    url = f"/api/v1/tickets/{ticket.reference}/replies/"
    refused = client.post(
        url, {"text": "Promocja!", "to": addresses("do", 120), "cc": addresses("kopia", 120)}, "application/json"
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "Odpowiedź może mieć najwyżej 20 adresatów (pola Do i Kopia razem), a ma 240. "
        "Usuń część adresów: do wielu osób naraz pomoc SSOZ nie wysyła."
    }
    bad = client.post(url, {"text": "x", "to": ["nie-adres"]}, "application/json")
    assert bad.status_code == 400 and bad.json()["detail"] == "Nieprawidłowy adres e-mail: nie-adres"
    sent = client.post(url, {"text": "Dzień dobry, poprawione.", "cc": ["kierownik@x.pl"]}, "application/json")
    assert sent.status_code == 201 and sent.json()["to"] == [ticket.requester_email]
    assert sent.json()["cc"] == ["kierownik@x.pl"]
    outbox.drain()
    assert [m.to for m in mail.outbox if m.body.startswith("Dzień dobry, poprawione.")] == [[ticket.requester_email]]
    # the regional administrator of another voivodeship: nothing to answer, nothing learnt
    client.force_login(celina)
    other = client.post(url, {"text": "x"}, "application/json")
    assert other.status_code == 404 and ticket.reference not in other.content.decode()
    assert ticket.entries.filter(kind=Entry.Kind.OUTBOUND).count() == 1
