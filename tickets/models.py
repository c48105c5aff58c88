from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Queue(models.Model):
    class Kind(models.TextChoices):
        CENTRAL = "central", _("centralna")
        REGIONAL = "regional", _("wojewódzka")
        TRIAGE = "triage", _("do rozdzielenia")

    slug = models.SlugField(_("identyfikator"), max_length=50, unique=True)
    name = models.CharField(_("nazwa"), max_length=200)
    kind = models.CharField(_("rodzaj"), max_length=10, choices=Kind.choices, default=Kind.CENTRAL)
    voivodeship = models.OneToOneField(
        "contacts.Voivodeship",
        verbose_name=_("województwo"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="queue",
    )
    calendar = models.ForeignKey(
        "helpdesk.BusinessCalendar", verbose_name=_("kalendarz pracy"), on_delete=models.PROTECT
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("członkowie"), blank=True, related_name="queues"
    )
    is_active = models.BooleanField(_("aktywna"), default=True)

    class Meta:
        verbose_name = _("kolejka")
        verbose_name_plural = _("kolejki")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    slug = models.SlugField(_("identyfikator"), max_length=50, unique=True)
    name = models.CharField(_("nazwa"), max_length=200)
    is_active = models.BooleanField(_("aktywna"), default=True)

    class Meta:
        verbose_name = _("kategoria")
        verbose_name_plural = _("kategorie")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    NEW = "new", _("nowe")
    OPEN = "open", _("otwarte")
    WAITING_CUSTOMER = "waiting_customer", _("czeka na zgłaszającego")
    WAITING_REGION = "waiting_region", _("czeka na województwo")
    RESOLVED = "resolved", _("rozwiązane")
    CLOSED = "closed", _("zamknięte")


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.WAITING_CUSTOMER, Status.WAITING_REGION)


class Priority(models.IntegerChoices):
    LOW = 1, _("niski")
    NORMAL = 2, _("normalny")
    HIGH = 3, _("wysoki")
    URGENT = 4, _("pilny")


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    PHONE = "phone", _("telefon")
    WEB = "web", _("formularz WWW")
    API = "api", _("API")


class ReferenceCounter(models.Model):
    """The last ticket number given out in a year; incremented under a row lock (tickets.references)."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Ticket(models.Model):
    reference = models.CharField(_("sygnatura"), max_length=30, unique=True)
    subject = models.CharField(_("temat"), max_length=500)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    priority = models.PositiveSmallIntegerField(_("priorytet"), choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("kanał"), max_length=10, choices=Channel.choices)
    category = models.ForeignKey(Category, verbose_name=_("kategoria"), on_delete=models.PROTECT, null=True, blank=True)
    queue = models.ForeignKey(Queue, verbose_name=_("kolejka"), on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("przydzielone do"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    reporting_unit = models.ForeignKey(
        "contacts.ReportingUnit",
        verbose_name=_("jednostka sprawozdawcza"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    requester = models.ForeignKey(
        "contacts.Person",
        verbose_name=_("zgłaszający"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tickets",
    )
    requester_name = models.CharField(_("nazwa zgłaszającego"), max_length=200, blank=True)
    requester_email = models.EmailField(_("e-mail zgłaszającego"), blank=True)
    requester_phone = models.CharField(_("telefon zgłaszającego"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("utworzone"))
    updated_at = models.DateTimeField(_("zmienione"))
    first_response_at = models.DateTimeField(_("pierwsza odpowiedź"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("rozwiązane"), null=True, blank=True)
    closed_at = models.DateTimeField(_("zamknięte"), null=True, blank=True)
    related_to = models.ForeignKey(
        "self",
        verbose_name=_("powiązane ze zgłoszeniem"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="related_tickets",
        help_text=_("Np. wiadomość z sygnaturą cudzego zgłoszenia w temacie trafia do nowego, powiązanego zgłoszenia."),
    )

    class Meta:
        verbose_name = _("zgłoszenie")
        verbose_name_plural = _("zgłoszenia")
        indexes = [
            models.Index(fields=["-updated_at", "-id"], name="ticket_recent"),
            models.Index(fields=["queue", "status", "-updated_at"], name="ticket_queue_status"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="ticket_assignee_status"),
            models.Index(fields=["status", "-updated_at"], name="ticket_status_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class StoredFile(models.Model):
    """File content stored once per SHA-256, whatever number of attachments point at it."""

    sha256 = models.CharField(max_length=64, unique=True)
    size = models.PositiveBigIntegerField()
    content = models.FileField(upload_to="attachments/%Y/%m/")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("plik")
        verbose_name_plural = _("pliki")

    def __str__(self) -> str:
        return self.sha256


class Entry(models.Model):
    """One item of a ticket's conversation."""

    class Kind(models.TextChoices):
        INBOUND = "inbound", _("wiadomość przychodząca")
        OUTBOUND = "outbound", _("odpowiedź")
        NOTE = "note", _("notatka wewnętrzna")
        CALL = "call", _("rozmowa telefoniczna")

    class CallDirection(models.TextChoices):
        INCOMING = "incoming", _("przychodząca")
        OUTGOING = "outgoing", _("wychodząca")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("rodzaj"), max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("autor"), on_delete=models.PROTECT, null=True, blank=True
    )
    sender_name = models.CharField(_("nadawca"), max_length=200, blank=True)
    sender_email = models.EmailField(_("e-mail nadawcy"), blank=True)
    to = models.JSONField(_("do"), default=list, blank=True)
    cc = models.JSONField(_("kopia"), default=list, blank=True)
    subject = models.CharField(_("temat"), max_length=500, blank=True)
    body_text = models.TextField(_("treść"), blank=True)
    body_html = models.TextField(_("treść HTML (oczyszczona)"), blank=True)
    visible_text = models.TextField(
        _("nowa treść"), blank=True, help_text=_("Treść bez cytowanej historii i podpisu; pusta = cała treść.")
    )
    message_id = models.CharField(_("Message-ID"), max_length=500, blank=True, db_index=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=500, blank=True)
    call_direction = models.CharField(_("kierunek rozmowy"), max_length=10, choices=CallDirection.choices, blank=True)
    call_duration_seconds = models.PositiveIntegerField(_("czas rozmowy [s]"), null=True, blank=True)
    created_at = models.DateTimeField(_("utworzone"))

    class Meta:
        verbose_name = _("wpis")
        verbose_name_plural = _("wpisy")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="entry_ticket_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.ticket.reference}"


class Attachment(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="attachments")
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="attachments")
    filename = models.CharField(_("nazwa pliku"), max_length=255)
    content_type = models.CharField(_("typ"), max_length=200, default="application/octet-stream")
    is_inline = models.BooleanField(_("osadzony w treści"), default=False)
    content_id = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("załącznik")
        verbose_name_plural = _("załączniki")

    def __str__(self) -> str:
        return self.filename


class TicketEvent(models.Model):
    """Append-only log of what happened to a ticket, by whom, and why. Written only by tickets.events."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("kto"), on_delete=models.PROTECT, null=True, blank=True
    )
    kind = models.CharField(_("zdarzenie"), max_length=40)
    data = models.JSONField(default=dict, blank=True)
    reason = models.CharField(_("powód"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("kiedy"))

    class Meta:
        verbose_name = _("zdarzenie")
        verbose_name_plural = _("dziennik zdarzeń")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="event_ticket_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"
