"""Identifiers of a reporting unit: REGON, NIP, RPWDL register number, phone numbers.

Plain functions over strings (no database): normalise what people type ("REGON 123-456-785") and refuse
what does not pass the checksum, with a Polish message that names the field.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip as stdnum_nip
from stdnum.pl import regon as stdnum_regon

from helpdesk.inputs import is_ascii_digits

_SEPARATORS = re.compile(r"[\s\-./]")


def _digits(value: str) -> str:
    return _SEPARATORS.sub("", value or "")


def normalize_regon(value: str) -> str:
    """Return the REGON as 9 or 14 digits, or raise ValidationError naming the field."""
    digits = _digits(value)
    if not is_ascii_digits(digits) or len(digits) not in (9, 14):
        raise ValidationError(_("REGON musi mieć 9 lub 14 cyfr."), code="invalid_regon")
    try:
        return stdnum_regon.validate(digits)
    except StdnumError:
        raise ValidationError(
            _("REGON %(value)s ma błędną cyfrę kontrolną.") % {"value": digits}, code="invalid_regon"
        ) from None


def normalize_nip(value: str) -> str:
    digits = _digits(value)
    if digits.upper().startswith("PL"):
        digits = digits[2:]
    if not is_ascii_digits(digits) or len(digits) != 10:
        raise ValidationError(_("NIP musi mieć 10 cyfr."), code="invalid_nip")
    try:
        return stdnum_nip.validate(digits)
    except StdnumError:
        raise ValidationError(
            _("NIP %(value)s ma błędną cyfrę kontrolną.") % {"value": digits}, code="invalid_nip"
        ) from None


def normalize_rpwdl(value: str) -> str:
    """RPWDL register number: up to 12 digits, stored zero-padded to 12 (it has no check digit)."""
    digits = _digits(value)
    if not is_ascii_digits(digits) or not 1 <= len(digits) <= 12:
        raise ValidationError(_("Numer księgi rejestrowej RPWDL to do 12 cyfr."), code="invalid_rpwdl")
    return digits.zfill(12)


_POLISH_NUMBER = re.compile(r"^(?:\+48|0048)?([1-9]\d{8})$")


def normalize_phone(value: str, region: str = "PL") -> str:
    """A phone number in E.164 ("+48501369856"), so that "501-369-856" and "+48 501 369 856" match."""
    if region == "PL":  # the common case, without the full parser (it dominated a 200,000-unit import)
        plain = _POLISH_NUMBER.match(re.sub(r"[\s\-.()/]", "", value or ""))
        if plain:
            return "+48" + plain.group(1)
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("Nieprawidłowy numer telefonu: %(value)s.") % {"value": value}) from None
    if not phonenumbers.is_possible_number(number):
        raise ValidationError(_("Nieprawidłowy numer telefonu: %(value)s.") % {"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def spreadsheet_regon(value: object) -> str:
    """A REGON as a spreadsheet cell holds it: a number loses its leading zeros ("12345678" for "012345678"),
    so a short all-digit value is zero-padded to 9 (or 14) digits before validation."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    shortest = 1 if isinstance(value, int) else 6  # a typed text of 1-5 digits is a mistake, not lost zeros
    text = _digits(str(value if value is not None else ""))
    if is_ascii_digits(text) and shortest <= len(text) < 9:
        text = text.zfill(9)
    elif is_ascii_digits(text) and 11 <= len(text) < 14:
        text = text.zfill(14)
    return text
