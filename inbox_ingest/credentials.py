"""Mailbox passwords typed in the admin, stored encrypted (Fernet from `cryptography`).

The key comes from settings.MAILBOX_SECRET_KEY (env `MAILBOX_SECRET_KEY`): one key, or several separated by
commas to rotate (the first encrypts, all decrypt). Each key is a Fernet key or any long random string (hashed
into one). Without it a key is derived from SECRET_KEY, so changing SECRET_KEY then makes stored passwords
unreadable: the watcher says so clearly, and the admin can type the password again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class PasswordUnreadable(Exception):
    """The stored password cannot be decrypted with the configured key(s)."""


def _fernet_key(secret: str) -> bytes:
    try:
        if len(base64.urlsafe_b64decode(secret.encode())) == 32:
            return secret.encode()  # already a Fernet key (Fernet.generate_key())
    except (binascii.Error, ValueError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(b"ssoz-mailbox-password:" + secret.encode()).digest())


def key_source() -> str:
    return "MAILBOX_SECRET_KEY" if settings.MAILBOX_SECRET_KEY else "SECRET_KEY"


def _cipher() -> MultiFernet:
    configured = [part.strip() for part in (settings.MAILBOX_SECRET_KEY or "").split(",") if part.strip()]
    secrets = configured or [settings.SECRET_KEY]
    return MultiFernet([Fernet(_fernet_key(secret)) for secret in secrets])


def encrypt(password: str) -> str:
    return _cipher().encrypt(password.encode()).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _cipher().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError) as exc:
        raise PasswordUnreadable(
            f"the stored password cannot be decrypted with the current {key_source()} (was the key changed?): "
            "restore the old key (MAILBOX_SECRET_KEY=new,old) or type the password again in the admin"
        ) from exc
