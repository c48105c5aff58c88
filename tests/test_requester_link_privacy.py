"""The requester's private link (/zgloszenie/<token>/) shows only what its requester wrote and the replies sent to
them: never another person's conversation that a merge moved into the ticket (their text, personal numbers,
staff replies to them, their files), whichever ticket of the merge the link belongs to."""

import pytest
from django.core.cache import cache

from knowledge_base import actions as kb_actions
from tests.ticket_requests import new_entry, new_ticket
from tickets import actions as ticket_actions
from tickets.actions import NewAttachment
from tickets.models import Channel, Entry

pytestmark = pytest.mark.django_db

OTHER = "pacjent.b@example.com"
PESEL = "44051401359"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def merged(client, alice):
    """Ticket A from the contact form (3 entries of its requester: the form, a reply to them, their answer via
    the link); ticket B from another person (a PESEL, an attachment, a staff reply to them); B merged into A
    through the API, as agents do."""
    a, token_a = kb_actions.submit_contact_form(
        name="Anna Kowalska", email="anna@przychodnia.example.pl", subject="MZ-11 nie działa", body="Przycisk szary."
    )
    ticket_actions.add_entries(
        [new_entry(ticket=a, kind=Entry.Kind.OUTBOUND, body_text="Proszę odświeżyć stronę.")], actor=alice
    )[0]
    ticket_actions.add_entries(
        [new_entry(ticket=a, kind=Entry.Kind.NOTE, body_text="Notatka wewnętrzna o A")], actor=alice
    )[0]
    kb_actions.requester_reply(link=a.requester_link, body="Nadal szary.")
    b = ticket_actions.open_tickets(
        [
            new_ticket(
                channel=Channel.EMAIL,
                subject="Sprawozdanie pacjenta",
                body_text=f"Mój PESEL to {PESEL}, proszę o korektę.",
                requester_email=OTHER,
                requester_name="Bogdan Inny",
                queue=a.queue,
                attachments=[NewAttachment("skan-dowodu.pdf", b"%PDF-1.4 dowod B", "application/pdf")],
            )
        ],
        actor=None,
    )[0]
    ticket_actions.add_entries(
        [new_entry(ticket=b, kind=Entry.Kind.OUTBOUND, body_text="Panie Bogdanie, poprawione.")], actor=alice
    )[0]
    client.force_login(alice)
    response = client.post(
        f"/api/v1/tickets/{b.reference}/merge/", {"into": a.reference}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    client.logout()
    return a, token_a, b


def test_the_link_of_the_target_shows_only_its_requesters_three_entries_and_not_the_merged_persons(client, merged):
    a, token, _b = merged
    page = client.get(f"/zgloszenie/{token}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('<li class="entry-') == 3
    assert "Przycisk szary." in html and "Proszę odświeżyć stronę." in html and "Nadal szary." in html
    assert PESEL not in html and "Mój PESEL" not in html
    assert "Panie Bogdanie" not in html and "skan-dowodu.pdf" not in html and "Bogdan" not in html
    assert "Notatka wewnętrzna" not in html and html.count("Twoja wiadomość") == 2
    b_file = a.entries.get(sender_email=OTHER).attachments.get()
    assert client.get(f"/zgloszenie/{token}/pliki/{b_file.pk}").status_code == 404


def test_the_merged_persons_link_shows_only_their_own_messages_and_their_file(client, merged, alice):
    a, _token_a, b = merged
    # B's requester had a link too (as if B came from the form): theirs shows their side only
    from knowledge_base.models import RequesterLink, new_token
    from knowledge_base.selectors import token_digest

    token_b = new_token()
    RequesterLink.objects.create(ticket=b, token_sha256=token_digest(token_b), email=OTHER)
    html = client.get(f"/zgloszenie/{token_b}/").content.decode()
    assert PESEL in html and "Panie Bogdanie, poprawione." in html
    assert "Przycisk szary." not in html and "Proszę odświeżyć stronę." not in html and "Nadal szary." not in html
    assert "MZ-11 nie działa" not in html  # the target's subject is the other person's words
    b_file = a.entries.get(sender_email=OTHER).attachments.get()
    download = client.get(f"/zgloszenie/{token_b}/pliki/{b_file.pk}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 dowod B"
    # their reply through the link lands in the target, from their address, and only they see it
    assert client.post(f"/zgloszenie/{token_b}/", {"body": "Dziękuję, PESEL już poprawny?"}).status_code == 302
    entry = a.entries.get(body_text="Dziękuję, PESEL już poprawny?")
    assert entry.sender_email == OTHER and entry.kind == Entry.Kind.INBOUND
    assert "Dziękuję, PESEL już poprawny?" in client.get(f"/zgloszenie/{token_b}/").content.decode()


def test_a_reply_through_the_targets_link_after_the_merge_is_seen_by_its_requester_only(client, merged, alice):
    a, token_a, _b = merged
    assert client.post(f"/zgloszenie/{token_a}/", {"body": "Czy są wyniki?"}).status_code == 302
    entry = a.entries.get(body_text="Czy są wyniki?")
    assert entry.sender_email == "anna@przychodnia.example.pl"
    html = client.get(f"/zgloszenie/{token_a}/").content.decode()
    assert "Czy są wyniki?" in html and PESEL not in html and html.count('<li class="entry-') == 4
    # the agent's next reply in the merged ticket, addressed to the other person, stays theirs
    ticket_actions.add_entries(
        [new_entry(ticket=a, kind=Entry.Kind.OUTBOUND, to=[OTHER], body_text="Do Pana B.")], actor=alice
    )[0]
    assert "Do Pana B." not in client.get(f"/zgloszenie/{token_a}/").content.decode()
