from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk import business_time


class Role(models.TextChoices):
    AGENT = "agent", _("agent centralny")
    REGIONAL_ADMIN = "regional_admin", _("administrator wojewódzki")
    SUPERVISOR = "supervisor", _("kierownik")
    KB_EDITOR = "kb_editor", _("redaktor bazy wiedzy")
    ADMIN = "admin", _("administrator systemu")


class NoticeMode(models.TextChoices):
    EACH = "each", _("e-mail o każdym zgłoszeniu")
    DIGEST = "digest", _("zestawienie dzienne")
    NONE = "none", _("bez powiadomień")


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
    notice_mode = models.CharField(
        _("powiadomienia o nowych zgłoszeniach"),
        max_length=10,
        choices=NoticeMode.choices,
        default=NoticeMode.EACH,
        help_text=_(
            "Dla administratora wojewódzkiego: e-mail o każdym skierowanym zgłoszeniu albo zestawienie dzienne."
        ),
    )
    # Own working days and hours (tickets.assignment): they narrow the queue calendar's; empty = the calendar's.
    work_weekdays = models.CharField(
        _("dni pracy"),
        max_length=13,
        blank=True,
        help_text=_("Numery dni tygodnia, 0 = poniedziałek, np. 0,2,4. Puste: dni robocze kalendarza kolejki."),
    )
    work_starts_at = models.TimeField(
        _("początek pracy"), null=True, blank=True, help_text=_("Puste: od otwarcia według kalendarza kolejki.")
    )
    work_ends_at = models.TimeField(
        _("koniec pracy"), null=True, blank=True, help_text=_("Puste: do zamknięcia według kalendarza kolejki.")
    )

    must_change_password = models.BooleanField(
        _("musi zmienić hasło"),
        default=False,
        help_text=_("Hasło jednorazowe: po zalogowaniu pracownik najpierw ustawia własne hasło."),
    )

    class Meta:
        verbose_name = _("pracownik")
        verbose_name_plural = _("pracownicy")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        try:
            business_time.parse_workdays(self.work_weekdays)
        except ValueError:
            raise ValidationError(
                {"work_weekdays": _("Dni pracy to numery 0–6 oddzielone przecinkami (0 = poniedziałek).")}
            ) from None
        if self.work_starts_at and self.work_ends_at and self.work_starts_at >= self.work_ends_at:
            raise ValidationError({"work_ends_at": _("Koniec pracy musi być późniejszy niż jej początek.")})


class ApiToken(models.Model):
    """A key for the API (`Authorization: Token <key>`). Only its SHA-256 is kept, as for the PBX tokens: the key
    is shown once, when issued (helpdesk.tokens). It opens the API only while its owner's password is the one it
    was issued under (`password_stamp`), so every password change ends the tokens issued before it."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("konto"))
    key_sha256 = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("początek tokenu"), max_length=8, editable=False)
    password_stamp = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("wydany"), editable=False)

    class Meta:
        verbose_name = _("token API")
        verbose_name_plural = _("tokeny API")

    def __str__(self) -> str:
        return f"{self.user} ({self.prefix}…)"


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
    # Bumped whenever the calendar or one of its closures changes: compiled schedules are cached under it.
    version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("kalendarz pracy")
        verbose_name_plural = _("kalendarze pracy")

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            workdays = business_time.parse_workdays(self.workdays)
        except ValueError:
            raise ValidationError(
                {"workdays": _("Dni robocze to numery 0–6 oddzielone przecinkami (0 = poniedziałek).")}
            ) from None
        if not self.always_open and not workdays:
            raise ValidationError({"workdays": _("Kalendarz bez dni roboczych nie ma czasu pracy: podaj dni.")})
        if not self.always_open and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": _("Godzina zamknięcia musi być późniejsza niż otwarcia.")})
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError):
            raise ValidationError({"timezone": _("Nieznana strefa czasowa.")}) from None

    def schedule(self):
        """The compiled working-time schedule (helpdesk.business_time), cached per process."""
        return business_time.schedule_for(self)

    def is_working_day(self, day: dt.date) -> bool:
        return self.schedule().is_working_day(day)

    def is_open(self, moment: dt.datetime) -> bool:
        """Whether `moment` (an aware datetime) falls inside working hours."""
        return self.schedule().is_open(moment)


class CalendarClosure(models.Model):
    """A day, or part of a day, the organisation does not work beyond public holidays: e.g. the day off for a
    Saturday holiday, or an afternoon closed for a staff meeting."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="closures")
    date = models.DateField(_("dzień"))
    starts_at = models.TimeField(
        _("zamknięte od"), null=True, blank=True, help_text=_("Puste: od początku dnia (oba puste: cały dzień).")
    )
    ends_at = models.TimeField(
        _("zamknięte do"), null=True, blank=True, help_text=_("Puste: do końca dnia (oba puste: cały dzień).")
    )
    reason = models.CharField(_("powód"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("dzień wolny")
        verbose_name_plural = _("dni wolne")
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="unique_closure_per_day")]

    def __str__(self) -> str:
        if self.starts_at is None and self.ends_at is None:
            return f"{self.date} {self.reason}"
        start = self.starts_at.strftime("%H:%M") if self.starts_at else ""
        end = self.ends_at.strftime("%H:%M") if self.ends_at else ""
        return f"{self.date} {start}–{end} {self.reason}"

    def clean(self) -> None:
        if self.starts_at is not None and self.ends_at is not None and self.starts_at >= self.ends_at:
            raise ValidationError({"ends_at": _("Koniec zamknięcia musi być późniejszy niż jego początek.")})


class StaffAbsence(models.Model):
    """Leave of a member of staff: no new tickets, and their open tickets return to the queue."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="absences", verbose_name=_("pracownik"))
    starts_on = models.DateField(_("od"))
    ends_on = models.DateField(_("do"))
    reason = models.CharField(_("powód"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("nieobecność")
        verbose_name_plural = _("nieobecności")
        indexes = [models.Index(fields=["ends_on", "starts_on"], name="absence_period")]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_on}–{self.ends_on}"

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("Data końca nie może być wcześniejsza niż data początku.")})


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
    # indexed only where it is queried, among the messages not sent yet (outbox_pending below)
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # set when the last of settings.OUTBOX_MAX_ATTEMPTS attempts failed: no more automatic retries
    failed_at = models.DateTimeField(null=True, blank=True)
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
