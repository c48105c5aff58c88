"""The facts of a new ticket's text (tickets.text_facts) as an explicit value: the parsing worker computes them
with the planner's own function (inbox_ingest.messages.text_facts), the batch hands them on the request
(NewTicket.facts), the planner (tickets.opening.open_tickets) uses them only when computed for the very text it
writes, and a ticket opened with them is the ticket opened without."""

from __future__ import annotations

import dataclasses
import os

import pytest

from contacts.identify import Numbers
from contacts.models import Person, PersonEmail, ReportingUnit, UnitMembership
from inbox_ingest import actions, messages, parsing, pipeline
from inbox_ingest.models import RawMessage
from tests.mailtools import corpus, message
from tests.ticket_requests import new_ticket
from tickets import actions as ticket_actions
from tickets import checks, search
from tickets import text_facts as text_facts_module
from tickets.models import RoutingRule, Ticket
from tickets.text_facts import TicketText, facts_for, text_facts

HTML = (
    "From: Ewa Lis <ewa@szpital.example.pl>\r\nTo: pomoc@localhost\r\nSubject: =?utf-8?q?Has=C5=82o_i_MZ-88?=\r\n"
    'Message-ID: {mid}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="a"\r\n\r\n'
    "--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nNie mogę zmienić hasła, REGON 123456785.\r\n"
    '--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p onclick="x()">Nie mogę zmienić <b>hasła</b>, '
    "REGON 123456785.</p><script>alert(1)</script>\r\n--a--\r\n"
)


def _bench_messages(count: int) -> list[bytes]:
    """The first `count` messages of bench/ingest_mail.py's generator (its module sets environment defaults for
    a benchmark run when imported: they are undone)."""
    saved = dict(os.environ)
    try:
        from bench.ingest_mail import generate
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return generate(count)


def _corpus_messages() -> list[bytes]:
    found = sorted(corpus("zammad").glob("*.box")) + sorted(corpus("django-helpdesk").glob("*.eml"))
    return [path.read_bytes() for path in found]


@pytest.fixture
def planned(monkeypatch) -> list:
    """Every facts value the planner computes (the ones it is given and uses are not in it)."""
    computed: list = []
    real = text_facts_module.text_facts

    def recording(text: TicketText):
        computed.append(real(text))
        return computed[-1]

    monkeypatch.setattr(text_facts_module, "text_facts", recording)
    return computed


def _prepared(raws: list[bytes], rows: list[RawMessage], facts=None) -> dict[int, pipeline.Prepared]:
    """What a parsing worker gives for each row (pipeline.prepare in a worker set up with Django); `facts`: other
    facts to hand on instead of the message's own."""
    result = {}
    for raw, row in zip(raws, rows, strict=True):
        parsed = parsing.parse(raw)
        given = messages.text_facts(parsed) if facts is None else facts
        result[row.pk] = pipeline.Prepared(row.sha256, parsing.parse_headers_only(raw), parsed, given)
    return result


def _document(ticket: Ticket) -> set[str]:
    """The search tokens of the ticket's text and first entry as written (as search.rebuild computes them)."""
    entry = ticket.entries.order_by("pk").first()
    return search.document_tokens(search.ticket_text(ticket), search.entry_text(entry))


def test_the_workers_facts_are_the_planners_for_the_same_message(db, central, planned):
    """Over the benchmark's messages and the shared corpus: for every message that opens a ticket, what the worker
    computes is what the planner computes for the ticket it writes, and what it writes (HTML, search tokens)."""
    generated = _bench_messages(150)
    raws = generated + _corpus_messages()
    worker = [messages.text_facts(parsing.parse(raw)) for raw in raws]  # as pipeline.prepare does
    planned.clear()
    rows = actions.store_batch([{"raw": raw, "source": f"fakty-{n}"} for n, raw in enumerate(raws)])
    results = actions.process_batch([row.pk for row in rows])  # without workers: the planner computes them all
    by_text = {facts.text: facts for facts in planned}
    opened = fitting = 0
    for n, (facts, result) in enumerate(zip(worker, results, strict=True)):
        if result.outcome != RawMessage.Outcome.CREATED:
            continue
        opened += 1
        assert facts is not None, n  # a message that opens a ticket has its facts computed ahead
        if facts.text not in by_text:  # computed for another text (notes on what was left out): unused
            assert n >= len(generated), n
            continue
        fitting += 1
        assert by_text[facts.text] == facts, n
        ticket = Ticket.objects.get(reference=result.ticket)
        assert ticket.entries.order_by("pk").first().body_html == facts.html
        assert _document(ticket) == search.document_tokens(ticket.reference) | facts.requester_tokens | (
            facts.entry_tokens
        )
    assert opened >= 130 and fitting >= opened * 0.95, (opened, fitting)


def test_a_batch_uses_the_facts_its_workers_computed_and_computes_none(db, central, planned):
    raws = _bench_messages(60)
    rows = actions.store_batch([{"raw": raw, "source": "w"} for raw in raws])
    prepared = _prepared(raws, rows)
    planned.clear()
    results = actions.process_batch([row.pk for row in rows], prepared)
    assert sum(result.outcome == RawMessage.Outcome.CREATED for result in results) >= 50
    assert planned == []


def _world(queue_14) -> ReportingUnit:
    RoutingRule.objects.create(name="Hasło", position=1, stop=False, words="hasło", add_tags="haslo")
    RoutingRule.objects.create(name="MZ-88", position=2, stop=False, form_codes="MZ-88", add_tags="mz-88")
    RoutingRule.objects.create(name="Województwo jednostki", position=3, queue_of_unit_voivodeship=True)
    return ReportingUnit.objects.create(name="Szpital", regon="123456785", voivodeship_id="14")


def _same(ticket: Ticket) -> tuple:
    entry = ticket.entries.get()
    return (
        ticket.subject, ticket.queue_id, ticket.reporting_unit_id, ticket.identification, ticket.priority,
        ticket.category_id, sorted(ticket.tags), ticket.requester_id, ticket.requester_name, ticket.requester_email,
        entry.body_text, entry.body_html, entry.visible_text, entry.sender_name, entry.sender_email,
        _document(ticket) - search.document_tokens(ticket.reference),
    )  # fmt: skip


def test_a_ticket_opened_with_the_workers_facts_is_the_ticket_opened_without(db, central, queue_14, planned):
    unit = _world(queue_14)
    raws = [HTML.format(mid="<z@x>").encode(), HTML.format(mid="<bez@x>").encode()]
    rows = actions.store_batch([{"raw": raw, "source": "s"} for raw in raws])
    prepared = _prepared(raws[:1], rows[:1])
    planned.clear()
    (given,) = actions.process_batch([rows[0].pk], prepared)
    assert planned == []  # the worker's facts were used
    (computed,) = actions.process_batch([rows[1].pk])
    assert len(planned) == 1
    with_facts, without = (Ticket.objects.get(reference=result.ticket) for result in (given, computed))
    assert with_facts.reporting_unit == unit and with_facts.queue == queue_14
    assert sorted(with_facts.tags) == ["haslo", "mz-88"]
    assert "<script>" not in with_facts.entries.get().body_html and "<b>" in with_facts.entries.get().body_html
    assert _same(with_facts) == _same(without)


def test_facts_computed_for_another_text_are_ignored(db, central, queue_14, planned):
    _world(queue_14)
    other = message(subject="Inna sprawa", body="Zupełnie inny tekst.\n", message_id="<inny@x>")
    stale = messages.text_facts(parsing.parse(other))
    raws = [HTML.format(mid="<a@x>").encode(), HTML.format(mid="<b@x>").encode()]
    rows = actions.store_batch([{"raw": raw, "source": "s"} for raw in raws])
    prepared = _prepared(raws[:1], rows[:1], facts=stale)
    planned.clear()
    (given,) = actions.process_batch([rows[0].pk], prepared)
    (computed,) = actions.process_batch([rows[1].pk])
    assert len(planned) == 2  # the stale facts were computed again
    tickets = [Ticket.objects.get(reference=result.ticket) for result in (given, computed)]
    assert _same(tickets[0]) == _same(tickets[1])
    assert tickets[0].subject == "Hasło i MZ-88" and tickets[0].queue == queue_14


def test_the_planner_uses_given_facts_only_for_the_text_it_writes(db, central, queue_14):
    """Facts that fit are used as they are (a telling value shows it), facts of another text are not, and facts
    computed with the request's name are not used when the identified person's name goes on the ticket."""
    unit = ReportingUnit.objects.create(name="Spoza tekstu", regon="123456785", voivodeship_id="24")
    request = new_ticket(subject="Pytanie", body_text="Proszę o pomoc.", requester_email="x@example.pl")
    telling = dataclasses.replace(facts_for(request), numbers=Numbers(regons=("123456785",)))
    (used,) = ticket_actions.open_tickets([dataclasses.replace(request, facts=telling)], actor=None)
    assert used.reporting_unit == unit  # the number only the given facts name
    other = dataclasses.replace(request, subject="Pytanie inne")
    (ignored,) = ticket_actions.open_tickets([dataclasses.replace(other, facts=telling)], actor=None)
    assert ignored.reporting_unit is None and ignored.identification == "unidentified"

    person = Person.objects.create(name="Anna Kowalska")
    PersonEmail.objects.create(person=person, email="anna@example.pl")
    UnitMembership.objects.create(person=person, unit=unit)
    nameless = new_ticket(subject="Pytanie", body_text="Proszę o pomoc.", requester_email="anna@example.pl")
    given = facts_for(nameless)  # as a worker computes them: the name is not known yet
    assert given.text.name == ""
    (named,) = ticket_actions.open_tickets([dataclasses.replace(nameless, facts=given)], actor=None)
    assert named.requester_name == "Anna Kowalska" and named.entries.get().sender_name == "Anna Kowalska"
    words = search.parse("Kowalska")
    assert list(Ticket.objects.filter(pk__in=search.matching_ids(words))) == [named]


def test_the_facts_are_those_of_the_text_as_opening_writes_it():
    request = new_ticket(
        subject="  Odp:  MZ-88 nie działa  ",
        body_text="REGON 123456785, hasło wygasło.",
        body_html="<p>REGON <i>123456785</i></p><img src=x onerror=y()>",
        requester_name="Ewa Lis",
        requester_email=" Ewa@Szpital.example.pl ",
    )
    facts = text_facts(TicketText.of(request))
    assert facts.text.subject == checks.clean_subject(request.subject)
    assert facts.form_codes == {"MZ-88"} and facts.numbers.regons == ("123456785",)
    assert "onerror" not in facts.html and "<i>" in facts.html
    assert {"ewa", "lis", "mz88"} <= facts.requester_tokens and "haslo" in facts.entry_tokens
    assert facts == text_facts(TicketText.of(request))  # a pure function: the same text, the same facts
    staff = TicketText.of(
        request, actor=type("Staff", (), {"email": "agent@ssoz.example", "__str__": lambda s: "Ag"})()
    )
    assert (staff.sender_name, staff.sender_email) == ("Ag", "agent@ssoz.example") and not facts.fits(staff)
