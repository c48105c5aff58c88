"""Two processes storing the same attachment at once: the row written first wins, the other keeps no file behind
(tickets.files.store_file and store_files; the path mypy made name the saved file explicitly)."""

import hashlib

import pytest

from tickets import files
from tickets.models import StoredFile

pytestmark = pytest.mark.django_db

CONTENT = b"%PDF-1.4 the same scan, attached twice at the same moment"
DIGEST = hashlib.sha256(CONTENT).hexdigest()


@pytest.fixture
def another_process_stores_it_first(monkeypatch):
    """The other process's row appears after this one looked (nothing found) and while it saves its file;
    gives the names this process's storage saved."""
    storage = StoredFile._meta.get_field("content").storage
    real_save = storage.save
    saved: list[str] = []

    def save(name, content, max_length=None):
        if not StoredFile.objects.filter(sha256=DIGEST).exists():
            StoredFile.objects.create(sha256=DIGEST, size=len(CONTENT), content="attachments/other-process")
        saved.append(real_save(name, content, max_length=max_length))
        return saved[-1]

    monkeypatch.setattr(storage, "save", save)
    return storage, saved


def test_store_file_returns_the_row_stored_meanwhile_and_removes_its_own_file(another_process_stores_it_first):
    storage, saved = another_process_stores_it_first

    stored = files.store_file(CONTENT)

    assert stored.content.name == "attachments/other-process"
    assert StoredFile.objects.filter(sha256=DIGEST).count() == 1
    assert len(saved) == 1 and not storage.exists(saved[0])


def test_store_files_returns_the_row_stored_meanwhile_and_removes_its_own_file(another_process_stores_it_first):
    storage, saved = another_process_stores_it_first

    found = files.store_files([CONTENT])

    assert found[DIGEST].content.name == "attachments/other-process"
    assert StoredFile.objects.filter(sha256=DIGEST).count() == 1
    assert saved and not any(storage.exists(name) for name in saved)
