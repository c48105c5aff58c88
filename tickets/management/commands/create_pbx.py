from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from helpdesk.tokens import hash_token
from helpdesk.tokens import new_token as make_token
from tickets.models import Pbx, PbxExtension


class Command(BaseCommand):
    help = "Register a telephone exchange (or give it a new token) and map its extensions to staff."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--extension", action="append", default=[], metavar="EXT:USERNAME")
        parser.add_argument("--new-token", action="store_true", help="replace the token of an existing exchange")

    @transaction.atomic
    def handle(self, *args, name, extension, new_token: bool, **options):
        pbx = Pbx.objects.filter(name=name).first()
        token = None
        if pbx is None or new_token:
            token = make_token()
        if pbx is None:
            pbx = Pbx.objects.create(name=name, token_sha256=hash_token(token))
        elif token:
            pbx.token_sha256 = hash_token(token)
            pbx.save(update_fields=["token_sha256"])
        users = get_user_model().objects
        for item in extension:
            ext, _, username = item.partition(":")
            user = users.filter(username=username).first()
            if not ext or user is None:
                raise CommandError(f"Nieprawidłowe mapowanie {item!r}: użyj NUMER:UŻYTKOWNIK istniejącego pracownika.")
            PbxExtension.objects.update_or_create(pbx=pbx, extension=ext, defaults={"user": user})
        self.stdout.write(f"Centrala {pbx.name}: numery wewnętrzne {pbx.extensions.count()}.")
        if token:
            self.stdout.write(f"Token (pokazywany tylko teraz): {token}")
