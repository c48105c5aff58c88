"""The renderer of every form and widget (settings.FORM_RENDERER): Django's own form templates in their Jinja2
versions, which Django ships beside the Django-template ones and keeps giving the same HTML.

Measured on the ticket page (five forms, about fifty options): rendering its forms through the Django template
language cost about half of the page's CPU, 42 ms of CPU per page against 33 ms with these templates; the page's
HTML is the same but for blank lines between options (bench/load/profile_pages.py --agents; the comparison is
tests/test_form_renderer.py). A template that has no Jinja2 version (the admin's widget wrappers) is rendered with
the Django templates, as Django's default renderer does.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import ModelChoiceIterator
from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist
from markupsafe import escape

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


class FormRenderer(BaseRenderer):
    def __init__(self) -> None:
        self._jinja2 = Jinja2()
        self._django = DjangoTemplates()

    def get_template(self, template_name: str):
        try:
            return self._jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)

    def render(self, template_name: str, context: dict, request=None) -> str:
        if template_name == SELECT:
            html = select(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request)


def select(widget: dict[str, Any]) -> str | None:
    """A select and its options as Django's Jinja2 templates print them (select.html, select_option.html,
    attrs.html; markupsafe's escaping, as their autoescape), byte for byte (tests/test_form_renderer.py), without
    a template call per option: the ticket page's assignee select (55 options) took 4.6 ms of CPU through the
    templates. None when an option has a template of its own: the templates print it then."""
    parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        for option in group_choices:
            if option["template_name"] != OPTION:
                return None
            value, label = escape(option["value"]), escape(option["label"])
            parts.append(f'\n  <option value="{value}"{_attrs(option["attrs"])}>{label}</option>')
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _attrs(attrs: dict[str, Any]) -> str:
    """attrs.html: ` name="value"`, ` name` alone for True, nothing for False."""
    return "".join(
        f" {escape(name)}" if value is True else f' {escape(name)}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListedChoices(ModelChoiceIterator):
    """The options of a short list (the people of a queue, the queues) read with one query and kept on the field's
    queryset. Django's iterator reads them with `QuerySet.iterator()`, which on PostgreSQL is a server-side cursor:
    DECLARE … WITH HOLD, FETCH, CLOSE, so three round trips and the rows kept by the server, for a select of 55
    people on every ticket page."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:  # evaluated once, then from the queryset's own cache
            yield self.choice(obj)


class ListedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over a short list: its options read with one plain query (ListedChoices)."""

    iterator = ListedChoices
