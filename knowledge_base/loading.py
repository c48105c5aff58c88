"""Loading the starter content through knowledge_base.actions (idempotent: existing slugs are left alone)."""

from __future__ import annotations

from django.db import transaction

from knowledge_base import actions
from knowledge_base import starter_content as content
from knowledge_base.models import Article, Category, Kind, Status


@transaction.atomic
def load_starter_content() -> tuple[int, int]:
    """Create what is missing; returns (articles in the starter set, articles created now)."""
    categories = {}
    for position, (slug, name, description) in enumerate(content.CATEGORIES):
        categories[slug], _created = Category.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position}
        )
    existing = set(Article.objects.values_list("slug", flat=True))
    sets = (
        (Kind.FAQ, content.FAQ),
        (Kind.MANUAL, content.MANUALS),
        (Kind.FORM, content.FORM_INSTRUCTIONS),
        (Kind.ANNOUNCEMENT, content.ANNOUNCEMENTS),
    )
    total = created = 0
    for kind, articles in sets:
        for slug, category, title, forms, body in articles:
            total += 1
            if slug in existing:
                continue
            draft = actions.ArticleDraft(kind=kind, title=title, body=body, category=categories[category], forms=forms)
            article = actions.create_article(actor=None, draft=draft, slug=slug, note="Treść startowa")
            actions.change_status(actor=None, article=article, status=Status.PUBLISHED, note="Treść startowa")
            created += 1
    return total, created
