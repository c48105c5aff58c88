"""Full-text search of the ticket list (`?q=`): subject, reference, requester and every conversation entry,
Polish-friendly (case, diacritics, inflection), scoped like every ticket read, safe with any input.
Runs on the embedded SQLite (FTS5) and, with DATABASE_URL, on PostgreSQL (tsvector + GIN)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from tests.ticket_requests import new_entry
from tickets import actions, search
from tickets.models import Entry, TicketSearch

pytestmark = pytest.mark.django_db


def found(client, q: str, **params) -> list[str]:
    response = client.get(reverse("tickets:list"), {"q": q, **params})
    assert response.status_code == 200, response.status_code
    return sorted(t.reference for t in response.context["page"])


@pytest.fixture
def tickets(open_email_ticket, central, queue_14, queue_24):
    korekta = open_email_ticket(central, subject="Prośba o KOREKTĘ sprawozdania MZ-11", body_text="Proszę o pomoc.")
    haslo = open_email_ticket(
        queue_14, subject="Nie działa logowanie", body_text="Zapomniałem hasła do systemu, konto zablokowane."
    )
    slask = open_email_ticket(queue_24, subject="Pytanie o termin", body_text="Kiedy mija termin złożenia MZ-88?")
    return {"korekta": korekta, "haslo": haslo, "slask": slask}


def test_case_diacritics_and_inflection_do_not_matter(client, alice, tickets):
    client.force_login(alice)
    ref = tickets["korekta"].reference
    assert found(client, "korekta") == [ref]  # lemma of "KOREKTĘ"
    assert found(client, "korekte") == [ref]  # typed without the ogonek
    assert found(client, "KOREKTY") == [ref]  # another form of the same word
    assert found(client, "Korektę sprawozdań") == [ref]  # every word, each in any form
    assert found(client, "hasło") == [tickets["haslo"].reference]  # "hasła" in the message body
    assert found(client, "haslo") == [tickets["haslo"].reference]
    assert found(client, "mz 11") == found(client, "MZ-11") == [ref]  # a form code is one token
    assert found(client, "korekta logowanie") == []  # all words must be found in the same ticket


def test_an_unfinished_word_matches_as_a_prefix(client, alice, tickets):
    client.force_login(alice)
    assert found(client, "sprawozd") == [tickets["korekta"].reference]
    assert found(client, "zablok") == [tickets["haslo"].reference]


def test_entries_added_later_are_found_notes_calls_replies(client, alice, tickets, central):
    client.force_login(alice)
    ticket = tickets["korekta"]
    assert found(client, "gabinet") == []
    actions.add_entries(
        [new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="Gabinet przeniesiony do Radomia.")], actor=alice
    )[0]
    assert found(client, "gabinetu") == [ticket.reference]
    assert found(client, "radom") == [ticket.reference]
    actions.add_entries(
        [new_entry(ticket=ticket, kind=Entry.Kind.CALL, body_text="Oddzwoniłam, pani kierownik potwierdziła.")],
        actor=alice,
    )[0]
    assert found(client, "kierowniczka potwierdzić") == []  # another lemma: not a match
    assert found(client, "kierownik potwierdzila") == [ticket.reference]
    # one word in the subject, the other in a note: a ticket matches as a whole
    assert found(client, "korekta gabinet") == [ticket.reference]


def test_html_only_message_and_requester_are_searchable(client, alice, central, open_email_ticket):
    client.force_login(alice)
    ticket = open_email_ticket(
        central,
        subject="Bez treści tekstowej",
        body_text="",
        body_html="<p>Załączam <b>zestawienie</b> oddziałów</p>",
        requester_email="sekretariat@szpital-zdroj.example.pl",
    )
    assert found(client, "zestawienie oddziałów") == [ticket.reference]
    assert found(client, "sekretariat") == [ticket.reference]


def test_a_reference_typed_in_the_box_opens_the_ticket(client, alice, tickets):
    client.force_login(alice)
    ticket = tickets["haslo"]
    for typed in (ticket.reference, f"  {ticket.reference.lower()} "):
        response = client.get(reverse("tickets:list"), {"q": typed})
        assert response.status_code == 302
        assert response.url == reverse("tickets:detail", args=[ticket.reference])
    # an unknown reference is just searched for, and finds nothing
    assert found(client, "SSOZ-1999-999999") == []


def test_regional_admin_never_finds_another_voivodeships_ticket(client, bob, celina, tickets):
    # the same word in a ticket of 14 and of 24
    actions.add_entries(
        [new_entry(ticket=tickets["haslo"], kind=Entry.Kind.INBOUND, body_text="Termin mija jutro.")], actor=None
    )[0]
    client.force_login(celina)
    assert found(client, "termin") == [tickets["slask"].reference]
    assert found(client, "hasło") == []
    assert found(client, "logowanie", view="region") == []
    # the reference of 14's ticket typed in the box: no redirect, nothing found (as if it did not exist)
    response = client.get(reverse("tickets:list"), {"q": tickets["haslo"].reference})
    assert response.status_code == 200
    assert list(response.context["page"]) == []
    client.force_login(bob)
    assert found(client, "termin") == [tickets["haslo"].reference]
    response = client.get(reverse("tickets:list"), {"q": tickets["slask"].reference})
    assert response.status_code == 200 and list(response.context["page"]) == []


def test_search_combines_with_filters_and_views(client, alice, tickets):
    client.force_login(alice)
    assert found(client, "termin", queue="woj-24") == [tickets["slask"].reference]
    assert found(client, "termin", queue="woj-14") == []
    actions.change_status(actor=alice, ticket=tickets["slask"], status="resolved")
    assert found(client, "termin", status="open") == []
    assert found(client, "termin") == [tickets["slask"].reference]


# (query, what it finds: True = the "korekta" ticket, False = nothing, None = no word to search for)
BAD_INPUT = [
    ("&|!():*\"'", None),
    ("'", None),
    ('"', None),
    ("*", None),
    ("korekta & | ! ( ) : * \" '", True),
    ('korekta" OR "1"="1', False),  # "or" and "1" are words to find too: not in that ticket
    ("NEAR(korekta sprawozdanie)", False),  # "near" is a word, not an operator
    ("korekta AND NOT", False),
    ("-korekta", True),
    ("^korekta*", True),
    ("korekta:*", True),
    ("korekta'; DROP TABLE tickets_ticket; --", False),
    ("\\", None),
    ("🙂 korekta", True),
]


@pytest.mark.parametrize(("q", "finds"), BAD_INPUT)
def test_operators_and_quotes_are_plain_text(client, alice, tickets, q, finds):
    client.force_login(alice)
    response = client.get(reverse("tickets:list"), {"q": q})
    assert response.status_code == 200
    refs = sorted(t.reference for t in response.context["page"])
    assert refs == ([tickets["korekta"].reference] if finds else [])
    assert response.context["search_unusable"] == (finds is None)
    assert ("nie ma słowa do wyszukania" in response.content.decode()) == (finds is None)


def test_a_nul_byte_in_the_query_is_refused_in_polish_at_the_door(client, alice, tickets):
    client.force_login(alice)
    response = client.get(reverse("tickets:list"), {"q": "\x00korekta"})
    assert response.status_code == 400 and "niedozwolony znak" in response.content.decode()


def test_a_10000_character_query_is_answered(client, alice, tickets):
    client.force_login(alice)
    for q in ("korekta " * 1250, "a" * 10_000, "ż" * 10_000, "&|" * 5000):
        response = client.get(reverse("tickets:list"), {"q": q})
        assert response.status_code == 200
    assert found(client, "korekta " + "x" * 9992) == []  # the 200-character cut keeps "korekta" and "xxx…"
    assert found(client, ("korekta " * 1250)) == [tickets["korekta"].reference]


def test_stop_words_alone_are_reported(client, alice, tickets):
    client.force_login(alice)
    response = client.get(reverse("tickets:list"), {"q": "i w na"})
    assert response.context["search_unusable"] and list(response.context["page"]) == []


def test_rebuild_recomputes_the_document_and_a_deleted_ticket_leaves_no_document(client, alice, tickets):
    client.force_login(alice)
    ticket = tickets["haslo"]
    search.rebuild(ticket)
    assert found(client, "zapomniałem") == [ticket.reference]
    assert found(client, "logowanie") == [ticket.reference]
    assert TicketSearch.objects.filter(ticket=ticket).exists()
    ticket.entries.all().delete()
    ticket.events.all().delete()
    ticket.sla_timers.all().delete()
    ticket.delete()
    assert not TicketSearch.objects.filter(ticket_id=ticket.pk).exists()
    assert found(client, "logowanie") == []


def test_parse_keeps_only_word_tokens():
    words = search.parse('Korektę "sprawozd*" & | ! MZ-11 000123')
    assert [sorted(w.tokens) for w in words] == [["korekta", "korekte"], ["sprawozd"], ["mz11"], ["000123"]]
    assert [w.prefix for w in words] == ["", "sprawozd", "", ""]
    assert search.parse("&|!():*\"'") == []
    assert len(search.parse(" ".join(f"slowo{n}" for n in range(100)))) == search.MAX_WORDS


def test_the_list_counts_at_most_the_cap_and_says_so(client, alice, central, open_email_ticket, monkeypatch):
    from tickets import selectors

    for n in range(5):
        open_email_ticket(central, subject=f"Zgłoszenie numer {n}")
    client.force_login(alice)
    response = client.get(reverse("tickets:list"))
    assert response.context["page"].paginator.count == 5 and not response.context["page"].paginator.capped
    monkeypatch.setattr(selectors, "LIST_COUNT_CAP", 3)
    response = client.get(reverse("tickets:list"))
    paginator = response.context["page"].paginator
    assert paginator.capped and paginator.count == 3 and len(response.context["page"]) == 3
    assert "ponad 3" in response.content.decode()
    assert "Lista pokazuje pierwsze 3 zgłoszenia" in response.content.decode()
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 2)  # a search counts fewer
    response = client.get(reverse("tickets:list"), {"q": "zgłoszenie"})
    assert response.context["page"].paginator.count == 2 and response.context["page"].paginator.capped


def test_a_regional_admins_search_counts_their_matches_in_both_parts_up_to_the_cap(
    client, bob, central, queue_14, queue_24, open_email_ticket, monkeypatch
):
    """A regional administrator's search is counted in recency order (selectors.list_paginator): the same count
    as any order, over their queues and their units in other queues, never a ticket out of their sight."""
    from contacts.models import ReportingUnit
    from tickets import selectors

    radom = ReportingUnit.objects.create(name="Szpital w Radomiu", regon="123456785", voivodeship_id="14")
    mine = [
        open_email_ticket(queue_14, subject="Gabinet zabiegowy 1"),
        open_email_ticket(central, subject="Gabinet zabiegowy 2", reporting_unit=radom),
        open_email_ticket(queue_24, subject="Gabinet zabiegowy 3", reporting_unit=radom),
    ]
    open_email_ticket(queue_24, subject="Gabinet zabiegowy 4")  # another voivodeship's
    open_email_ticket(central, subject="Gabinet zabiegowy 5")
    client.force_login(bob)
    response = client.get(reverse("tickets:list"), {"q": "gabinet"})
    paginator = response.context["page"].paginator
    assert paginator.count_order and paginator.count == 3 and not paginator.capped
    assert sorted(t.reference for t in response.context["page"]) == sorted(t.reference for t in mine)
    monkeypatch.setattr(selectors, "SEARCH_COUNT_CAP", 2)
    paginator = client.get(reverse("tickets:list"), {"q": "gabinet"}).context["page"].paginator
    assert paginator.count == 2 and paginator.capped
    assert not client.get(reverse("tickets:list")).context["page"].paginator.count_order  # a list: no order


def test_the_nearest_sla_due_time_is_kept_on_the_ticket_for_sorting(client, alice, central, open_email_ticket):
    """tickets.sla.sync writes Ticket.sla_due_at (the earliest running clock): the list sorts by it."""
    from tickets.models import SlaTimer, Ticket

    ticket = open_email_ticket(central, subject="Zegar")
    live = SlaTimer.objects.filter(ticket=ticket, due_at__isnull=False).exclude(state="done")
    ticket.refresh_from_db()
    assert live.exists() and ticket.sla_due_at == min(t.due_at for t in live)
    actions.change_status(actor=alice, ticket=ticket, status="waiting_customer")  # clocks pause: no due time
    ticket.refresh_from_db()
    assert ticket.sla_due_at is None
    actions.change_status(actor=alice, ticket=ticket, status="open")
    ticket.refresh_from_db()
    assert ticket.sla_due_at is not None
    actions.change_status(actor=alice, ticket=ticket, status="resolved")
    assert Ticket.objects.get(pk=ticket.pk).sla_due_at is None


def test_a_merged_conversation_is_found_on_the_target(client, alice, queue_14, open_email_ticket):
    target = open_email_ticket(queue_14, subject="Brak potwierdzenia")
    duplicate = open_email_ticket(queue_14, subject="Ponownie w sprawie potwierdzenia")
    actions.add_entries(
        [new_entry(ticket=duplicate, kind=Entry.Kind.NOTE, body_text="Zgubiony protokół weryfikacji")], actor=alice
    )[0]
    actions.merge_tickets(actor=alice, source=duplicate, target=target)
    client.force_login(alice)
    assert found(client, "protokół weryfikacji") == [target.reference]  # the moved conversation, on the target
    assert target.reference in found(client, "ponownie")  # the duplicate's subject leads to the target too


def _document(ticket_id: int) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SELECT vector::text FROM {search.TABLE} WHERE ticket_id = %s", [ticket_id])  # noqa: S608
        else:
            cursor.execute(f"SELECT document FROM {search.FTS_TABLE} WHERE rowid = %s", [ticket_id])  # noqa: S608
        row = cursor.fetchone()
    return set(row[0].replace("'", " ").split()) if row else set()


# plain lexemes, numbers in exponent notation (the PostgreSQL parser splits "12e5abc"), other scripts, a token
# whose folded form is upper case (a mathematical capital: to_tsvector lower-cases it)
AWKWARD = {"korekta", "mz11", "000123", "12e5", "12e5abc", "1e", "privet", "привет", "日本語", "A"}


def test_add_many_writes_what_add_writes_one_by_one(central, open_email_ticket):
    ids = [open_email_ticket(central, subject=f"Temat {n}").pk for n in range(6)]
    TicketSearch.objects.filter(ticket_id__in=ids).delete()
    first, second = {"korekta", "sprawozdanie", "12e5abc"}, AWKWARD
    search.add(ids[0], first)  # one by one: the reference documents
    search.add(ids[0], second)
    search.add(ids[1], first)
    search.add(ids[2], {"same", "litery"})
    search.add_many([(ids[3], first), (ids[5], {"same", "litery"})])  # new tickets' documents
    search.add_many([(ids[3], second), (ids[4], first), (ids[3], second | {"jeszcze"})], new=False)
    assert _document(ids[3]) == _document(ids[0]) | {"jeszcze"}
    assert _document(ids[4]) == _document(ids[1])
    assert _document(ids[5]) == _document(ids[2]) == {"same", "litery"}
    if connection.vendor == "postgresql":  # the parser's reading, not the token as it came
        assert {"12e5", "abc", "a"} <= _document(ids[3]) and not {"12e5abc", "A"} & _document(ids[3])


def test_a_plain_lexeme_is_its_own_tsvector_in_postgresql():
    """search._plain promises that array_to_tsvector gives what to_tsvector('simple', …) gives for such a token."""
    import itertools
    import random

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's text search parser")
    chance = random.Random(7)
    characters = "abcdefxyz0123456789e"
    tokens = {"".join(letters) for size in (1, 2) for letters in itertools.product(characters, repeat=size)}
    tokens |= {"".join(chance.choice(characters) for _ in range(chance.randint(3, 12))) for _ in range(20000)}
    plain = sorted(token for token in tokens | AWKWARD if search._plain(token))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t FROM unnest(%s::text[]) t"
            " WHERE strip(to_tsvector('simple', t)) IS DISTINCT FROM array_to_tsvector(ARRAY[t])",
            [plain],
        )
        assert cursor.fetchall() == []
    assert not search._plain("12e5abc") and not search._plain("привет") and not search._plain("korekta 1e5x")
    assert search._plain("korekta mz11 e5 105 x1e5") and search._plain("")
