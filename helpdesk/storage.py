"""Attachment storage on the local disk (FILE_STORAGE=local) that never leaves a half-written file.

Django's FileSystemStorage writes straight into the file's final name: when the disk filled up (ENOSPC) in the
middle, the truncated file stayed under that name. Here the content goes to a temporary file beside it, which is
linked to its final name only when complete (an atomic step that never replaces an existing file) and removed
whatever happens. A full disk raises StorageFull with a Polish message: the error page says it (helpdesk.errors,
503), an incoming e-mail is quarantined with it as the reason and can be processed again once there is room.
"""

from __future__ import annotations

import contextlib
import errno
import os
import uuid

from django.core.files.storage import FileSystemStorage
from django.utils.translation import gettext as _

FULL = (errno.ENOSPC, errno.EDQUOT)


class StorageFull(OSError):
    """No room left for a file (the disk or the quota of MEDIA_ROOT is full); nothing of it was written."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(
            cause.errno,
            _(
                "Brak miejsca na dysku na załączniki: plik nie został zapisany. Spróbuj ponownie później; "
                "administrator musi zwolnić miejsce."
            ),
        )

    def __str__(self) -> str:
        return str(self.strerror)


class AtomicFileSystemStorage(FileSystemStorage):
    def _save(self, name, content):
        directory = os.path.dirname(self.path(name))
        try:
            os.makedirs(directory, exist_ok=True)
            if self.directory_permissions_mode is not None:
                os.chmod(directory, self.directory_permissions_mode)
            temporary = os.path.join(directory, f".partial-{uuid.uuid4().hex}")
            try:
                with open(temporary, "xb") as file:
                    for chunk in content.chunks():
                        file.write(chunk)
                    file.flush()
                    os.fsync(file.fileno())  # a full disk may only show when the data is written out
                if self.file_permissions_mode is not None:
                    os.chmod(temporary, self.file_permissions_mode)
                while True:
                    try:
                        os.link(temporary, self.path(name))  # fails rather than replace an existing file
                        break
                    except FileExistsError:
                        name = self.get_available_name(name)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
        except OSError as exc:
            if exc.errno in FULL:
                raise StorageFull(exc) from exc
            raise
        return str(name).replace("\\", "/")
