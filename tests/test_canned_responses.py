"""Reply templates on the ticket page: filled in for the ticket by the server, scoped like the ticket."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from contacts.models import ReportingUnit
from tests.submission_data import office
from tickets.models import CannedResponse

pytestmark = pytest.mark.django_db

BODY = (
    "Dzień dobry {zglaszajacy},\nw sprawie {sygnatura} ({jednostka}) prosimy o kontakt z administratorem "
    "wojewódzkim: {administrator_wojewodzki}. {to zostaje}"
)


@pytest.fixture
def template(db) -> CannedResponse:
    return CannedResponse.objects.create(title="Kontakt z województwem", body=BODY)


@pytest.fixture
def ticket_14(queue_14, open_email_ticket):
    unit = ReportingUnit.objects.create(name="Przychodnia Zdrowie", voivodeship_id="14", regon="123456785")
    office("14")
    return open_email_ticket(queue_14, reporting_unit=unit)


def test_the_template_is_rendered_with_the_tickets_data(client, alice, template, ticket_14):
    client.force_login(alice)
    response = client.get(reverse("tickets:canned_response", args=[ticket_14.reference, template.pk]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/plain")
    assert response.content.decode() == (
        f"Dzień dobry Jan Nowak,\nw sprawie {ticket_14.reference} (Przychodnia Zdrowie) prosimy o kontakt z "
        "administratorem wojewódzkim: Urząd Wojewódzki 14, Wydział Zdrowia, statystyka14@uw.example.gov.pl, "
        "+48 22 695 60 00. {to zostaje}"
    )


def test_the_ticket_page_lists_active_templates_and_prefills_without_javascript(client, alice, template, ticket_14):
    CannedResponse.objects.create(title="Stary szablon", body="nieaktualne", is_active=False)
    client.force_login(alice)
    page = client.get(reverse("tickets:detail", args=[ticket_14.reference])).content.decode()
    assert "Kontakt z województwem" in page and "Stary szablon" not in page and 'name="szablon"' in page
    response = client.get(reverse("tickets:detail", args=[ticket_14.reference]), {"szablon": template.pk})
    assert response.context["reply_form"].initial["body_text"].startswith("Dzień dobry Jan Nowak,")


def test_an_unknown_or_inactive_template_gets_a_clear_message_or_404(client, alice, ticket_14):
    inactive = CannedResponse.objects.create(title="Stary szablon", body="nieaktualne", is_active=False)
    client.force_login(alice)
    response = client.get(reverse("tickets:detail", args=[ticket_14.reference]), {"szablon": "abc"})
    assert response.status_code == 200 and "Nie ma takiego szablonu odpowiedzi." in response.content.decode()
    assert "body_text" not in response.context["reply_form"].initial
    url = reverse("tickets:canned_response", args=[ticket_14.reference, inactive.pk])
    assert client.get(url).status_code == 404


def test_a_regional_admin_of_another_voivodeship_cannot_render_a_template_for_its_ticket(
    client, bob, celina, template, ticket_14
):
    url = reverse("tickets:canned_response", args=[ticket_14.reference, template.pk])
    client.force_login(celina)
    assert client.get(url).status_code == 404
    assert (
        client.get(reverse("tickets:detail", args=[ticket_14.reference]), {"szablon": template.pk}).status_code == 404
    )
    client.force_login(bob)
    assert "Przychodnia Zdrowie" in client.get(url).content.decode()


def test_a_template_with_a_misspelt_placeholder_is_refused_with_a_polish_message():
    with pytest.raises(ValidationError) as error:
        CannedResponse(title="Błąd", body="Dzień dobry {zglaszajcy}").full_clean()
    assert "Nieznane zmienne: {zglaszajcy}" in str(error.value)


def test_the_admin_edits_templates(admin_client):
    response = admin_client.post(
        reverse("admin:tickets_cannedresponse_add"),
        {"title": "Podziękowanie", "body": "Dziękujemy, {zglaszajacy}.", "is_active": "on"},
    )
    assert response.status_code == 302
    assert CannedResponse.objects.get(title="Podziękowanie").body == "Dziękujemy, {zglaszajacy}."
