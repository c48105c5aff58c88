"""`manage.py create_feed_client NAME`: the statistics system's account for `POST /api/v1/submissions/batch`.

The account is a user with no staff role (it cannot open any page or other API) and one permission,
`contacts.push_submissions`. The command prints its API token; `--rotate` replaces the token. Idempotent.
"""

from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from helpdesk.models import User


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
        if rotate:
            Token.objects.filter(user=user).delete()
        token, created = Token.objects.get_or_create(user=user)
        self.stdout.write(f"Konto {name}: token {token.key}{' (nowy)' if created else ''}")
        self.stdout.write("Nagłówek: Authorization: Token <token>; endpoint POST /api/v1/submissions/batch")
