from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.models import NoticeMode, Role
from helpdesk.staff import SIGNATURE_MAX_LENGTH


class OwnSettingsForm(forms.Form):
    """A member of staff's own preferences; the notice choice only for regional administrators (only they
    get notices of routed tickets)."""

    notice_mode = forms.ChoiceField(
        label=_("Powiadomienia o nowych zgłoszeniach"),
        choices=NoticeMode.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Wybierz jeden z podanych sposobów powiadamiania.")},
        help_text=_("Dotyczy zgłoszeń skierowanych do kolejek Twoich województw."),
    )
    signature = forms.CharField(
        label=_("Podpis"),
        required=False,
        max_length=SIGNATURE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Dopisywany pod każdą Twoją odpowiedzią wysyłaną e-mailem. Np. imię i nazwisko, stanowisko, urząd."
        ),
    )

    def __init__(self, *args, user, **kwargs):
        kwargs.setdefault("initial", {"notice_mode": user.notice_mode, "signature": user.signature})
        super().__init__(*args, **kwargs)
        if user.role != Role.REGIONAL_ADMIN:
            del self.fields["notice_mode"]
