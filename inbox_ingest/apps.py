from django.apps import AppConfig


class InboxIngestConfig(AppConfig):
    name = "inbox_ingest"
    verbose_name = "Poczta przychodząca"
