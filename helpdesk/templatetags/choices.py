"""`{{ ticket|choice:"status" }}`: the label of a field's choice (helpdesk.choices.label), for pages that show many."""

from django import template

from helpdesk import choices

register = template.Library()


@register.filter
def choice(instance, field_name: str) -> str:
    return choices.label(instance, field_name)
