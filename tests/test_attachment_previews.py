"""Attachment previews on the ticket page: raster images and PDFs are served inline (through the same scoped
download view), everything else — SVG and HTML included — as a download; always with nosniff."""

import pytest
from django.urls import reverse

from tickets import actions, previews
from tickets.models import Attachment

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
FILES = [
    ("zrzut.png", PNG, "image/png"),
    ("skan.JPG", b"\xff\xd8\xff jpeg", "image/jpg"),
    ("pismo.pdf", b"%PDF-1.4 minimal", "application/pdf"),
    ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "image/svg+xml"),
    ("strona.html", b"<script>alert(1)</script>", "text/html"),
    ("dane.xlsx", b"PK\x03\x04 excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
]


@pytest.fixture
def ticket(queue_14, open_email_ticket):
    return open_email_ticket(queue_14, attachments=[actions.NewAttachment(*item) for item in FILES])


def _download(client, name):
    attachment = Attachment.objects.get(filename=name)
    return client.get(reverse("attachment", args=[attachment.pk, attachment.filename]))


def test_preview_kinds():
    assert previews.preview_kind("image/png") == previews.IMAGE
    assert previews.preview_kind("IMAGE/JPEG; name=x.jpg") == previews.IMAGE
    assert previews.preview_kind("application/pdf") == previews.PDF
    for unsafe in ("image/svg+xml", "text/html", "application/octet-stream", "", "image/x-icon"):
        assert previews.preview_kind(unsafe) is None, unsafe


@pytest.mark.parametrize(
    ("name", "disposition", "content_type"),
    [
        ("zrzut.png", "inline", "image/png"),
        ("skan.JPG", "inline", "image/jpeg"),
        ("pismo.pdf", "inline", "application/pdf"),
        ("logo.svg", "attachment", "application/octet-stream"),
        ("strona.html", "attachment", "application/octet-stream"),
        ("dane.xlsx", "attachment", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_only_raster_images_and_pdf_are_served_inline(client, alice, ticket, name, disposition, content_type):
    client.force_login(alice)
    response = _download(client, name)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith(f"{disposition};"), response["Content-Disposition"]
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]


def test_a_pdf_may_be_framed_by_our_own_pages_only_and_nothing_else_at_all(client, alice, ticket):
    client.force_login(alice)
    pdf = _download(client, "pismo.pdf")
    assert pdf["X-Frame-Options"] == "SAMEORIGIN" and "frame-ancestors 'self'" in pdf["Content-Security-Policy"]
    png = _download(client, "zrzut.png")
    assert png["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in png["Content-Security-Policy"]


def test_the_ticket_page_shows_thumbnails_and_a_pdf_preview_only_for_safe_types(client, alice, ticket):
    client.force_login(alice)
    html = client.get(reverse("tickets:detail", args=[ticket.reference])).content.decode()
    png = Attachment.objects.get(filename="zrzut.png")
    assert f'<img src="/attachments/{png.pk}/zrzut.png" alt="Podgląd: zrzut.png" loading="lazy">' in html
    pdf = Attachment.objects.get(filename="pismo.pdf")
    assert f'<iframe data-src="/attachments/{pdf.pk}/pismo.pdf"' in html
    svg = Attachment.objects.get(filename="logo.svg")
    assert f'<img src="/attachments/{svg.pk}/' not in html
    assert html.count("<img ") == 2  # the PNG and the JPEG


def test_celina_gets_no_preview_of_a_ticket_of_14(client, celina, ticket):
    client.force_login(celina)
    for name in ("zrzut.png", "pismo.pdf"):
        assert _download(client, name).status_code == 404
