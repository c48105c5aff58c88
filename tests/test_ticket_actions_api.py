"""The ticket API's actions (notes with @mentions, merge, links, follow): the same actions and scoping as the
pages, refusals with the action's Polish message; nothing for the regional administrator of another voivodeship."""

import pytest

from tickets.models import Entry, Ticket, TicketFollower, TicketLink

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(queue_14, open_email_ticket):
    return open_email_ticket(queue_14, subject="A"), open_email_ticket(queue_14, subject="B")


def test_a_note_with_a_mention_and_a_refused_one(client, alice, bob, celina, two):
    a, _b = two
    client.force_login(alice)
    created = client.post(
        f"/api/v1/tickets/{a.reference}/notes/", {"text": "@bob sprawdź"}, content_type="application/json"
    )
    assert created.status_code == 201 and a.events.get(kind="mentioned").data["users"] == ["bob"]
    refused = client.post(
        f"/api/v1/tickets/{a.reference}/notes/", {"text": "@celina?"}, content_type="application/json"
    )
    assert refused.status_code == 400 and "nie ma dostępu do tego zgłoszenia" in refused.json()["detail"]
    assert a.entries.filter(kind=Entry.Kind.NOTE).count() == 1


def test_merge_links_and_follow_through_the_api(client, alice, two, queue_14, open_email_ticket):
    a, b = two
    c = open_email_ticket(queue_14, subject="C")
    client.force_login(alice)
    linked = client.post(
        f"/api/v1/tickets/{a.reference}/links/", {"reference": c.reference}, content_type="application/json"
    )
    assert linked.json() == {"linked": [c.reference]}
    unlinked = client.delete(
        f"/api/v1/tickets/{c.reference}/links/", {"reference": a.reference}, content_type="application/json"
    )
    assert unlinked.json() == {"linked": []} and not TicketLink.objects.exists()
    follow = client.post(f"/api/v1/tickets/{a.reference}/follow/", {"by_email": True}, content_type="application/json")
    assert follow.json() == {"following": True} and TicketFollower.objects.get().by_email
    merged = client.post(
        f"/api/v1/tickets/{b.reference}/merge/", {"into": a.reference}, content_type="application/json"
    )
    assert merged.json() == {"reference": b.reference, "merged_into": a.reference}
    assert client.get(f"/api/v1/tickets/{b.reference}/").json()["merged_into"] == a.reference
    assert client.get(f"/api/v1/tickets/{a.reference}/").json()["following"] is True
    again = client.post(f"/api/v1/tickets/{b.reference}/merge/", {"into": a.reference}, content_type="application/json")
    assert again.status_code == 400 and "zostało już scalone" in again.json()["detail"]
    itself = client.post(
        f"/api/v1/tickets/{a.reference}/merge/", {"into": a.reference}, content_type="application/json"
    )
    assert itself.status_code == 400 and itself.json()["detail"] == "Nie można scalić zgłoszenia z nim samym."
    missing = client.post(f"/api/v1/tickets/{a.reference}/links/", {"reference": "x"}, content_type="application/json")
    assert missing.status_code == 400 and missing.json()["detail"] == "Nie znaleziono zgłoszenia X."


def test_celina_can_do_nothing_through_the_api_on_a_ticket_of_14(client, celina, two, queue_24, open_email_ticket):
    a, b = two
    hers = open_email_ticket(queue_24, subject="Śląskie")
    client.force_login(celina)
    for path, data in (
        ("notes", {"text": "x"}),
        ("merge", {"into": hers.reference}),
        ("links", {"reference": hers.reference}),
        ("follow", {}),
    ):
        response = client.post(f"/api/v1/tickets/{a.reference}/{path}/", data, content_type="application/json")
        assert response.status_code == 404, path
    into_14 = client.post(
        f"/api/v1/tickets/{hers.reference}/merge/", {"into": b.reference}, content_type="application/json"
    )
    assert into_14.status_code == 400 and into_14.json()["detail"] == f"Nie znaleziono zgłoszenia {b.reference}."
    link_14 = client.post(
        f"/api/v1/tickets/{hers.reference}/links/", {"reference": a.reference}, content_type="application/json"
    )
    assert link_14.status_code == 400
    assert not TicketLink.objects.exists() and not TicketFollower.objects.exists()
    assert not Ticket.objects.filter(merged_into__isnull=False).exists() and not a.entries.filter(kind="note").exists()
