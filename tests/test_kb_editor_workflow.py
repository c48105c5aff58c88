"""Editors write articles through knowledge_base.actions: every change is a version with author and date, with a
diff between versions; the workflow draft → review → published → archived; attachments are searchable."""

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from knowledge_base import actions, selectors
from knowledge_base.models import ArticleAttachment, Status
from knowledge_base.search import search

pytestmark = pytest.mark.django_db


def test_every_change_keeps_a_version_with_its_author_and_a_diff(redaktor):
    article = actions.create_article(
        actor=redaktor, draft=actions.ArticleDraft(title="Zmiana hasła", body="Wejdź na pz.gov.pl.")
    )
    actions.update_article(actor=redaktor, article=article, body="Wejdź na pz.gov.pl.\nWybierz *Nie pamiętam hasła*.")
    versions = list(selectors.versions(article))
    assert [v.number for v in versions] == [2, 1] and versions[0].author == redaktor
    diff = selectors.diff(versions[1], versions[0])
    assert "+Wybierz *Nie pamiętam hasła*." in diff


def test_an_unchanged_save_does_not_add_a_version(redaktor):
    article = actions.create_article(actor=redaktor, draft=actions.ArticleDraft(title="Tytuł", body="Treść"))
    actions.update_article(actor=redaktor, article=article, body="Treść")
    assert article.versions.count() == 1


def test_a_version_can_be_restored(redaktor):
    article = actions.create_article(actor=redaktor, draft=actions.ArticleDraft(title="Tytuł", body="Pierwsza treść"))
    first = article.versions.get()
    article = actions.update_article(actor=redaktor, article=article, body="Druga treść")
    article = actions.restore_version(actor=redaktor, article=article, version=first)
    assert article.body == "Pierwsza treść" and article.versions.count() == 3


def test_the_workflow_goes_through_review_and_refuses_impossible_moves(redaktor):
    article = actions.create_article(actor=redaktor, draft=actions.ArticleDraft(title="Tytuł", body="Treść"))
    actions.change_status(actor=redaktor, article=article, status=Status.REVIEW)
    actions.change_status(actor=redaktor, article=article, status=Status.PUBLISHED)
    actions.change_status(actor=redaktor, article=article, status=Status.ARCHIVED)
    with pytest.raises(ValidationError, match="nie można przenieść"):
        actions.change_status(actor=redaktor, article=article, status=Status.PUBLISHED)


def test_only_editors_write_articles(alice, celina):
    for person in (alice, celina):
        with pytest.raises(PermissionDenied):
            actions.create_article(actor=person, draft=actions.ArticleDraft(title="Tytuł", body="Treść"))


def test_bad_input_is_refused_with_a_polish_message(redaktor):
    with pytest.raises(ValidationError, match="Tytuł nie może być pusty"):
        actions.create_article(actor=redaktor, draft=actions.ArticleDraft(title="   ", body="x"))
    with pytest.raises(ValidationError, match="nie jest symbolem formularza"):
        actions.create_article(actor=redaktor, draft=actions.ArticleDraft(title="Tytuł", forms=["ABC"]))


def _pdf(text: str) -> bytes:
    """A one-page PDF with `text` (Helvetica, ASCII), written by hand so the test needs no PDF writer."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_text_of_attached_pdf_and_docx_files_is_found_by_search(redaktor):
    article = actions.create_article(
        actor=redaktor, draft=actions.ArticleDraft(title="Instrukcja systemu", body="Zobacz załączniki.")
    )
    actions.add_attachment(
        actor=redaktor,
        article=article,
        filename="instrukcja.pdf",
        content=_pdf("Harmonogram archiwizacji danych"),
        content_type="application/pdf",
    )
    actions.add_attachment(
        actor=redaktor, article=article, filename="zalacznik.docx", content=_docx("Słownik zawodów medycznych")
    )
    actions.change_status(actor=redaktor, article=article, status=Status.PUBLISHED)
    assert [h.article.pk for h in search("harmonogramu archiwizacji").hits] == [article.pk]
    assert [h.article.pk for h in search("slownik zawodow").hits] == [article.pk]


def test_a_corrupt_pdf_is_refused_with_a_clear_message_and_nothing_is_stored(redaktor):
    article = actions.create_article(actor=redaktor, draft=actions.ArticleDraft(title="Instrukcja", body="Treść"))
    with pytest.raises(ValidationError, match="uszkodzony"):
        actions.add_attachment(
            actor=redaktor,
            article=article,
            filename="zepsuty.pdf",
            content=b"%PDF-1.4 garbage \x00\x01",
            content_type="application/pdf",
        )
    assert not ArticleAttachment.objects.exists()
