"""API tokens (issue 14, finding 15): only their hashes are stored, a token is shown once (command, admin,
feed client), none is listed anywhere, and a password change ends every token issued before it, whatever
path changed the password. Plain tokens of rest_framework.authtoken are hashed by a migration."""

import hashlib
import importlib
import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from helpdesk import tokens
from helpdesk.models import ApiToken, User
from helpdesk.staff import change_own_password, issue_one_time_password

pytestmark = pytest.mark.django_db

TICKETS = "/api/v1/tickets/"  # its session door comes first, so a refused token answers 403 (the feed API: 401)


def _get(client, key):
    return client.get(TICKETS, HTTP_AUTHORIZATION=f"Token {key}")


def _issue_by_command(username, *options) -> str:
    out = io.StringIO()
    call_command("issue_api_token", username, *options, stdout=out)
    return out.getvalue().split("Token (pokazywany tylko teraz): ")[1].strip()


def _stored_values() -> str:
    return " ".join(str(value) for row in ApiToken.objects.values_list() for value in row)


def test_only_the_hash_is_stored_and_the_token_works(client, bob):
    key = _issue_by_command("bob")
    assert key not in _stored_values() and hashlib.sha256(key.encode()).hexdigest() in _stored_values()
    assert _get(client, key).status_code == 200
    wrong = _get(client, key + "x")
    assert wrong.status_code == 403 and wrong.json()["detail"] == "Nieprawidłowy token."


def test_a_password_changed_on_the_change_page_ends_the_tokens(client, bob):
    key = tokens.issue(bob)
    change_own_password(bob, "Wlasne-Haslo-2026")
    response = _get(client, key)
    assert response.status_code == 403 and response.json()["detail"] == "Nieprawidłowy token."
    assert not ApiToken.objects.filter(user=bob).exists()


def test_a_password_changed_elsewhere_ends_the_tokens_too(client, bob):
    key = tokens.issue(bob)
    bob.set_password("Haslo-z-panelu-2026")  # the admin's form, manage.py changepassword, create_staff
    bob.save()
    response = _get(client, key)
    assert response.status_code == 403 and "zmianie hasła" in response.json()["detail"]
    assert not ApiToken.objects.filter(user=bob).exists()
    assert _get(client, tokens.issue(bob)).status_code == 200  # a token issued after the change works


def test_a_one_time_password_revokes_the_tokens(client, bob):
    key = tokens.issue(bob)
    issue_one_time_password(bob)
    assert _get(client, key).status_code == 403 and not ApiToken.objects.exists()


def test_a_deactivated_account_cannot_use_its_token(client, bob):
    key = tokens.issue(bob)
    User.objects.filter(pk=bob.pk).update(is_active=False)
    response = _get(client, key)
    assert response.status_code == 403 and response.json()["detail"] == "Konto jest nieaktywne."


def test_the_command_replaces_and_revokes(client, bob):
    first = _issue_by_command("bob")
    second = _issue_by_command("bob", "--replace")
    assert _get(client, first).status_code == 403 and _get(client, second).status_code == 200
    call_command("issue_api_token", "bob", "--revoke", stdout=io.StringIO())
    assert _get(client, second).status_code == 403


def test_the_admin_shows_a_new_token_once_and_never_lists_it(client, bob):
    admin = User.objects.create_superuser("root", "root@example.gov.pl", "Root-Haslo-2026", role="admin")
    client.force_login(admin)
    response = client.post(reverse("admin:helpdesk_apitoken_add"), {"user": bob.pk})
    assert response.status_code == 200
    page = response.content.decode()
    token = ApiToken.objects.get(user=bob)
    key = page.split('<code id="api-token">')[1].split("</code>")[0]
    assert key.startswith(token.prefix) and hashlib.sha256(key.encode()).hexdigest() == token.key_sha256
    assert "pokazywany tylko ten jeden raz" in page
    listing = client.get(reverse("admin:helpdesk_apitoken_changelist")).content.decode()
    detail = client.get(reverse("admin:helpdesk_apitoken_change", args=[token.pk])).content.decode()
    assert token.prefix in listing and key not in listing and key not in detail
    assert token.key_sha256 not in listing and token.key_sha256 not in detail
    client.logout()
    assert _get(client, key).status_code == 200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_hashes_plain_tokens_and_drops_their_table(client, bob):
    migration = importlib.import_module("helpdesk.migrations.0007_api_tokens_hashed")
    plain = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE authtoken_token ({quote('key')} varchar(40) PRIMARY KEY, created timestamp, user_id bigint)"
        )
        cursor.execute(
            f"INSERT INTO authtoken_token ({quote('key')}, created, user_id) VALUES (%s, %s, %s)",  # noqa: S608
            [plain, "2026-01-05 10:00:00", bob.pk],
        )
    with connection.schema_editor() as editor:
        migration.hash_plain_tokens(apps, editor)
    assert "authtoken_token" not in connection.introspection.table_names()
    token = ApiToken.objects.get(user=bob)
    assert token.prefix == plain[:8] and plain not in _stored_values()
    assert _get(client, plain).status_code == 200  # the client keeps its key
    change_own_password(bob, "Wlasne-Haslo-2026")
    assert _get(client, plain).status_code == 403
