"""The staff's own password: the change page, and the middleware that sends a member of staff holding a
one-time password (from `manage.py create_staff`) there until they have chosen their own."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from helpdesk import login_throttle
from helpdesk.staff import change_own_password


class StaffPasswordChangeForm(PasswordChangeForm):
    """Django's form (old password, new password twice, the password validators), saved through helpdesk.staff.
    Guessing the old password (from a session left open) counts as failed logins (helpdesk.login_throttle)."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        username = self.user.get_username()
        if self.request is not None and (message := login_throttle.refusal(self.request, username)):
            raise ValidationError(message, code="throttled")
        try:
            return super().clean_old_password()
        except ValidationError:
            if self.request is not None:
                login_throttle.failed(self.request, username)
            raise

    def save(self, commit: bool = True):
        change_own_password(self.user, self.cleaned_data["new_password1"])
        return self.user


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = StaffPasswordChangeForm
    template_name = "registration/password_change.html"
    success_url = reverse_lazy(settings.LOGIN_REDIRECT_URL)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("Hasło zostało zmienione."))
        return response


class PasswordChangeRequiredMiddleware:
    """Sends a member of staff whose password is one-time to the change page, whatever they ask for, except
    the change page itself, logging out, the language switch and static files."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password and not _exempt(request.path):
            return redirect(reverse("password_change"))
        return self.get_response(request)


def _exempt(path: str) -> bool:
    allowed = (reverse("password_change"), reverse("logout"), reverse("set_language"))
    return path in allowed or path.startswith(settings.STATIC_URL)
