"""Content lost without a word (issue 13, item 13): MIME parts nested deeper than the parser reads are left out,
and the ticket says so, and where (the part's number, its type, how many parts it held); the stored message's
reason says it too. A body nested deeper than Python's parser can follow at all still gives a ticket with its
headers and the same kind of note, never an error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inbox_ingest import actions as ingest_actions
from inbox_ingest import parsing
from inbox_ingest.models import Mailbox, RawMessage
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def nested(depth: int, *, top_text: str = "", quoted: bool = False) -> bytes:
    """A message whose only text (and a file) sits `depth` multipart levels down; `top_text`: a text part at the
    first level too."""
    body = (
        'Content-Type: multipart/mixed; boundary="leaf"\r\n\r\n'
        "--leaf\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nUkryta prośba o przelew na dnie.\r\n"
        "--leaf\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=f.pdf\r\n\r\n%PDF\r\n"
        "--leaf--\r\n"
    )
    for level in range(depth - 1, 0, -1):
        first = ""
        if level == 1 and top_text:
            quote = "\r\n> Wcześniejsza wiadomość\r\n> z historią\r\n" if quoted else ""
            first = f"--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{top_text}\r\n{quote}"
        body = f'Content-Type: multipart/mixed; boundary="b{level}"\r\n\r\n{first}--b{level}\r\n{body}--b{level}--\r\n'
    head = (
        "From: Jan Nowak <jan.nowak@przychodnia.example.pl>\r\nTo: pomoc-14@localhost\r\n"
        f"Subject: Zagnieżdżona {depth}\r\nMessage-ID: <nested-{depth}-{len(top_text)}@przychodnia.example.pl>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    return (head + body).encode()


def test_thirty_levels_are_read_whole():
    parsed = parsing.parse(nested(30))
    assert parsed.cut == () and "Ukryta prośba" in parsed.text and len(parsed.attachments) == 1


def test_a_hundred_levels_say_what_was_cut_and_where():
    parsed = parsing.parse(nested(100))
    (cut,) = parsed.cut
    assert cut.depth == parsing.MAX_DEPTH + 1 and cut.part == ".".join(["1"] * (parsing.MAX_DEPTH + 1))
    assert cut.content_type == "multipart/mixed" and cut.parts == 2  # the text and the PDF at the bottom


@pytest.fixture
def ingest(run_on_commit, queue_14):
    ingest_actions._OWN_CACHE.clear()
    mailbox = Mailbox.objects.create(
        name="m", email_address="pomoc-14@localhost", host="h", username="u", queue=queue_14
    )

    def run(raw: bytes):
        row, _new = ingest_actions.store(raw=raw, mailbox=mailbox, uid=None, uidvalidity=None)
        result = run_on_commit(ingest_actions.process, row.pk)
        return result, RawMessage.objects.get(pk=row.pk), Ticket.objects.get(reference=result.ticket)

    return run


def _page(client, user, ticket) -> str:
    client.force_login(user)
    return client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()


def test_the_ticket_says_that_content_nested_a_hundred_levels_deep_was_cut(ingest, client, bob):
    _result, row, ticket = ingest(nested(100))
    entry = ticket.entries.get()
    where = "część " + ".".join(["1"] * 31) + " (multipart/mixed), pominięte części: 2"
    assert "Treść zagnieżdżona głębiej niż 30 poziomów pominięta" in entry.body_text and where in entry.body_text
    assert "(wiadomość bez treści)" not in entry.body_text
    assert "Treść zagnieżdżona głębiej niż 30 poziomów pominięta" in row.reason and where in row.reason
    page = _page(client, bob, ticket)
    assert "Treść zagnieżdżona głębiej niż 30 poziomów pominięta" in page and where in page


def test_the_note_is_seen_beside_the_text_that_was_read(ingest, client, bob):
    _result, _row, ticket = ingest(nested(60, top_text="Dzień dobry, w załączeniu dane.", quoted=True))
    entry = ticket.entries.get()
    assert entry.visible_text.startswith("Dzień dobry, w załączeniu dane.")
    assert "Treść zagnieżdżona głębiej niż 30 poziomów pominięta" in entry.visible_text  # not only folded away
    page = _page(client, bob, ticket)
    shown = page.split("<details>")[0]
    assert "Dzień dobry, w załączeniu dane." in shown and "pominięta: część 2.1.1." in shown


def test_a_body_too_deep_for_the_parser_still_makes_a_ticket_that_says_so(ingest, client, bob):
    parsed = parsing.parse(nested(1200))  # never raises
    assert parsed.subject == "Zagnieżdżona 1200" and parsed.from_email == "jan.nowak@przychodnia.example.pl"
    assert [cut.depth for cut in parsed.cut] == [0]
    result, row, ticket = ingest(nested(1200))
    assert result.outcome == "created" and ticket.requester_email == "jan.nowak@przychodnia.example.pl"
    note = "Treść wiadomości jest zagnieżdżona zbyt głęboko, by ją odczytać: pominięto całą treść"
    assert note in ticket.entries.get().body_text and note in row.reason
    assert note in _page(client, bob, ticket)
