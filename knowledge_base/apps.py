from django.apps import AppConfig
from django.db.models.signals import post_delete


class KnowledgeBaseConfig(AppConfig):
    name = "knowledge_base"
    verbose_name = "Baza wiedzy"

    def ready(self) -> None:
        from knowledge_base.actions import entry_deleted
        from knowledge_base.models import SearchEntry

        # deleting an article (admin, shell) cascades to its SearchEntry: keep the postings and version in step
        post_delete.connect(entry_deleted, sender=SearchEntry, dispatch_uid="kb_entry_deleted")
