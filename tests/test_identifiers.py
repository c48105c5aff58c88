"""REGON, NIP, RPWDL and phone numbers: normalised as people type them, refused when the checksum fails."""

import pytest
from django.core.exceptions import ValidationError

from contacts.identifiers import normalize_nip, normalize_phone, normalize_regon, normalize_rpwdl


@pytest.mark.parametrize("typed", ["123456785", "123-456-785", "123 456 785", " 123.456.785 "])
def test_a_nine_digit_regon_is_accepted_with_separators(typed):
    assert normalize_regon(typed) == "123456785"


def test_a_fourteen_digit_regon_is_checked_including_its_nine_digit_part():
    assert normalize_regon("12345678512347") == "12345678512347"
    with pytest.raises(ValidationError):
        normalize_regon("12345678412347")  # wrong check digit in the embedded REGON-9


@pytest.mark.parametrize("typed", ["123456784", "12345678", "501369856a"])
def test_a_regon_with_a_bad_checksum_or_length_is_refused_naming_regon(typed):
    with pytest.raises(ValidationError) as error:
        normalize_regon(typed)
    assert "REGON" in error.value.messages[0]


def test_a_nip_is_normalised_and_checked():
    assert normalize_nip("PL 526-025-09-95") == "5260250995"
    with pytest.raises(ValidationError) as error:
        normalize_nip("5260250994")
    assert "NIP" in error.value.messages[0]


def test_an_rpwdl_number_is_zero_padded_to_twelve_digits():
    assert normalize_rpwdl("12345") == "000000012345"
    with pytest.raises(ValidationError):
        normalize_rpwdl("1234567890123")


@pytest.mark.parametrize("typed", ["+48 501 369 856", "501-369-856", "0048501369856", "501369856"])
def test_phone_numbers_are_stored_in_e164(typed):
    assert normalize_phone(typed) == "+48501369856"


def test_a_nonsense_phone_number_is_refused():
    with pytest.raises(ValidationError):
        normalize_phone("12")
