"""REST API: the e-mail channel's fields (new text, sanitised HTML, attachments with download URLs) and the
filters (status, queue, channel, voivodeship, REGON, requester e-mail), scoped like the pages."""

from __future__ import annotations

import pytest

from contacts.models import ReportingUnit
from helpdesk import tokens
from inbox_ingest import actions as inbox_actions
from inbox_ingest.models import Mailbox
from tests.mailtools import POLISH
from tests.ticket_requests import new_entry
from tickets.models import Channel, Ticket


@pytest.fixture
def emailed_ticket(db, queue_14, run_on_commit) -> Ticket:
    box = Mailbox.objects.create(name="m14", email_address="m14@localhost", host="h", username="u", queue=queue_14)
    raw = (POLISH / "outlook_pl_wiadomosc_oryginalna.eml").read_bytes()
    row, _new = inbox_actions.store(raw=raw, mailbox=box, uidvalidity=1, uid=1)
    reference = run_on_commit(inbox_actions.process, row.pk).ticket
    ticket = Ticket.objects.get(reference=reference)
    unit = ReportingUnit.objects.create(name="Przychodnia Zdrowie", regon="123456785", voivodeship_id="14")
    Ticket.objects.filter(pk=ticket.pk).update(reporting_unit=unit)  # identification is another issue's job
    return ticket


@pytest.fixture
def phone_ticket_24(db, queue_24, open_email_ticket):
    return open_email_ticket(queue_24, subject="Telefon ze Śląska", channel=Channel.PHONE, requester_email="")


def test_the_ticket_detail_has_the_new_text_html_and_downloadable_attachments(client, bob, emailed_ticket):
    client.force_login(bob)
    data = client.get(f"/api/v1/tickets/{emailed_ticket.reference}/").json()
    assert data["channel"] == "email" and data["voivodeship"] == "14" and data["queue"] == "woj-14"
    assert data["reporting_unit"] == {"name": "Przychodnia Zdrowie", "regon": "123456785", "voivodeship": "14"}
    assert data["requester"]["email"] == "g.wisniewska@zdrowie.example.pl"
    (entry,) = data["entries"]
    assert entry["kind"] == "inbound" and entry["sender"]["email"] == "g.wisniewska@zdrowie.example.pl"
    assert "Wiadomość oryginalna" in entry["text"] and "Wiadomość oryginalna" not in entry["visible_text"]
    (attachment,) = entry["attachments"]
    assert attachment["filename"] == "MZ-88_poprawione_Łódź.xlsx" and attachment["size"] > 0
    download = client.get(attachment["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"PK")


def test_another_voivodeships_administrator_gets_404_for_the_ticket_and_its_attachment(client, celina, emailed_ticket):
    client.force_login(celina)
    assert client.get(f"/api/v1/tickets/{emailed_ticket.reference}/").status_code == 404
    attachment = emailed_ticket.entries.get().attachments.get()
    assert client.get(f"/attachments/{attachment.pk}/{attachment.filename}").status_code == 404
    assert client.get("/api/v1/tickets/?channel=email").json()["count"] == 0


def test_filters_by_channel_voivodeship_regon_and_requester_email(client, alice, emailed_ticket, phone_ticket_24):
    client.force_login(alice)

    def references(query: str) -> list[str]:
        return [row["reference"] for row in client.get(f"/api/v1/tickets/?{query}").json()["results"]]

    assert references("channel=email") == [emailed_ticket.reference]
    assert references("channel=phone") == [phone_ticket_24.reference]
    assert references("voivodeship=24") == [phone_ticket_24.reference]
    assert references("regon=123-456-785") == [emailed_ticket.reference]
    assert references("requester_email=G.Wisniewska@zdrowie.example.pl") == [emailed_ticket.reference]
    assert references("queue=woj-14&status=new") == [emailed_ticket.reference]


@pytest.mark.parametrize(
    ("query", "field"),
    [("channel=fax", "channel"), ("voivodeship=mazowieckie", "voivodeship"), ("regon=12", "regon"),
     ("status=zgubione", "status")],
)  # fmt: skip
def test_a_malformed_filter_is_refused_with_a_polish_message(client, alice, query, field):
    client.force_login(alice)
    response = client.get(f"/api/v1/tickets/?{query}")
    assert response.status_code == 400 and field in response.json()


def test_token_authentication_works_and_is_scoped(client, bob, emailed_ticket, phone_ticket_24):
    response = client.get("/api/v1/tickets/", HTTP_AUTHORIZATION=f"Token {tokens.issue(bob)}")
    assert [row["reference"] for row in response.json()["results"]] == [emailed_ticket.reference]


def test_the_detail_query_count_does_not_grow_with_entries(
    client, alice, emailed_ticket, django_assert_max_num_queries
):
    from tickets import actions

    client.force_login(alice)
    for n in range(5):
        actions.add_entries([new_entry(ticket=emailed_ticket, kind="note", body_text=f"notatka {n}")], actor=alice)[0]
    with django_assert_max_num_queries(12):
        assert len(client.get(f"/api/v1/tickets/{emailed_ticket.reference}/").json()["entries"]) == 6
