"""The interface is Polish by default and English on request: the switcher (its cookie), never the browser."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from tests.ticket_requests import add_one, new_entry, new_ticket
from tickets import actions
from tickets.models import Entry, Status

pytestmark = pytest.mark.django_db

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES"


@pytest.fixture(autouse=True)
def _language_restored():
    """A request in English leaves English active in this thread; the tests after this one expect Polish."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def test_the_login_page_is_polish_by_default_and_offers_the_language_switcher(client):
    page = client.get(reverse("login")).content.decode()
    assert 'lang="pl"' in page and "Zaloguj" in page and "Nazwa użytkownika" in page
    assert f'action="{reverse("set_language")}"' in page
    assert 'value="pl" lang="pl" aria-current="true">Polski</button>' in page
    assert 'value="en" lang="en">English</button>' in page


def test_the_login_page_is_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("login")).content.decode()
    assert 'lang="en"' in page and "Log in" in page and "Username" in page and "Zaloguj" not in page
    assert 'value="en" lang="en" aria-current="true">English</button>' in page


def test_the_login_page_stays_polish_for_a_browser_that_asks_for_english(client):
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert 'lang="pl"' in page and "Zaloguj" in page and "Log in" not in page


def test_the_switcher_sets_english_and_the_agent_then_sees_the_ticket_list_in_english(
    client, alice, central, open_email_ticket
):
    open_email_ticket(central)
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    client.force_login(alice)
    page = client.get(reverse("tickets:list")).content.decode()
    assert 'lang="en"' in page and "<h1>Tickets" in page and "Log out" in page
    assert "Reference" in page and "Subject" in page and ">new<" in page  # the status label, from the model
    assert "Zgłoszenia" not in page


def test_switching_back_to_polish_shows_polish_again(client, alice):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    client.post(reverse("set_language"), {"language": "pl", "next": "/"})
    client.force_login(alice)
    page = client.get(reverse("tickets:list")).content.decode()
    assert 'lang="pl"' in page and "<h1>Zgłoszenia" in page


def test_the_ticket_page_in_english_translates_the_event_log_and_the_form_labels(
    client, alice, central, open_email_ticket, run_on_commit
):
    ticket = open_email_ticket(central)
    run_on_commit(add_one, new_entry(ticket=ticket, kind=Entry.Kind.OUTBOUND, body_text="Proszę."), actor=alice)
    assert ticket.events.filter(reason="odpowiedź wysłana").exists()  # the log itself stays Polish
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert "Ticket opened (channel: email, queue: Centrala – pomoc techniczna)" in page
    assert "Status: new → waiting for the requester" in page and "reply sent" in page
    assert "Reply by email" in page and "Transfer to queue" in page


def test_a_message_after_an_action_follows_the_language(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("tickets:status", args=[ticket.reference]), {"status": Status.OPEN, "reason": ""}, follow=True
    )
    assert "Status changed." in response.content.decode()


def test_a_validation_message_from_an_action_is_english_under_english(central):
    with translation.override("en"), pytest.raises(ValidationError) as error:
        actions.open_tickets([new_ticket(channel="email", subject="   ", body_text="x", queue=central)], actor=None)[0]
    assert error.value.message_dict == {"subject": ["The subject cannot be empty."]}
    with translation.override("en"), pytest.raises(ValidationError) as error:
        actions.open_tickets([new_ticket(channel="fax", subject="Temat", body_text="x", queue=central)], actor=None)[0]
    assert error.value.message_dict == {"channel": ["Unknown channel: fax."]}


def test_the_same_validation_message_stays_polish_by_default(central):
    with pytest.raises(ValidationError) as error:
        actions.open_tickets([new_ticket(channel="email", subject="   ", body_text="x", queue=central)], actor=None)[0]
    assert error.value.message_dict == {"subject": ["Temat nie może być pusty."]}


def test_every_entry_of_the_english_catalogue_is_translated_and_compiled():
    po = (CATALOGUE / "django.po").read_text(encoding="utf-8")
    entries = po.split("\n\n")[1:]
    assert entries, "the English catalogue is empty"
    assert "#, fuzzy" not in po
    untranslated = [entry for entry in entries if re.search(r'^msgstr(\[\d+\])? ""$(?!\n")', entry, re.M)]
    assert untranslated == []
    assert (CATALOGUE / "django.mo").is_file()
