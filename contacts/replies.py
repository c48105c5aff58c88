"""Texts about a unit's reports for agents' replies (the "insert statuses" canned reply on the ticket page)."""

from __future__ import annotations

import re
from urllib.parse import urlencode, urljoin

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from contacts import lookup
from contacts.models import ReportingUnit
from helpdesk.polish import fold


def status_summary(unit: ReportingUnit, year: int | None = None) -> str:
    """The statuses of the unit's reports for `year` (the year people ask about by default), in Polish prose:
    per form the status, the date of the change, the deadline and what to do next; then the public link."""
    year = year or lookup.default_year()
    result = lookup.lookup(unit.regon, year)
    link = f"{settings.SITE_URL}/status/?" + urlencode({"regon": unit.regon, "year": year})
    if not result.found:
        return _("W systemie statystycznym nie ma sprawozdań jednostki (REGON %(regon)s) za %(year)s r.") % {
            "regon": unit.regon,
            "year": year,
        }
    lines = [_("Status sprawozdań jednostki (REGON %(regon)s) za %(year)s r.:") % {"regon": unit.regon, "year": year}]
    for item in result.forms:
        changed = timezone.localtime(item.changed_at).strftime("%d.%m.%Y")
        line = _("- %(form)s: %(status)s (zmiana %(changed)s)") % {
            "form": item.form_code,
            "status": item.status_name,
            "changed": changed,
        }
        if item.deadline:
            line += _(", termin %(date)s") % {"date": item.deadline.strftime("%d.%m.%Y")}
        lines += [line + ".", "  " + item.next_step]
        if item.instruction_url:
            link_to = urljoin(settings.SITE_URL + "/", item.instruction_url)
            lines.append("  " + _("Instrukcja wypełniania: %(link)s") % {"link": link_to})
    lines += ["", _("Aktualny status można sprawdzić w każdej chwili: %(link)s") % {"link": link}]
    return "\n".join(lines)


_STATUS_QUESTION = [
    re.compile(pattern)
    for pattern in (
        r"\bczy\b.{0,60}\b(dotarl|doszl|wplynel|wplynal|wplynely"
        r"|zostal[aoy]? (przyjet|zaakceptowan|zlozon|wyslan|odebran))",
        r"\bstatus\w* .{0,30}sprawozda",
        r"\b(potwierdz|sprawdz)\w* .{0,40}(przyjeci|wplyni|dotarci|zlozeni|otrzymani)",
        r"\bdid (our|my|the) .{0,40}(report|form).{0,20}(arrive|get accepted|reach)",
    )
]


def is_status_question(text: str) -> bool:
    """Whether `text` clearly asks if a report arrived or was accepted (with or without Polish letters)."""
    folded = " ".join(fold(text or "").split())[:5000]
    return any(pattern.search(folded) for pattern in _STATUS_QUESTION)
