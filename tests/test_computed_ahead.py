"""Values of pure functions computed ahead in the parsing workers (helpdesk.ahead, inbox_ingest.actions.foreseen):
they are what the functions give, and processing a message really uses the ones foreseen for it."""

from __future__ import annotations

import threading

import pytest

from contacts.identify import Numbers, find_numbers
from contacts.models import ReportingUnit
from helpdesk import ahead
from inbox_ingest import actions, parsing, pipeline
from inbox_ingest.models import RawMessage
from tests.mailtools import message
from tickets import rules, search
from tickets.models import RoutingRule, Ticket


@ahead.pure
def _shout(text: str) -> str:
    if not text:
        raise ValueError("empty")
    return text.upper()


def test_a_pure_function_takes_the_value_computed_ahead_for_the_same_argument_only():
    values = ahead.compute([(_shout, "abc"), (_shout, ""), (_shout, "abc")])
    assert values == {(_shout.ahead_name, "abc"): "ABC"}  # the failing call is left to the usual path
    values[(_shout.ahead_name, "abc")] = "given"
    with ahead.using(values):
        assert _shout("abc") == "given"
        assert _shout("xyz") == "XYZ"  # not foreseen: computed
        with pytest.raises(ValueError):
            _shout("")
    assert _shout("abc") == "ABC"  # outside the block: computed again


def test_values_computed_ahead_belong_to_the_thread_that_uses_them():
    seen = []
    with ahead.using({(_shout.ahead_name, "abc"): "given"}):
        worker = threading.Thread(target=lambda: seen.append(_shout("abc")))
        worker.start()
        worker.join()
        assert _shout("abc") == "given"
    assert seen == ["ABC"]


def test_what_is_foreseen_for_a_message_is_what_the_functions_give():
    parsed = parsing.parse(
        message(subject="Odp: MZ-88 REGON 123456785", body="Dzień dobry,\nnie mogę wysłać MZ-88.\n", message_id="<f@x>")
    )
    calls = actions.foreseen(parsed)
    values = ahead.compute(calls)
    assert len(values) >= 7
    for function, argument in calls:
        assert values[(function.ahead_name, argument)] == function.__wrapped__(argument)
    text = next(argument for function, argument in calls if function is find_numbers)
    assert values[(find_numbers.ahead_name, text)].regons == ("123456785",)
    tokens = [value for (name, _argument), value in values.items() if name == search.text_tokens.ahead_name]
    assert len(tokens) == 2 and all("mz88" in value for value in tokens)  # the requester's part, the entry


def _prepared(raw: bytes, row: RawMessage, replace) -> dict:
    """A worker's result for `raw` (computed here), with some foreseen values replaced by `replace(key, value)`."""
    item = pipeline.Prepared(
        row.sha256,
        parsing.parse_headers_only(raw),
        parsing.parse(raw),
        ahead.compute(actions.foreseen(parsing.parse(raw))),
    )
    for key, value in list(item.ahead.items()):
        item.ahead[key] = replace(key, value)
    return {row.pk: item}


def test_processing_a_new_message_uses_the_values_foreseen_for_its_exact_texts(db, central, queue_14):
    """Each foreseen value is swapped for a telling one: the ticket shows all of them, so the texts the batch
    builds are the very ones the worker foresaw (a wrong guess would silently compute them again)."""
    unit = ReportingUnit.objects.create(name="Przychodnia spoza tekstu", regon="123456785", voivodeship_id="24")
    RoutingRule.objects.create(name="Słowo z przyszłości", position=1, words="przyszłowiek", set_queue=queue_14)
    raw = message(subject="Pytanie", body="Dzień dobry,\nproszę o pomoc.\n", message_id="<ahead@x>")
    row = actions.store(raw=raw, source="test")[0]

    def replace(key, value):
        name, _argument = key
        if name == find_numbers.ahead_name:
            return Numbers(regons=("123456785",))  # as if the text named the unit
        if name == rules.stems.ahead_name:
            return [*value, *rules.stems("przyszłowiek")]  # as if the text had the rule's word
        if name == search.text_tokens.ahead_name and "pomoc" in value:
            return value | {"slowoztejprzyszlosci"}
        return value

    actions.process_batch([row.pk], _prepared(raw, row, replace))
    ticket = Ticket.objects.get(entries__message_id="<ahead@x>")
    assert ticket.reporting_unit == unit and ticket.identification == "identified"
    assert ticket.queue == queue_14
    words = search.parse("slowoztejprzyszlosci")
    assert list(Ticket.objects.filter(pk__in=search.matching_ids(words)).values_list("pk", flat=True)) == [ticket.pk]


def test_without_values_computed_ahead_the_same_message_gives_the_same_ticket(db, central):
    raw = message(subject="MZ-88 REGON 123456785", body="Dzień dobry,\nnie mogę wysłać.\n", message_id="<same@x>")
    ReportingUnit.objects.create(name="Przychodnia", regon="123456785", voivodeship_id="14")
    first = actions.store(raw=raw, source="a")[0]
    actions.process_batch([first.pk], _prepared(raw, first, lambda key, value: value))
    with_values = Ticket.objects.get(entries__message_id="<same@x>")
    Ticket.objects.all().delete()
    RawMessage.objects.all().delete()
    second = actions.store(raw=raw, source="b")[0]
    actions.process_batch([second.pk])
    without = Ticket.objects.get(entries__message_id="<same@x>")
    fields = ["subject", "reporting_unit_id", "identification", "priority", "queue_id", "requester_email"]
    assert [getattr(with_values, name) for name in fields] == [getattr(without, name) for name in fields]
    words = search.parse("MZ-88 sprawozdanie przychodnia")[:1]
    assert list(Ticket.objects.filter(pk__in=search.matching_ids(words))) == [without]
