from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class KnowledgeBaseConfig(AppConfig):
    name = "knowledge_base"
    verbose_name = "Baza wiedzy"

    def ready(self) -> None:
        # imported here: models may be imported only once the app registry is ready
        from contacts import instructions as contacts_instructions
        from knowledge_base import instructions
        from knowledge_base.actions import entry_deleted
        from knowledge_base.models import Category, SearchEntry

        # deleting an article (admin, shell) cascades to its SearchEntry: keep the postings and version in step
        post_delete.connect(entry_deleted, sender=SearchEntry, dispatch_uid="kb_entry_deleted")
        # the forms' instruction links (public lookup, unit panel, canned status reply) point at our articles
        contacts_instructions.use_article_links(instructions.article_links)
        # categories are edited in the admin, outside the index: cached front and article pages show them
        post_save.connect(categories_changed, sender=Category, dispatch_uid="kb_category_saved")
        post_delete.connect(categories_changed, sender=Category, dispatch_uid="kb_category_deleted")


def categories_changed(sender, **kwargs) -> None:
    from helpdesk import public_cache
    from knowledge_base.selectors import CATEGORIES

    public_cache.changed(CATEGORIES)
