"""Attachments' files: stored once per SHA-256 (a second identical attachment points at the same file)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from helpdesk.filenames import neutral_name
from helpdesk.speed import bulk
from helpdesk.speed.files import save_all
from tickets.models import Attachment, Entry, StoredFile
from tickets.requests import NewAttachment


def store_file(content: bytes) -> StoredFile:
    """Store `content` once per SHA-256; a second identical attachment points at the same file."""
    if len(content) > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("Załącznik jest za duży (%(size)s B, limit %(limit)s B).")
            % {"size": len(content), "limit": settings.ATTACHMENT_MAX_BYTES}
        )
    digest = hashlib.sha256(content).hexdigest()
    existing = StoredFile.objects.filter(sha256=digest).first()
    if existing:
        return existing
    stored = StoredFile(sha256=digest, size=len(content))
    stored.content.save(digest, ContentFile(content), save=False)
    try:
        with transaction.atomic():
            stored.save()
    except IntegrityError:  # someone stored the same content meanwhile
        _delete_file(stored)
        return StoredFile.objects.get(sha256=digest)
    return stored


def _delete_file(stored: StoredFile) -> None:
    """Remove the file of a StoredFile whose row was not written (its content was saved with save=False)."""
    name = stored.content.name
    assert name is not None  # FieldFile.save() named it (the storage's name for the saved file)
    stored.content.storage.delete(name)


def store_files(contents: Sequence[bytes]) -> dict[str, StoredFile]:
    """store_file() for many contents (by SHA-256): one query for those stored already, one INSERT for the
    rest; if another process stored one of them meanwhile, one by one."""
    for content in contents:
        if len(content) > settings.ATTACHMENT_MAX_BYTES:
            store_file(content)  # raises the usual error
    wanted = {hashlib.sha256(content).hexdigest(): content for content in contents}
    found = {stored.sha256: stored for stored in StoredFile.objects.filter(sha256__in=list(wanted))}
    new = [StoredFile(sha256=digest, size=len(content)) for digest, content in wanted.items() if digest not in found]
    # the files first (side by side), then the rows naming them
    save_all(
        [partial(stored.content.save, stored.sha256, ContentFile(wanted[stored.sha256]), save=False) for stored in new]
    )
    try:
        with transaction.atomic():
            StoredFile.objects.bulk_create(new)
    except IntegrityError:
        for stored in new:
            _delete_file(stored)
        return {digest: store_file(content) for digest, content in wanted.items()}
    found.update((stored.sha256, stored) for stored in new)
    return found


def new_attachment(entry: Entry, item: NewAttachment, stored: StoredFile) -> Attachment:
    filename = neutral_name(item.filename or "").strip().replace("/", "_").replace("\\", "_")[:255] or "zalacznik.bin"
    return Attachment(
        entry=entry,
        file=stored,
        filename=filename,
        content_type=(item.content_type or "application/octet-stream")[:200],
        is_inline=item.is_inline,
        content_id=item.content_id[:300],
    )


def write_attachments(items: Iterable[tuple[Entry, Sequence[NewAttachment]]]) -> None:
    """The attachments of saved entries: files stored once, rows written in one go."""
    pairs = [(entry, item) for entry, attachments in items for item in attachments]
    if pairs:
        files = store_files([item.content for _entry, item in pairs])
        rows = [new_attachment(entry, item, files[hashlib.sha256(item.content).hexdigest()]) for entry, item in pairs]
        bulk.create(rows, ids=False)
