import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from helpdesk.models import Role
from helpdesk.staff import issue_one_time_password, upsert_staff


class Command(BaseCommand):
    help = (
        "Create or update a member of staff (idempotent). Prints a one-time password for a new account, "
        "which must be changed at the first login."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument(
            "--voivodeship",
            action="extend",
            nargs="+",
            default=[],
            metavar="TERYT",
            help="one or more codes, e.g. --voivodeship 14 24 (repeatable)",
        )
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
        parser.add_argument("--reset-password", action="store_true", help="give an existing account a new password")

    def handle(self, *args, **options):
        password = None
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                raise CommandError(_("Nie podano hasła na standardowym wejściu."))
        generated = False
        try:
            user, created = upsert_staff(
                username=options["username"],
                email=options["email"],
                role=options["role"],
                voivodeships=options["voivodeship"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                password=password,
            )
            if password is None and (created or options["reset_password"]):
                password = issue_one_time_password(user)
                generated = True
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        account = {"username": user.username, "role": user.get_role_display()}
        if created:
            self.stdout.write(_("Utworzono konto %(username)s (%(role)s).") % account)
        else:
            self.stdout.write(_("Zaktualizowano konto %(username)s (%(role)s).") % account)
        if generated:
            self.stdout.write(
                _("Hasło jednorazowe: %(password)s  (zmień je po pierwszym logowaniu)") % {"password": password}
            )
