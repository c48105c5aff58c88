"""Every form renders with helpdesk.speed.forms.FormRenderer (Django's Jinja2 form templates, the admin's widget
wrappers through the Django templates) as with Django's default renderer: the same HTML on each page with forms,
blank space aside, shown empty and with errors, for staff, the public and the admin."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.forms.renderers import get_default_renderer
from django.test import override_settings

from helpdesk.models import Role
from helpdesk.speed.forms import SELECT, FormRenderer, select

pytestmark = pytest.mark.django_db

DJANGO_DEFAULT = "django.forms.renderers.DjangoTemplates"


def normalised(html: bytes) -> str:
    """The page without what differs between two requests (tokens, nonces) and without blank space between tags."""
    text = html.decode()
    text = re.sub(r'(<input type="hidden" name="[^"]+") value="[^"]*"', r"\1", text)
    text = re.sub(r'nonce="[^"]*"', "", text)
    text = re.sub(r">\s+<", "><", text)
    return re.sub(r"\s+", " ", text)


def both_ways(client, method: str, url: str, data: dict | None = None) -> tuple[str, str]:
    answers = []
    for renderer in ("helpdesk.speed.forms.FormRenderer", DJANGO_DEFAULT):
        with override_settings(FORM_RENDERER=renderer):
            response = getattr(client, method)(url, data or {})
            assert response.status_code in (200, 400), (url, renderer, response.status_code)  # 400: shown with errors
            answers.append(normalised(response.content))
    return answers[0], answers[1]


def test_the_configured_renderer_is_the_fast_one():
    assert isinstance(get_default_renderer(), FormRenderer)


def test_the_staff_pages_with_forms_are_the_same(client, alice, central, open_email_ticket):
    ticket = open_email_ticket(central)
    client.force_login(alice)
    for method, url, data in [
        ("get", f"/tickets/{ticket.reference}/", None),
        ("post", f"/tickets/{ticket.reference}/reply", {"kind": "outbound", "text": ""}),  # errors shown
        ("get", "/tickets/calls/new", None),
        ("post", "/tickets/calls/new", {"caller_phone": "abc"}),
        ("get", "/tickets/", None),
        ("get", "/haslo/", None),
    ]:
        fast, default = both_ways(client, method, url, data)
        assert "<select" in fast or "<input" in fast
        assert fast == default, url


def test_the_editors_pages_with_forms_are_the_same(client, redaktor):
    client.force_login(redaktor)
    for method, url, data in [("get", "/redakcja/nowy/", None), ("post", "/redakcja/nowy/", {"title": ""})]:
        fast, default = both_ways(client, method, url, data)
        assert "<textarea" in fast and fast == default, url


def test_the_public_pages_with_forms_are_the_same(client):
    for method, url, data in [
        ("get", "/kontakt/", None),
        ("post", "/kontakt/", {"email": "to nie adres"}),
        ("get", "/login/", None),
        ("post", "/login/", {"username": "nikt", "password": "zle"}),
        ("get", "/status/", None),
    ]:
        fast, default = both_ways(client, method, url, data)
        assert fast == default, url


def test_the_admin_with_its_own_widget_templates_is_the_same(client):
    root = get_user_model().objects.create_superuser("root", "root@example.gov.pl", "test-pass-123", role=Role.ADMIN)
    client.force_login(root)
    for url in [
        "/admin/inbox_ingest/mailbox/add/",
        "/admin/contacts/person/add/",
        "/admin/contacts/reportingunit/add/",
    ]:
        fast, default = both_ways(client, "get", url)
        assert "related-widget-wrapper" in fast  # a widget of the admin's own templates, rendered by Django's
        assert fast == default, url
    fast, default = both_ways(client, "post", "/admin/inbox_ingest/mailbox/add/", {"name": ""})  # with errors
    assert "errorlist" in fast and fast == default


def test_selects_are_printed_as_djangos_jinja2_templates_print_them_byte_for_byte():
    """The select fast path (helpdesk.speed.forms.select) against the templates it stands for: groups, odd
    characters, marked-safe labels, lazy labels, None, numbers, attributes True/False/text, several selected."""
    from django import forms
    from django.forms.renderers import Jinja2
    from django.utils.safestring import mark_safe
    from django.utils.translation import gettext_lazy

    templates, fast = Jinja2(), FormRenderer()
    choices = [
        ("", "— nieprzydzielone —"),
        ("Grupa <&\"'>", [(1, "Anna <b>&\" 'Kowalska'"), (2, mark_safe("<i>bezpieczna</i>"))]),
        (None, gettext_lazy("Status")),
        (3, 0),
        ('x"y', "Zażółć gęślą jaźń"),
        ("", [("a", "pusta nazwa grupy")]),
    ]
    widgets = [
        forms.Select(choices=choices),
        forms.Select(choices=choices, attrs={"required": True, "disabled": False, "data-n": 5, "title": '"<>'}),
        forms.SelectMultiple(choices=choices),
        forms.NullBooleanSelect(),
        forms.Select(choices=[]),
    ]
    for widget in widgets:
        values = ("", True, None) if isinstance(widget, forms.NullBooleanSelect) else ("", 1, [1, 'x"y', 3], None)
        for value in values:
            context = widget.get_context("pole<&>", value, {"id": "id_pole"})
            assert select(context["widget"]) is not None  # the fast path, not the templates through it
            assert fast.render(widget.template_name, context) == templates.render(widget.template_name, context)
    grouped = fast.render(SELECT, widgets[0].get_context("pole", 1, {}))
    assert '<optgroup label="Grupa &lt;&amp;&#34;&#39;&gt;">' in grouped
    assert '<option value="1" selected>Anna &lt;b&gt;&amp;&#34; &#39;Kowalska&#39;</option>' in grouped
    assert '<option value="2"><i>bezpieczna</i></option>' in grouped
    # a form's fields, through their own widgets, as the ticket page's forms print them
    for field in (
        forms.ChoiceField(choices=[("a", "A"), ("b", "B")], initial="b"),
        forms.TypedChoiceField(choices=[(1, "jeden")], coerce=int),
    ):
        form = type("F", (forms.Form,), {"pole": field})(renderer=fast)
        assert str(form["pole"]) == str(type("F", (forms.Form,), {"pole": field})(renderer=templates)["pole"])


def test_a_select_whose_options_have_a_template_of_their_own_is_left_to_the_templates():
    from django import forms
    from django.forms.renderers import Jinja2

    class Own(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    context = Own(choices=[("a", "A")]).get_context("pole", "a", {})
    assert FormRenderer().render(Own.template_name, context) == Jinja2().render(Own.template_name, context)


def test_short_model_selects_read_their_options_with_one_plain_query(central, open_email_ticket):
    """The ticket page's assignee and queue selects: one SELECT each, not a server-side cursor (PostgreSQL's
    DECLARE … WITH HOLD, FETCH, CLOSE, which QuerySet.iterator() opens), and the options read once per form."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tickets.forms import AssignForm, QueueForm
    from tickets.models import Queue

    ticket = open_email_ticket(central)
    for form, name in ((AssignForm(ticket=ticket), "assignee"), (QueueForm(queues=Queue.objects.all()), "queue")):
        with CaptureQueriesContext(connection) as queries:
            first, again = str(form[name]), str(form[name])
        assert first == again and first.count("<option") == len(form.fields[name].queryset) + 1  # and the empty choice
        assert len(queries) == 1 and queries[0]["sql"].startswith("SELECT"), queries.captured_queries
