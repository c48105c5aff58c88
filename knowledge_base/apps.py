from django.apps import AppConfig
from django.db.models.signals import post_delete


class KnowledgeBaseConfig(AppConfig):
    name = "knowledge_base"
    verbose_name = "Baza wiedzy"

    def ready(self) -> None:
        # imported here: models may be imported only once the app registry is ready
        from contacts import instructions as contacts_instructions
        from knowledge_base import instructions
        from knowledge_base.actions import entry_deleted
        from knowledge_base.models import SearchEntry

        # deleting an article (admin, shell) cascades to its SearchEntry: keep the postings and version in step
        post_delete.connect(entry_deleted, sender=SearchEntry, dispatch_uid="kb_entry_deleted")
        # the forms' instruction links (public lookup, unit panel, canned status reply) point at our articles
        contacts_instructions.use_article_links(instructions.article_links)
