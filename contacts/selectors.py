"""Reading the directory, scoped like tickets: a regional administrator sees the units of their voivodeships."""

from django.db.models import QuerySet

from contacts.models import ReportingUnit
from helpdesk import access


def units_for_user(user) -> QuerySet[ReportingUnit]:
    scope = access.voivodeship_scope(user)
    if scope.is_everything:
        return ReportingUnit.objects.all()
    return ReportingUnit.objects.filter(voivodeship_id__in=scope.codes or [])


def unit_for_user(user, unit_id: int) -> ReportingUnit:
    unit = units_for_user(user).select_related("voivodeship").filter(pk=unit_id).first()
    if unit is None:
        raise access.not_found()
    return unit
