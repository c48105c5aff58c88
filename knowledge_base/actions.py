"""The only write path of the knowledge base. Every function is atomic, keyword-only, takes the acting user
(None for an anonymous visitor of the portal), validates with Polish messages and keeps a version of every
change of an article.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contacts.identifiers import normalize_regon
from contacts.models import ReportingUnit
from helpdesk import access, outbox, polish, public_cache, ratelimit
from helpdesk.filenames import neutral_name
from inbox_ingest.acknowledgements import acknowledgement_allowed, acknowledgement_row
from knowledge_base import extract, postings, render
from knowledge_base.models import (
    Article,
    ArticleAttachment,
    ArticleVersion,
    Category,
    ContactAttempt,
    Feedback,
    Kind,
    MissingArticleFlag,
    RequesterLink,
    SearchEntry,
    SearchLog,
    Status,
    Tag,
    TermForm,
    Visibility,
    new_token,
)
from knowledge_base.permissions import can_edit
from knowledge_base.selectors import token_digest
from tickets import actions as ticket_actions
from tickets import ticket_access
from tickets.models import Attachment, Channel, Entry
from tickets.selectors import final_ticket

MAX_TITLE = 300
MAX_BODY = 400_000
MAX_COMMENT = 2000

# Which state an article may move to from which (editors may also re-publish an archived article's draft).
TRANSITIONS = {
    Status.DRAFT: {Status.REVIEW, Status.PUBLISHED, Status.ARCHIVED},
    Status.REVIEW: {Status.DRAFT, Status.PUBLISHED, Status.ARCHIVED},
    Status.PUBLISHED: {Status.DRAFT, Status.ARCHIVED},
    Status.ARCHIVED: {Status.DRAFT},
}


def _require_editor(actor) -> None:
    """Editors and admins; None is the system itself (the starter-content loader)."""
    if actor is None:
        return
    access.require(can_edit(actor), _("Tylko redaktor bazy wiedzy może zmieniać artykuły."))


def _clean_forms(forms: Iterable[str]) -> list[str]:
    cleaned = []
    for code in forms or ():
        token = polish.form_token(str(code))
        if not token:
            raise ValidationError({"forms": _("„%(code)s” nie jest symbolem formularza (np. MZ-11).") % {"code": code}})
        label = "MZ-" + token[2:].upper()
        if label not in cleaned:
            cleaned.append(label)
    return cleaned


def _unique_slug(title: str, wanted: str = "", exclude: int | None = None) -> str:
    base = slugify(polish.fold(wanted or title))[:180] or "artykul"
    others = Article.objects.exclude(pk=exclude) if exclude is not None else Article.objects.all()
    slug, n = base, 2
    while others.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _validate(article: Article) -> None:
    article.title = " ".join((article.title or "").split())[:MAX_TITLE]
    if not article.title:
        raise ValidationError({"title": _("Tytuł nie może być pusty.")})
    if len(article.body or "") > MAX_BODY:
        raise ValidationError({"body": _("Treść jest za długa (limit %(limit)s znaków).") % {"limit": MAX_BODY}})
    if article.kind not in Kind.values:
        raise ValidationError({"kind": _("Nieznany rodzaj artykułu.")})
    if article.visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Nieznana widoczność.")})
    if article.language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": _("Nieobsługiwany język.")})
    if article.publish_at and article.expire_at and article.expire_at <= article.publish_at:
        raise ValidationError({"expire_at": _("Data wygaśnięcia musi być późniejsza niż data publikacji.")})
    if article.translation_of_id:
        original = Article.objects.filter(pk=article.translation_of_id).first()
        if original is None or original.pk == article.pk or original.language == article.language:
            raise ValidationError({"translation_of": _("Tłumaczenie musi wskazywać artykuł w innym języku.")})


def index_article(article: Article) -> dict[str, str]:
    """Render the Markdown (no save) and return the search tokens per field; extends the vocabulary."""
    rendered = render.render(article.body)
    article.body_html, article.body_text = rendered.html, rendered.text
    attachments = " ".join(a.extracted_text for a in article.attachments.all()) if article.pk else ""
    tags = " ".join(t.name for t in article.tags.all()) if article.pk else ""
    title_source = f"{article.title} {' '.join(article.forms)}"
    headings_source = f"{article.summary} {' '.join(h[2] for h in rendered.headings)} {tags}"
    body_source = f"{rendered.text} {attachments}"
    tokens = {
        "title": polish.index_text(title_source),
        "headings": polish.index_text(headings_source),
        "body": polish.index_text(body_source),
    }
    _extend_vocabulary(f"{title_source} {headings_source} {body_source}", tokens)
    return tokens


ENTRY_COPIES = ("kind", "status", "visibility", "language", "publish_at", "expire_at", "updated_at")


def entry_fields(article: Article) -> dict:
    return {name: getattr(article, name) for name in (*ENTRY_COPIES, "helpful_yes", "helpful_no")}


def _sync_entry(article: Article, tokens: dict[str, str] | None = None) -> None:
    """Keep the article's SearchEntry in step: the live/visibility copies always, the tokens when given; then
    its postings and the index version (knowledge_base.postings), in the same transaction."""
    public_cache.changed(public_cache.STATUS_LOOKUP)  # the status lookup links live form instructions
    if tokens is None:
        SearchEntry.objects.filter(article_id=article.pk).update(**entry_fields(article))
        postings.changed(article.pk)
        return
    old = SearchEntry.objects.filter(article_id=article.pk).values_list("title", "headings", "body").first()
    SearchEntry.objects.update_or_create(article_id=article.pk, defaults={**entry_fields(article), **tokens})
    postings.changed(article.pk, tuple(old) if old else None, (tokens["title"], tokens["headings"], tokens["body"]))


def entry_deleted(sender, instance: SearchEntry, using: str, **kwargs) -> None:
    """post_delete of a SearchEntry (an article deleted, e.g. in the admin): drop it from the postings."""
    public_cache.changed(public_cache.STATUS_LOOKUP)
    postings.changed(instance.article_id, (instance.title, instance.headings, instance.body), None, using=using)


def _extend_vocabulary(source: str, fields: dict[str, str]) -> None:
    """Add the inflected forms of lemmas the vocabulary does not know yet (a lemma is known once its identity
    row lemma → lemma exists), and every index token, so that typo correction can reach it. Lemmas no article
    has any more are pruned again by knowledge_base.postings.apply."""
    postings.lock_writers()  # a concurrent prune (postings.apply) must not remove what we take as known
    tokens = set()
    for field in fields.values():
        tokens.update(field.split())
    known: set[str] = set()
    ordered = sorted(tokens)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        rows = TermForm.objects.filter(form__in=chunk).values_list("form", "lemma")
        known.update(form for form, lemma in rows if form == lemma)
    if tokens - known:
        pairs = {(token, token) for token in tokens - known}
        pairs |= {(form, lemma) for form, lemma in polish.vocabulary_pairs(source) if lemma not in known}
        TermForm.objects.bulk_create(
            [TermForm(form=f, lemma=lem) for f, lem in pairs], batch_size=2000, ignore_conflicts=True
        )


def _save_version(article: Article, actor, note: str) -> ArticleVersion:
    number = (article.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    return ArticleVersion.objects.create(
        article=article,
        number=number,
        title=article.title,
        summary=article.summary,
        body=article.body,
        status=article.status,
        note=note[:300],
        author=actor,
    )


@transaction.atomic
@dataclass(frozen=True, kw_only=True)
class ArticleDraft:
    """What an editor writes of a new article: everything but its address, labels, status and history."""

    title: str
    body: str = ""
    kind: str = Kind.FAQ
    summary: str = ""
    category: Category | None = None
    forms: Sequence[str] = ()
    reporting_year: int | None = None
    visibility: str = Visibility.PUBLIC
    language: str = "pl"
    translation_of: Article | None = None
    publish_at: dt.datetime | None = None
    expire_at: dt.datetime | None = None


def create_article(*, actor, draft: ArticleDraft, tags: Sequence[Tag] = (), slug: str = "", note: str = "") -> Article:
    """A new article, always a draft: publishing is a separate step (change_status)."""
    _require_editor(actor)
    article = Article(
        kind=draft.kind,
        title=draft.title,
        body=draft.body or "",
        summary=(draft.summary or "")[:500],
        category=draft.category,
        forms=_clean_forms(draft.forms),
        reporting_year=draft.reporting_year,
        visibility=draft.visibility,
        language=draft.language,
        translation_of=draft.translation_of,
        publish_at=draft.publish_at,
        expire_at=draft.expire_at,
        created_by=actor,
        status=Status.DRAFT,
    )
    _validate(article)
    article.slug = _unique_slug(article.title, slug)
    tokens = index_article(article)
    article.save()
    if tags:
        article.tags.set(tags)
        tokens = index_article(article)
    _sync_entry(article, tokens)
    _save_version(article, actor, note or _("Utworzenie artykułu"))
    return article


EDITABLE = (
    "title",
    "body",
    "kind",
    "summary",
    "category",
    "forms",
    "reporting_year",
    "visibility",
    "language",
    "translation_of",
    "publish_at",
    "expire_at",
)


@transaction.atomic
def update_article(*, actor, article: Article, note: str = "", tags: Sequence[Tag] | None = None, **changes) -> Article:
    """Change any of EDITABLE; a new version is kept whenever something changed."""
    _require_editor(actor)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("Nieznane pola: %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    article = Article.objects.select_for_update().get(pk=article.pk)
    if "forms" in changes:
        changes["forms"] = _clean_forms(changes["forms"])
    changed = [name for name, value in changes.items() if getattr(article, name) != value]
    for name in changed:
        value = changes[name]
        setattr(article, name, "" if value is None and name in ("body", "summary") else value)
    tags_changed = tags is not None and {t.pk for t in tags} != set(article.tags.values_list("pk", flat=True))
    if not changed and not tags_changed:
        return article
    _validate(article)
    if tags is not None and tags_changed:
        article.tags.set(tags)
    article.updated_at = timezone.now()
    tokens = index_article(article)
    article.save()
    _sync_entry(article, tokens)
    _save_version(article, actor, note or _("Zmiana: %(fields)s") % {"fields": ", ".join(changed) or "tags"})
    return article


@transaction.atomic
def change_status(
    *, actor, article: Article, status: str, publish_at: dt.datetime | None = None, note: str = ""
) -> Article:
    """Move an article through draft → review → published → archived (see TRANSITIONS)."""
    _require_editor(actor)
    article = Article.objects.select_for_update().get(pk=article.pk)
    if status not in Status.values:
        raise ValidationError({"status": _("Nieznany stan artykułu.")})
    if status == article.status:
        return article
    if status not in TRANSITIONS[Status(article.status)]:
        raise ValidationError(
            {
                "status": _("Artykułu w stanie „%(old)s” nie można przenieść do stanu „%(new)s”.")
                % {"old": Status(article.status).label, "new": Status(status).label}
            }
        )
    now = timezone.now()
    fields = ["status", "updated_at"]
    article.status, article.updated_at = status, now
    if status == Status.PUBLISHED:
        if not (article.body or "").strip():
            raise ValidationError({"body": _("Nie można opublikować artykułu bez treści.")})
        if publish_at is not None:
            article.publish_at = publish_at
            fields.append("publish_at")
        if article.expire_at and article.expire_at <= (article.publish_at or now):
            raise ValidationError({"expire_at": _("Data wygaśnięcia musi być późniejsza niż data publikacji.")})
        article.published_at = max(now, article.publish_at or now)
        fields.append("published_at")
    article.save(update_fields=fields)
    _sync_entry(article)
    _save_version(article, actor, note or _("Stan: %(status)s") % {"status": Status(status).label})
    return article


@transaction.atomic
def restore_version(*, actor, article: Article, version: ArticleVersion) -> Article:
    if version.article_id != article.pk:
        raise ValidationError(_("Ta wersja należy do innego artykułu."))
    return update_article(
        actor=actor,
        article=article,
        title=version.title,
        summary=version.summary,
        body=version.body,
        note=_("Przywrócenie wersji %(number)s") % {"number": version.number},
    )


@transaction.atomic
def add_attachment(
    *, actor, article: Article, filename: str, content: bytes, content_type: str = ""
) -> ArticleAttachment:
    """Attach a file; the text of a PDF/DOCX/TXT is extracted and indexed with the article."""
    _require_editor(actor)
    filename = neutral_name(filename or "").strip().replace("/", "_").replace("\\", "_")[:255]
    if not filename:
        raise ValidationError({"file": _("Plik musi mieć nazwę.")})
    if len(content) > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            {"file": _("Plik jest za duży (limit %(limit)s B).") % {"limit": settings.ATTACHMENT_MAX_BYTES}}
        )
    text = extract.extract_text(filename, content, content_type)
    stored_type = extract.stored_type(extract.kind_of(filename, content_type), content)
    assert stored_type is not None  # extract_text has refused an image whose content proves no type
    article = Article.objects.select_for_update().get(pk=article.pk)
    attachment = ArticleAttachment(
        article=article,
        filename=filename,
        content_type=stored_type,
        size=len(content),
        extracted_text=text,
        uploaded_by=actor,
    )
    digest = hashlib.sha256(content).hexdigest()
    attachment.content.save(f"{digest}-{filename}", ContentFile(content), save=False)
    attachment.save()
    tokens = index_article(article)
    article.updated_at = timezone.now()
    article.save()
    _sync_entry(article, tokens)
    _save_version(article, actor, _("Załącznik: %(name)s") % {"name": filename})
    return attachment


@transaction.atomic
def save_tag(*, actor, tag: Tag) -> Tag:
    """Create or rename a tag (the admin); tag names are searchable, so its articles are indexed again."""
    _require_editor(actor)
    tag.name = " ".join((tag.name or "").split())[:100]
    if not tag.name:
        raise ValidationError({"name": _("Nazwa etykiety nie może być pusta.")})
    tag.slug = tag.slug or slugify(polish.fold(tag.name))[:80]
    tag.save()
    for article in Article.objects.select_for_update().filter(tags=tag):
        tokens = index_article(article)
        Article.objects.filter(pk=article.pk).update(body_html=article.body_html, body_text=article.body_text)
        _sync_entry(article, tokens)
    return tag


# --- the portal's records -------------------------------------------------------------------------------------


@transaction.atomic
def record_feedback(*, article: Article, helpful: bool, comment: str = "") -> Feedback:
    """A visitor's answer to "was this helpful?"; counters on the article feed the ranking's tie-break."""
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError(
            {
                "comment": ngettext(
                    "Komentarz może mieć najwyżej %(n)s znak.",
                    "Komentarz może mieć najwyżej %(n)s znaków.",
                    MAX_COMMENT,
                )
                % {"n": MAX_COMMENT}
            }
        )
    feedback = Feedback.objects.create(article=article, helpful=bool(helpful), comment=comment)
    counter = "helpful_yes" if helpful else "helpful_no"
    Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    SearchEntry.objects.filter(article_id=article.pk).update(**{counter: F(counter) + 1})
    postings.changed(article.pk)  # the counters break ties in the ranking
    return feedback


def record_search(*, query, source: str, results: int) -> SearchLog | None:
    if not query.raw.strip():
        return None
    return SearchLog.objects.create(
        query=query.raw.strip()[:200], normalized=query.normalized[:200], source=source, results=results
    )


def record_suggestions(*, token: str, suggested: Sequence[int], client_address: str) -> ContactAttempt | None:
    """The contact form suggested articles to a visitor (deflection statistics). Called only from the form's own
    POST (with its CSRF token): visits and guessed tokens record nothing. A new visit is recorded at most
    KB_CONTACT_ATTEMPTS_PER_HOUR times per client address and hour; beyond that suggestions are still shown."""
    if not token or len(token) > 40 or not suggested:
        return None
    attempt = ContactAttempt.objects.filter(token=token).first()
    if attempt is None:
        if not ratelimit.allow(
            "kb-contact-attempt", client_address, limit=settings.KB_CONTACT_ATTEMPTS_PER_HOUR, window_seconds=3600
        ):
            return None
        attempt, _created = ContactAttempt.objects.get_or_create(token=token)
    attempt.suggested = sorted({*attempt.suggested, *suggested})[:50]
    attempt.updated_at = timezone.now()
    attempt.save(update_fields=["suggested", "updated_at"])
    return attempt


def record_opened_article(*, token: str, article: Article) -> bool:
    """A visitor opened an article the contact form suggested to them (its link carries `?z=<token>`). Only
    updates a visit the form recorded, and only for an article it suggested: never creates a row."""
    if not token or len(token) > 40:
        return False
    attempt = ContactAttempt.objects.filter(token=token).first()
    if attempt is None or article.pk not in attempt.suggested:
        return False
    attempt.opened_article, attempt.updated_at = article, timezone.now()
    attempt.save(update_fields=["opened_article", "updated_at"])
    return True


@transaction.atomic
def flag_missing_article(*, actor, ticket, note: str = "") -> MissingArticleFlag:
    ticket_access.require_work_in(actor, ticket.queue)
    return MissingArticleFlag.objects.create(ticket=ticket, flagged_by=actor, note=(note or "").strip()[:500])


# --- the contact form and the requester's private link -----------------------------------------------------------


def _ack_body(ticket, link_url: str) -> str:
    return _(
        "Dzień dobry,\n\nprzyjęliśmy Twoje zgłoszenie %(reference)s: „%(subject)s”.\n"
        "Odpowiemy w dni robocze w godzinach 8:00–16:00.\n\n"
        "Pod tym prywatnym adresem sprawdzisz stan zgłoszenia i dopiszesz odpowiedź bez zakładania konta:\n"
        "%(link)s\n\nNie przekazuj tego adresu innym osobom.\n\nPomoc SSOZ"
    ) % {"reference": ticket.reference, "subject": ticket.subject, "link": link_url}


@transaction.atomic
def submit_contact_form(
    *,
    name: str,
    email: str,
    subject: str,
    body: str,
    regon: str = "",
    attachments: Sequence = (),
    attempt_token: str = "",
):
    """Open a web-channel ticket from the portal's contact form, send the acknowledgement with a private link.

    Returns (ticket, token); the token is shown once in the e-mail and never stored (only its SHA-256). The
    token is None when the acknowledgement loop guard held it back (too many to the address lately).

    Sent once: the form carries a token made when the page was rendered (`attempt_token`). The same page sent
    again with the same content — the person pressing the button again after an error page although the first
    sending had been saved (the database going away right after the commit, a web process killed before it
    answered) — opens no second ticket: the first one is returned, with `ticket.repeated` set and token None
    (the acknowledgement went out the first time). Sent at the same moment twice, the second waits for the
    first (the attempt's row is locked). Other content under the same token is a new ticket."""
    errors = {}
    name, email = " ".join((name or "").split())[:200], (email or "").strip().lower()
    if not name:
        errors["name"] = _("Podaj imię i nazwisko.")
    if not email or "@" not in email:
        errors["email"] = _("Podaj adres e-mail, na który odpowiemy.")
    if not (body or "").strip():
        errors["body"] = _("Opisz sprawę.")
    unit = None
    if (regon or "").strip():
        try:
            normalized = normalize_regon(regon)
        except ValidationError as exc:
            errors["regon"] = " ".join(exc.messages)
        else:
            unit = ReportingUnit.objects.filter(regon=normalized).first()
            if unit is None and len(normalized) == 14:
                unit = ReportingUnit.objects.filter(regon=normalized[:9]).first()
            regon = normalized
    if errors:
        raise ValidationError(errors)
    text = body.strip()
    if regon:
        text += "\n\n" + _("REGON jednostki: %(regon)s") % {"regon": regon}
    attempt, digest = None, contact_digest(name, email, subject, text, attachments)
    if attempt_token:
        attempt = _locked_attempt(attempt_token[:40])
        if attempt.ticket is not None and attempt.sent_digest == digest:
            ticket = attempt.ticket
            ticket.repeated = True
            return ticket, None
    request = ticket_actions.NewTicket(
        channel=Channel.WEB,
        subject=subject,
        message=ticket_actions.Message(text=text, attachments=tuple(attachments)),
        requester=ticket_actions.Requester(name=name, email=email, unit=unit),
    )
    (ticket,) = ticket_actions.open_tickets([request], actor=None)
    token = None
    # the one loop guard of every acknowledgement (inbox_ingest): a form sent again and again, with someone
    # else's address, must not flood that mailbox; the ticket is opened all the same
    if acknowledgement_allowed(email):
        token = new_token()
        RequesterLink.objects.create(ticket=ticket, token_sha256=token_digest(token), email=email)
        from django.urls import reverse

        link_url = settings.SITE_URL + reverse("kb:requester_ticket", kwargs={"token": token})
        sent, headers = acknowledgement_row(ticket, email)
        outbox.enqueue_email(
            to=[email],
            subject=_("[%(reference)s] Przyjęliśmy zgłoszenie") % {"reference": ticket.reference},
            body=_ack_body(ticket, link_url),
            headers=headers,
            secrets=[token],
        )
        sent.save(force_insert=True)
    if attempt is not None:
        attempt.ticket, attempt.sent_digest, attempt.ticket_sent = ticket, digest, True
        attempt.updated_at = timezone.now()
        attempt.save(update_fields=["ticket", "sent_digest", "ticket_sent", "updated_at"])
    ticket.repeated = False
    return ticket, token


def contact_digest(name: str, email: str, subject: str, text: str, attachments: Sequence) -> str:
    """What a contact form asks for (its fields and files), as a SHA-256: only the same content is a repeat."""
    digest = hashlib.sha256()
    for part in (name, email, subject or "", text):
        digest.update(part.encode() + b"\0")
    for item in attachments:
        digest.update(item.filename.encode() + b"\0" + hashlib.sha256(item.content).digest())
    return digest.hexdigest()


def _locked_attempt(token: str) -> ContactAttempt:
    """The attempt row of `token` (made if the page was never shown suggestions), locked until the commit."""
    try:
        with transaction.atomic():
            ContactAttempt.objects.get_or_create(token=token)
    except IntegrityError:  # made at the same moment by the same form sent twice: it is there now
        pass
    # the ticket is read after the lock, in a query of its own: a row lock waited for gives the row as the other
    # transaction committed it, but a join in the same statement still sees the ticket as it was when the
    # statement began (none yet), so the form sent twice at once opened two tickets
    return ContactAttempt.objects.select_for_update().get(token=token)


@transaction.atomic
def _check_requester_files(link, attachments: Sequence) -> None:
    """What a private link may bring: at most REQUESTER_FILES_PER_REPLY files of REQUESTER_BYTES_PER_REPLY in all
    per reply, and REQUESTER_BYTES_PER_TICKET in all through the links of one ticket (so a leaked or abused link
    cannot fill the attachment storage). Refused as a whole, before anything is written."""
    from django.db.models import Sum

    count, size = len(attachments), sum(len(item.content) for item in attachments)
    if count > settings.REQUESTER_FILES_PER_REPLY:
        raise ValidationError(
            {"attachments": ngettext(
                "Do jednej odpowiedzi można dołączyć najwyżej %(limit)s plik (wybrano %(count)s).",
                "Do jednej odpowiedzi można dołączyć najwyżej %(limit)s plików (wybrano %(count)s).",
                settings.REQUESTER_FILES_PER_REPLY,
            ) % {"limit": settings.REQUESTER_FILES_PER_REPLY, "count": count}}
        )  # fmt: skip
    if size > settings.REQUESTER_BYTES_PER_REPLY:
        raise ValidationError(
            {"attachments": _("Pliki jednej odpowiedzi mogą mieć razem najwyżej %(limit)s MB.")
             % {"limit": settings.REQUESTER_BYTES_PER_REPLY // (1024 * 1024)}}
        )  # fmt: skip
    if not count:
        return
    # files that came through the site (the contact form and the links: no Message-ID), on the ticket the
    # conversation is in now (after a merge, the target's)
    ticket = final_ticket(link.ticket)
    received = (
        Attachment.objects.filter(entry__ticket=ticket, entry__kind=Entry.Kind.INBOUND, entry__message_id="").aggregate(
            total=Sum("file__size")
        )["total"]
        or 0
    )
    if received + size > settings.REQUESTER_BYTES_PER_TICKET:
        raise ValidationError(
            {"attachments": _("To zgłoszenie ma już tyle załączników, ile można przesłać przez stronę zgłoszenia. "
                              "Opisz sprawę w treści albo wyślij pliki e-mailem.")}
        )  # fmt: skip


def requester_reply(*, link, body: str, attachments: Sequence = ()):
    """The requester answers through the private link: an inbound entry, as if they had e-mailed."""
    if not (body or "").strip() and not attachments:
        raise ValidationError({"body": _("Wpisz treść odpowiedzi.")})
    _check_requester_files(link, attachments)
    request = ticket_actions.NewEntry(
        ticket=link.ticket,
        kind=Entry.Kind.INBOUND,
        message=ticket_actions.Message(text=(body or "").strip(), attachments=tuple(attachments)),
        sender=ticket_actions.Sender(name=link.ticket.requester_name, email=link.email),
    )
    (entry,) = ticket_actions.add_entries([request], actor=None)
    link.last_used_at = timezone.now()
    link.save(update_fields=["last_used_at"])
    return entry
