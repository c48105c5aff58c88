"""`{% unit_reports_panel unit %}`: the unit's submission statuses beside a ticket (one query)."""

from django import template

from contacts import selectors

register = template.Library()


@register.inclusion_tag("contacts/_unit_panel.html")
def unit_reports_panel(unit):
    return {"unit": unit, "reports": selectors.unit_submissions(unit) if unit is not None else []}
