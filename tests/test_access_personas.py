"""A regional administrator of another voivodeship cannot list, open, search, download or stream anything
of a voivodeship that is not theirs; the same access layer serves pages, API, downloads and websockets."""

import pytest
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from helpdesk.asgi import application
from tests.ticket_requests import new_ticket, open_one
from tickets import actions, selectors
from tickets.models import Entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def mazowsze_ticket(open_email_ticket, queue_14):
    return open_email_ticket(
        queue_14,
        subject="Korekta MZ-11 dla przychodni w Radomiu",
        attachments=[
            actions.NewAttachment(
                filename="mz11.xlsx", content=b"PK\x03\x04 excel", content_type="application/vnd.ms-excel"
            )
        ],
    )


def test_regional_admin_lists_only_tickets_of_their_voivodeship(client, bob, celina, mazowsze_ticket):
    client.force_login(celina)
    response = client.get(reverse("tickets:list"))
    assert response.status_code == 200
    assert mazowsze_ticket.reference not in response.content.decode()
    client.force_login(bob)
    assert mazowsze_ticket.reference in client.get(reverse("tickets:list")).content.decode()


def test_regional_admin_of_another_voivodeship_gets_404_on_the_ticket_page(client, celina, mazowsze_ticket):
    client.force_login(celina)
    assert client.get(reverse("tickets:detail", args=[mazowsze_ticket.reference])).status_code == 404


def test_regional_admin_of_another_voivodeship_finds_nothing_by_search(client, celina, mazowsze_ticket):
    client.force_login(celina)
    for q in (mazowsze_ticket.reference, "Radomiu", "rejestracja@przychodnia.example.pl"):
        response = client.get(reverse("tickets:list"), {"q": q})
        assert list(response.context["page"]) == []
        assert reverse("tickets:detail", args=[mazowsze_ticket.reference]) not in response.content.decode()


def test_regional_admin_of_another_voivodeship_cannot_download_its_attachment(client, bob, celina, mazowsze_ticket):
    attachment = mazowsze_ticket.entries.get().attachments.get()
    url = reverse("attachment", args=[attachment.pk, attachment.filename])
    client.force_login(celina)
    assert client.get(url).status_code == 404
    client.force_login(bob)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK\x03\x04 excel"


def test_regional_admin_of_another_voivodeship_cannot_post_into_the_ticket(client, celina, mazowsze_ticket):
    client.force_login(celina)
    response = client.post(
        reverse("tickets:reply", args=[mazowsze_ticket.reference]), {"kind": "note", "body_text": "wtrącam się"}
    )
    assert response.status_code == 404
    assert not mazowsze_ticket.entries.filter(kind=Entry.Kind.NOTE).exists()


def test_regional_admin_of_another_voivodeship_sees_nothing_through_the_api(client, bob, celina, mazowsze_ticket):
    client.force_login(celina)
    assert client.get("/api/v1/tickets/").json()["count"] == 0
    assert client.get(f"/api/v1/tickets/{mazowsze_ticket.reference}/").status_code == 404
    client.force_login(bob)
    listed = client.get("/api/v1/tickets/").json()
    assert [row["reference"] for row in listed["results"]] == [mazowsze_ticket.reference]


def test_actions_refuse_a_regional_admin_of_another_voivodeship(celina, mazowsze_ticket):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.change_status(actor=celina, ticket=mazowsze_ticket, status="resolved")
    mazowsze_ticket.refresh_from_db()
    assert mazowsze_ticket.status == "new"


def test_supervisor_reads_everything_but_cannot_reply(client, szef, mazowsze_ticket):
    client.force_login(szef)
    assert client.get(reverse("tickets:detail", args=[mazowsze_ticket.reference])).status_code == 200
    client.post(reverse("tickets:reply", args=[mazowsze_ticket.reference]), {"kind": "outbound", "body_text": "x"})
    assert not mazowsze_ticket.entries.filter(kind=Entry.Kind.OUTBOUND).exists()


def test_knowledge_base_editor_sees_no_tickets(client, redaktor, mazowsze_ticket):
    assert not selectors.tickets_for_user(redaktor).exists()
    client.force_login(redaktor)
    assert client.get(reverse("tickets:list")).status_code == 403
    assert client.get(reverse("tickets:detail", args=[mazowsze_ticket.reference])).status_code == 403
    assert client.get(reverse("inbox:quarantine")).status_code == 403


def test_anonymous_visitor_is_sent_to_login_and_api_refuses(client, mazowsze_ticket):
    response = client.get(reverse("tickets:detail", args=[mazowsze_ticket.reference]))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get("/api/v1/tickets/").status_code in (401, 403)


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_websocket_streams_only_the_users_voivodeship(bob, celina, queue_14):
    from channels.db import database_sync_to_async as sync_to_async

    from tickets.ticket_access import subscriptions

    assert await sync_to_async(subscriptions)(bob) == ["tickets.v14"]
    assert await sync_to_async(subscriptions)(celina) == ["tickets.v24"]

    watchers = {}
    for name, user in (("bob", bob), ("celina", celina)):
        communicator = WebsocketCommunicator(application, "/ws/tickets/", headers=[(b"origin", b"http://127.0.0.1")])
        # AuthMiddlewareStack resolves the user from the session; give it a logged-in session cookie
        from django.test import Client

        session_client = Client()
        await sync_to_async(session_client.force_login)(user)
        cookie = session_client.cookies["sessionid"].value
        communicator.scope["headers"] = [(b"origin", b"http://127.0.0.1"), (b"cookie", f"sessionid={cookie}".encode())]
        connected, _ = await communicator.connect()
        assert connected
        watchers[name] = communicator

    from helpdesk import outbox

    ticket = await sync_to_async(open_one)(
        new_ticket(channel="email", subject="Pytanie o MZ-88", body_text="treść", queue=queue_14), actor=None
    )
    await sync_to_async(outbox.drain)()
    event = await watchers["bob"].receive_json_from(timeout=2)
    assert event["reference"] == ticket.reference
    assert await watchers["celina"].receive_nothing(timeout=0.3)
    for communicator in watchers.values():
        await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_websocket_refuses_an_anonymous_visitor():
    communicator = WebsocketCommunicator(application, "/ws/tickets/", headers=[(b"origin", b"http://127.0.0.1")])
    connected, _ = await communicator.connect()
    assert not connected


def test_a_ticket_handed_back_to_the_central_desk_stays_visible_to_its_voivodeship_read_only(
    client, bob, celina, queue_14, central
):
    from django.core.exceptions import PermissionDenied

    from contacts.models import ReportingUnit

    unit = ReportingUnit.objects.create(name="Szpital w Radomiu", regon="123456785", voivodeship_id="14")
    ticket = actions.open_tickets(
        [
            new_ticket(
                channel="email",
                subject="Logowanie",
                body_text="Nie mogę się zalogować",
                queue=queue_14,
                reporting_unit=unit,
            )
        ],
        actor=None,
    )[0]
    actions.move_to_queue(actor=bob, ticket=ticket, queue=central, reason="to sprawa logowania")
    client.force_login(bob)
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert "to sprawa logowania" in page  # the history, hand-off note included
    assert 'id="reply-form"' not in page  # read-only for him now
    with pytest.raises(PermissionDenied):
        actions.change_status(actor=bob, ticket=ticket, status="resolved")
    client.force_login(celina)
    assert client.get(reverse("tickets:detail", args=[ticket.reference])).status_code == 404


@pytest.mark.parametrize(
    ("route", "data"),
    [
        ("tickets:status", lambda ctx: {"status": "resolved", "reason": "zamykam"}),
        ("tickets:priority", lambda ctx: {"priority": "4"}),
        ("tickets:assign", lambda ctx: {"assignee": str(ctx["bob"].pk)}),
        ("tickets:move", lambda ctx: {"queue": str(ctx["central"].pk), "reason": "do centrali"}),
    ],
)
def test_regional_admin_of_another_voivodeship_cannot_change_the_ticket_by_post(
    client, bob, celina, central, mazowsze_ticket, route, data
):
    def state():
        mazowsze_ticket.refresh_from_db()
        ticket = mazowsze_ticket
        return (ticket.status, ticket.priority, ticket.assignee_id, ticket.queue_id, ticket.entries.count())

    before = state()
    url = reverse(route, args=[mazowsze_ticket.reference])
    payload = data({"bob": bob, "central": central})
    client.force_login(celina)
    assert client.post(url, payload).status_code == 404
    assert state() == before
    client.force_login(bob)  # the same request from the ticket's own regional administrator does change it
    assert client.post(url, payload).status_code == 302
    assert state() != before
