from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from helpdesk import outbox


class Command(BaseCommand):
    help = "Deliver pending outbox messages (e-mails, live pushes) now; Celery beat does this every 30 s."

    def handle(self, *args, **options):
        delivered = outbox.drain()
        self.stdout.write(
            _("Dostarczono %(delivered)s; oczekuje %(pending)s.")
            % {"delivered": delivered, "pending": outbox.pending_count()}
        )
