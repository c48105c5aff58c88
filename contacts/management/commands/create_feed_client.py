"""`manage.py create_feed_client NAME`: the statistics system's account for `POST /api/v1/submissions/batch`.

The account is a user with no staff role (it cannot open any page or other API) and one permission,
`contacts.push_submissions`. The command prints the account's API token when it issues one (a new account, or
`--rotate`, which replaces the token): only its hash is kept, so it is shown that once. Idempotent.
"""

from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from helpdesk import tokens
from helpdesk.models import ApiToken, User


class Command(BaseCommand):
    help = "Zakłada (albo odnawia) konto API systemu statystycznego do przesyłania statusów sprawozdań."

    def add_arguments(self, parser):
        parser.add_argument("name", help="Nazwa konta, np. ssoz-feed")
        parser.add_argument("--rotate", action="store_true", help="Wydaj nowy token (stary przestaje działać).")

    @transaction.atomic
    def handle(self, *args, name: str, rotate: bool = False, **options):
        user = User.objects.filter(username=name).first()
        if user is not None and user.role:
            raise CommandError(f"Konto {name} jest kontem pracownika (rola {user.role}): wybierz inną nazwę.")
        if user is None:
            user = User(username=name, role="", first_name="System statystyczny")
            user.set_unusable_password()  # it never logs in to pages: token only
            user.save()
        user.user_permissions.add(
            Permission.objects.get(codename="push_submissions", content_type__app_label="contacts")
        )
        if not rotate and ApiToken.objects.filter(user=user).exists():
            self.stdout.write(
                f"Konto {name}: token już wydany (przechowywany jest tylko jego skrót, więc nie można go pokazać); "
                "--rotate wydaje nowy."
            )
            return
        key = tokens.issue(user, replace=True)
        self.stdout.write(f"Konto {name}: token (pokazywany tylko teraz): {key}")
        self.stdout.write("Nagłówek: Authorization: Token <token>; endpoint POST /api/v1/submissions/batch")
