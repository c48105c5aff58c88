"""`manage.py issue_api_token USERNAME [--replace] [--revoke]`: an API token for a member of staff, printed
once (only its hash is stored, helpdesk.tokens)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from helpdesk import tokens
from helpdesk.models import User

SHOWN_ONCE = "Token (pokazywany tylko teraz): "


class Command(BaseCommand):
    help = "Wydaje token API (pokazywany tylko raz; przechowywany jest tylko jego skrót) albo unieważnia tokeny konta."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--replace", action="store_true", help="Pozostałe tokeny konta przestają działać.")
        parser.add_argument("--revoke", action="store_true", help="Tylko unieważnij wszystkie tokeny konta.")

    @transaction.atomic
    def handle(self, *args, username: str, replace: bool, revoke: bool, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"Nie ma konta {username}.")
        if revoke:
            self.stdout.write(f"Konto {username}: unieważnione tokeny: {tokens.revoke(user)}.")
            return
        if not user.is_active:
            raise CommandError(f"Konto {username} jest nieaktywne.")
        key = tokens.issue(user, replace=replace)
        self.stdout.write(f"Konto {username}: nagłówek Authorization: Token <token>")
        self.stdout.write(SHOWN_ONCE + key)
