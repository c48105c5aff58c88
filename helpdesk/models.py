from __future__ import annotations

import datetime as dt
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("agent centralny")
    REGIONAL_ADMIN = "regional_admin", _("administrator wojewódzki")
    SUPERVISOR = "supervisor", _("kierownik")
    KB_EDITOR = "kb_editor", _("redaktor bazy wiedzy")
    ADMIN = "admin", _("administrator systemu")


class User(AbstractUser):
    """A member of staff. Reporting units are not users: they are contacts (contacts.Person)."""

    role = models.CharField(_("rola"), max_length=20, choices=Role.choices, default=Role.AGENT)
    voivodeships = models.ManyToManyField(
        "contacts.Voivodeship",
        verbose_name=_("województwa"),
        blank=True,
        related_name="staff",
        help_text=_("Dla administratora wojewódzkiego: województwa, których zgłoszenia i jednostki widzi."),
    )
    signature = models.TextField(_("podpis"), blank=True)

    class Meta:
        verbose_name = _("pracownik")
        verbose_name_plural = _("pracownicy")

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class BusinessCalendar(models.Model):
    """Working hours of a queue: weekdays and hours in a time zone, minus public holidays and closures."""

    name = models.CharField(_("nazwa"), max_length=100, unique=True)
    timezone = models.CharField(_("strefa czasowa"), max_length=50, default="Europe/Warsaw")
    always_open = models.BooleanField(_("całodobowo (24/7)"), default=False)
    workdays = models.CharField(
        _("dni robocze"), max_length=13, default="0,1,2,3,4", help_text=_("Numery dni tygodnia, 0 = poniedziałek.")
    )
    opens_at = models.TimeField(_("otwarcie"), default=dt.time(8, 0))
    closes_at = models.TimeField(_("zamknięcie"), default=dt.time(16, 0))
    holidays_country = models.CharField(
        _("święta państwowe"), max_length=2, default="PL", blank=True, help_text=_("Kod kraju; puste = bez świąt.")
    )

    class Meta:
        verbose_name = _("kalendarz pracy")
        verbose_name_plural = _("kalendarze pracy")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not self.always_open and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": _("Godzina zamknięcia musi być późniejsza niż otwarcia.")})
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError):
            raise ValidationError({"timezone": _("Nieznana strefa czasowa.")}) from None

    @cached_property
    def _workdays(self) -> set[int]:
        return {int(day) for day in self.workdays.split(",") if day.strip()}

    def is_working_day(self, day: dt.date) -> bool:
        if self.always_open:
            return True
        if day.weekday() not in self._workdays:
            return False
        if self.holidays_country and day in holidays.country_holidays(self.holidays_country, years=day.year):
            return False
        return not self.closures.filter(date=day).exists()

    def is_open(self, moment: dt.datetime) -> bool:
        """Whether `moment` (an aware datetime) falls inside working hours."""
        if self.always_open:
            return True
        local = moment.astimezone(ZoneInfo(self.timezone))
        return self.is_working_day(local.date()) and self.opens_at <= local.time() < self.closes_at


class CalendarClosure(models.Model):
    """A day the organisation does not work beyond public holidays, e.g. the day off for a Saturday holiday."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("dzień"))
    reason = models.CharField(_("powód"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("dzień wolny")
        verbose_name_plural = _("dni wolne")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="unique_closure_per_day")]

    def __str__(self) -> str:
        return f"{self.date} {self.reason}"


class OutboxMessage(models.Model):
    """A side effect (e-mail, live push) written in the same transaction as the change that caused it.

    It is dispatched after commit; if Redis or the mail server is away it stays pending and the periodic
    drain retries it, so no notification is lost.
    """

    class Kind(models.TextChoices):
        EMAIL = "email", _("e-mail")
        PUSH = "push", _("powiadomienie na żywo")

    kind = models.CharField(max_length=10, choices=Kind.choices)
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("wiadomość do wysłania")
        verbose_name_plural = _("kolejka wysyłki (outbox)")
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=models.Q(sent_at__isnull=True), name="outbox_pending")
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class WorkerHeartbeat(models.Model):
    """Last sign of life of a background process, shown on /healthz."""

    name = models.CharField(max_length=100, primary_key=True)
    last_seen = models.DateTimeField()

    class Meta:
        verbose_name = _("sygnał procesu")
        verbose_name_plural = _("sygnały procesów")

    def __str__(self) -> str:
        return self.name
