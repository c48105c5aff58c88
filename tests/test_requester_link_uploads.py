"""Uploads through a requester's private link are bounded (issue 13, item 6: 12 requests of 3 MiB went through in
1.7 s and a request could carry 100 files of 25 MiB): replies per link and per client address an hour, files and
bytes per reply, bytes per ticket. A refused reply writes nothing and says why, in Polish."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge_base import actions as kb_actions
from tickets.models import Attachment, Entry, StoredFile

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def link():
    ticket, token = kb_actions.submit_contact_form(
        name="Anna Kowalska", email="anna@przychodnia.example.pl", subject="MZ-11 nie działa", body="Przycisk szary."
    )
    return ticket, f"/zgloszenie/{token}/"


def files(count: int, size: int) -> list[SimpleUploadedFile]:
    return [
        SimpleUploadedFile(f"skan-{n}.png", b"\x89PNG\r\n\x1a\n" + b"x" * (size - 8), "image/png") for n in range(count)
    ]


def written(ticket) -> tuple[int, int, int]:
    return Entry.objects.filter(ticket=ticket).count(), Attachment.objects.count(), StoredFile.objects.count()


def test_more_files_in_one_reply_than_allowed_are_refused_and_nothing_is_written(client, link, settings):
    ticket, url = link
    before = written(ticket)
    response = client.post(url, {"body": "Skany", "attachments": files(settings.REQUESTER_FILES_PER_REPLY + 1, 100)})
    assert response.status_code == 400
    assert "najwyżej 5 plików (wybrano 6)" in response.content.decode()
    settings.REQUESTER_FILES_PER_REPLY = 2
    assert (
        "najwyżej 2 pliki (wybrano 3)" in client.post(url, {"body": "S", "attachments": files(3, 100)}).content.decode()
    )
    settings.REQUESTER_FILES_PER_REPLY = 5
    assert written(ticket) == before
    assert client.post(url, {"body": "Skany", "attachments": files(5, 100)}).status_code == 302


def test_a_reply_heavier_than_allowed_in_all_is_refused(client, link, settings):
    ticket, url = link
    settings.REQUESTER_BYTES_PER_REPLY = 2 * 1024 * 1024
    before = written(ticket)
    response = client.post(url, {"body": "Skany", "attachments": files(3, 800 * 1024)})
    assert response.status_code == 400 and "razem najwyżej 2 MB" in response.content.decode()
    assert written(ticket) == before


def test_the_files_a_ticket_takes_through_the_site_have_a_total(client, link, settings):
    ticket, url = link
    settings.REQUESTER_BYTES_PER_TICKET = 250 * 1024
    assert client.post(url, {"body": "Pierwszy", "attachments": files(1, 200 * 1024)}).status_code == 302
    before = written(ticket)
    response = client.post(url, {"body": "Drugi", "attachments": files(1, 100 * 1024)})
    assert response.status_code == 400 and "wyślij pliki e-mailem" in response.content.decode()
    assert written(ticket) == before
    assert client.post(url, {"body": "Bez pliku"}).status_code == 302  # text still goes through


def test_replies_through_one_link_are_limited_per_hour(client, link, settings):
    ticket, url = link
    settings.REQUESTER_REPLIES_PER_HOUR = 2
    assert [client.post(url, {"body": f"Wiadomość {n}"}).status_code for n in range(2)] == [302, 302]
    before = written(ticket)
    response = client.post(url, {"body": "Trzecia"})
    assert response.status_code == 429 and "Za dużo odpowiedzi w krótkim czasie" in response.content.decode()
    assert written(ticket) == before


def test_replies_from_one_address_are_limited_across_links(client, settings):
    settings.REQUESTER_REPLIES_PER_ADDRESS_HOUR = 3
    urls = []
    for n in range(2):
        _ticket, token = kb_actions.submit_contact_form(
            name="Jan", email=f"jan{n}@przychodnia.example.pl", subject=f"Sprawa {n}", body="Treść."
        )
        urls.append(f"/zgloszenie/{token}/")
    answers = [client.post(urls[n % 2], {"body": f"Wiadomość {n}"}).status_code for n in range(4)]
    assert answers == [302, 302, 302, 429]


def test_a_request_with_more_files_than_any_form_takes_is_refused_before_the_view(client, link, settings):
    ticket, url = link
    before = written(ticket)
    response = client.post(url, {"body": "Dużo", "attachments": files(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1, 10)})
    assert response.status_code == 400
    assert written(ticket) == before
