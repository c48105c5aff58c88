from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk import access
from tickets.models import Priority, Status


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
    KIND_CHOICES = [("outbound", _("Odpowiedź e-mailem")), ("note", _("Notatka wewnętrzna"))]
    kind = forms.ChoiceField(label=_("Rodzaj"), choices=KIND_CHOICES, initial="outbound")
    body_text = forms.CharField(label=_("Treść"), widget=forms.Textarea(attrs={"rows": 6}), max_length=100_000)
    attachments = MultipleFileField(label=_("Załączniki"), required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    reason = forms.CharField(label=_("Uzasadnienie"), required=False, max_length=500)


class PriorityForm(forms.Form):
    priority = forms.TypedChoiceField(label=_("Priorytet"), choices=Priority.choices, coerce=int)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Przydziel"), queryset=None, required=False)

    def __init__(self, *args, ticket, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = access.workers_for(ticket.queue.voivodeship_id).order_by(
            "last_name", "username"
        )
        self.fields["assignee"].empty_label = _("— nieprzydzielone —")


class QueueForm(forms.Form):
    queue = forms.ModelChoiceField(label=_("Przekaż do kolejki"), queryset=None)
    reason = forms.CharField(label=_("Notatka do przekazania"), required=False, max_length=500)

    def __init__(self, *args, queues, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["queue"].queryset = queues


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
