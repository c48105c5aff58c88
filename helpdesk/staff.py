"""Setting up members of staff: the one write path used by `manage.py create_staff`, the demo data and the
password-change page."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from helpdesk.models import Role, User


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
    from contacts.models import Voivodeship

    found = set(Voivodeship.objects.filter(code__in=codes).values_list("code", flat=True))
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
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.voivodeships.set(codes)
    return user, created


def issue_one_time_password(user: User) -> str:
    """Give `user` a new random password that must be changed at the next login; returns it (shown once)."""
    password = secrets.token_urlsafe(12)
    user.set_password(password)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    return password


def change_own_password(user: User, password: str) -> None:
    """Set the password the member of staff chose (already validated); a one-time password is then used up."""
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
