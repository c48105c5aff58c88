"""Where a form's filling instruction is: the link shown beside a form by the public lookup, its API, the agents'
unit panel and the canned status reply.

In this order: the form's `instruction_url` (a page outside the knowledge base, set in the admin, overrides the
rest); its `instruction_article`, when that article is live and public; otherwise the newest live, public, Polish
article of the kind "form instruction" whose forms list the form's code. Drafts, articles under review, archived,
expired and non-public articles are never linked. One query for any number of forms, none when every form has an
external link.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Q
from django.urls import reverse

from contacts.models import StatisticalForm
from contacts.submissions import normalize_form_code
from knowledge_base.models import Article, Kind, Visibility

LANGUAGE = "pl"


def instruction_links(forms: Iterable[StatisticalForm]) -> dict[str, str]:
    """Form code → site-relative (or external) URL of its instruction; forms without one are left out."""
    unique = list({form.code: form for form in forms}.values())
    links = {form.code: form.instruction_url for form in unique if form.instruction_url}
    wanted = [form for form in unique if not form.instruction_url]
    if not wanted:
        return links
    articles = _live_articles_for(wanted)
    for form in wanted:
        slug = _pick(form, articles)
        if slug:
            links[form.code] = reverse("kb:article", kwargs={"slug": slug})
    return links


def _live_articles_for(forms: list[StatisticalForm]) -> list[dict]:
    """The live public articles chosen for `forms` or listing their codes, newest first (one query)."""
    match = Q(pk__in=[form.instruction_article_id for form in forms if form.instruction_article_id])
    for form in forms:  # the JSON text of the list holds the code in quotes: '["MZ-11", "MZ-88"]'
        match |= Q(kind=Kind.FORM, language=LANGUAGE, forms__icontains=f'"{form.code}"')
    return list(
        Article.objects.live()
        .filter(match, visibility=Visibility.PUBLIC)
        .order_by(F("published_at").desc(nulls_last=True), "-pk")
        .values("pk", "slug", "kind", "language", "forms")
    )


def _pick(form: StatisticalForm, articles: list[dict]) -> str:
    for article in articles:
        if article["pk"] == form.instruction_article_id:
            return article["slug"]
    code = normalize_form_code(form.code)
    for article in articles:
        listed = {normalize_form_code(item) for item in article["forms"] or ()}
        if article["kind"] == Kind.FORM and article["language"] == LANGUAGE and code in listed:
            return article["slug"]
    return ""
