"""Pages of the helpdesk app itself: a member of staff's own settings."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from helpdesk import access, menu, staff
from helpdesk.forms import OwnSettingsForm


@login_required
def start(request: HttpRequest) -> HttpResponse:
    """After logging in (LOGIN_REDIRECT_URL): the first page of the menu this person may open."""
    if not access.is_staff_member(request.user):
        raise PermissionDenied(_("Brak dostępu."))
    return redirect(menu.first_page(request))


@login_required
def own_settings(request: HttpRequest) -> HttpResponse:
    """ "Moje ustawienia": always the settings of request.user, never anyone else's."""
    if not access.is_staff_member(request.user):
        raise PermissionDenied(_("Brak dostępu."))
    form = OwnSettingsForm(request.POST if request.method == "POST" else None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                changed = staff.update_own_settings(
                    user=request.user,
                    notice_mode=form.cleaned_data.get("notice_mode"),
                    signature=form.cleaned_data["signature"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Zapisano ustawienia.") if changed else _("Bez zmian."))
                return redirect("own_settings")
        return render(request, "helpdesk/own_settings.html", {"form": form}, status=400)
    return render(request, "helpdesk/own_settings.html", {"form": form})
