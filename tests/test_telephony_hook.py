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
def test_a_caller_without_a_valid_token_is_refused_before_anything_is_stored_or_logged(client, alice, caplog):
    _register_pbx("201:alice")
    secret_body = {"event": "ringing", "call_id": "1", "caller": "+48501369856", "extension": "201"}
    for _ in range(30):
        response = _post(client, "zly-token", **secret_body)
        assert response.status_code == 401 and "token" in response.json()["detail"]
    assert client.post(URL, secret_body, content_type="application/json").status_code == 401  # no token at all
    assert not TelephonyEvent.objects.exists()  # 31 refusals stored nothing
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "telephony event refused (401)" in logged and "+48501369856" not in logged


@pytest.mark.django_db
def test_a_tokenless_body_of_2_mb_is_refused_without_being_read(client, alice, caplog):
    _register_pbx("201:alice")
    huge = '{"event": "ringing", "call_id": "' + "x" * (2 * 1024 * 1024) + '"}'
    response = client.post(URL, huge, content_type="application/json", headers={"Authorization": "Bearer zly"})
    assert response.status_code == 401
    assert sum(len(record.getMessage()) for record in caplog.records) < 500  # a summary line, not the body


@pytest.mark.django_db
def test_an_oversized_body_from_the_exchange_is_refused_with_413_and_logged_as_a_summary(client, alice, caplog):
    token = _register_pbx("201:alice")
    huge = '{"event": "ringing", "call_id": "' + "x" * (2 * 1024 * 1024) + '", "extension": "201"}'
    response = client.post(URL, huge, content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413 and "za duża" in response.json()["detail"]
    (event,) = TelephonyEvent.objects.all()
    assert not event.accepted and event.call_id == "" and "za duża" in event.error
    assert sum(len(record.getMessage()) for record in caplog.records) < 500
    assert "xxxxxxxxxx" not in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("body", ["nie json", "[1, 2]", b"\xff\xfe{}"])
def test_a_body_that_is_not_a_json_object_is_refused_with_400(client, alice, body):
    token = _register_pbx("201:alice")
    response = client.post(URL, body, content_type="application/json", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400 and "obiektem JSON" in response.json()["detail"]


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
