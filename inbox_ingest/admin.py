from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from inbox_ingest.models import FailingAddress, Mailbox, RawMessage, WatcherState


class MailboxForm(forms.ModelForm):
    """The password is write-only: typed to set it, left empty to keep it, or cleared with the checkbox.
    It is stored encrypted (inbox_ingest.credentials) and never rendered back, not even encrypted."""

    password = forms.CharField(
        label=_("hasło"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Wpisz, aby ustawić lub zmienić; puste pole zostawia zapisane hasło bez zmian."),
    )
    clear_password = forms.BooleanField(label=_("usuń zapisane hasło"), required=False)

    class Meta:
        model = Mailbox
        fields = [
            "name", "email_address", "host", "port", "security", "verify_certificate", "username", "auth",
            "secret_env", "token_provider", "folder", "after_ingest", "move_to", "queue", "poll_seconds", "is_active",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        stored = self.instance.pk and self.instance.has_password
        state = _("Hasło zapisane (zaszyfrowane).") if stored else _("Brak zapisanego hasła.")
        self.fields["password"].help_text = f"{state} {self.fields['password'].help_text}"

    def clean(self):
        super().clean()
        data = self.cleaned_data
        password, clear = data.get("password"), data.get("clear_password")
        if password and clear:
            raise forms.ValidationError(_("Wpisz nowe hasło albo zaznacz usunięcie zapisanego, nie oba naraz."))
        keeps_stored = self.instance.pk and self.instance.has_password and not clear
        if data.get("auth") == Mailbox.Auth.PASSWORD and not (password or keeps_stored or data.get("secret_env")):
            raise forms.ValidationError(
                _("Podaj hasło albo nazwę zmiennej środowiskowej z hasłem (zmienna ma pierwszeństwo).")
            )
        if data.get("auth") == Mailbox.Auth.XOAUTH2 and not data.get("token_provider"):
            self.add_error("token_provider", _("Logowanie OAuth2 wymaga dostawcy tokenu."))
        return data

    def save(self, commit=True):
        mailbox = super().save(commit=False)
        if self.cleaned_data.get("clear_password"):
            mailbox.set_password("")
        elif self.cleaned_data.get("password"):
            mailbox.set_password(self.cleaned_data["password"])
        if commit:
            mailbox.save()
            self.save_m2m()
        return mailbox


class WatcherStateInline(admin.StackedInline):
    model = WatcherState
    can_delete = False
    readonly_fields = (
        "connected", "idle", "last_fetch_at", "backlog", "last_error", "last_error_at", "lease_owner", "lease_until",
        "uidvalidity", "server_done_uid",
    )  # fmt: skip
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    fields = [
        "name", "email_address", "host", "port", "security", "verify_certificate", "username", "auth", "password",
        "clear_password", "secret_env", "token_provider", "folder", "after_ingest", "move_to", "queue",
        "poll_seconds", "is_active",
    ]  # fmt: skip
    list_display = ["name", "email_address", "host", "queue", "after_ingest", "is_active"]
    list_filter = ["is_active", "queue"]
    inlines = [WatcherStateInline]


@admin.register(RawMessage)
class RawMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "mailbox", "sender", "subject", "status", "outcome", "ticket"]
    list_filter = ["status", "outcome", "mailbox"]
    search_fields = ["message_id", "sender", "subject", "sha256"]
    exclude = ["raw"]
    readonly_fields = [field.name for field in RawMessage._meta.fields if field.name != "raw"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FailingAddress)
class FailingAddressAdmin(admin.ModelAdmin):
    list_display = ["email", "bounces", "last_bounce_at", "last_reason"]
    search_fields = ["email"]
