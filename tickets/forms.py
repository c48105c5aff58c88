from django import forms
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from contacts.identifiers import normalize_phone
from contacts.models import StatisticalForm
from contacts.selectors import units_for_user
from helpdesk import inputs
from helpdesk.speed.forms import ListedModelChoiceField
from tickets import ticket_access
from tickets.actions import CallOutcome
from tickets.calls import regon_problem, search_units
from tickets.events import describe
from tickets.models import OPEN_STATUSES, Category, Entry, Priority, Status, Ticket
from tickets.selectors import changes_by_others, tickets_for_user


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class ReplyForm(forms.Form):
    """A reply or note. `seen_event` is the last event the writer saw: if someone else changed the ticket
    meanwhile, the form is refused once with a description of the changes, the text kept (collision check)."""

    KIND_CHOICES = [("outbound", _("Odpowiedź e-mailem")), ("note", _("Notatka wewnętrzna"))]
    kind = forms.ChoiceField(label=_("Rodzaj"), choices=KIND_CHOICES, initial="outbound")
    to = forms.CharField(
        label=_("Do"),
        required=False,
        max_length=2000,
        help_text=_("Puste: zgłaszający. Kilka adresów oddziel przecinkami."),
    )
    cc = forms.CharField(label=_("Kopia"), required=False, max_length=2000)
    body_text = forms.CharField(label=_("Treść"), widget=forms.Textarea(attrs={"rows": 6}), max_length=100_000)
    attachments = MultipleFileField(label=_("Załączniki"), required=False)
    seen_event = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    # made when the page is rendered (tickets.submissions): the same submission sent twice is written once
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)

    def __init__(self, *args, ticket=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket, self.user = ticket, user
        self.newer_events: list = []

    @staticmethod
    def _addresses(value: str) -> list[str]:
        addresses = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError:
                raise forms.ValidationError(
                    _("Nieprawidłowy adres e-mail: %(address)s") % {"address": address}
                ) from None
        return addresses

    def clean_to(self) -> list[str]:
        return self._addresses(self.cleaned_data["to"])

    def clean_cc(self) -> list[str]:
        return self._addresses(self.cleaned_data["cc"])

    def clean(self):
        data = super().clean()
        seen = data.get("seen_event")
        if self.ticket is not None and seen is not None:
            self.newer_events = list(changes_by_others(self.user, self.ticket, seen))
            if self.newer_events:
                changes = "; ".join(f"{describe(e)} ({e.actor or _('system')})" for e in self.newer_events)
                raise forms.ValidationError(
                    _("Zgłoszenie zmieniło się, gdy pisałeś(-aś): %(changes)s. Sprawdź zmiany i wyślij ponownie.")
                    % {"changes": changes},
                    code="stale",
                )
        return data

    def clean_submission_key(self) -> str:
        key = self.cleaned_data["submission_key"]
        return key if key.isascii() and key.isprintable() and " " not in key else ""

    def renew_submission_key(self, key: str) -> None:
        """After the key was refused as used for another text: the next submit is a new submission."""
        self.data = self.data.copy()
        self.data["submission_key"] = key

    def acknowledge_changes(self) -> None:
        """After a refusal for staleness, the next submit of the same text goes through."""
        self.data = self.data.copy()
        self.data["seen_event"] = str(self.newer_events[-1].pk)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    reason = forms.CharField(label=_("Uzasadnienie"), required=False, max_length=500)

    def __init__(self, *args, **kwargs):
        # The ticket page shows this form beside the move form, which has a `reason` too: ids of its own.
        kwargs.setdefault("auto_id", "id_status_%s")
        super().__init__(*args, **kwargs)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priorytet"), choices=Priority.choices, coerce=int)


class AssignForm(forms.Form):
    assignee = ListedModelChoiceField(label=_("Przydziel"), queryset=None, required=False)

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        people = ticket_access.workers(ticket.queue).order_by("last_name", "username")
        if not self.is_bound:  # shown: what an option shows (User.__str__), not DISTINCT over every column of 55
            people = people.only("username", "first_name", "last_name")  # people; the chosen one is read whole
        self.fields["assignee"].queryset = people
        self.fields["assignee"].empty_label = _("— nieprzydzielone —")


class QueueForm(forms.Form):
    queue = ListedModelChoiceField(label=_("Przekaż do kolejki"), queryset=None)
    reason = forms.CharField(label=_("Notatka do przekazania"), required=False, max_length=500)

    def __init__(self, *args, queues, **kwargs):
        kwargs.setdefault("auto_id", "id_move_%s")  # beside the status form's `reason` on the ticket page
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = queues


class TicketReferenceField(forms.ModelChoiceField):
    """An open ticket given by its reference, typed or picked from the caller card; looked up in the field's
    queryset (what the agent may read). Never a list of every open ticket to choose from: at national scale that
    is hundreds of thousands of options in every page (it was a select, 1,900 options and 90 ms of CPU with the
    load test's data)."""

    widget = forms.TextInput(attrs={"placeholder": "SSOZ-2026-000123", "autocomplete": "off", "spellcheck": "false"})

    def to_python(self, value):
        return super().to_python(value.strip().upper() if isinstance(value, str) else value)

    def prepare_value(self, value):
        # the reference, not the row's id, when the form is shown again with a ticket chosen
        return value.reference if isinstance(value, Ticket) else super().prepare_value(value)


class CallForm(forms.Form):
    """Logging a phone call in a few seconds; the unit is given by id (picked from suggestions) or typed."""

    caller_number = forms.CharField(label=_("Numer dzwoniącego"), required=False, max_length=40)
    direction = forms.ChoiceField(
        label=_("Kierunek"), choices=Entry.CallDirection.choices, initial=Entry.CallDirection.INCOMING
    )
    unit = forms.IntegerField(widget=forms.HiddenInput, required=False)
    unit_query = forms.CharField(label=_("Jednostka (REGON, NIP, nr księgi lub nazwa)"), required=False, max_length=200)
    requester_name = forms.CharField(label=_("Rozmówca"), required=False, max_length=200)
    subject = forms.CharField(label=_("Temat"), required=False, max_length=300)
    category = ListedModelChoiceField(label=_("Kategoria"), queryset=Category.objects.none(), required=False)
    form_code = ListedModelChoiceField(
        label=_("Formularz"), queryset=StatisticalForm.objects.none(), required=False, to_field_name="code"
    )
    notes = forms.CharField(label=_("Notatka z rozmowy"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    duration_seconds = forms.IntegerField(label=_("Czas rozmowy [s]"), required=False, min_value=0, max_value=86400)
    outcome = forms.ChoiceField(
        label=_("Wynik"), choices=CallOutcome.choices, initial=CallOutcome.ANSWERED, widget=forms.RadioSelect
    )
    ticket = TicketReferenceField(
        label=_("Istniejące zgłoszenie"),
        queryset=Ticket.objects.none(),
        required=False,
        to_field_name="reference",
        help_text=_("Numer otwartego zgłoszenia, do którego dopisać rozmowę (np. z karty dzwoniącego); puste: nowe."),
        error_messages={"invalid_choice": _("Nie ma otwartego zgłoszenia o tym numerze, które możesz zobaczyć.")},
    )
    callback_due_at = forms.DateTimeField(
        label=_("Oddzwonić do"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    call_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    # When the call timer started (milliseconds since the epoch, the browser's clock), carried through a submit
    # that comes back with errors so the timer keeps running instead of starting again at zero; empty once the
    # agent stopped it. Only the page's script reads it.
    timer_started = forms.CharField(widget=forms.HiddenInput, required=False, max_length=20)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["category"].queryset = Category.objects.filter(is_active=True)
        self.fields["form_code"].queryset = StatisticalForm.objects.filter(is_active=True)
        self.fields["ticket"].queryset = tickets_for_user(user).filter(status__in=OPEN_STATUSES)

    def clean_timer_started(self) -> str:
        value = self.cleaned_data["timer_started"].strip()
        return value if inputs.is_ascii_digits(value) else ""  # anything else is dropped: the timer then starts afresh

    def clean_caller_number(self) -> str:
        raw = self.cleaned_data["caller_number"].strip()
        if raw:
            normalize_phone(raw)  # raises a Polish ValidationError for a malformed number
        return raw

    def clean(self):
        data = super().clean()
        data["reporting_unit"] = None
        if data.get("unit"):
            data["reporting_unit"] = units_for_user(self.user).filter(pk=data["unit"]).first()
            if data["reporting_unit"] is None:
                self.add_error("unit_query", _("Nie znaleziono tej jednostki."))
        elif data.get("unit_query"):
            found = search_units(self.user, data["unit_query"], limit=2)
            if len(found) == 1:
                data["reporting_unit"] = found[0]
            elif found:
                self.add_error("unit_query", _("Pasuje kilka jednostek: wybierz z listy."))
            else:
                self.add_error("unit_query", regon_problem(data["unit_query"]) or _("Nie znaleziono jednostki."))
        form = data.get("form_code")
        if form and form.code not in (data.get("subject") or ""):
            data["subject"] = f"{form.code}: {data.get('subject') or form.title}"
        return data


class RerouteForm(forms.Form):
    """No fields: re-running the routing rules needs only the ticket."""


class ChooseUnitForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Jednostka"), coerce=int, choices=())

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {unit.pk: unit for unit in candidates}
        self.fields["unit"].choices = [(unit.pk, f"{unit.name} (REGON {unit.regon or '—'})") for unit in candidates]

    def clean_unit(self):
        return self.candidates[self.cleaned_data["unit"]]
