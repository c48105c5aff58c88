"""An invalid REGON or NIP is refused with a message naming the field, and nothing is saved."""

import pytest
from django.core.exceptions import ValidationError

from contacts.models import ReportingUnit

pytestmark = pytest.mark.django_db


def test_an_invalid_regon_is_refused_naming_the_field():
    unit = ReportingUnit(name="Praktyka", regon="123456784", voivodeship_id="14")
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert list(error.value.message_dict) == ["regon"]
    assert "REGON" in error.value.message_dict["regon"][0]


def test_an_invalid_nip_is_refused_naming_the_field():
    unit = ReportingUnit(name="Praktyka", nip="5260250994", voivodeship_id="14")
    with pytest.raises(ValidationError) as error:
        unit.full_clean()
    assert list(error.value.message_dict) == ["nip"]


def test_identifiers_are_normalised_on_clean():
    unit = ReportingUnit(name="Praktyka", regon="123-456-785", nip="526-025-09-95", rpwdl="42", voivodeship_id="14")
    unit.full_clean()
    assert (unit.regon, unit.nip, unit.rpwdl) == ("123456785", "5260250995", "000000000042")


def test_the_admin_form_shows_the_error_next_to_the_field_and_saves_nothing(admin_client):
    response = admin_client.post(
        "/admin/contacts/reportingunit/add/",
        {
            "name": "Szpital",
            "regon": "123456784",
            "nip": "",
            "rpwdl": "",
            "kind": "hospital",
            "voivodeship": "14",
            "is_active": "on",
            "unitmembership_set-TOTAL_FORMS": "0",
            "unitmembership_set-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "REGON 123456784 ma błędną cyfrę kontrolną." in response.content.decode()
    assert not ReportingUnit.objects.exists()
