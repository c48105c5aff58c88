from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = _("Kontakty i jednostki")

    def ready(self) -> None:
        from contacts import signals

        signals.connect()  # cached status look-ups invalidated when what they show changes
