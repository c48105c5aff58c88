"""The attachment storage full (a real 1 MiB tmpfs as MEDIA_ROOT): nothing half-written, the e-mail kept in
quarantine with a Polish reason, processed again once there is room.

Before: Django's FileSystemStorage wrote into the file's final name and left the truncated file there when the
disk filled up, and the reason was "OSError: [Errno 28] No space left on device"."""

import os
import shutil
import subprocess
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.core.files.base import ContentFile

from helpdesk.storage import AtomicFileSystemStorage, StorageFull
from inbox_ingest import actions as ingest_actions
from inbox_ingest.models import Mailbox, RawMessage
from tests.conftest import need_server
from tickets.models import Attachment, StoredFile, Ticket

KIB = 1024


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB tmpfs of the test's own, filled but for about 300 KiB."""
    mount = tmp_path / "media"
    mount.mkdir()
    mount_program, umount_program = shutil.which("mount"), shutil.which("umount")
    mounted = bool(os.geteuid() == 0 and mount_program and umount_program) and subprocess.run(
        [mount_program, "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True, check=False
    ).returncode == 0  # fmt: skip
    need_server("a tmpfs to fill", mounted, "run as root, where mount -t tmpfs works")
    try:
        (mount / "filler").write_bytes(os.urandom(700 * KIB))
        yield mount
    finally:
        subprocess.run([umount_program, "-l", str(mount)], check=False)


def _files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def test_a_file_that_does_not_fit_leaves_nothing_behind(small_disk):
    storage = AtomicFileSystemStorage(location=small_disk)
    small = storage.save("attachments/maly.bin", ContentFile(os.urandom(100 * KIB)))
    with pytest.raises(StorageFull, match="Brak miejsca na dysku na załączniki"):
        storage.save("attachments/duzy.bin", ContentFile(os.urandom(400 * KIB)))
    assert _files(small_disk) == ["attachments/maly.bin", "filler"] and small == "attachments/maly.bin"


def _mail_with_attachment(size: int) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Jan Nowak <jan.nowak@przychodnia.example.pl>"
    mail["To"] = "pomoc-ssoz@localhost"
    mail["Subject"] = "Skan sprawozdania MZ-88"
    mail["Message-ID"] = "<skan@przychodnia.example.pl>"
    mail.set_content("Dzień dobry,\nw załączniku skan.\n")
    mail.add_attachment(os.urandom(size), maintype="application", subtype="pdf", filename="skan.pdf")
    return mail.as_bytes()


def test_an_email_whose_attachment_does_not_fit_waits_in_quarantine_and_goes_through_when_there_is_room(
    settings, small_disk, queue_14, alice, run_on_commit
):
    settings.MEDIA_ROOT = small_disk
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "helpdesk.storage.AtomicFileSystemStorage", "OPTIONS": {"location": small_disk}},
    }
    mailbox = Mailbox.objects.create(
        name="mazowieckie", email_address="pomoc-14@localhost", host="127.0.0.1", username="u", queue=queue_14
    )
    ingest_actions._OWN_CACHE.clear()
    row, _new = ingest_actions.store(raw=_mail_with_attachment(400 * KIB), mailbox=mailbox, uid=1, uidvalidity=1)

    result = run_on_commit(ingest_actions.process, row.pk)

    row.refresh_from_db()
    assert result.outcome == "quarantined" and row.status == RawMessage.Status.QUARANTINED
    assert row.reason.startswith("StorageFull: Brak miejsca na dysku na załączniki")
    assert (Ticket.objects.count(), StoredFile.objects.count(), Attachment.objects.count()) == (0, 0, 0)
    assert _files(small_disk) == ["filler"]  # nothing half-written

    (small_disk / "filler").unlink()  # the administrator made room
    retried = run_on_commit(ingest_actions.retry_quarantined, actor=alice, raw_id=row.pk)

    assert retried.outcome == "created"
    (attachment,) = Attachment.objects.select_related("file")
    assert attachment.filename == "skan.pdf" and attachment.file.size == 400 * KIB
    assert _files(small_disk) == [attachment.file.content.name]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_whose_attachment_does_not_fit_is_quarantined_outside_a_transaction(settings, small_disk, queue_14):
    """The watcher's and ingest_mail's path (store_batch, then process_batch), not inside a test's transaction:
    the batch fails on the full disk and its messages are processed one by one, each in a transaction of its own.
    Before, on PostgreSQL, that fallback raised TransactionManagementError (select_for_update outside a
    transaction), the message stayed pending and the watcher retried it for ever (bench/faults.py)."""
    settings.MEDIA_ROOT = small_disk
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "helpdesk.storage.AtomicFileSystemStorage", "OPTIONS": {"location": small_disk}},
    }
    mailbox = Mailbox.objects.create(
        name="mazowieckie", email_address="pomoc-14@localhost", host="127.0.0.1", username="u", queue=queue_14
    )
    ingest_actions._OWN_CACHE.clear()
    rows = ingest_actions.store_batch(
        [{"raw": _mail_with_attachment(400 * KIB), "mailbox": mailbox, "uid": 1, "uidvalidity": 1, "source": "imap"}]
    )

    (result,) = ingest_actions.process_batch([row.pk for row in rows])

    row = RawMessage.objects.get(pk=rows[0].pk)
    assert result.outcome == "quarantined" and row.status == RawMessage.Status.QUARANTINED
    assert row.reason.startswith("StorageFull: Brak miejsca na dysku na załączniki")
    assert (Ticket.objects.count(), Attachment.objects.count()) == (0, 0)
    assert _files(small_disk) == ["filler"]
