"""Editors write, preview, publish, compare versions and read analytics in the browser-facing pages; agents
search the knowledge base from a ticket and flag a missing article; nobody else reaches the editor pages."""

import pytest
from django.urls import reverse

from knowledge_base.models import Article, MissingArticleFlag, Status

pytestmark = pytest.mark.django_db

ARTICLE = {
    "title": "Jak zmienić hasło",
    "kind": "faq",
    "summary": "",
    "body": "## Krok pierwszy\nWejdź na **pz.gov.pl**.",
    "forms": "mz 88",
    "visibility": "public",
    "language": "pl",
    "note": "",
}


def test_an_editor_previews_saves_publishes_and_compares_versions(client, redaktor):
    client.force_login(redaktor)
    preview = client.post(reverse("kb_editor:new"), {**ARTICLE, "preview": "1"}).content.decode()
    assert '<h2 id="krok-pierwszy">Krok pierwszy</h2>' in preview and not Article.objects.exists()
    response = client.post(reverse("kb_editor:new"), {**ARTICLE, "save": "1"})
    article = Article.objects.get()
    assert response.status_code == 302 and article.forms == ["MZ-88"] and article.status == Status.DRAFT
    client.post(reverse("kb_editor:edit", args=[article.pk]), {**ARTICLE, "body": "Nowa treść", "save": "1"})
    client.post(reverse("kb_editor:status", args=[article.pk]), {"status": "published"})
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED and article.versions.count() == 3
    diff = client.get(reverse("kb_editor:diff", args=[article.pk, 1, 2])).content.decode()
    assert "<ins>+Nowa treść</ins>" in diff and "<del>-Wejdź na **pz.gov.pl**.</del>" in diff
    assert client.get(reverse("kb_editor:analytics")).status_code == 200
    assert client.get(reverse("kb_editor:list")).status_code == 200


def test_a_corrupt_attachment_gives_a_message_not_an_error(client, redaktor):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(redaktor)
    client.post(reverse("kb_editor:new"), {**ARTICLE, "save": "1"})
    article = Article.objects.get()
    broken = SimpleUploadedFile("instrukcja.pdf", b"%PDF-1.7 broken", content_type="application/pdf")
    response = client.post(reverse("kb_editor:attach", args=[article.pk]), {"file": broken}, follow=True)
    assert "uszkodzony" in response.content.decode()


@pytest.mark.parametrize("persona", ["alice", "celina", "szef"])
def test_people_who_are_not_editors_cannot_open_the_editor_pages(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("kb_editor:list")).status_code == 403
    assert client.post(reverse("kb_editor:new"), {**ARTICLE, "save": "1"}).status_code == 403
    assert not Article.objects.exists()


def test_an_agent_sees_the_knowledge_base_box_on_a_ticket_and_flags_a_missing_article(
    client, alice, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14)
    client.force_login(alice)
    page = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    assert 'id="kb-box-form"' in page
    client.post(reverse("kb_editor:flag_missing", args=[ticket.reference]), {"note": "Brak opisu błędu W-17"})
    assert MissingArticleFlag.objects.get().note == "Brak opisu błędu W-17"


def test_a_regional_administrator_of_another_voivodeship_cannot_flag_a_ticket_he_cannot_see(
    client, celina, queue_14, open_email_ticket
):
    ticket = open_email_ticket(queue_14)
    client.force_login(celina)
    assert client.post(reverse("kb_editor:flag_missing", args=[ticket.reference]), {"note": "x"}).status_code == 404
    assert not MissingArticleFlag.objects.exists()
