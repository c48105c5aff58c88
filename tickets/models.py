from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from helpdesk.filenames import FileNameField
from tickets.previews import preview_kind


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", _("ręczny")
    ROUND_ROBIN = "round_robin", _("po kolei")
    LEAST_OPEN = "least_open", _("najmniej otwartych zgłoszeń")


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
    assignment_mode = models.CharField(
        _("przydział"), max_length=15, choices=AssignmentMode.choices, default=AssignmentMode.MANUAL
    )
    max_open_per_member = models.PositiveIntegerField(
        _("limit otwartych zgłoszeń na osobę"), null=True, blank=True, help_text=_("Puste = bez limitu.")
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("kierownik kolejki"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_queues",
        help_text=_("Dostaje powiadomienia o przekroczeniu terminów SLA."),
    )
    escalate_outside_hours = models.BooleanField(
        _("powiadomienia o terminach także poza godzinami pracy"), default=False
    )

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


class Identification(models.TextChoices):
    IDENTIFIED = "identified", _("zidentyfikowana")
    AMBIGUOUS = "ambiguous", _("kilka możliwych jednostek")
    UNIDENTIFIED = "unidentified", _("niezidentyfikowana")


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
    # queue and assignee: no index of their own, ticket_queue_status and ticket_assignee_status begin with them
    queue = models.ForeignKey(
        Queue, verbose_name=_("kolejka"), on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("przydzielone do"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_tickets",
        db_index=False,
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
    callback_due_at = models.DateTimeField(_("oddzwonić do"), null=True, blank=True)
    sla_due_at = models.DateTimeField(
        _("najbliższy termin SLA"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Najwcześniejszy termin biegnących zegarów SLA; ustawia tickets.sla (sortowanie listy)."),
    )
    tags = models.JSONField(_("etykiety"), default=list, blank=True)
    identification = models.CharField(
        _("identyfikacja"), max_length=15, choices=Identification.choices, default=Identification.UNIDENTIFIED
    )
    unit_candidates = models.JSONField(_("możliwe jednostki"), default=list, blank=True)
    related_to = models.ForeignKey(
        "self",
        verbose_name=_("powiązane ze zgłoszeniem"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="related_tickets",
        help_text=_("Np. wiadomość z sygnaturą cudzego zgłoszenia w temacie trafia do nowego, powiązanego zgłoszenia."),
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("scalone ze zgłoszeniem"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_tickets",
        editable=False,
    )

    # Not stored: True on a ticket knowledge_base.actions.submit_contact_form() returns again for a contact form
    # sent a second time with the same content (ContactAttempt).
    repeated: bool = False

    class Meta:
        verbose_name = _("zgłoszenie")
        verbose_name_plural = _("zgłoszenia")
        indexes = [
            # on PostgreSQL with the queue and the reporting unit as non-key columns (INCLUDE, migration 0017): a
            # regional administrator's scope is tested in the index, and a count in recency order reads no row
            models.Index(fields=["-updated_at", "-id"], name="ticket_recent"),
            models.Index(fields=["queue", "status", "-updated_at"], name="ticket_queue_status"),
            models.Index(fields=["assignee", "status", "-updated_at"], name="ticket_assignee_status"),
            models.Index(fields=["status", "-updated_at"], name="ticket_status_recent"),
            # the workspace counts (tickets.selectors.workspace_views) read only this: an index-only scan of
            # the open tickets with every column a view or the voivodeship scope tests (sla_due_at: "overdue")
            models.Index(
                fields=["status", "assignee", "queue", "reporting_unit", "sla_due_at", "id"],
                condition=models.Q(status__in=["new", "open", "waiting_customer", "waiting_region"]),
                name="ticket_open_counts_sla",
            ),
            # the open tickets by SLA due time (?sort=sla), without computing and sorting every due time
            # (ascending: PostgreSQL puts NULLs last, as the sort asks)
            models.Index(
                fields=["sla_due_at", "-updated_at", "-id"],
                condition=models.Q(status__in=["new", "open", "waiting_customer", "waiting_region"]),
                name="ticket_open_sla_due",
            ),
            # a regional administrator's counts (tickets.ticket_access.readable_parts): the open tickets of their
            # queues, and those about their units in other queues, each read from its own range of an index
            # rather than testing the scope on every open ticket of the country
            models.Index(
                fields=["queue", "status", "assignee", "sla_due_at", "id"],
                condition=models.Q(status__in=["new", "open", "waiting_customer", "waiting_region"]),
                name="ticket_open_by_queue",
            ),
            models.Index(
                fields=["reporting_unit", "queue", "status", "assignee", "sla_due_at", "id"],
                condition=models.Q(status__in=["new", "open", "waiting_customer", "waiting_region"]),
                name="ticket_open_by_unit",
            ),
            # the open tickets by priority (?status=open&sort=priority), without sorting all of them
            models.Index(
                fields=["-priority", "-updated_at", "-id"],
                condition=models.Q(status__in=["new", "open", "waiting_customer", "waiting_region"]),
                name="ticket_open_priority",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketLink(models.Model):
    """Two related tickets (symmetric): stored once, with the lower id first (tickets.actions.link_tickets)."""

    low = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    high = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("powiązanie zgłoszeń")
        verbose_name_plural = _("powiązania zgłoszeń")
        constraints = [
            models.UniqueConstraint(fields=["low", "high"], name="unique_ticket_link"),
            models.CheckConstraint(condition=models.Q(low__lt=models.F("high")), name="ticket_link_ordered"),
        ]
        indexes = [models.Index(fields=["high"], name="ticket_link_high")]

    def __str__(self) -> str:
        return f"{self.low_id} ↔ {self.high_id}"


class TicketFollower(models.Model):
    """A member of staff following a ticket: live notices of new entries and status changes (and e-mail)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="followers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_tickets")
    by_email = models.BooleanField(_("także e-mailem"), default=False)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("obserwujący")
        verbose_name_plural = _("obserwujący")
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="unique_ticket_follower")]
        indexes = [models.Index(fields=["user", "ticket"], name="follower_user_ticket")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.ticket_id}"


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

    # no index of its own: entry_ticket_time (ticket, created_at) serves `ticket = …`
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="entries", db_index=False)
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
    call_id = models.CharField(_("identyfikator rozmowy w centrali"), max_length=100, blank=True, db_index=True)
    caller_number = models.CharField(_("numer dzwoniącego"), max_length=20, blank=True)
    outside_hours = models.BooleanField(_("poza godzinami pracy"), default=False)
    created_at = models.DateTimeField(_("utworzone"))
    # a reply's e-mail in the outbox: its delivery state (sent, retrying, failed) is shown on the entry
    outbox_message = models.OneToOneField(
        "helpdesk.OutboxMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="entry"
    )
    # Not stored: set on the e-mail entries the ticket page shows (tickets.selectors.show_email_html).
    shown_html: str
    blocked_images: int
    # Not stored: True on an entry add_entries() returns again for a submission key used before (SubmissionKey).
    repeated: bool = False

    class Meta:
        verbose_name = _("wpis")
        verbose_name_plural = _("wpisy")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="entry_ticket_time")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.ticket.reference}"

    @property
    def delivery(self):
        """The delivery state of a reply's e-mail (tickets.delivery.Delivery), None for other entries."""
        from tickets.delivery import delivery_of  # here: delivery reads these models (and the actions)

        return delivery_of(self)


class Attachment(models.Model):
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="attachments")
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="attachments")
    filename = FileNameField(_("nazwa pliku"), max_length=255)
    content_type = models.CharField(_("typ"), max_length=200, default="application/octet-stream")
    is_inline = models.BooleanField(_("osadzony w treści"), default=False)
    content_id = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("załącznik")
        verbose_name_plural = _("załączniki")

    def __str__(self) -> str:
        return self.filename

    @property
    def preview(self) -> str | None:
        """ "image", "pdf" or None: how the ticket page previews it (tickets.previews)."""
        return preview_kind(self.content_type)


class TicketEvent(models.Model):
    """Append-only log of what happened to a ticket, by whom, and why. Written only by tickets.events."""

    # no index of its own: event_ticket_time (ticket, created_at) serves `ticket = …`
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events", db_index=False)
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


class SlaPolicy(models.Model):
    """Targets for a kind of ticket, in working time of the ticket's queue calendar.

    The most specific active policy applies: one naming the queue, priority and category beats one naming
    fewer of them; an empty field matches anything.
    """

    name = models.CharField(_("nazwa"), max_length=200)
    queue = models.ForeignKey(Queue, verbose_name=_("kolejka"), on_delete=models.CASCADE, null=True, blank=True)
    priority = models.PositiveSmallIntegerField(_("priorytet"), choices=Priority.choices, null=True, blank=True)
    category = models.ForeignKey(Category, verbose_name=_("kategoria"), on_delete=models.CASCADE, null=True, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("pierwsza odpowiedź [min roboczych]"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("rozwiązanie [min roboczych]"), null=True, blank=True)
    warn_before_minutes = models.PositiveIntegerField(_("ostrzeżenie przed terminem [min roboczych]"), default=60)
    breach_raise_priority = models.BooleanField(_("po przekroczeniu podnieś priorytet"), default=True)
    breach_reassign_to_lead = models.BooleanField(_("po przekroczeniu przydziel kierownikowi kolejki"), default=False)
    is_active = models.BooleanField(_("aktywna"), default=True)

    class Meta:
        verbose_name = _("polityka SLA")
        verbose_name_plural = _("polityki SLA")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not self.first_response_minutes and not self.resolution_minutes:
            raise ValidationError(_("Podaj czas pierwszej odpowiedzi, czas rozwiązania albo oba."))

    @property
    def specificity(self) -> int:
        return (self.queue_id is not None) * 4 + (self.category_id is not None) * 2 + (self.priority is not None)


class SlaTimer(models.Model):
    """One SLA clock of a ticket (first response or resolution), counting working time of the queue calendar.

    `consumed` is the working time counted before `running_since`; while running, `due_at` is when the
    target is reached. Waiting for the customer pauses the clock (running_since and due_at empty).
    `next_check_at` is the next moment the escalation scan must look at the timer (a warning or the breach);
    it is empty when nothing is left to do, so the scan's partial index never holds closed tickets.
    """

    class Kind(models.TextChoices):
        FIRST_RESPONSE = "first_response", _("pierwsza odpowiedź")
        RESOLUTION = "resolution", _("rozwiązanie")

    class State(models.TextChoices):
        RUNNING = "running", _("biegnie")
        PAUSED = "paused", _("wstrzymany")
        DONE = "done", _("zakończony")

    # no index of its own: the unique one_sla_timer_per_kind (ticket, kind) serves `ticket = …`
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_timers", db_index=False)
    kind = models.CharField(_("termin"), max_length=20, choices=Kind.choices)
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    target_seconds = models.PositiveIntegerField(_("cel [s roboczych]"))
    warn_before_seconds = models.PositiveIntegerField(default=0)
    state = models.CharField(_("stan"), max_length=10, choices=State.choices, default=State.RUNNING)
    consumed_seconds = models.IntegerField(default=0)
    running_since = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("termin"), null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(_("przekroczony"), null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("termin SLA")
        verbose_name_plural = _("terminy SLA")
        constraints = [models.UniqueConstraint(fields=["ticket", "kind"], name="one_sla_timer_per_kind")]
        indexes = [
            models.Index(
                fields=["next_check_at"], condition=models.Q(next_check_at__isnull=False), name="sla_timer_to_check"
            ),
            # the "overdue" view: live clocks marked as breached whose ticket's nearest due time does not say so
            # (paused ones), answered from the index alone; clocks past their due time are Ticket.sla_due_at
            models.Index(
                fields=["due_at", "ticket"],
                condition=~models.Q(state="done") & models.Q(breached_at__isnull=False),
                name="sla_timer_breached_live",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.state}"


class RoutingRule(models.Model):
    """An ordered rule: when every filled-in condition holds, the actions apply (see tickets.rules)."""

    class UnitCondition(models.TextChoices):
        ANY = "", _("dowolna")
        IDENTIFIED = "identified", _("zidentyfikowana")
        UNIDENTIFIED = "unidentified", _("niezidentyfikowana")

    class TimeCondition(models.TextChoices):
        ANY = "", _("dowolny")
        OUTSIDE_HOURS = "outside", _("poza godzinami pracy")
        WORKING_HOURS = "inside", _("w godzinach pracy")

    name = models.CharField(_("nazwa"), max_length=200, unique=True)
    position = models.PositiveIntegerField(_("kolejność"), default=100)
    is_active = models.BooleanField(_("aktywna"), default=True)
    stop = models.BooleanField(
        _("zakończ po dopasowaniu"), default=True, help_text=_("Odznacz, aby sprawdzać także kolejne reguły.")
    )
    # conditions (empty = any)
    channel = models.CharField(_("kanał"), max_length=10, choices=Channel.choices, blank=True)
    mailbox = models.CharField(_("skrzynka"), max_length=200, blank=True, help_text=_("Adres skrzynki odbiorczej."))
    senders = models.TextField(
        _("nadawcy"), blank=True, help_text=_("Adresy lub domeny (np. @nfz.gov.pl), po przecinku lub w wierszach.")
    )
    unit = models.CharField(_("jednostka"), max_length=15, choices=UnitCondition.choices, blank=True)
    voivodeship = models.ForeignKey(
        "contacts.Voivodeship", verbose_name=_("województwo jednostki"), on_delete=models.CASCADE, null=True, blank=True
    )
    form_codes = models.CharField(
        _("formularze"), max_length=300, blank=True, help_text=_("Symbole po przecinku, np. MZ-11, MZ-88.")
    )
    words = models.TextField(
        _("słowa lub frazy"),
        blank=True,
        help_text=_("Po przecinku lub w wierszach; pasują też formy odmienione i pisownia bez polskich znaków."),
    )
    category = models.ForeignKey(
        Category, verbose_name=_("kategoria"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    time = models.CharField(_("czas"), max_length=10, choices=TimeCondition.choices, blank=True)
    calendar = models.ForeignKey(
        "helpdesk.BusinessCalendar",
        verbose_name=_("kalendarz dla warunku czasu"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    # actions
    set_queue = models.ForeignKey(
        Queue, verbose_name=_("ustaw kolejkę"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    queue_of_unit_voivodeship = models.BooleanField(_("kolejka województwa jednostki"), default=False)
    set_category = models.ForeignKey(
        Category, verbose_name=_("ustaw kategorię"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_priority = models.PositiveSmallIntegerField(
        _("ustaw priorytet"), choices=Priority.choices, null=True, blank=True
    )
    add_tags = models.CharField(_("dodaj etykiety"), max_length=300, blank=True)
    assign_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("przydziel osobie"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    auto_assign = models.BooleanField(_("przydziel według trybu kolejki"), default=False)
    reply_subject = models.CharField(_("temat odpowiedzi automatycznej"), max_length=300, blank=True)
    reply_body = models.TextField(_("odpowiedź automatyczna"), blank=True)

    class Meta:
        verbose_name = _("reguła kierowania")
        verbose_name_plural = _("reguły kierowania")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from tickets.rules import validate_rule  # here: the rules module reads these models

        validate_rule(self)


class DigestSent(models.Model):
    """One row per regional administrator and day: the daily digest is sent at most once, whoever runs it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    ticket_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("wysłane zestawienie dzienne")
        verbose_name_plural = _("wysłane zestawienia dzienne")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="one_digest_per_user_day")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"


class Pbx(models.Model):
    """A telephone exchange (Asterisk, 3CX…) allowed to post call events; it authenticates with a token whose
    SHA-256 is stored here (the token itself is shown once, by `manage.py create_pbx`)."""

    name = models.CharField(_("nazwa"), max_length=100, unique=True)
    token_sha256 = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("aktywna"), default=True)

    class Meta:
        verbose_name = _("centrala telefoniczna")
        verbose_name_plural = _("centrale telefoniczne")

    def __str__(self) -> str:
        return self.name


class PbxExtension(models.Model):
    pbx = models.ForeignKey(Pbx, on_delete=models.CASCADE, related_name="extensions")
    extension = models.CharField(_("numer wewnętrzny"), max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pracownik"), on_delete=models.CASCADE, related_name="extensions"
    )

    class Meta:
        verbose_name = _("numer wewnętrzny")
        verbose_name_plural = _("numery wewnętrzne")
        constraints = [models.UniqueConstraint(fields=["pbx", "extension"], name="unique_pbx_extension")]

    def __str__(self) -> str:
        return f"{self.pbx} {self.extension} → {self.user}"


class TelephonyEvent(models.Model):
    """Every call event a PBX posted, accepted or refused, for the record."""

    class Kind(models.TextChoices):
        RINGING = "ringing", _("dzwoni")
        ANSWERED = "answered", _("odebrane")
        HUNG_UP = "hung_up", _("rozłączone")

    pbx = models.ForeignKey(Pbx, on_delete=models.SET_NULL, null=True, blank=True)
    kind = models.CharField(max_length=10, blank=True)
    call_id = models.CharField(max_length=100, blank=True, db_index=True)
    caller_number = models.CharField(max_length=40, blank=True)
    extension = models.CharField(max_length=20, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    accepted = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField()

    class Meta:
        verbose_name = _("zdarzenie telefoniczne")
        verbose_name_plural = _("zdarzenia telefoniczne")
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.call_id}"


class SavedView(models.Model):
    """A named ticket-list query of one staff member (only the whitelisted list parameters are kept)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("pracownik"), on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(_("nazwa"), max_length=100)
    query = models.CharField(_("parametry listy"), max_length=1000, blank=True)
    created_at = models.DateTimeField(_("utworzony"), auto_now_add=True)

    class Meta:
        verbose_name = _("zapisany widok")
        verbose_name_plural = _("zapisane widoki")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="unique_saved_view_name_per_user")]

    def __str__(self) -> str:
        return self.name


class CannedResponse(models.Model):
    """A reply template for the ticket page; placeholders are filled for the ticket (tickets.canned)."""

    title = models.CharField(_("tytuł"), max_length=200, unique=True)
    body = models.TextField(
        _("treść"),
        help_text=_(
            "Zmienne: {zglaszajacy}, {sygnatura}, {jednostka}, {administrator_wojewodzki} – zostaną zastąpione "
            "danymi zgłoszenia."
        ),
    )
    is_active = models.BooleanField(_("aktywny"), default=True)

    class Meta:
        verbose_name = _("szablon odpowiedzi")
        verbose_name_plural = _("szablony odpowiedzi")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from tickets.canned import check_body  # here: the canned module reads these models

        try:
            check_body(self.body)
        except ValidationError as exc:
            raise ValidationError({"body": exc.messages}) from exc


class TicketSearch(models.Model):
    """The full-text search document of one ticket. Its database-specific columns (a GIN-indexed tsvector on
    PostgreSQL, an FTS5 table on SQLite) are created by migration 0009 and written only by tickets.search."""

    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("indeks wyszukiwania zgłoszenia")
        verbose_name_plural = _("indeks wyszukiwania zgłoszeń")

    def __str__(self) -> str:
        return str(self.ticket_id)


class SubmissionKey(models.Model):
    """A one-time key of one staff member's submission (the ticket page's hidden token, the API's
    Idempotency-Key): written in the transaction that writes the entry, so a repeated or concurrent submission
    under the same key gets the entry written first (tickets.submissions). `fingerprint`: what was asked, so the
    same key with another request is refused rather than answered with the first."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=100)
    fingerprint = models.CharField(max_length=64)
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("klucz wysłania")
        verbose_name_plural = _("klucze wysłania")
        constraints = [models.UniqueConstraint(fields=["actor", "key"], name="submission_key_once_per_actor")]

    def __str__(self) -> str:
        return self.key
