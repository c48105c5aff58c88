"""A PBX posts call events; the agent at the extension gets the caller card live; bad tokens, unknown
extensions and malformed events are refused with a clear error and recorded."""

import io

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from django.test import Client

from contacts.models import Person, PersonPhone, ReportingUnit, UnitMembership
from helpdesk import outbox
from helpdesk.asgi import application
from tickets.models import TelephonyEvent

URL = "/api/v1/telephony/events"


def _register_pbx(*extensions: str) -> str:
    out = io.StringIO()
    call_command("create_pbx", "asterisk-warszawa", *[f"--extension={e}" for e in extensions], stdout=out)
    return out.getvalue().split("Token (pokazywany tylko teraz): ")[1].strip()


def _post(client, token, **payload):
    return client.post(URL, payload, content_type="application/json", headers={"Authorization": f"Bearer {token}"})


@pytest.mark.django_db
def test_an_event_for_a_known_extension_is_accepted_and_recorded(client, alice):
    token = _register_pbx("201:alice")
    response = _post(client, token, event="ringing", call_id="1700000000.42", caller="501369856", extension="201")
    assert response.status_code == 202 and response.json()["user"] == "alice"
    event = TelephonyEvent.objects.get()
    assert event.accepted and event.user == alice and event.call_id == "1700000000.42"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("token_ok", "payload", "status", "message"),
    [
        (False, {"event": "ringing", "call_id": "1", "caller": "1", "extension": "201"}, 401, "token"),
        (True, {"event": "ringing", "call_id": "1", "caller": "1", "extension": "999"}, 404, "999"),
        (True, {"event": "exploded", "call_id": "1", "caller": "1", "extension": "201"}, 400, "Nieznane zdarzenie"),
        (True, {"event": "ringing", "caller": "1", "extension": "201"}, 400, "call_id"),
    ],
)
def test_bad_events_are_refused_with_a_clear_error_and_recorded(client, alice, token_ok, payload, status, message):
    token = _register_pbx("201:alice")
    response = _post(client, token if token_ok else "zly-token", **payload)
    assert response.status_code == status and message in response.json()["detail"]
    assert TelephonyEvent.objects.get().accepted is False


@pytest.mark.django_db
def test_a_staff_session_is_not_a_pbx_token(client, alice):
    _register_pbx("201:alice")
    client.force_login(alice)
    response = client.post(
        URL, {"event": "ringing", "call_id": "1", "extension": "201"}, content_type="application/json"
    )
    assert response.status_code == 401


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_the_agent_at_the_extension_sees_the_caller_card_pop_up(alice, bob):
    def prepare():
        unit = ReportingUnit.objects.create(name="Przychodnia Pod Lipami", regon="123456785", voivodeship_id="14")
        person = Person.objects.create(name="Ewa Lis")
        PersonPhone.objects.create(person=person, number="+48501369856")
        UnitMembership.objects.create(person=person, unit=unit)
        return _register_pbx("201:alice", "202:bob")

    token = await database_sync_to_async(prepare)()
    session = Client()
    await database_sync_to_async(session.force_login)(alice)
    headers = [
        (b"origin", b"http://127.0.0.1"),
        (b"cookie", f"sessionid={session.cookies['sessionid'].value}".encode()),
    ]
    communicator = WebsocketCommunicator(application, "/ws/notify/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected

    response = await database_sync_to_async(_post)(
        Client(), token, event="ringing", call_id="c-77", caller="+48 501 369 856", extension="201"
    )
    assert response.status_code == 202
    await database_sync_to_async(outbox.drain)()
    popup = await communicator.receive_json_from(timeout=2)
    assert popup["change"] == "call" and popup["people"] == ["Ewa Lis"] and popup["units"] == ["Przychodnia Pod Lipami"]
    assert popup["form_url"] == "/tickets/calls/new?number=%2B48501369856&call_id=c-77"
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
async def test_the_popup_of_a_regional_admin_never_names_a_person_of_another_voivodeship(celina):
    def prepare():
        unit = ReportingUnit.objects.create(name="Przychodnia Pod Lipami", regon="123456785", voivodeship_id="14")
        person = Person.objects.create(name="Ewa Lis")
        PersonPhone.objects.create(person=person, number="+48501369856")
        UnitMembership.objects.create(person=person, unit=unit)
        return _register_pbx("301:celina")

    token = await database_sync_to_async(prepare)()
    session = Client()
    await database_sync_to_async(session.force_login)(celina)
    headers = [
        (b"origin", b"http://127.0.0.1"),
        (b"cookie", f"sessionid={session.cookies['sessionid'].value}".encode()),
    ]
    communicator = WebsocketCommunicator(application, "/ws/notify/", headers=headers)
    assert (await communicator.connect())[0]
    response = await database_sync_to_async(_post)(
        Client(), token, event="ringing", call_id="c-78", caller="+48 501 369 856", extension="301"
    )
    assert response.status_code == 202
    await database_sync_to_async(outbox.drain)()
    popup = await communicator.receive_json_from(timeout=2)
    assert popup["change"] == "call" and popup["people"] == [] and popup["units"] == []
    assert "Ewa Lis" not in str(popup) and "Lipami" not in str(popup)
    await communicator.disconnect()


@pytest.mark.django_db
def test_the_popup_link_prefills_the_call_log_with_the_number_and_call_id(client, alice):
    client.force_login(alice)
    page = client.get("/tickets/calls/new?number=%2B48501369856&call_id=c-77").content.decode()
    assert 'value="+48501369856"' in page and 'value="c-77"' in page
