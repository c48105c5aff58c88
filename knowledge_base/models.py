"""Knowledge base: articles (manuals, FAQ, form instructions, announcements), their versions and the search
index columns, plus what the public portal records (feedback, searches, contact-form deflection, private
ticket links).

Writes go through knowledge_base.actions only. Search reads a narrow companion table, SearchEntry (one row per
article): the text already normalised in Python (helpdesk.polish: lemmas without diacritics) plus copies of
the columns that decide whether an article is live and visible. Search matches on its own postings
(knowledge_base.postings), the same on both databases; no database full-text index is kept (migration 0006).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.filenames import FileNameField


class Kind(models.TextChoices):
    MANUAL = "manual", _("instrukcja użytkownika")
    FAQ = "faq", _("pytanie i odpowiedź")
    FORM = "form", _("instrukcja formularza")
    ANNOUNCEMENT = "announcement", _("komunikat")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("publiczny")
    STAFF = "staff", _("agenci i administratorzy wojewódzcy")
    INTERNAL = "internal", _("wewnętrzny (tylko agenci)")


class Status(models.TextChoices):
    DRAFT = "draft", _("szkic")
    REVIEW = "review", _("do przeglądu")
    PUBLISHED = "published", _("opublikowany")
    ARCHIVED = "archived", _("zarchiwizowany")


class Category(models.Model):
    slug = models.SlugField(_("identyfikator"), max_length=80, unique=True)
    name = models.CharField(_("nazwa"), max_length=200)
    description = models.TextField(_("opis"), blank=True)
    position = models.PositiveIntegerField(_("kolejność"), default=0)

    class Meta:
        verbose_name = _("kategoria artykułów")
        verbose_name_plural = _("kategorie artykułów")
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    slug = models.SlugField(_("identyfikator"), max_length=80, unique=True)
    name = models.CharField(_("nazwa"), max_length=100)

    class Meta:
        verbose_name = _("etykieta")
        verbose_name_plural = _("etykiety")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleQuerySet(models.QuerySet["Article"]):
    def live(self, now: datetime | None = None) -> Self:
        """Published, past its scheduled publication and not expired."""
        now = now or timezone.now()
        return self.filter(
            Q(publish_at__isnull=True) | Q(publish_at__lte=now),
            Q(expire_at__isnull=True) | Q(expire_at__gt=now),
            status=Status.PUBLISHED,
        )


class Article(models.Model):
    kind = models.CharField(_("rodzaj"), max_length=20, choices=Kind.choices, default=Kind.FAQ)
    title = models.CharField(_("tytuł"), max_length=300)
    slug = models.SlugField(_("adres"), max_length=200, unique=True)
    summary = models.CharField(_("streszczenie"), max_length=500, blank=True)
    body = models.TextField(_("treść (Markdown)"), blank=True)
    body_html = models.TextField(_("treść HTML (oczyszczona)"), blank=True, editable=False)
    body_text = models.TextField(_("treść jako tekst"), blank=True, editable=False)
    category = models.ForeignKey(
        Category, verbose_name=_("kategoria"), on_delete=models.PROTECT, null=True, blank=True, related_name="articles"
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("etykiety"), blank=True, related_name="articles")
    related = models.ManyToManyField("self", verbose_name=_("powiązane artykuły"), blank=True, symmetrical=True)
    forms = models.JSONField(_("formularze"), default=list, blank=True, help_text=_("Symbole, np. MZ-11."))
    reporting_year = models.PositiveIntegerField(_("rok sprawozdawczy"), null=True, blank=True)
    visibility = models.CharField(_("widoczność"), max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    status = models.CharField(_("stan"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    language = models.CharField(_("język"), max_length=5, choices=settings.LANGUAGES, default="pl")
    translation_of = models.ForeignKey(
        "self",
        verbose_name=_("tłumaczenie artykułu"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="translations",
    )
    publish_at = models.DateTimeField(_("publikacja od"), null=True, blank=True)
    expire_at = models.DateTimeField(_("ważny do"), null=True, blank=True)
    published_at = models.DateTimeField(_("opublikowany"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("utworzony"), default=timezone.now)
    updated_at = models.DateTimeField(_("zmieniony"), default=timezone.now)
    helpful_yes = models.PositiveIntegerField(_("pomocny"), default=0)
    helpful_no = models.PositiveIntegerField(_("niepomocny"), default=0)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = _("artykuł")
        verbose_name_plural = _("artykuły")
        ordering = ["title"]
        indexes = [models.Index(fields=["status", "visibility", "language"], name="kb_article_live")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("kb:article", kwargs={"slug": self.slug})

    @property
    def helpfulness(self) -> float:
        """Share of "yes" votes with a prior of one vote each way, so one vote does not decide."""
        return (self.helpful_yes + 1) / (self.helpful_yes + self.helpful_no + 2)

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == Status.PUBLISHED
            and (self.publish_at is None or self.publish_at <= now)
            and (self.expire_at is None or self.expire_at > now)
        )


class SearchEntry(models.Model):
    """What search reads: an article's normalised tokens per field and copies of the columns that decide whether
    it is live and visible, in a narrow row (the article's own row carries the long texts). Kept in step by
    knowledge_base.actions, with the postings built from its tokens (knowledge_base.postings)."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, primary_key=True, related_name="search_entry")
    kind = models.CharField(max_length=20)
    status = models.CharField(max_length=10)
    visibility = models.CharField(max_length=10)
    language = models.CharField(max_length=5)
    publish_at = models.DateTimeField(null=True)
    expire_at = models.DateTimeField(null=True)
    updated_at = models.DateTimeField()
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)
    title = models.TextField(blank=True)
    headings = models.TextField(blank=True)
    body = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "language", "visibility"], name="kb_entry_live")]

    def __str__(self) -> str:
        return str(self.article_id)


class Posting(models.Model):
    """One index token: which articles have it in the title, the headings, the body (compressed bitmaps; see
    knowledge_base.postings). Maintained by knowledge_base.actions with the SearchEntry rows."""

    token = models.CharField(max_length=100, primary_key=True)
    title = models.BinaryField(default=b"")
    headings = models.BinaryField(default=b"")
    body = models.BinaryField(default=b"")
    version = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return self.token


class IndexState(models.Model):
    """The single row (id 1) holding the search index's version; bumped by every change of the index."""

    version = models.BigIntegerField(default=0)
    stamp = models.CharField(max_length=16, default="")

    def __str__(self) -> str:
        return f"{self.version}"


class IndexChange(models.Model):
    """The log of index versions: which article changed (NULL: everything) and the version's random stamp."""

    version = models.BigIntegerField(primary_key=True)
    stamp = models.CharField(max_length=16)
    article_id = models.BigIntegerField(null=True)

    def __str__(self) -> str:
        return f"{self.version}: {self.article_id}"


class ArticleVersion(models.Model):
    """Every saved change of an article, kept forever: who, when, and the content as it was."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("wersja"))
    title = models.CharField(_("tytuł"), max_length=300)
    summary = models.CharField(_("streszczenie"), max_length=500, blank=True)
    body = models.TextField(_("treść (Markdown)"), blank=True)
    status = models.CharField(_("stan"), max_length=10, choices=Status.choices)
    note = models.CharField(_("opis zmiany"), max_length=300, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(_("kiedy"), default=timezone.now)

    class Meta:
        verbose_name = _("wersja artykułu")
        verbose_name_plural = _("wersje artykułów")
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="kb_unique_version_number")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleAttachment(models.Model):
    """A file attached to an article (e.g. the original PDF/DOCX of a manual); its text is searchable."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    filename = FileNameField(_("nazwa pliku"), max_length=255)
    content_type = models.CharField(_("typ"), max_length=200)
    size = models.PositiveBigIntegerField(_("rozmiar"))
    content = models.FileField(upload_to="kb/%Y/%m/")
    extracted_text = models.TextField(_("tekst wyodrębniony"), blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("załącznik artykułu")
        verbose_name_plural = _("załączniki artykułów")
        ordering = ["article", "filename"]

    def __str__(self) -> str:
        return self.filename


class TermForm(models.Model):
    """A word form (lower case, without diacritics) and a lemma it may belong to.

    Filled from Morfeusz's generator for every lemma in the index, so that "hasla" or "sprawozdan" typed
    without diacritics find "hasło" and "sprawozdanie"; also the vocabulary for typo correction.
    """

    form = models.CharField(max_length=100)
    lemma = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form", "lemma"], name="kb_unique_term_form")]
        indexes = [models.Index(fields=["form"], name="kb_termform_form")]

    def __str__(self) -> str:
        return f"{self.form} → {self.lemma}"


class Feedback(models.Model):
    """A "was this helpful?" answer from the portal."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField(_("pomocny"))
    comment = models.TextField(_("komentarz"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("ocena artykułu")
        verbose_name_plural = _("oceny artykułów")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'}"


class SearchLog(models.Model):
    """One search: what was asked, where, and how many results came back (analytics for editors)."""

    class Source(models.TextChoices):
        PORTAL = "portal", _("portal")
        CONTACT = "contact", _("formularz kontaktowy")
        AGENT = "agent", _("zgłoszenie (agent)")
        API = "api", _("API")

    query = models.CharField(_("zapytanie"), max_length=200)
    normalized = models.CharField(_("zapytanie znormalizowane"), max_length=200, db_index=True)
    source = models.CharField(_("skąd"), max_length=10, choices=Source.choices)
    results = models.PositiveIntegerField(_("wyników"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("wyszukiwanie")
        verbose_name_plural = _("wyszukiwania")

    def __str__(self) -> str:
        return self.query


class ContactAttempt(models.Model):
    """A visit to the contact form that was shown suggestions: was the form sent anyway (deflection)?"""

    token = models.CharField(max_length=40, unique=True)
    suggested = models.JSONField(default=list, blank=True)
    opened_article = models.ForeignKey(Article, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    ticket_sent = models.BooleanField(default=False)
    # the ticket the form opened and what it was sent with (actions.contact_digest): the same form sent again
    # with the same content (a retry after an error page) is answered with this ticket, not a second one
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    sent_digest = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("wizyta w formularzu kontaktowym")
        verbose_name_plural = _("wizyty w formularzu kontaktowym")

    def __str__(self) -> str:
        return self.token


def new_token() -> str:
    return secrets.token_urlsafe(32)


class RequesterLink(models.Model):
    """The private link sent to the person who wrote through the portal: they follow and answer the ticket
    without an account. Only the SHA-256 of the token is stored; the link stops working
    `KB_REQUESTER_LINK_DAYS` after the ticket is closed."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="requester_link")
    token_sha256 = models.CharField(max_length=64, unique=True)
    email = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("prywatny link zgłaszającego")
        verbose_name_plural = _("prywatne linki zgłaszających")

    def __str__(self) -> str:
        return f"{self.ticket_id}"


class MissingArticleFlag(models.Model):
    """An agent's note that the knowledge base lacks an answer for a ticket's question."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    flagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    note = models.CharField(_("czego brakuje"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved = models.BooleanField(_("załatwione"), default=False)

    class Meta:
        verbose_name = _("brakujący artykuł")
        verbose_name_plural = _("brakujące artykuły")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.note}"
