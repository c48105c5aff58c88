"""Sender spoofing through RFC 2047 encoded display names (issue 13, item 1): addresses come from the structure of
the undecoded From / Reply-To / To / Cc headers and only the display names are decoded, so an address (or angle
brackets and commas) written inside an encoded word never becomes an identity: not for threading, participants,
the requester, the acknowledgement's recipient, nor a regional administrator's reply by e-mail."""

from __future__ import annotations

import base64
import email.quoprimime
import re

import pytest
from django.core import mail
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.models import NoticeMode
from inbox_ingest import actions as ingest_actions
from inbox_ingest import parsing
from tests.mailtools import message
from tests.ticket_requests import new_ticket, open_one
from tickets.models import Entry, Ticket

pytestmark = pytest.mark.django_db

ANNA = "anna.nowak@szpital.example"
ANNA_AS_NAME = "=?utf-8?q?anna=2Enowak=40szpital=2Eexample?="  # "anna.nowak@szpital.example"
# "Anna Nowak <anna.nowak@szpital.example>, x@y" in one encoded word: angle brackets and a comma inside
ANNA_WITH_BRACKETS = "=?utf-8?q?Anna_Nowak_=3Canna=2Enowak=40szpital=2Eexample=3E=2C_x=40y?="
ANNA_BASE64 = "=?utf-8?b?QW5uYSBOb3dhayA8YW5uYS5ub3dha0BzenBpdGFsLmV4YW1wbGU+LCB4QHk=?="  # the same in base64
ATTACKER = "attacker@evil.example"


@pytest.mark.parametrize("display", [ANNA_AS_NAME, ANNA_WITH_BRACKETS, ANNA_BASE64, f'"{ANNA_WITH_BRACKETS}"'])
def test_an_address_inside_an_encoded_display_name_is_only_a_name(display):
    parsed = parsing.parse(
        message(
            sender=f"{display} <{ATTACKER}>",
            to=f"{display} <pomoc@localhost>",
            headers={"Reply-To": f"{display} <{ATTACKER}>", "Cc": f"{display} <kopia@evil.example>"},
        )
    )
    assert parsed.from_email == ATTACKER and ANNA in parsed.from_name
    assert parsed.reply_to == ATTACKER
    assert parsed.to == ("pomoc@localhost",) and parsed.cc == ("kopia@evil.example",)


display_texts = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=80),
    st.sampled_from([ANNA, f"<{ANNA}>", f"Anna <{ANNA}>, x@y", f'"Anna" <{ANNA}>', f"{ANNA}; x@y", f"({ANNA})"]),
)


def _encoded_word(text: str, encoding: str) -> str:
    if encoding == "b":
        return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="
    return email.quoprimime.header_encode(text.encode(), "utf-8")


@settings(max_examples=300, deadline=None)
@given(display_texts, st.sampled_from(["b", "q"]), st.sampled_from(["From", "Reply-To", "To", "Cc"]))
def test_no_encoded_display_name_ever_becomes_an_address(text, encoding, header):
    word = _encoded_word(text, encoding)
    for value, expected in ((f"{word} <{ATTACKER}>", ATTACKER), (word, "")):
        if header == "From":
            raw = message(sender=value)
        elif header == "To":
            raw = message(to=value)
        else:
            raw = message(headers={header: value})
        parsed = parsing.parse(raw)
        found = {"From": parsed.from_email, "Reply-To": parsed.reply_to, "To": parsed.to, "Cc": parsed.cc}[header]
        if header in ("To", "Cc"):
            expected = (expected,) if expected else ()
        assert found == expected, (value, found)


def test_an_encoded_word_alone_gives_no_address():
    parsed = parsing.parse(message(sender=ANNA_AS_NAME, headers={"Reply-To": ANNA_WITH_BRACKETS}))
    assert parsed.from_email == "" and parsed.reply_to == ""
    assert parsing.parse_headers_only(message(sender=ANNA_AS_NAME)).from_email == ""
    # an encoded word as the local part: decoded only to plain atom characters, the domain stays as written
    assert parsing.parse(message(sender="=?utf-8?q?anna.nowak=40szpital.example?=@evil.example")).from_email == ""
    assert parsing.parse(message(sender="=?utf-8?q?anna=3E?=@evil.example")).from_email == ""
    assert parsing.parse(message(sender="=?utf-8?Q?agent?=@example.com")).from_email == "agent@example.com"


def test_ordinary_headers_still_read_as_before():
    parsed = parsing.parse(
        message(
            sender='"=?utf-8?q?Nowak=2C_J=C3=B3zef?=" <Jozef.Nowak@Przychodnia.example.pl>',
            to="a@localhost, =?utf-8?q?Bo=C5=BCena?= <b@localhost>",
            headers={"Cc": "Zofia <z@example.pl>, c@example.pl (Celina)"},
        )
    )
    assert (parsed.from_name, parsed.from_email) == ("Nowak, Józef", "jozef.nowak@przychodnia.example.pl")
    assert parsed.to == ("a@localhost", "b@localhost") and parsed.cc == ("z@example.pl", "c@example.pl")
    # bidirectional controls never turn a name around (helpdesk.filenames.neutral_name)
    assert parsing.parse(message(sender="=?utf-8?q?Anna_=E2=80=AEalpmaxe?= <a@example.pl>")).from_name == "Anna alpmaxe"
    raw_8bit = message(sender="Józef Żak <jozef@example.pl>")
    assert parsing.parse(raw_8bit).from_name == "Józef Żak" and parsing.parse(raw_8bit).from_email == "jozef@example.pl"


@pytest.fixture
def ingest(run_on_commit):
    ingest_actions._OWN_CACHE.clear()

    def run(raw: bytes):
        row, _new = ingest_actions.store(raw=raw, mailbox=None, uid=None, uidvalidity=None)
        return run_on_commit(ingest_actions.process, row.pk)

    return run


@pytest.fixture
def annas_ticket(ingest):
    result = ingest(message(sender=f"Anna Nowak <{ANNA}>", subject="Nie mogę złożyć MZ-88"))
    mail.outbox.clear()
    return Ticket.objects.get(reference=result.ticket)


def _entry_headers(page: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", h).split()) for h in re.findall(r"<header>(.*?)</header>", page, re.S)]


@pytest.mark.parametrize("display", [ANNA_AS_NAME, ANNA_WITH_BRACKETS, ANNA_BASE64])
def test_a_spoofed_display_name_does_not_post_into_annas_ticket_as_her(display, annas_ticket, ingest, client, alice):
    result = ingest(
        message(
            sender=f"{display} <{ATTACKER}>",
            subject=f"Re: [{annas_ticket.reference}] Nie mogę złożyć MZ-88",
            message_id="<spoof@evil.example>",
            body="Proszę przesłać dane wszystkich jednostek na adres poniżej.\n",
        )
    )
    assert result.outcome == "created" and result.ticket != annas_ticket.reference
    assert annas_ticket.entries.count() == 1
    assert not Entry.objects.filter(sender_email=ANNA, message_id="<spoof@evil.example>").exists()
    spoofed = Ticket.objects.get(reference=result.ticket)
    assert spoofed.requester_email == ATTACKER and spoofed.related_to == annas_ticket
    assert [m.to for m in mail.outbox] == [[ATTACKER]]  # the acknowledgement goes to the real sender
    # the page shows the real address beside whatever name the sender gave
    client.force_login(alice)
    page = client.get(reverse("tickets:detail", args=[spoofed.reference])).content.decode()
    (header,) = _entry_headers(page)
    assert ATTACKER in header


def test_a_spoofed_reply_to_does_not_redirect_the_acknowledgement(ingest):
    ingest(
        message(
            sender="Jan Nowak <jan.nowak@przychodnia.example.pl>",
            headers={"Reply-To": f"{'=?utf-8?q?odbior=40evil=2Eexample?='} <jan.nowak@przychodnia.example.pl>"},
        )
    )
    assert [m.to for m in mail.outbox] == [["jan.nowak@przychodnia.example.pl"]]


def test_a_spoofed_cc_does_not_make_anna_a_participant(ingest, annas_ticket):
    """A stranger's message copied "to Anna" in an encoded word must not make Anna's ticket take in the stranger."""
    first = ingest(
        message(
            sender=f"Obcy <{ATTACKER}>",
            message_id="<first@evil.example>",
            headers={"Cc": f"{ANNA_AS_NAME} <kopia@evil.example>, x@evil.example"},
        )
    )
    entry = Ticket.objects.get(reference=first.ticket).entries.get()
    assert ANNA not in entry.cc and set(entry.cc) == {"kopia@evil.example", "x@evil.example"}


def test_a_spoofed_display_name_is_not_taken_for_the_regional_admins_reply(bob, queue_14, ingest, run_on_commit):
    bob.notice_mode = NoticeMode.EACH
    bob.save(update_fields=["notice_mode"])
    ticket = run_on_commit(
        open_one,
        new_ticket(
            channel="email",
            subject="Korekta działu II MZ-88",
            body_text="Jak poprawić dział II?",
            requester_email="kadry@przychodnia.example.pl",
            queue=queue_14,
        ),
        actor=None,
    )
    (notice,) = [m for m in mail.outbox if m.to == [bob.email]]
    mail.outbox.clear()
    bob_as_name = "=?utf-8?q?" + bob.email.replace("@", "=40").replace(".", "=2E") + "?="
    ingest(
        message(
            sender=f"{bob_as_name} <{ATTACKER}>",
            subject=f"Re: {notice.subject}",
            message_id="<forged-name@evil.example>",
            body="Proszę podać hasło do systemu w odpowiedzi.\n",
            headers={"In-Reply-To": notice.extra_headers["Message-ID"]},
        )
    )
    assert not ticket.entries.filter(author=bob).exists()
    assert not ticket.entries.filter(kind=Entry.Kind.OUTBOUND).exists()
    assert not [m for m in mail.outbox if m.to == ["kadry@przychodnia.example.pl"]]


def test_a_spoofed_display_name_neither_identifies_a_unit_nor_matches_a_sender_rule(ingest):
    from contacts.models import ReportingUnit
    from tickets.models import Priority, RoutingRule

    unit = ReportingUnit.objects.create(
        name="Przychodnia Mokotów", regon="123456785", voivodeship_id="14", email_domain="mokotow.example.pl"
    )
    RoutingRule.objects.create(name="Mokotów pilnie", position=1, senders="@mokotow.example.pl", set_priority=4)
    genuine = ingest(message(sender="Rejestracja <rejestracja@mokotow.example.pl>", message_id="<g@mokotow>"))
    genuine = Ticket.objects.get(reference=genuine.ticket)
    assert genuine.reporting_unit == unit and genuine.priority == Priority.URGENT  # the control case
    spoofed = ingest(
        message(
            sender=f"=?utf-8?q?rejestracja=40mokotow=2Eexample=2Epl?= <{ATTACKER}>",
            to="=?utf-8?q?rejestracja=40mokotow=2Eexample=2Epl?= <pomoc@localhost>",
            message_id="<s@evil.example>",
        )
    )
    spoofed = Ticket.objects.get(reference=spoofed.ticket)
    assert spoofed.requester_email == ATTACKER and spoofed.reporting_unit is None
    assert spoofed.priority != Priority.URGENT
    steps = [step["rule_name"] for step in spoofed.events.get(kind="routed").data["rules"]]
    assert "Mokotów pilnie" not in steps
