"""Remote images in HTML e-mails and the Content-Security-Policy (issue 13, item 11).

Opening a ticket must not tell a message's sender that (and when) an agent read it: images the browser would
fetch from elsewhere are replaced by a placeholder, with a per-message "Pokaż obrazy" action; every staff and
public page sends a Content-Security-Policy that keeps scripts, styles, images and connections to this site,
and attachment downloads keep their own sandboxed policy."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from helpdesk.html import sanitize_html, without_remote_images
from inbox_ingest import actions as ingest_actions
from inbox_ingest.models import Mailbox
from tickets import actions
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

TRACKER = "https://tracker.evil.example/open.gif?who=agent"
HTML_ONLY = (
    "From: Jan Nowak <jan.nowak@przychodnia.example.pl>\r\nTo: pomoc-14@localhost\r\nSubject: Obraz\r\n"
    "Message-ID: <img@przychodnia.example.pl>\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    f'<html><body><img src="{TRACKER}" alt="logo przychodni"><img src="//cdn.evil.example/b.png">'
    '<img src="cid:podpis@x"></body></html>\r\n'
).encode()


def _directives(header: str) -> dict[str, set[str]]:
    parts = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: set(words[1:]) for words in parts}


def test_remote_images_are_replaced_by_the_placeholder_and_counted():
    html = sanitize_html(
        f'<p>Dzień dobry</p><img src="{TRACKER}" alt="a"><img src="/lokalny.png">'
        '<img src="cid:x@y"><img alt="x&gt;&lt;img src=https://e.example/z.gif&gt;" src="http://e.example/y.gif">'
    )
    shown, blocked = without_remote_images(html, "/static/img/obraz-zablokowany.svg")
    assert blocked == 3 and "evil.example" not in shown and "e.example/y.gif" not in shown
    assert shown.count('src="/static/img/obraz-zablokowany.svg"') == 3 and 'src="cid:x@y"' in shown
    assert "<p>Dzień dobry</p>" in shown and 'alt="a"' in shown
    assert "<img src=https" not in shown  # markup inside an attribute stays text


@pytest.fixture
def html_ticket(run_on_commit, queue_14):
    ingest_actions._OWN_CACHE.clear()
    mailbox = Mailbox.objects.create(
        name="m", email_address="pomoc-14@localhost", host="h", username="u", queue=queue_14
    )
    row, _new = ingest_actions.store(raw=HTML_ONLY, mailbox=mailbox, uid=None, uidvalidity=None)
    ticket = Ticket.objects.get(reference=run_on_commit(ingest_actions.process, row.pk).ticket)
    entry = ticket.entries.get()
    assert not entry.body_text and entry.body_html  # the page shows this message's HTML
    return ticket


def test_the_ticket_page_blocks_remote_images_until_asked_for_one_message(html_ticket, client, bob):
    client.force_login(bob)
    url = reverse("tickets:detail", args=[html_ticket.reference])
    response = client.get(url)
    page = response.content.decode()
    entry = html_ticket.entries.get()
    assert "tracker.evil.example" not in page and "cdn.evil.example" not in page
    assert "obraz-zablokowany" in page and "Obrazy z internetu w tej wiadomości są zablokowane (2)" in page
    link = re.search(r'href="([^"]*obrazy=\d+[^"]*)"', page).group(1).replace("&amp;", "&")
    assert link == f"?obrazy={entry.pk}#wpis-{entry.pk}"
    assert _directives(response["Content-Security-Policy"])["img-src"] == {"'self'"}

    loaded = client.get(url + link.split("#")[0])
    page = loaded.content.decode()
    assert TRACKER.replace("&", "&amp;") in page and "zablokowane" not in page
    assert {"https:"} <= _directives(loaded["Content-Security-Policy"])["img-src"]

    for odd in ("²", "9" * 40, "-1"):  # never an error, images stay blocked
        response = client.get(url, {"obrazy": odd})
        assert response.status_code == 200 and "tracker.evil.example" not in response.content.decode()
    refused = client.get(url, {"obrazy": "1\x00"})  # a NUL byte is refused at the door (helpdesk.inputs), in Polish
    assert refused.status_code == 400 and "tracker.evil.example" not in refused.content.decode()


@pytest.mark.parametrize(
    "who, path",
    [
        ("bob", "tickets:list"),
        ("bob", "ticket"),
        ("anonymous", "kb:home"),
        ("anonymous", "kb:contact"),
        ("anonymous", "login"),
        ("anonymous", "requester"),
    ],
)
def test_staff_and_public_pages_send_a_content_security_policy(who, path, client, request, open_email_ticket, queue_14):
    from knowledge_base import actions as kb_actions

    ticket = open_email_ticket(queue_14)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    if path == "ticket":
        url = reverse("tickets:detail", args=[ticket.reference])
    elif path == "requester":
        _ticket, token = kb_actions.submit_contact_form(
            name="Anna", email="anna@przychodnia.example.pl", subject="MZ-11", body="Pytanie."
        )
        url = reverse("kb:requester_ticket", args=[token])
    elif path == "login":
        url = reverse("login")
    else:
        url = reverse(path)
    response = client.get(url)
    assert response.status_code == 200, url
    policy = _directives(response["Content-Security-Policy"])
    for directive in ("default-src", "script-src", "style-src", "img-src", "connect-src", "form-action"):
        assert policy[directive] == {"'self'"}, (url, directive)
    assert policy["object-src"] == {"'none'"} and policy["frame-ancestors"] == {"'none'"}
    assert policy["base-uri"] == {"'none'"}
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_pages_have_no_inline_script_style_or_handler_the_policy_would_block(client, bob, open_email_ticket, queue_14):
    ticket = open_email_ticket(queue_14)
    client.force_login(bob)
    for url in (reverse("tickets:list"), reverse("tickets:detail", args=[ticket.reference]), reverse("kb:home")):
        page = client.get(url).content.decode()
        for script in re.findall(r"<script\b([^>]*)>", page):
            assert "src=" in script or 'type="application/json"' in script, (url, script)
        assert not re.search(r"<style\b|\sstyle=|\son[a-z]+=", page), url


def test_attachments_keep_their_own_sandboxed_policy(client, bob, open_email_ticket, queue_14):
    ticket = open_email_ticket(
        queue_14,
        attachments=[actions.NewAttachment(filename="strona.html", content=b"<script>1</script>", content_type="")],
    )
    attachment = ticket.entries.get().attachments.get()
    client.force_login(bob)
    response = client.get(reverse("attachment", args=[attachment.pk, attachment.filename]))
    assert "sandbox" in response["Content-Security-Policy"]
