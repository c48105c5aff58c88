"""`{% unit_reports_panel unit %}`: the unit's submission statuses beside a ticket, with each form's instruction in
the knowledge base (two queries)."""

from django import template

from contacts import instructions, selectors

register = template.Library()


@register.inclusion_tag("contacts/_unit_panel.html")
def unit_reports_panel(unit):
    reports = selectors.unit_submissions(unit) if unit is not None else []
    links = instructions.instruction_links(report.form for report in reports) if reports else {}
    return {"unit": unit, "reports": [(report, links.get(report.form.code, "")) for report in reports]}
