"""An editor's PDF or DOCX is read in a process of its own with a memory and CPU-time limit
(knowledge_base.extract_worker): a file within the zip guard's limits can still be costly to read (a DOCX of
180,000 short paragraphs, 450 KB on disk, takes about 170 MB and 10 s), and it must not take the web process's
memory or time. Past a limit the upload is refused in Polish and nothing is stored."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError

from knowledge_base import extract

pytestmark = pytest.mark.django_db

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships '
    'xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)


def docx(paragraphs: int) -> bytes:
    body = "".join(f"<w:p><w:r><w:t>Akapit {n}</w:t></w:r></w:p>" for n in range(paragraphs))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", TYPES)
        archive.writestr("_rels/.rels", RELS)
        archive.writestr("word/document.xml", f'<w:document xmlns:w="{W}"><w:body>{body}</w:body></w:document>')
    return buffer.getvalue()


def test_a_docx_is_read_in_the_worker():
    assert extract.extract_text("krotki.docx", docx(3)) == "Akapit 0\nAkapit 1\nAkapit 2"


def test_a_docx_that_needs_more_memory_than_allowed_is_refused(settings):
    settings.KB_EXTRACT_MEMORY_MB = 128
    with pytest.raises(ValidationError, match="przekroczył limit pamięci albo czasu"):
        extract.extract_text("ogromny.docx", docx(180_000))


def test_a_docx_that_needs_more_time_than_allowed_is_refused(settings):
    settings.KB_EXTRACT_SECONDS = 1
    with pytest.raises(ValidationError, match="przekroczył limit pamięci albo czasu"):
        extract.extract_text("ogromny.docx", docx(180_000))


def test_a_broken_file_is_still_called_broken_not_costly():
    with pytest.raises(ValidationError, match="uszkodzony albo zabezpieczony hasłem"):
        extract.extract_text("zepsuty.pdf", b"%PDF-1.4 to nie jest PDF")


@pytest.mark.parametrize("memory_mb", [100, 128, 140, 160])
def test_running_out_of_memory_anywhere_in_the_reader_is_the_limit_not_a_broken_file(settings, memory_mb):
    """libxml2 reports a failed allocation as a parse error ("unknown error"), not MemoryError; where the limit
    is hit depends on the limit (and on what the process holds), so several limits are tried."""
    settings.KB_EXTRACT_MEMORY_MB = memory_mb
    with pytest.raises(ValidationError, match="przekroczył limit pamięci albo czasu"):
        extract.extract_text("ogromny.docx", docx(180_000))
