"""The e-mail channel's rows: mailboxes, the watcher's state, every received message stored raw first,
the Message-IDs of our own automatic mail, and addresses that bounce."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from inbox_ingest import credentials


class Mailbox(models.Model):
    class Security(models.TextChoices):
        SSL = "ssl", _("IMAPS (TLS od początku)")
        STARTTLS = "starttls", _("STARTTLS")
        PLAIN = "plain", _("bez szyfrowania (tylko sieć lokalna)")

    class Auth(models.TextChoices):
        PASSWORD = "password", _("hasło")
        XOAUTH2 = "xoauth2", _("OAuth2 (XOAUTH2: Microsoft 365, Google)")

    class AfterIngest(models.TextChoices):
        MARK_SEEN = "seen", _("oznacz jako przeczytaną")
        MOVE = "move", _("przenieś do folderu")
        DELETE = "delete", _("usuń z serwera")

    name = models.CharField(_("nazwa"), max_length=100, unique=True)
    email_address = models.EmailField(_("adres skrzynki"), help_text=_("Na ten adres piszą jednostki."))
    host = models.CharField(_("serwer IMAP"), max_length=255)
    port = models.PositiveIntegerField(_("port"), default=993)
    security = models.CharField(_("szyfrowanie"), max_length=10, choices=Security.choices, default=Security.SSL)
    verify_certificate = models.BooleanField(_("sprawdzaj certyfikat serwera"), default=True)
    username = models.CharField(_("użytkownik"), max_length=255)
    auth = models.CharField(_("logowanie"), max_length=10, choices=Auth.choices, default=Auth.PASSWORD)
    secret_env = models.CharField(
        _("zmienna środowiskowa z hasłem"),
        max_length=100,
        blank=True,
        help_text=_(
            "Nazwa zmiennej środowiskowej z hasłem; gdy jest ustawiona, ma pierwszeństwo przed hasłem zapisanym."
        ),
    )
    # a password typed in the admin, encrypted (inbox_ingest.credentials); never shown back
    password_encrypted = models.TextField(_("hasło (zaszyfrowane)"), blank=True, editable=False)
    token_provider = models.CharField(
        _("dostawca tokenu OAuth2"),
        max_length=200,
        blank=True,
        help_text=_("Ścieżka do funkcji zwracającej token dostępu, np. moj_modul.token_m365 (dla XOAUTH2)."),
    )
    folder = models.CharField(_("folder"), max_length=200, default="INBOX")
    after_ingest = models.CharField(
        _("po przyjęciu"), max_length=10, choices=AfterIngest.choices, default=AfterIngest.MARK_SEEN
    )
    move_to = models.CharField(_("folder docelowy"), max_length=200, blank=True, default="Przyjete")
    queue = models.ForeignKey(
        "tickets.Queue", verbose_name=_("kolejka domyślna"), on_delete=models.PROTECT, related_name="mailboxes"
    )
    poll_seconds = models.PositiveIntegerField(_("odpytywanie co [s]"), default=60)
    is_active = models.BooleanField(_("aktywna"), default=True)

    class Meta:
        verbose_name = _("skrzynka pocztowa")
        verbose_name_plural = _("skrzynki pocztowe")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from inbox_ingest.connection_rules import mailbox_problems  # here: the rules read Mailbox

        if found := mailbox_problems(self):
            raise ValidationError(found)

    @property
    def has_password(self) -> bool:
        return bool(self.password_encrypted)

    def set_password(self, password: str) -> None:
        self.password_encrypted = credentials.encrypt(password) if password else ""

    def stored_password(self) -> str:
        return credentials.decrypt(self.password_encrypted)


class WatcherState(models.Model):
    """What the watcher of a mailbox is doing, and its lease: only the holder of a live lease fetches."""

    mailbox = models.OneToOneField(Mailbox, on_delete=models.CASCADE, primary_key=True, related_name="state")
    lease_owner = models.CharField(_("obserwator"), max_length=200, blank=True)
    lease_until = models.DateTimeField(_("dzierżawa do"), null=True, blank=True)
    connected = models.BooleanField(_("połączony"), default=False)
    idle = models.BooleanField(_("IMAP IDLE"), default=False)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    # Every stored message of the folder with this UIDVALIDITY and a UID up to server_done_uid has had its server
    # action (flag, move or delete): one row updated per batch, instead of a second UPDATE of every message.
    server_done_uidvalidity = models.BigIntegerField(null=True, blank=True)
    server_done_uid = models.BigIntegerField(_("oznaczone na serwerze do UID"), default=0)
    last_fetch_at = models.DateTimeField(_("ostatnie pobranie"), null=True, blank=True)
    backlog = models.PositiveIntegerField(_("zaległe wiadomości"), default=0)
    last_error = models.TextField(_("ostatni błąd"), blank=True)
    last_error_at = models.DateTimeField(_("czas błędu"), null=True, blank=True)

    class Meta:
        verbose_name = _("stan obserwatora")
        verbose_name_plural = _("stany obserwatorów")

    def __str__(self) -> str:
        return str(self.mailbox)


class RawMessage(models.Model):
    """A received message exactly as it arrived, stored before anything else happens to it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("do przetworzenia")
        DONE = "done", _("przetworzona")
        QUARANTINED = "quarantined", _("w kwarantannie")
        DISCARDED = "discarded", _("odrzucona")

    class Outcome(models.TextChoices):
        CREATED = "created", _("nowe zgłoszenie")
        APPENDED = "appended", _("dopisana do zgłoszenia")
        DUPLICATE = "duplicate", _("duplikat")
        AUTOREPLY = "autoreply", _("odpowiedź automatyczna")
        BOUNCE = "bounce", _("zwrot (niedoręczenie)")
        QUARANTINED = "quarantined", _("kwarantanna")

    # no index of its own: raw_mailbox_status (mailbox, status) serves `mailbox = …`, and every index more is
    # written twice per message (stored, then processed) on the ingestion's critical path
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.PROTECT, null=True, blank=True, related_name="messages", db_index=False
    )
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(_("źródło"), max_length=500, blank=True)
    raw = models.BinaryField(_("wiadomość"))
    size = models.PositiveIntegerField(_("rozmiar [B]"), default=0)
    sha256 = models.CharField(max_length=64, db_index=True)
    message_id = models.CharField(_("Message-ID"), max_length=998, blank=True)
    # "mid:<id>" or "sha:<hash>": unique, so one message never makes two tickets (set when it is processed)
    dedupe_key = models.CharField(max_length=1000, unique=True, null=True, blank=True)
    subject = models.CharField(_("temat"), max_length=500, blank=True)
    sender = models.CharField(_("nadawca"), max_length=254, blank=True)
    status = models.CharField(_("stan"), max_length=12, choices=Status.choices, default=Status.PENDING)
    outcome = models.CharField(_("wynik"), max_length=12, choices=Outcome.choices, blank=True)
    reason = models.TextField(_("powód"), blank=True)
    oversized = models.BooleanField(_("za duża"), default=False)
    attempts = models.PositiveIntegerField(_("próby"), default=0)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="raw_messages"
    )
    duplicate_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True)
    received_at = models.DateTimeField(_("odebrana"), auto_now_add=True)
    processed_at = models.DateTimeField(_("przetworzona"), null=True, blank=True)

    class Meta:
        verbose_name = _("wiadomość odebrana")
        verbose_name_plural = _("wiadomości odebrane")
        constraints = [
            models.UniqueConstraint(
                fields=["mailbox", "uidvalidity", "uid"],
                condition=models.Q(uid__isnull=False),
                name="raw_message_once_per_uid",
            )
        ]
        indexes = [
            models.Index(fields=["status", "received_at"], name="raw_status_time"),
            models.Index(fields=["mailbox", "status"], name="raw_mailbox_status"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id or self.sha256[:12]} ({self.get_status_display()})"


class SentMessage(models.Model):
    """A Message-ID we sent that is not a conversation entry (acknowledgements), kept for threading and
    for the per-address acknowledgement limit."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sent_messages")
    message_id = models.CharField(max_length=998, unique=True)
    to_email = models.EmailField()
    kind = models.CharField(max_length=20, default="acknowledgement")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["to_email", "created_at"], name="sent_to_time")]

    def __str__(self) -> str:
        return self.message_id


class FailingAddress(models.Model):
    """An address our mail bounced from: no more acknowledgements, and agents see it on the ticket."""

    email = models.EmailField(unique=True)
    bounces = models.PositiveIntegerField(default=0)
    last_reason = models.TextField(blank=True)
    last_bounce_at = models.DateTimeField()

    class Meta:
        verbose_name = _("adres niedoręczalny")
        verbose_name_plural = _("adresy niedoręczalne")

    def __str__(self) -> str:
        return self.email
