"""Canned responses: the placeholders of a reply template filled with the data of one ticket."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from contacts.selectors import current_offices
from tickets.models import CannedResponse, Ticket

PLACEHOLDERS = ("zglaszajacy", "sygnatura", "jednostka", "administrator_wojewodzki")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def unknown_placeholders(body: str) -> list[str]:
    return sorted({name for name in _PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})


def check_body(body: str) -> None:
    """Refuse a template with a misspelt placeholder (it would reach the requester verbatim)."""
    unknown = unknown_placeholders(body)
    if unknown:
        raise ValidationError(
            _("Nieznane zmienne: %(names)s. Dostępne: %(known)s.")
            % {
                "names": ", ".join("{" + name + "}" for name in unknown),
                "known": ", ".join("{" + name + "}" for name in PLACEHOLDERS),
            }
        )


def _regional_administrator(ticket: Ticket) -> str:
    """The regional office acting today for the unit's voivodeship (else the queue's): name and contacts."""
    code = (ticket.reporting_unit and ticket.reporting_unit.voivodeship_id) or ticket.queue.voivodeship_id
    if not code:
        return ""
    office = current_offices().filter(voivodeship_id=code).first()
    if office is None:
        return ""
    return ", ".join(value for value in (office.name, office.department, office.email, office.phone) if value)


def render(response: CannedResponse, ticket: Ticket) -> str:
    """The template's text for `ticket`; a value the ticket lacks becomes empty, other braces stay as written."""
    values = {
        "zglaszajacy": ticket.requester_name or ticket.requester_email,
        "sygnatura": ticket.reference,
        "jednostka": ticket.reporting_unit.name if ticket.reporting_unit else "",
    }
    if "{administrator_wojewodzki}" in response.body:
        values["administrator_wojewodzki"] = _regional_administrator(ticket)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), response.body)
