from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Zgłoszenia")

    def ready(self) -> None:
        from tickets import delivery  # here: models load only once the app registry is ready

        delivery.connect_signals()  # replies' delivery failures shown on their tickets
