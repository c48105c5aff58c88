"""Reading the knowledge base: every fetch starts from `articles_for_user`, so visibility cannot be forgotten."""

from __future__ import annotations

import difflib
import hashlib
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from helpdesk import access
from knowledge_base import render, search
from knowledge_base.models import (
    Article,
    ArticleAttachment,
    ArticleQuerySet,
    ArticleVersion,
    Category,
    ContactAttempt,
    Kind,
    RequesterLink,
    SearchLog,
)
from knowledge_base.permissions import can_edit
from knowledge_base.search import visibilities_for
from tickets.models import Entry
from tickets.selectors import final_ticket

CATEGORIES = "kb-categories"  # helpdesk.public_cache: categories are edited in the admin, outside the index


def articles_for_user(user) -> ArticleQuerySet:
    """Live articles `user` may read; editors also see drafts, reviews and archived ones."""
    if can_edit(user):
        return Article.objects.all()
    return Article.objects.live().filter(visibility__in=visibilities_for(user))


def article_for_user(user, slug: str) -> Article:
    article = (
        articles_for_user(user)
        .select_related("category", "translation_of")
        .prefetch_related("attachments")  # what the article page shows (not its tags)
        .filter(slug=slug)
        .first()
    )
    if article is None:
        raise access.not_found()
    return article


def article_by_id_for_user(user, article_id: int) -> Article:
    article = articles_for_user(user).filter(pk=article_id).first()
    if article is None:
        raise access.not_found()
    return article


def related_for_user(user, article: Article) -> list[Article]:
    visible = articles_for_user(user).exclude(pk=article.pk)
    return list(visible.filter(related=article).order_by("title")[:10])


def translations_for_user(user, article: Article) -> list[Article]:
    """The same article in other languages (linked either way)."""
    root = article.translation_of_id or article.pk
    visible = articles_for_user(user).exclude(pk=article.pk)
    return list(visible.filter(Q(pk=root) | Q(translation_of_id=root)).order_by("language"))


def attachment_for_user(user, attachment_id: int) -> ArticleAttachment:
    attachment = (
        ArticleAttachment.objects.filter(pk=attachment_id, article__in=articles_for_user(user))
        .select_related("article")
        .first()
    )
    if attachment is None:
        raise access.not_found()
    return attachment


def announcements(user, language: str = "pl") -> list[Article]:
    return list(
        articles_for_user(user)
        .live()
        .filter(kind=Kind.ANNOUNCEMENT, language=language)
        .order_by("-published_at", "-pk")[:5]
    )


def categories_with_counts(user, language: str = "pl") -> list[Category]:
    live = articles_for_user(user).live().filter(language=language)
    return list(Category.objects.annotate(count=Count("articles", filter=Q(articles__in=live))).filter(count__gt=0))


def category_articles(user, category: Category, language: str = "pl") -> QuerySet[Article]:
    return articles_for_user(user).live().filter(category=category, language=language).order_by("kind", "title")


def popular_articles(user, language: str = "pl", limit: int = 8) -> list[Article]:
    live = articles_for_user(user).live().filter(language=language).exclude(kind=Kind.ANNOUNCEMENT)
    return list(live.order_by("-helpful_yes", "title")[:limit])


def home_page(user, language: str = "pl") -> dict:
    """What the front page shows, from the public cache at the current index version (editors, who also see
    drafts, get it computed)."""

    def compute() -> dict:
        return {
            "announcements": announcements(user, language),
            "categories": categories_with_counts(user, language),
            "popular": popular_articles(user, language),
        }

    if can_edit(user):
        return compute()
    parts = ("kb-home", sorted(visibilities_for(user)), language)
    return search.at_index_version(parts, compute, versions=[CATEGORIES])


def article_page(user, slug: str) -> dict:
    """The article `slug` as its page shows it (with related articles, translations and, for a manual, the table
    of contents), from the public cache at the current index version; 404 when `user` may not read it."""

    def compute() -> dict:
        article = article_for_user(user, slug)
        return {
            "article": article,
            "toc": render.render(article.body).headings if article.kind == Kind.MANUAL else [],
            "related": related_for_user(user, article),
            "translations": translations_for_user(user, article),
        }

    if can_edit(user):
        return compute()
    parts = ("kb-article", sorted(visibilities_for(user)), slug)
    return search.at_index_version(parts, compute, versions=[CATEGORIES])


# --- versions -------------------------------------------------------------------------------------------------


def versions(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("author").order_by("-number")


def diff(older: ArticleVersion, newer: ArticleVersion) -> list[str]:
    """A unified diff of title and body between two versions, line by line."""
    before = [f"# {older.title}", *older.body.splitlines()]
    after = [f"# {newer.title}", *newer.body.splitlines()]
    return list(difflib.unified_diff(before, after, f"v{older.number}", f"v{newer.number}", lineterm="", n=2))


# --- the requester's private link -----------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def requester_link(token: str) -> RequesterLink:
    """The link for `token`, or 404 when unknown or expired (KB_REQUESTER_LINK_DAYS after resolving or closing)."""
    if not token or len(token) > 100:
        raise access.not_found()
    link = RequesterLink.objects.select_related("ticket").filter(token_sha256=token_digest(token)).first()
    if link is None or link_expired(link):
        raise access.not_found()
    return link


def link_expired(link: RequesterLink, now=None) -> bool:
    ticket = final_ticket(link.ticket)  # a merged ticket's link lives as long as the ticket it went to
    # counted from when the matter ended: resolved (closed later by itself, tickets.actions.close_resolved_tickets)
    # or closed without resolving; reopening clears both
    ended = min((moment for moment in (ticket.resolved_at, ticket.closed_at) if moment is not None), default=None)
    if ended is None:
        return False
    return (now or timezone.now()) > ended + timedelta(days=settings.KB_REQUESTER_LINK_DAYS)


def link_may_see(link: RequesterLink, entry) -> bool:
    """The one rule of what a private link shows (page and file downloads alike): what its requester wrote and
    the replies sent to them. The link belongs to the address it was issued to (`link.email`, the ticket's
    requester then), not to whoever the ticket's requester is now: a ticket may hold other people's mail (a merge
    moves a duplicate's conversation, with its staff replies and files, into the target), never shown here."""
    from email.utils import getaddresses

    email = (link.email or "").strip().lower()
    if not email:
        return False
    if entry.kind == Entry.Kind.INBOUND:
        return (entry.sender_email or "").strip().lower() == email
    if entry.kind == Entry.Kind.OUTBOUND:
        addressed = getaddresses([str(a) for a in list(entry.to or []) + list(entry.cc or [])])
        return email in {address.strip().lower() for _name, address in addressed}
    return False  # internal notes and phone calls never


def requester_entries(link: RequesterLink) -> list:
    """The entries the link may see (`link_may_see`), in the conversation's order. After a merge the
    conversation lives in the ticket it went to."""
    ticket = final_ticket(link.ticket)
    entries = (
        ticket.entries.filter(kind__in=(Entry.Kind.INBOUND, Entry.Kind.OUTBOUND))
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    return [entry for entry in entries if link_may_see(link, entry)]


def requester_attachment(link: RequesterLink, attachment_id: int):
    """An attachment of an entry the link may see, or None."""
    for entry in requester_entries(link):
        for item in entry.attachments.all():
            if item.pk == attachment_id:
                return item
    return None


# --- analytics for editors ------------------------------------------------------------------------------------


def analytics(days: int = 30) -> dict:
    since = timezone.now() - timedelta(days=days)
    searches = SearchLog.objects.filter(created_at__gte=since)
    attempts = ContactAttempt.objects.filter(created_at__gte=since)
    shown = attempts.exclude(suggested=[]).count()
    sent_anyway = attempts.exclude(suggested=[]).filter(ticket_sent=True).count()
    return {
        "days": days,
        "top": list(searches.values("normalized").annotate(n=Count("id")).order_by("-n", "normalized")[:20]),
        "empty": list(
            searches.filter(results=0).values("normalized").annotate(n=Count("id")).order_by("-n", "normalized")[:20]
        ),
        "helpfulness": list(
            Article.objects.filter(Q(helpful_yes__gt=0) | Q(helpful_no__gt=0)).order_by("helpful_yes", "-helpful_no")[
                :30
            ]
        ),
        "searches": searches.count(),
        "contact_with_suggestions": shown,
        "contact_sent_anyway": sent_anyway,
        "deflection_rate": (1 - sent_anyway / shown) if shown else None,
    }
