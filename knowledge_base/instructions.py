"""Which knowledge-base article is a form's filling instruction (contacts.instructions asks; see there).

Its `instruction_article`, when that article is live and public; otherwise the newest live, public, Polish article
of the kind "form instruction" whose forms list the form's code. One query for any number of forms.
"""

from __future__ import annotations

from django.db.models import F, Q
from django.urls import reverse

from contacts.models import StatisticalForm
from contacts.submissions import normalize_form_code
from knowledge_base.models import Article, Kind, Visibility

LANGUAGE = "pl"


def article_links(forms: list[StatisticalForm]) -> dict[str, str]:
    """Form code → site-relative URL of its instruction article; forms without one are left out."""
    articles = _live_articles_for(forms)
    links = {}
    for form in forms:
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
