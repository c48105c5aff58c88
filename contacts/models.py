from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from contacts import identifiers


class Voivodeship(models.Model):
    """One of the 16 voivodeships; the primary key is its two-digit TERYT code ("02" … "32")."""

    code = models.CharField(_("kod TERYT"), max_length=2, primary_key=True)
    name = models.CharField(_("nazwa"), max_length=40, unique=True)
    seat = models.CharField(_("siedziba"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("województwo")
        verbose_name_plural = _("województwa")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name_genitive(self) -> str:
        """ "mazowieckie" → "mazowieckiego", for "województwa …": every voivodeship's name is an adjective in -ie."""
        return self.name[:-1] + "ego" if self.name.endswith("ie") else self.name


class RegionalOfficeQuerySet(models.QuerySet):
    def valid_on(self, day):
        return self.filter(models.Q(valid_from__lte=day), models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=day))


class RegionalOffice(models.Model):
    """The organisation acting as regional administrator for a voivodeship over a period of time."""

    voivodeship = models.ForeignKey(Voivodeship, on_delete=models.PROTECT, related_name="offices")
    name = models.CharField(_("nazwa"), max_length=300)
    department = models.CharField(_("komórka"), max_length=300, blank=True)
    valid_from = models.DateField(_("od"))
    valid_to = models.DateField(_("do"), null=True, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telefon"), max_length=100, blank=True)
    address = models.CharField(_("adres"), max_length=300, blank=True)
    website = models.URLField(_("strona"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("członkowie"), blank=True, related_name="regional_offices"
    )

    objects = RegionalOfficeQuerySet.as_manager()

    class Meta:
        verbose_name = _("urząd wojewódzki (realizator)")
        verbose_name_plural = _("urzędy wojewódzkie (realizatorzy)")
        ordering = ["voivodeship", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.name} ({self.voivodeship})"

    def clean(self) -> None:
        if self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("Data końca nie może być wcześniejsza niż data początku.")})


class UnitKind(models.TextChoices):
    HOSPITAL = "hospital", _("szpital")
    OUTPATIENT = "outpatient", _("podmiot ambulatoryjny")
    INDIVIDUAL_PRACTICE = "individual_practice", _("indywidualna praktyka")
    GROUP_PRACTICE = "group_practice", _("grupowa praktyka")
    OTHER = "other", _("inny")


class ReportingUnit(models.Model):
    """A health-care provider that must submit statistical forms ("jednostka sprawozdawcza")."""

    name = models.CharField(_("nazwa"), max_length=500)
    regon = models.CharField(_("REGON"), max_length=14, unique=True, null=True, blank=True)
    nip = models.CharField(_("NIP"), max_length=10, blank=True, db_index=True)
    rpwdl = models.CharField(_("numer księgi RPWDL"), max_length=12, blank=True, db_index=True)
    kind = models.CharField(_("rodzaj"), max_length=30, choices=UnitKind.choices, default=UnitKind.OUTPATIENT)
    voivodeship = models.ForeignKey(
        Voivodeship, verbose_name=_("województwo"), on_delete=models.PROTECT, related_name="units"
    )
    teryt = models.CharField(_("TERYT gminy"), max_length=7, blank=True)
    address = models.CharField(_("adres"), max_length=500, blank=True)
    email_domain = models.CharField(_("domena e-mail"), max_length=200, blank=True, db_index=True)
    is_active = models.BooleanField(_("aktywna"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("jednostka sprawozdawcza")
        verbose_name_plural = _("jednostki sprawozdawcze")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean_fields(self, exclude=None) -> None:
        """Normalise REGON, NIP and RPWDL as typed ("123-456-785") before the length checks run."""
        errors = {}
        for field, normalize in (
            ("regon", identifiers.normalize_regon),
            ("nip", identifiers.normalize_nip),
            ("rpwdl", identifiers.normalize_rpwdl),
        ):
            value = getattr(self, field)
            if not value or (exclude and field in exclude):
                continue
            try:
                setattr(self, field, normalize(value))
            except ValidationError as exc:
                errors[field] = exc.messages
        if self.regon == "":
            self.regon = None
        try:
            super().clean_fields(exclude=(set(exclude or ()) | set(errors)))
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if errors:
            raise ValidationError(errors)


class Person(models.Model):
    """Someone who writes or calls on behalf of one or more reporting units."""

    name = models.CharField(_("imię i nazwisko"), max_length=200)
    units = models.ManyToManyField(
        ReportingUnit, through="UnitMembership", related_name="people", verbose_name=_("jednostki")
    )
    notes = models.TextField(_("uwagi"), blank=True)
    consent_given_at = models.DateTimeField(
        _("zgoda na kontakt"),
        null=True,
        blank=True,
        help_text=_("Kiedy osoba zgodziła się na przetwarzanie danych kontaktowych; puste = brak zgody."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("osoba")
        verbose_name_plural = _("osoby")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UnitMembership(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE)
    unit = models.ForeignKey(ReportingUnit, on_delete=models.CASCADE)
    role = models.CharField(_("funkcja w jednostce"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("powiązanie z jednostką")
        verbose_name_plural = _("powiązania z jednostkami")
        constraints = [models.UniqueConstraint(fields=["person", "unit"], name="unique_person_unit")]

    def __str__(self) -> str:
        return f"{self.person} – {self.unit}"


class PersonEmail(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("e-mail"))

    class Meta:
        verbose_name = _("adres e-mail")
        verbose_name_plural = _("adresy e-mail")
        constraints = [models.UniqueConstraint(Lower("email"), name="unique_person_email_ci")]

    def __str__(self) -> str:
        return self.email

    def clean(self) -> None:
        self.email = (self.email or "").strip().lower()


class PersonPhone(models.Model):
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("numer (E.164)"), max_length=20, db_index=True)

    class Meta:
        verbose_name = _("telefon")
        verbose_name_plural = _("telefony")

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        try:
            self.number = identifiers.normalize_phone(self.number)
        except ValidationError as exc:
            raise ValidationError({"number": exc.messages}) from None


class StatisticalForm(models.Model):
    """A form of the statistical survey programme (MZ-xx); a catalogue kept as editable data."""

    code = models.CharField(_("symbol"), max_length=20, unique=True)
    # What no published source confirms stays empty: the public catalogue shows only what is filled in, and the
    # admin lists the gaps ("Do uzupełnienia", contacts.catalogue).
    title = models.CharField(_("tytuł"), max_length=300, blank=True)
    submitted_by = models.TextField(_("kto składa"), blank=True)
    source = models.TextField(
        _("źródło"),
        blank=True,
        help_text=_(
            "Skąd pochodzą tytuł i „kto składa”: adres i tytuł publikacji, najlepiej programu badań statystycznych "
            "statystyki publicznej (PBSSP) na dany rok."
        ),
    )
    periodicity = models.CharField(_("częstotliwość"), max_length=50, default="roczna")
    usual_deadline = models.CharField(_("zwykły termin"), max_length=200, blank=True)
    is_active = models.BooleanField(_("aktywny"), default=True)
    instruction_article = models.ForeignKey(
        "knowledge_base.Article",
        verbose_name=_("instrukcja w bazie wiedzy"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_(
            "Artykuł z instrukcją wypełniania (pokazywany, gdy jest opublikowany i publiczny). Bez wyboru: najnowsza "
            "opublikowana instrukcja formularza z bazy wiedzy, która wymienia ten symbol."
        ),
    )
    instruction_url = models.URLField(
        _("instrukcja zewnętrzna"),
        blank=True,
        help_text=_("Adres instrukcji poza bazą wiedzy; jeśli jest podany, zastępuje artykuł z bazy wiedzy."),
    )

    class Meta:
        verbose_name = _("formularz statystyczny")
        verbose_name_plural = _("formularze statystyczne")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.title}".strip()


class FormDeadline(models.Model):
    """The deadline of a form for one reporting year (they move every year, so they are data)."""

    form = models.ForeignKey(StatisticalForm, on_delete=models.CASCADE, related_name="deadlines")
    year = models.PositiveSmallIntegerField(_("rok sprawozdawczy"))
    deadline = models.DateField(_("termin"))
    note = models.CharField(_("uwagi"), max_length=300, blank=True)
    source = models.CharField(
        _("źródło"),
        max_length=500,
        blank=True,
        help_text=_("Adres i tytuł publikacji, z której pochodzi termin (program badań statystycznych na ten rok)."),
    )

    class Meta:
        verbose_name = _("termin formularza")
        verbose_name_plural = _("terminy formularzy")
        ordering = ["-year", "form"]
        constraints = [models.UniqueConstraint(fields=["form", "year"], name="unique_form_deadline_per_year")]

    def __str__(self) -> str:
        return f"{self.form.code} {self.year}: {self.deadline:%d.%m.%Y}"


class SubmissionStatus(models.Model):
    """A state of a report in the statistics system; names and explanations are data, editable in the admin."""

    code = models.SlugField(_("kod"), max_length=40, unique=True, help_text=_("Kod używany w plikach i w API."))
    name = models.CharField(_("nazwa"), max_length=100)
    next_step = models.TextField(_("co zrobić dalej"), help_text=_("Wyjaśnienie dla jednostki, widoczne publicznie."))
    counts_as_submitted = models.BooleanField(
        _("liczy się jako złożone"),
        default=False,
        help_text=_("Jednostki z tym statusem nie trafiają na listę „nie złożyły” ani do przypomnień."),
    )
    order = models.PositiveSmallIntegerField(_("kolejność"), default=0)

    class Meta:
        verbose_name = _("status sprawozdania")
        verbose_name_plural = _("statusy sprawozdań")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Submission(models.Model):
    """The current status of one report: a reporting unit, a form, a reporting year."""

    class Source(models.TextChoices):
        IMPORT = "import", _("import pliku")
        API = "api", _("API systemu statystycznego")
        STAFF = "staff", _("pracownik")
        DEMO = "demo", _("dane demonstracyjne")

    # Millions of rows, updated by feeds: only the indexes that reads need. The unique (unit, form, year) and the
    # (form, year, status) index already lead with unit and form; statuses are a handful of rows never deleted.
    unit = models.ForeignKey(ReportingUnit, on_delete=models.CASCADE, related_name="submissions", db_index=False)
    form = models.ForeignKey(StatisticalForm, on_delete=models.PROTECT, related_name="submissions", db_index=False)
    year = models.PositiveSmallIntegerField(_("rok sprawozdawczy"))
    status = models.ForeignKey(SubmissionStatus, on_delete=models.PROTECT, related_name="+", db_index=False)
    changed_at = models.DateTimeField(_("data zmiany statusu"))
    source = models.CharField(_("źródło"), max_length=10, choices=Source.choices)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("sprawozdanie")
        verbose_name_plural = _("sprawozdania")
        constraints = [
            models.UniqueConstraint(fields=["unit", "form", "year"], name="unique_submission_per_unit_form_year")
        ]
        indexes = [models.Index(fields=["form", "year", "status"], name="submission_form_year_status")]
        permissions = [("push_submissions", _("Może przesyłać statusy sprawozdań przez API (system statystyczny)"))]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.form_id} {self.year}: {self.status_id}"


class SubmissionChange(models.Model):
    """History of a submission: one row per accepted change, appended, never edited."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="history")
    status = models.ForeignKey(SubmissionStatus, on_delete=models.PROTECT, related_name="+", db_index=False)
    changed_at = models.DateTimeField(_("data zmiany statusu"))
    recorded_at = models.DateTimeField(_("zapisano"))
    source = models.CharField(_("źródło"), max_length=10, choices=Submission.Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("kto"), on_delete=models.SET_NULL, null=True, blank=True
    )
    import_run = models.ForeignKey(
        "ImportRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    note = models.CharField(_("uwagi"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("zmiana statusu sprawozdania")
        verbose_name_plural = _("historia statusów sprawozdań")
        ordering = ["submission", "changed_at", "id"]

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.status_id} ({self.changed_at:%Y-%m-%d %H:%M})"


class ImportRun(models.Model):
    """One import of a file (units or submission statuses): who, what, how it went, the rejected rows."""

    class Kind(models.TextChoices):
        UNITS = "units", _("jednostki")
        SUBMISSIONS = "submissions", _("statusy sprawozdań")

    class State(models.TextChoices):
        RUNNING = "running", _("w toku")
        DONE = "done", _("zakończony")
        FAILED = "failed", _("przerwany – nic nie zapisano")

    kind = models.CharField(_("rodzaj"), max_length=20, choices=Kind.choices)
    filename = models.CharField(_("plik"), max_length=500)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uruchomił"), on_delete=models.SET_NULL, null=True, blank=True
    )
    started_at = models.DateTimeField(_("początek"))
    finished_at = models.DateTimeField(_("koniec"), null=True, blank=True)
    state = models.CharField(_("stan"), max_length=10, choices=State.choices, default=State.RUNNING)
    counts = models.JSONField(_("liczby"), default=dict)
    rejected = models.JSONField(_("odrzucone wiersze"), default=list)
    error = models.TextField(_("błąd"), blank=True)

    class Meta:
        verbose_name = _("import pliku")
        verbose_name_plural = _("importy plików")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.filename} ({self.started_at:%Y-%m-%d %H:%M})"


class Reminder(models.Model):
    """A reminder e-mail sent to a unit about a form it has not submitted: logged per unit."""

    unit = models.ForeignKey(ReportingUnit, on_delete=models.CASCADE, related_name="reminders")
    form = models.ForeignKey(StatisticalForm, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("rok sprawozdawczy"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("wysłał"), on_delete=models.PROTECT)
    sent_at = models.DateTimeField(_("wysłano"))
    recipients = models.JSONField(_("adresaci"), default=list)
    outbox_message = models.ForeignKey(
        "helpdesk.OutboxMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("przypomnienie")
        verbose_name_plural = _("przypomnienia")
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["form", "year", "unit"], name="reminder_form_year_unit")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.form_id} {self.year}"


class DirectoryLog(models.Model):
    """Who merged, exported or anonymised what in the directory, and when: appended, never edited."""

    class Kind(models.TextChoices):
        MERGE_UNITS = "merge_units", _("scalenie jednostek")
        MERGE_PEOPLE = "merge_people", _("scalenie osób")
        EXPORT_PERSON = "export_person", _("eksport danych osoby")
        ANONYMISE_PERSON = "anonymise_person", _("anonimizacja osoby")

    kind = models.CharField(_("rodzaj"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("kto"), on_delete=models.PROTECT)
    at = models.DateTimeField(_("kiedy"))
    subject = models.CharField(_("czego dotyczy"), max_length=200)
    reason = models.CharField(_("powód"), max_length=500, blank=True)
    data = models.JSONField(_("szczegóły"), default=dict)

    class Meta:
        verbose_name = _("wpis dziennika katalogu")
        verbose_name_plural = _("dziennik katalogu (scalenia, RODO)")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"
