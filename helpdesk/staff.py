"""Members of staff: setting them up (`manage.py create_staff`, the demo data), their own settings
(the "Moje ustawienia" page) and their password (the password-change page)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from helpdesk import tokens
from helpdesk.models import NoticeMode, Role, User

SIGNATURE_MAX_LENGTH = 1000


def _voivodeships():
    """The voivodeship model, as the staff account's own relation names it: the ground floor does not import
    the contacts app that holds it (`User.voivodeships` points there by name, like any cross-app relation)."""
    return User._meta.get_field("voivodeships").related_model


@transaction.atomic
def upsert_staff(
    *,
    username: str,
    email: str,
    role: str,
    voivodeships: Iterable[str] = (),
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
) -> tuple[User, bool]:
    """Create or update a member of staff; returns (user, created). The password changes only if given."""
    if role not in Role.values:
        raise ValidationError(
            {
                "role": _("Nieznana rola %(role)s; dozwolone: %(allowed)s.")
                % {"role": repr(role), "allowed": ", ".join(Role.values)}
            }
        )
    validate_email(email)
    codes = sorted(set(voivodeships))
    if role == Role.REGIONAL_ADMIN and not codes:
        raise ValidationError({"voivodeships": _("Administrator wojewódzki musi mieć co najmniej jedno województwo.")})
    if role != Role.REGIONAL_ADMIN and codes:
        raise ValidationError({"voivodeships": _("Województwa przypisuje się tylko administratorom wojewódzkim.")})
    found = set(_voivodeships().objects.filter(code__in=codes).values_list("code", flat=True))
    if missing := [code for code in codes if code not in found]:
        raise ValidationError(
            {"voivodeships": _("Nieznany kod TERYT województwa: %(codes)s.") % {"codes": ", ".join(missing)}}
        )
    user = User.objects.filter(username=username).first()
    created = user is None
    if created:
        user = User(username=username)
    user.email = email
    user.role = role
    user.first_name = first_name or user.first_name
    user.last_name = last_name or user.last_name
    user.is_staff = user.is_superuser = role == Role.ADMIN
    user.is_active = True
    if password is not None:
        try:  # the validators of the password-change page (AUTH_PASSWORD_VALIDATORS), with this user's details
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError(
                {"password": [_("Hasło nie spełnia wymagań: %(reasons)s") % {"reasons": " ".join(exc.messages)}]}
            ) from None
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.voivodeships.set(codes)
    return user, created


@transaction.atomic
def update_own_settings(*, user: User, notice_mode: str | None = None, signature: str | None = None) -> list[str]:
    """Change a member of staff's own preferences; None leaves a field as it is. Returns the changed fields.

    Bad input raises ValidationError and changes nothing. A change is written to the admin's history of the
    user (LogEntry), where changes made by administrators appear too."""
    errors = {}
    if notice_mode is not None and notice_mode not in NoticeMode.values:
        errors["notice_mode"] = _("Nieznany sposób powiadamiania %(value)s; dozwolone: %(allowed)s.") % {
            "value": repr(notice_mode),
            "allowed": ", ".join(NoticeMode.values),
        }
    if signature is not None:
        signature = signature.replace("\r\n", "\n").strip()
        if len(signature) > SIGNATURE_MAX_LENGTH:
            errors["signature"] = ngettext(
                "Podpis może mieć najwyżej %(max)s znak.",
                "Podpis może mieć najwyżej %(max)s znaków.",
                SIGNATURE_MAX_LENGTH,
            ) % {"max": SIGNATURE_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    wanted = {"notice_mode": notice_mode, "signature": signature}
    changed = [name for name, value in wanted.items() if value is not None and getattr(user, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(user, name, wanted[name])
    user.save(update_fields=changed)
    _log_own_change(user, changed)
    return changed


def _log_own_change(user: User, changed: list[str]) -> None:
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.utils.translation import override

    with override(None):  # stored untranslated, as the admin stores its own change messages
        labels = [str(User._meta.get_field(name).verbose_name) for name in changed]
    LogEntry.objects.log_actions(
        user.pk, User.objects.filter(pk=user.pk), CHANGE, [{"changed": {"fields": labels}}], single_object=True
    )


def issue_one_time_password(user: User) -> str:
    """Give `user` a new random password that must be changed at the next login; returns it (shown once)."""
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    tokens.revoke(user)
    return password


def change_own_password(user: User, password: str) -> None:
    """Set the password the member of staff chose (already validated); a one-time password is then used up."""
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    tokens.revoke(user)  # tokens issued under the old password (they would not work anyway: tokens.password_stamp)
