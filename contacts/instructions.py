"""Where a form's filling instruction is: the link shown beside a form by the public lookup, its API, the agents'
unit panel and the canned status reply.

In this order: the form's `instruction_url` (a page outside the knowledge base, set in the admin, overrides the
rest); its `instruction_article`, when that article is live and public; otherwise the newest live, public, Polish
article of the kind "form instruction" whose forms list the form's code. Drafts, articles under review, archived,
expired and non-public articles are never linked. One query for any number of forms, none when every form has an
external link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from contacts.models import StatisticalForm

# Form → article: the knowledge base answers it (knowledge_base.instructions.article_links), plugged in by its
# AppConfig.ready(). contacts sits below the knowledge base (whose contact form identifies reporting units), so
# it asks through this one hook instead of importing it; without the knowledge base only external links show.
ArticleLinks = Callable[[list[StatisticalForm]], dict[str, str]]
_article_links: ArticleLinks | None = None


def use_article_links(finder: ArticleLinks | None) -> None:
    """Set where forms without an external link find their instruction article (form code → URL)."""
    global _article_links  # one hook, set once at start-up
    _article_links = finder


def instruction_links(forms: Iterable[StatisticalForm]) -> dict[str, str]:
    """Form code → site-relative (or external) URL of its instruction; forms without one are left out."""
    unique = list({form.code: form for form in forms}.values())
    links = {form.code: form.instruction_url for form in unique if form.instruction_url}
    wanted = [form for form in unique if not form.instruction_url]
    if wanted and _article_links is not None:
        links.update(_article_links(wanted))
    return links
