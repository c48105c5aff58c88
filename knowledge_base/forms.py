from django import forms
from django.utils.translation import gettext_lazy as _

from contacts.identifiers import normalize_regon
from tickets.forms import MultipleFileField


class ContactForm(forms.Form):
    """Only what the desk needs to answer: who, where to answer, which unit, what happened."""

    name = forms.CharField(label=_("Imię i nazwisko"), max_length=200)
    email = forms.EmailField(label=_("Adres e-mail do odpowiedzi"))
    regon = forms.CharField(label=_("REGON jednostki (jeśli sprawa dotyczy jednostki)"), max_length=30, required=False)
    subject = forms.CharField(label=_("Temat"), max_length=300)
    body = forms.CharField(label=_("Opis sprawy"), widget=forms.Textarea(attrs={"rows": 8}), max_length=20_000)
    attachments = MultipleFileField(label=_("Załączniki (np. zrzut ekranu z komunikatem)"), required=False)
    # Honeypot: hidden from people (and from screen readers); bots fill it in.
    website = forms.CharField(required=False, label=_("Nie wypełniaj tego pola"))
    attempt = forms.CharField(required=False, widget=forms.HiddenInput, max_length=40)

    def clean_regon(self) -> str:
        """Checked with the other fields, so a wrong REGON is reported together with whatever else is missing
        (the action checks it again: it is the one write path)."""
        regon = self.cleaned_data["regon"].strip()
        return normalize_regon(regon) if regon else ""


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Twoja odpowiedź"), widget=forms.Textarea(attrs={"rows": 6}), max_length=20_000)
    attachments = MultipleFileField(label=_("Załączniki"), required=False)


class FeedbackForm(forms.Form):
    helpful = forms.TypedChoiceField(
        choices=[("1", _("Tak")), ("0", _("Nie"))], coerce=lambda v: v == "1", widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Co możemy poprawić? (opcjonalnie)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
