"""Start or re-align the SLA clocks of open tickets, e.g. after installing SLA policies on a running desk or
changing a policy. Idempotent: clocks already in line are left as they are."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from tickets import sla
from tickets.models import OPEN_STATUSES, Ticket


class Command(BaseCommand):
    help = "Start or re-align the SLA clocks of every open ticket (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="tickets per transaction")

    def handle(self, *args, batch: int, **options):
        ids = list(Ticket.objects.filter(status__in=OPEN_STATUSES).order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), batch):
            with transaction.atomic():
                tickets = Ticket.objects.select_for_update(of=("self",)).select_related("queue__calendar")
                for ticket in tickets.filter(pk__in=ids[start : start + batch]):
                    sla.sync(ticket, timezone.now())
        self.stdout.write(f"{len(ids)} open tickets aligned")
