"""The renderer of every form and widget (settings.FORM_RENDERER): Django's own form templates in their Jinja2
versions, which Django ships beside the Django-template ones and keeps giving the same HTML.

Measured on the ticket page (five forms, about fifty options): rendering its forms through the Django template
language cost about half of the page's CPU, 42 ms of CPU per page against 33 ms with these templates; the page's
HTML is the same but for blank lines between options (bench/load/profile_pages.py --agents; the comparison is
tests/test_form_renderer.py). A template that has no Jinja2 version (the admin's widget wrappers) is rendered with
the Django templates, as Django's default renderer does.
"""

from __future__ import annotations

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class FormRenderer(BaseRenderer):
    def __init__(self) -> None:
        self._jinja2 = Jinja2()
        self._django = DjangoTemplates()

    def get_template(self, template_name: str):
        try:
            return self._jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
