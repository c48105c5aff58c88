"""What a mailbox configured in the admin may make the watcher do, checked when the mailbox is saved
(Mailbox.clean, hence the admin's form) and again before every connection (watcher.connect), so a row written
some other way is held to the same rules:

- its password may come only from an environment variable whose name starts with INBOX_SECRET_ENV_PREFIX
  (`IMAP_PASSWORD_`): any other variable (SECRET_KEY, DATABASE_URL, the SMTP or S3 secrets,
  MAILBOX_SECRET_KEY) would be sent to whatever host the mailbox names;
- the connection is TLS (IMAPS or STARTTLS) with the server's certificate verified; no encryption or an
  unverified certificate only for a server on this machine (127.0.0.1 or ::1) and only when the configuration
  allows it (INBOX_ALLOW_INSECURE_LOCALHOST)."""

from __future__ import annotations

import ipaddress
import re

from django.conf import settings
from django.utils.translation import gettext as _

from inbox_ingest.models import Mailbox

ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:  # a name: names resolve to anything
        return False


def problems(*, host: str, security: str, verify_certificate: bool, secret_env: str) -> dict[str, str]:
    """The broken rules as {field: Polish message}; empty when the mailbox may be connected to."""
    found = {}
    prefix = settings.INBOX_SECRET_ENV_PREFIX
    allowed_name = secret_env.startswith(prefix) and len(secret_env) > len(prefix) and ENV_NAME.fullmatch(secret_env)
    if secret_env and not allowed_name:
        found["secret_env"] = _(
            "Nazwa zmiennej musi zaczynać się od %(prefix)s (np. %(prefix)sPOMOC) i składać z liter, "
            "cyfr i podkreśleń: inne zmienne środowiskowe (klucze, hasła do bazy danych) nie mogą być "
            "wysłane do serwera poczty."
        ) % {"prefix": prefix}
    local = is_loopback(host) and settings.INBOX_ALLOW_INSECURE_LOCALHOST
    if security == Mailbox.Security.PLAIN and not local:
        found["security"] = _(
            "Połączenie bez szyfrowania jest dozwolone tylko z serwerem na tym komputerze (127.0.0.1), gdy "
            "pozwala na to konfiguracja (INBOX_ALLOW_INSECURE_LOCALHOST); wybierz IMAPS albo STARTTLS."
        )
    elif not verify_certificate and not local:
        found["verify_certificate"] = _(
            "Certyfikat serwera musi być sprawdzany (bez tego hasło może przechwycić ktoś podszywający się pod "
            "serwer); wyjątek tylko dla serwera na tym komputerze (127.0.0.1), gdy pozwala na to konfiguracja "
            "(INBOX_ALLOW_INSECURE_LOCALHOST)."
        )
    return found


def mailbox_problems(mailbox: Mailbox) -> dict[str, str]:
    return problems(
        host=mailbox.host,
        security=mailbox.security,
        verify_certificate=mailbox.verify_certificate,
        secret_env=mailbox.secret_env,
    )
