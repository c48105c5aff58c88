"""The ticket page's collaboration actions end to end: @mentions in notes, merging duplicates, links between
tickets and following, each through tickets.actions (events, outbox) and the scoped pages and API; and the
regional administrator of another voivodeship (celina, 24) can neither do nor see any of it on a ticket of 14."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from helpdesk.models import OutboxMessage
from tests.ticket_requests import add_one, new_entry
from tickets import actions, mentions, selectors
from tickets.models import Entry, Status, Ticket, TicketFollower, TicketLink

pytestmark = pytest.mark.django_db


def _pushes(user) -> list[dict]:
    """The live notices queued for `user`'s /ws/notify/ group."""
    rows = OutboxMessage.objects.filter(kind=OutboxMessage.Kind.PUSH).order_by("pk")
    return [row.payload["event"] for row in rows if row.payload["groups"] == [f"user.{user.pk}"]]


def _kinds(ticket) -> list[str]:
    return list(ticket.events.order_by("pk").values_list("kind", flat=True))


# --- @mentions -------------------------------------------------------------------------------------------


def test_mentions_are_user_names_after_an_at_sign_that_starts_a_word():
    text = "@alice zobacz, pisze z rejestracja@przychodnia.example.pl; @jan.kowalski. (@Bob) @alice"
    assert mentions.usernames_in(text) == ["alice", "jan.kowalski", "Bob"]
    assert mentions.usernames_in("bez wzmianek, adres a@b.pl") == []


def test_a_note_mentioning_a_colleague_notifies_them_live_and_by_email(
    alice, bob, queue_14, open_email_ticket, run_on_commit
):
    ticket = open_email_ticket(queue_14)
    mail.outbox.clear()
    entry = run_on_commit(
        add_one,
        new_entry(
            ticket=ticket,
            kind=Entry.Kind.NOTE,
            body_text="@bob czy ta jednostka złożyła korektę? Adres: kadry@przychodnia.example.pl",
        ),
        actor=alice,
    )
    assert entry.kind == Entry.Kind.NOTE
    event = ticket.events.get(kind="mentioned")
    assert event.data["users"] == ["bob"] and event.actor == alice
    (notice,) = _pushes(bob)
    assert notice.pop("place") == ["14", None]  # where the ticket is: the socket applies the read rule to it
    assert notice == {"change": "mentioned", "reference": ticket.reference, "subject": ticket.subject, "by": "Alice"}
    (message,) = [m for m in mail.outbox if m.to == [bob.email]]
    assert ticket.reference in message.subject and "wspomina o Tobie" in message.subject
    assert "czy ta jednostka złożyła korektę" in message.body
    assert reverse("tickets:detail", args=[ticket.reference]) in message.body


def test_mentioning_someone_who_cannot_see_the_ticket_is_refused_and_nothing_is_saved(
    alice, celina, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14)
    with pytest.raises(ValidationError) as refused:
        actions.add_entries(
            [new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="@celina pomożesz?")], actor=alice
        )[0]
    assert "@celina" in refused.value.messages[0] and "nie ma dostępu do tego zgłoszenia" in refused.value.messages[0]
    assert not ticket.entries.filter(kind=Entry.Kind.NOTE).exists()
    assert "mentioned" not in _kinds(ticket) and _pushes(celina) == []


def test_mentioning_an_unknown_user_name_is_refused(alice, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14)
    with pytest.raises(ValidationError, match="nikt"):
        actions.add_entries([new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="@nikt sprawdź")], actor=alice)[0]


def test_a_refused_mention_keeps_the_note_on_the_page_with_a_polish_message(
    client, alice, redaktor, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14)
    client.force_login(alice)
    page = client.get(reverse("tickets:detail", args=[ticket.reference]))
    seen = page.context["reply_form"].initial["seen_event"]
    response = client.post(
        reverse("tickets:reply", args=[ticket.reference]),
        {"kind": "note", "body_text": "Pilne, @redaktor zerknij", "seen_event": seen},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Pilne, @redaktor zerknij</textarea>" in html
    assert "Nie można wspomnieć @redaktor: nie ma dostępu do tego zgłoszenia." in html
    assert not ticket.entries.filter(kind=Entry.Kind.NOTE).exists()


def test_a_mention_in_an_email_reply_is_not_a_mention(alice, bob, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14)
    actions.add_entries(
        [new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Proszę pisać do @bob.")], actor=alice
    )[0]
    assert "mentioned" not in _kinds(ticket) and _pushes(bob) == []


def test_mention_suggestions_name_only_colleagues_who_see_the_ticket(
    client, alice, bob, celina, szef, redaktor, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14)
    client.force_login(alice)
    url = reverse("tickets:mentions", args=[ticket.reference])
    names = [person["username"] for person in client.get(url).json()["results"]]
    assert names == ["bob", "szef"]  # not alice herself, not celina (24), not the knowledge-base editor
    assert client.get(url, {"q": "b"}).json()["results"] == [{"username": "bob", "name": "Bob"}]


# --- merging duplicates ---------------------------------------------------------------------------------


@pytest.fixture
def duplicates(alice, queue_14, open_email_ticket):
    """A (older) and B (its duplicate, from another person, with an attachment), with interleaved entries."""
    a = open_email_ticket(queue_14, subject="MZ-88 nie przechodzi walidacji")
    b = open_email_ticket(
        queue_14,
        subject="Walidacja MZ-88",
        requester_email="dyrektor@przychodnia.example.pl",
        attachments=[actions.NewAttachment("blad.png", b"\x89PNG fake", "image/png")],
    )
    actions.add_entries([new_entry(ticket=a, kind=Entry.Kind.NOTE, body_text="A: sprawdzam")], actor=alice)[0]
    actions.add_entries([new_entry(ticket=b, kind=Entry.Kind.NOTE, body_text="B: to samo co A")], actor=alice)[0]
    return a, b


def test_merging_moves_the_conversation_attachments_and_followers_and_closes_the_duplicate(alice, bob, duplicates):
    a, b = duplicates
    actions.follow(actor=bob, ticket=b, by_email=True)
    before = list(Entry.objects.filter(ticket__in=[a, b]).order_by("created_at", "id").values_list("pk", flat=True))
    result = actions.merge_tickets(actor=alice, source=b, target=a, reason="ta sama sprawa")
    assert result == a
    assert list(a.entries.order_by("created_at", "id").values_list("pk", flat=True)) == before
    assert not b.entries.exists()
    assert a.entries.get(attachments__filename="blad.png").sender_email == "dyrektor@przychodnia.example.pl"
    b.refresh_from_db()
    assert b.status == Status.CLOSED and b.merged_into == a and b.closed_at is not None
    assert TicketFollower.objects.get(user=bob).ticket == a
    assert a.events.get(kind="merged_from").data == {
        "source": b.reference,
        "entries": 2,
        "requester": "dyrektor@przychodnia.example.pl",
    }
    merged = b.events.get(kind="merged_into")
    assert merged.data == {"target": a.reference, "entries": 2} and merged.reason == "ta sama sprawa"
    assert b.events.filter(kind="status_changed", data__to="closed").exists()


def test_merging_refuses_the_ticket_itself_and_a_ticket_merged_already(alice, duplicates):
    a, b = duplicates
    with pytest.raises(ValidationError, match="z nim samym"):
        actions.merge_tickets(actor=alice, source=a, target=a)
    actions.merge_tickets(actor=alice, source=b, target=a)
    with pytest.raises(ValidationError, match="scalone z"):
        actions.merge_tickets(actor=alice, source=b, target=a)
    with pytest.raises(ValidationError, match="z nim samym"):  # A into B is A into A: B's final ticket is A
        actions.merge_tickets(actor=alice, source=a, target=b)


def test_merging_into_a_merged_ticket_goes_to_the_final_target_and_chains_stay_short(
    alice, queue_14, duplicates, open_email_ticket
):
    a, b = duplicates
    c = open_email_ticket(queue_14, subject="Trzeci raz to samo")
    d = open_email_ticket(queue_14, subject="Zbiorcze")
    actions.merge_tickets(actor=alice, source=b, target=a)
    assert actions.merge_tickets(actor=alice, source=c, target=b) == a  # into B means into A
    actions.merge_tickets(actor=alice, source=a, target=d)
    assert set(Ticket.objects.filter(merged_into=d).values_list("reference", flat=True)) == {
        a.reference,
        b.reference,
        c.reference,
    }
    b.refresh_from_db()
    assert selectors.final_ticket(b) == d


def test_a_longer_chain_is_followed_to_its_end(alice, queue_14, duplicates, open_email_ticket):
    a, b = duplicates
    c = open_email_ticket(queue_14, subject="Zbiorcze")
    Ticket.objects.filter(pk=b.pk).update(merged_into=a, status=Status.CLOSED)  # e.g. rows from before re-pointing
    Ticket.objects.filter(pk=a.pk).update(merged_into=c, status=Status.CLOSED)
    b.refresh_from_db()
    assert selectors.final_ticket(b) == c
    d = open_email_ticket(queue_14, subject="Kolejny duplikat")
    assert actions.merge_tickets(actor=alice, source=d, target=b) == c


def test_writing_to_a_merged_ticket_lands_in_its_target_and_its_status_stays_closed(alice, duplicates):
    a, b = duplicates
    actions.merge_tickets(actor=alice, source=b, target=a)
    entry = actions.add_entries(
        [new_entry(ticket=b, kind=Entry.Kind.INBOUND, body_text="Czy coś wiadomo?")], actor=None
    )[0]
    assert entry.ticket_id == a.pk
    with pytest.raises(ValidationError, match=f"scalone z {a.reference}"):
        actions.change_status(actor=alice, ticket=b, status=Status.OPEN)


def test_merge_page_redirects_the_duplicate_to_its_target(client, alice, duplicates):
    a, b = duplicates
    client.force_login(alice)
    response = client.post(reverse("tickets:merge", args=[b.reference]), {"reference": f" {a.reference.lower()} "})
    assert response.status_code == 302 and response.url == reverse("tickets:detail", args=[a.reference])
    page = client.get(reverse("tickets:detail", args=[b.reference]), follow=True)
    assert page.redirect_chain == [(reverse("tickets:detail", args=[a.reference]), 302)]
    html = page.content.decode()
    assert f"Zgłoszenie {b.reference} zostało scalone z {a.reference}." in html
    assert "B: to samo co A" in html and "Dołączone duplikaty" in html
    api = client.get(f"/api/v1/tickets/{b.reference}/").json()
    assert api["merged_into"] == a.reference and api["entries"] == []


def test_a_reply_after_a_merge_does_not_copy_the_duplicates_requester_but_names_them(client, alice, duplicates):
    """A copy would show each requester the other's address (personal data): the form names the duplicate's
    requester and suggests a separate reply instead."""
    a, b = duplicates
    actions.merge_tickets(actor=alice, source=b, target=a)
    client.force_login(alice)
    page = client.get(reverse("tickets:detail", args=[a.reference]))
    form = page.context["reply_form"]
    assert form.initial["to"] == "rejestracja@przychodnia.example.pl"
    assert not form.initial.get("cc")
    html = page.content.decode()
    assert 'id="merged-participants"' in html
    assert "nie dostają tej odpowiedzi: dyrektor@przychodnia.example.pl" in html


def test_merge_page_explains_a_refusal_in_polish(client, alice, duplicates):
    a, _b = duplicates
    client.force_login(alice)
    response = client.post(reverse("tickets:merge", args=[a.reference]), {"reference": a.reference}, follow=True)
    assert "Nie można scalić zgłoszenia z nim samym." in response.content.decode()
    response = client.post(reverse("tickets:merge", args=[a.reference]), {"reference": "SSOZ-1999-000001"}, follow=True)
    assert "Nie znaleziono zgłoszenia SSOZ-1999-000001." in response.content.decode()
    assert not Ticket.objects.filter(merged_into__isnull=False).exists()


# --- links ------------------------------------------------------------------------------------------------


def test_linking_is_symmetric_logged_on_both_and_undone_by_unlinking(client, alice, duplicates):
    a, b = duplicates
    client.force_login(alice)
    client.post(reverse("tickets:link", args=[a.reference]), {"reference": b.reference})
    assert TicketLink.objects.count() == 1
    assert [t.reference for t in selectors.linked_tickets(alice, b)] == [a.reference]
    for ticket, other in ((a, b), (b, a)):
        assert ticket.events.get(kind="linked").data == {"other": other.reference}
        html = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
        assert f'href="/tickets/{other.reference}/">{other.reference}</a>' in html
    again = client.post(reverse("tickets:link", args=[b.reference]), {"reference": a.reference}, follow=True)
    assert "są już powiązane" in again.content.decode()
    itself = client.post(reverse("tickets:link", args=[a.reference]), {"reference": a.reference}, follow=True)
    assert "Nie można powiązać zgłoszenia z nim samym." in itself.content.decode()
    client.post(reverse("tickets:unlink", args=[b.reference]), {"reference": a.reference})
    assert not TicketLink.objects.exists()
    assert a.events.filter(kind="unlinked").count() == 1 and b.events.filter(kind="unlinked").count() == 1


def test_merging_carries_the_duplicates_links_to_the_target(alice, queue_14, duplicates, open_email_ticket):
    a, b = duplicates
    c = open_email_ticket(queue_14, subject="Inna sprawa tej jednostki")
    actions.link_tickets(actor=alice, ticket=b, other=c)
    actions.link_tickets(actor=alice, ticket=b, other=a)
    actions.merge_tickets(actor=alice, source=b, target=a)
    assert [t.reference for t in selectors.linked_tickets(alice, a)] == [c.reference]
    assert selectors.linked_tickets(alice, b) == []


# --- following --------------------------------------------------------------------------------------------


def test_followers_hear_of_new_entries_and_status_changes_but_not_of_their_own(
    alice, bob, szef, queue_14, open_email_ticket, run_on_commit
):
    ticket = open_email_ticket(queue_14)
    actions.follow(actor=bob, ticket=ticket, by_email=True)
    actions.follow(actor=szef, ticket=ticket)
    actions.follow(actor=alice, ticket=ticket)
    mail.outbox.clear()
    run_on_commit(add_one, new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="Dzwoniłam."), actor=alice)
    run_on_commit(actions.change_status, actor=alice, ticket=ticket, status=Status.WAITING_REGION)
    assert [(e["what"], e["detail"]) for e in _pushes(bob)] == [
        ("entry_added", "notatka wewnętrzna"),
        ("status_changed", "czeka na województwo"),
    ]
    assert [e["what"] for e in _pushes(szef)] == ["entry_added", "status_changed"]
    assert _pushes(alice) == []  # her own changes
    assert [m.to for m in mail.outbox] == [[bob.email], [bob.email]]  # only bob chose e-mail
    assert "Obserwowane zgłoszenie" in mail.outbox[1].subject


def test_a_follower_who_lost_sight_of_the_ticket_hears_nothing(alice, bob, queue_14, central, open_email_ticket):
    ticket = open_email_ticket(queue_14)
    actions.follow(actor=bob, ticket=ticket)
    actions.move_to_queue(actor=alice, ticket=ticket, queue=central)  # no unit of 14: out of bob's sight
    actions.add_entries([new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="Już w centrali.")], actor=alice)[0]
    assert [e for e in _pushes(bob) if e["change"] == "followed"] == []


def test_follow_button_the_followed_view_and_unfollowing(client, alice, queue_14, open_email_ticket):
    mine = open_email_ticket(queue_14, subject="Obserwowane")
    open_email_ticket(queue_14, subject="Nieobserwowane")
    client.force_login(alice)
    client.post(reverse("tickets:follow", args=[mine.reference]), {"follow": "1", "by_email": "1"})
    assert TicketFollower.objects.get(user=alice, ticket=mine).by_email
    html = client.get(reverse("tickets:detail", args=[mine.reference])).content.decode()
    assert "Przestań obserwować" in html and "1 obserwujący" in html
    listing = client.get(reverse("tickets:list"), {"view": "followed"})
    assert [t.reference for t in listing.context["page"]] == [mine.reference]
    assert {v["slug"]: v["count"] for v in listing.context["workspace_views"]}["followed"] == 1
    client.post(reverse("tickets:follow", args=[mine.reference]), {"follow": "0"})
    assert not TicketFollower.objects.exists()
    assert _kinds(mine)[-2:] == ["followed", "unfollowed"]


def test_someone_following_does_not_make_a_reply_being_written_stale(client, alice, bob, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14)
    client.force_login(alice)
    seen = client.get(reverse("tickets:detail", args=[ticket.reference])).context["reply_form"].initial["seen_event"]
    actions.follow(actor=bob, ticket=ticket)
    actions.link_tickets(actor=bob, ticket=ticket, other=open_email_ticket(queue_14))
    response = client.post(
        reverse("tickets:reply", args=[ticket.reference]),
        {"kind": "note", "body_text": "Notatka", "seen_event": seen},
    )
    assert response.status_code == 302 and ticket.entries.filter(kind=Entry.Kind.NOTE).exists()


# --- the regional administrator of another voivodeship ------------------------------------------------------


def test_celina_can_do_none_of_it_on_a_ticket_of_14(client, alice, celina, duplicates):
    a, b = duplicates
    client.force_login(celina)
    for name, data in (
        ("tickets:merge", {"reference": a.reference}),
        ("tickets:link", {"reference": a.reference}),
        ("tickets:unlink", {"reference": a.reference}),
        ("tickets:follow", {"follow": "1"}),
        ("tickets:reply", {"kind": "note", "body_text": "@alice"}),
    ):
        assert client.post(reverse(name, args=[b.reference]), data).status_code == 404, name
    assert client.get(reverse("tickets:mentions", args=[b.reference])).status_code == 404
    assert client.get(f"/api/v1/tickets/{b.reference}/").status_code == 404
    with pytest.raises(PermissionDenied):
        actions.merge_tickets(actor=celina, source=b, target=a)
    with pytest.raises(PermissionDenied):
        actions.link_tickets(actor=celina, ticket=b, other=a)
    with pytest.raises(Http404):
        actions.follow(actor=celina, ticket=b)
    assert not TicketLink.objects.exists() and not TicketFollower.objects.exists()
    assert Ticket.objects.filter(merged_into__isnull=False).count() == 0


def test_celina_sees_neither_links_nor_merges_reaching_into_14(
    client, alice, celina, queue_24, duplicates, open_email_ticket
):
    a, b = duplicates
    hers = open_email_ticket(queue_24, subject="Śląska sprawa")
    actions.link_tickets(actor=alice, ticket=hers, other=a)
    client.force_login(celina)
    html = client.get(reverse("tickets:detail", args=[hers.reference])).content.decode()
    assert a.reference not in html and "Brak powiązanych zgłoszeń." in html
    assert client.get(f"/api/v1/tickets/{hers.reference}/").json()["linked"] == []
    # she cannot link her ticket to one of 14 either: it "does not exist" for her
    response = client.post(reverse("tickets:link", args=[hers.reference]), {"reference": b.reference}, follow=True)
    assert f"Nie znaleziono zgłoszenia {b.reference}." in response.content.decode()
    # nor merge her ticket into one of 14
    response = client.post(reverse("tickets:merge", args=[hers.reference]), {"reference": a.reference}, follow=True)
    assert f"Nie znaleziono zgłoszenia {a.reference}." in response.content.decode()
    hers.refresh_from_db()
    assert hers.merged_into is None


def test_celina_is_never_notified_about_a_ticket_of_14(alice, celina, queue_14, open_email_ticket):
    ticket = open_email_ticket(queue_14)
    TicketFollower.objects.create(ticket=ticket, user=celina, created_at=ticket.created_at)  # e.g. a stale row
    actions.add_entries([new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="Notatka")], actor=alice)[0]
    with pytest.raises(ValidationError):
        actions.add_entries([new_entry(ticket=ticket, kind=Entry.Kind.NOTE, body_text="@celina")], actor=alice)[0]
    assert _pushes(celina) == []
