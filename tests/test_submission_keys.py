"""Nothing doubled on deadline day: a reply or note sent twice — an agent's double click, a browser sending the
form again, an API client retrying after a timeout — is one entry and one e-mail (tickets.submissions). The
ticket page's form carries a one-time key made when the page is rendered, the API an Idempotency-Key header;
the key is unique per member of staff, claimed in the transaction that writes the entry."""

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse

from helpdesk.models import OutboxMessage, Role
from tests.conftest import _staff
from tests.lock_race import hold_first_call, race
from tickets import entries, submissions
from tickets.models import Entry, SubmissionKey, Ticket

pytestmark = pytest.mark.django_db

REPLY = {"text": "Sprawozdanie przyjęto, dziękujemy."}


def api_post(client, ticket, what: str, body: dict, key: str | None):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post(
        f"/api/v1/tickets/{ticket.reference}/{what}/", body, content_type="application/json", headers=headers
    )


def emails() -> int:
    return OutboxMessage.objects.filter(kind=OutboxMessage.Kind.EMAIL).count()


def form_of(client, ticket) -> dict:
    """The reply form's fields as the rendered page gives them (its one-time key included)."""
    initial = client.get(reverse("tickets:detail", args=[ticket.reference])).context["reply_form"].initial
    return {"seen_event": initial["seen_event"], "submission_key": initial["submission_key"]}


# --- the ticket page ---------------------------------------------------------------------------------------------


def test_the_page_renders_a_fresh_one_time_key_in_the_reply_form(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    first, second = (client.get(reverse("tickets:detail", args=[ticket.reference])) for _ in range(2))
    keys = [page.context["reply_form"].initial["submission_key"] for page in (first, second)]
    assert keys[0] != keys[1] and all(len(key) >= 20 for key in keys)
    assert f'name="submission_key" value="{keys[0]}"' in first.content.decode()


@pytest.mark.parametrize(
    ("kind", "said"), [("outbound", "Ta odpowiedź została już wysłana."), ("note", "Ta notatka została już dodana.")]
)
def test_a_double_click_on_the_form_writes_one_entry_and_says_so(client, alice, central, open_email_ticket, kind, said):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    form = form_of(client, ticket) | {"kind": kind, "body_text": "Proszę o korektę MZ-03."}
    url = reverse("tickets:reply", args=[ticket.reference])
    first = client.post(url, form)
    assert first.status_code == 302
    second = client.post(url, form)
    assert second.status_code == 302 and second.url == reverse("tickets:detail", args=[ticket.reference])
    assert said in [str(message) for message in get_messages(second.wsgi_request)]
    assert ticket.entries.filter(kind=kind).count() == 1
    assert emails() == (1 if kind == "outbound" else 0)
    assert ticket.events.filter(kind="entry_added", actor=alice).count() == 1


def test_the_same_key_with_another_text_is_refused_on_the_page_and_a_new_key_lets_it_through(
    client, alice, central, open_email_ticket
):
    """Sent, then back in the browser and edited: the old page's key is not taken as a double click (the new
    text would be lost) nor written silently; the page says so, keeps the text and gives a new key."""
    ticket = open_email_ticket(central)
    client.force_login(alice)
    form = form_of(client, ticket) | {"kind": "outbound"}
    url = reverse("tickets:reply", args=[ticket.reference])
    assert client.post(url, form | {"body_text": "Pierwsza wersja."}).status_code == 302
    refused = client.post(url, form | {"body_text": "Poprawiona wersja."})
    page = refused.content.decode()
    assert refused.status_code == 409
    assert "Ten formularz wysłano już z inną treścią." in page and "Poprawiona wersja." in page
    renewed = refused.context["reply_form"].data["submission_key"]
    assert renewed != form["submission_key"] and f'value="{renewed}"' in page
    assert ticket.entries.filter(kind="outbound").count() == 1
    again = client.post(url, form | {"body_text": "Poprawiona wersja.", "submission_key": renewed})
    assert again.status_code == 302
    assert list(ticket.entries.filter(kind="outbound").values_list("body_text", flat=True)) == [
        "Pierwsza wersja.",
        "Poprawiona wersja.",
    ]
    assert emails() == 2


def test_a_refused_form_keeps_its_key_for_the_corrected_submit(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    form = form_of(client, ticket) | {"kind": "outbound", "body_text": "Treść."}
    url = reverse("tickets:reply", args=[ticket.reference])
    refused = client.post(url, form | {"to": "to nie adres"})
    assert refused.status_code == 400 and not SubmissionKey.objects.exists()
    assert client.post(url, form).status_code == 302
    assert ticket.entries.filter(kind="outbound").count() == 1 and emails() == 1


def test_a_form_without_a_key_still_works_as_before(client, alice, central, open_email_ticket):
    """A page rendered before this release has no key: each submit is written, as it was."""
    ticket = open_email_ticket(central)
    client.force_login(alice)
    url = reverse("tickets:reply", args=[ticket.reference])
    for _ in range(2):
        assert client.post(url, {"kind": "note", "body_text": "Bez klucza."}).status_code == 302
    assert ticket.entries.filter(kind="note").count() == 2 and not SubmissionKey.objects.exists()


# --- the API -----------------------------------------------------------------------------------------------------


def test_an_api_reply_retried_with_its_key_gets_the_first_answer_and_sends_one_email(
    client, alice, central, open_email_ticket
):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    first = api_post(client, ticket, "replies", REPLY, "8e03978e-40d5-43e8-bc93-6894a57f9324")
    second = api_post(client, ticket, "replies", REPLY, '"8e03978e-40d5-43e8-bc93-6894a57f9324"')  # quoted: the same
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() and first.json()["id"] == Entry.objects.get(kind="outbound").pk
    assert "Idempotent-Replayed" not in first and second["Idempotent-Replayed"] == "true"
    assert emails() == 1 and ticket.entries.filter(kind="outbound").count() == 1


def test_an_api_note_retried_with_its_key_is_written_once(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    answers = [api_post(client, ticket, "notes", {"text": "Sprawdzam."}, "n-1") for _ in range(3)]
    assert {answer.status_code for answer in answers} == {201}
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert ticket.entries.filter(kind="note").count() == 1


def test_without_a_key_the_api_writes_each_post(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    assert {api_post(client, ticket, "replies", REPLY, None).status_code for _ in range(2)} == {201}
    assert ticket.entries.filter(kind="outbound").count() == 2 and emails() == 2


def test_a_key_with_another_request_is_refused_with_422_and_writes_nothing(client, alice, central, open_email_ticket):
    ticket, other = open_email_ticket(central), open_email_ticket(central, subject="Inne")
    client.force_login(alice)
    assert api_post(client, ticket, "replies", REPLY, "k-1").status_code == 201
    for refused in (
        api_post(client, ticket, "replies", {"text": "Inna treść."}, "k-1"),
        api_post(client, ticket, "replies", REPLY | {"cc": ["kierownik@przychodnia.example.pl"]}, "k-1"),
        api_post(client, ticket, "notes", REPLY, "k-1"),
        api_post(client, other, "replies", REPLY, "k-1"),
    ):
        assert refused.status_code == 422
        assert refused.json() == {"detail": "Ten klucz wysłania (Idempotency-Key) został już użyty do innego wpisu."}
    assert Entry.objects.filter(kind__in=["outbound", "note"]).count() == 1 and emails() == 1


@pytest.mark.parametrize("key", ["z spacja", "x" * 101, "zażółć"])
def test_a_malformed_key_is_refused_in_polish(client, alice, central, open_email_ticket, key):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    answer = client.post(
        f"/api/v1/tickets/{ticket.reference}/replies/",
        REPLY,
        content_type="application/json",
        headers={"Idempotency-Key": key.encode().decode("latin-1")},
    )
    assert answer.status_code == 400 and "Idempotency-Key" in answer.json()["detail"]
    assert not Entry.objects.filter(kind="outbound").exists()


def test_the_same_key_of_another_member_of_staff_is_theirs_alone(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    adam = _staff("adam", Role.AGENT)
    client.force_login(alice)
    mine = api_post(client, ticket, "replies", REPLY, "shared-1")
    other = Client()
    other.force_login(adam)
    theirs = api_post(other, ticket, "replies", REPLY, "shared-1")
    assert mine.status_code == theirs.status_code == 201 and mine.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs
    assert ticket.entries.filter(kind="outbound").count() == 2 and emails() == 2


def test_a_regional_administrator_learns_nothing_of_another_voivodeship_through_a_key(
    client, bob, celina, queue_14, queue_24, open_email_ticket
):
    """bob (voivodeship 14) replied with a key. celina (24) cannot repeat it on his ticket (404, as for any ticket
    she cannot see), and the same key on her own ticket is hers: a new reply, nothing of bob's in the answer.
    Once bob's ticket has gone to another voivodeship, bob repeating his key learns nothing of it either."""
    ticket_14, ticket_24 = open_email_ticket(queue_14), open_email_ticket(queue_24, subject="Z 24")
    client.force_login(bob)
    bobs = api_post(client, ticket_14, "replies", REPLY, "k-bob")
    assert bobs.status_code == 201
    hers = Client()
    hers.force_login(celina)
    assert api_post(hers, ticket_14, "replies", REPLY, "k-bob").status_code == 404
    own = api_post(hers, ticket_24, "replies", REPLY, "k-bob")
    assert own.status_code == 201 and own.json()["ticket"] == ticket_24.reference
    assert own.json()["id"] != bobs.json()["id"] and ticket_14.reference not in own.content.decode()
    Ticket.objects.filter(pk=ticket_14.pk).update(queue=queue_24)  # moved out of bob's reach
    assert api_post(client, ticket_14, "replies", REPLY, "k-bob").status_code == 404
    other_14 = open_email_ticket(queue_14, subject="Drugie z 14")
    refused = api_post(client, other_14, "replies", REPLY, "k-bob")
    assert refused.status_code == 422 and ticket_14.reference not in refused.content.decode()
    assert ticket_14.entries.filter(kind="outbound").count() == 1


def test_a_key_claimed_by_a_refused_write_is_released(client, alice, central, open_email_ticket):
    """The key is claimed in the entry's transaction: a write refused after the claim (here @mentioning someone
    unknown) leaves no key behind, and the corrected request under the same key goes through."""
    ticket = open_email_ticket(central)
    client.force_login(alice)
    refused = api_post(client, ticket, "notes", {"text": "@nikt sprawdź"}, "k-2")
    assert refused.status_code == 400 and not SubmissionKey.objects.exists()
    assert api_post(client, ticket, "notes", {"text": "@nikt sprawdź"}, "k-2").status_code == 400
    assert api_post(client, ticket, "notes", {"text": "sprawdź"}, "k-3").status_code == 201


def test_clean_key():
    assert submissions.clean_key('  "abc"  ') == "abc" and submissions.clean_key("") == ""
    assert submissions.clean_key("a" * 100) == "a" * 100


# --- two submissions at the same moment --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_posts_with_one_key_give_one_entry_on_postgresql(alice, central, open_email_ticket, monkeypatch):
    """Two connections: the first has claimed the key and not committed yet when the second posts. The second's
    insert of the key waits on the unique index (seen in pg_stat_activity), then finds the first's committed
    key and answers with its entry."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only: the second insert waits for the first transaction")
    ticket = open_email_ticket(central)
    held = hold_first_call(monkeypatch, entries, "_add")

    def post():
        client = Client()
        client.force_login(alice)
        return api_post(client, ticket, "replies", REPLY, "concurrent-1")

    answers, waiting = race(post, held=held, waiting_in='%INSERT INTO "tickets_submissionkey"%')
    assert waiting == 1  # the second post really was inside its insert while the first held the key
    assert answers["first"].status_code == answers["second"].status_code == 201
    assert answers["first"].json() == answers["second"].json()
    assert answers["second"]["Idempotent-Replayed"] == "true"
    assert ticket.entries.filter(kind="outbound").count() == 1 and emails() == 1
    assert SubmissionKey.objects.get().entry_id == answers["first"].json()["id"]
