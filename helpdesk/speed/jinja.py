"""The Jinja2 engine for the few fragments that print many rows (settings.TEMPLATES, "jinja2"), and the Django
template tag that puts one into a page: `{% load speed %}{% jinja "tickets/list_rows.html" %}`.

A page stays a Django template (its layout, its blocks, the context the tests read); only a loop of rows is
rendered by Jinja2, which compiles a template to Python and costs a fraction of the Django template language per
variable. Measured on the ticket list (50 rows, about twenty values each): the rows were about a third of the
page's CPU (bench/load/profile_pages.py --agents; bench/RESULTS.md).

The fragments print exactly what the Django templates printed: every value goes through Django's
`conditional_escape` (`finalize`; Jinja2's own escaping is off, as it writes quotes differently), so a value
marked safe by Django stays as it is, and the filters are the Django ones of helpdesk/templatetags (`strftime`
and `isoformat` take the value in the current time zone first, as Django does for them). A fragment has no
`{% translate %}`: what it says in words stays in the Django page around it.
"""

from __future__ import annotations

import jinja2
from django import template
from django.template import engines
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]  # not in the stubs

from helpdesk.templatetags.choices import choice
from helpdesk.templatetags.listing import isoformat, shorten, strftime


def environment(**options) -> jinja2.Environment:
    options["autoescape"] = False  # conditional_escape in finalize instead: Django's escaping, byte for byte
    options["undefined"] = jinja2.StrictUndefined  # a name that is not there is an error, not an empty cell
    env = jinja2.Environment(**options, finalize=conditional_escape)  # noqa: S701 (escaped by finalize)
    env.globals["url"] = lambda name, *args: reverse(name, args=args)
    env.filters.update(
        choice=choice,
        shorten=shorten,
        strftime=lambda value, format_string: strftime(template_localtime(value), format_string),
        isoformat=lambda value: isoformat(template_localtime(value)),
    )
    return env


register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context, template_name: str) -> str:
    """`template_name` rendered by the Jinja2 engine with this page's context."""
    return mark_safe(engines["jinja2"].get_template(template_name).render(context.flatten()))  # noqa: S308
