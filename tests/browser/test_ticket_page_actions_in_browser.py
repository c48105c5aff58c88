"""The ticket page's collaboration actions in both browsers: an @mention notifies the colleague live (with
suggestions while typing), image and PDF previews load through the scoped download view, the keyboard shortcuts
work (and keep out of text fields), and the page with all its parts shown passes axe-core. Merging is walked in
test_staff_walks.py."""

import pytest

from helpdesk.models import Role, User
from tests.ticket_requests import new_ticket
from tickets import actions
from tickets.models import Entry, Queue, Ticket

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PASSWORD = "test-pass-123"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = (
    b"%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SHORTCUTS = "#shortcuts-dialog"
KIND = "() => document.querySelector('#reply-form select[name=kind]').value"
TEXT = "() => document.querySelector('#reply-form textarea').value"


def _staff():
    User.objects.create_user(username="alice", password=PASSWORD, role=Role.AGENT, first_name="Alicja")
    User.objects.create_user(username="bob", password=PASSWORD, role=Role.AGENT, first_name="Bob")
    celina = User.objects.create_user(
        username="celina", password=PASSWORD, role=Role.REGIONAL_ADMIN, first_name="Celina"
    )
    celina.voivodeships.set(["24"])


def _ticket(subject="Brak MZ-06", queue="woj-14", **extra):
    return actions.open_tickets(
        [
            new_ticket(
                channel="email",
                subject=subject,
                body_text=extra.pop("body_text", "Nie widzę MZ-06."),
                requester_email="pielegniarka@szkola.example.pl",
                queue=Queue.objects.get(slug=queue),
                **extra,
            )
        ],
        actor=None,
    )[0]


def test_a_mention_suggested_while_typing_notifies_the_colleague_live(open_tab, daphne_server):
    _staff()
    ticket = _ticket()
    alicja = open_tab()
    alicja.log_in(daphne_server, "alice", PASSWORD)
    bob = open_tab()
    bob.log_in(daphne_server, "bob", PASSWORD)  # bob stays on the list: notices come on any page
    alicja.goto(f"{daphne_server}/tickets/{ticket.reference}/")

    alicja.fill("#reply-form select[name=kind]", "note")
    alicja.click("#reply-form textarea")
    alicja.type("Zobacz proszę @bo")
    alicja.wait("::-p-aria([name='@bob — Bob'][role='option'])")
    alicja.press("Enter")
    alicja.type("czy to korekta?")
    assert alicja.evaluate(TEXT) == "Zobacz proszę @bob czy to korekta?"
    alicja.click("#reply-form button[type=submit]", navigates=True)
    assert ticket.entries.get(kind=Entry.Kind.NOTE).body_text == "Zobacz proszę @bob czy to korekta?"

    bob.wait("#notify .notice-mention")
    assert "Alicja wspomina o Tobie w notatce:" in bob.text("#notify .notice-mention")
    bob.check_accessibility("the list with the mention notice")
    bob.click("#notify .notice-mention a", navigates=True)
    assert "Zobacz proszę @bob czy to korekta?" in bob.text("main")

    # someone who cannot see the ticket is refused, and the note is kept for correcting
    alicja.fill("#reply-form select[name=kind]", "note")
    alicja.fill("#reply-form textarea", "A może @celina wie?")
    alicja.click("#reply-form button[type=submit]", navigates=True, status=None)
    assert "Nie można wspomnieć @celina: nie ma dostępu do tego zgłoszenia." in alicja.text("main")
    assert alicja.evaluate(TEXT) == "A może @celina wie?"
    assert ticket.entries.filter(kind=Entry.Kind.NOTE).count() == 1


def test_image_thumbnails_and_the_pdf_preview_load_through_the_download_view(tab, live_server):
    _staff()
    ticket = _ticket(
        attachments=[
            actions.NewAttachment("zrzut.png", PNG, "image/png"),
            actions.NewAttachment("pismo.pdf", PDF, "application/pdf"),
            actions.NewAttachment("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        ]
    )
    tab.log_in(live_server.url, "alice", PASSWORD)
    tab.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    tab.wait_until("() => document.querySelector('img[alt=\"Podgląd: zrzut.png\"]')?.naturalWidth === 1")
    assert tab.count("img[alt='Podgląd: logo.svg']") == 0  # no SVG (scripts) shown inline

    tab.click("details.pdf-preview summary")
    # the frame gets its address on the details' toggle event, which the browser fires a moment after the click
    tab.wait_until("() => document.querySelector('details.pdf-preview iframe')?.getAttribute('src')")
    source = tab.attribute("details.pdf-preview iframe", "src")
    assert source.endswith("/pismo.pdf")
    answer = tab.evaluate(
        """(url) => fetch(url).then((r) => ({status: r.status, disposition: r.headers.get('content-disposition'),
            nosniff: r.headers.get('x-content-type-options')}))""",
        source,
    )
    assert answer["status"] == 200 and answer["disposition"].startswith("inline") and answer["nosniff"] == "nosniff"
    tab.check_accessibility("the ticket with the PDF preview open")


def test_keyboard_shortcuts_on_the_list_and_the_ticket_page(tab, live_server):
    _staff()
    first = _ticket("Starsze zgłoszenie")
    _ticket("Nowsze zgłoszenie")
    tab.log_in(live_server.url, "alice", PASSWORD)
    tab.goto(f"{live_server.url}/tickets/")

    tab.press("?")
    tab.wait(SHORTCUTS)
    assert "następne / poprzednie zgłoszenie" in tab.text(SHORTCUTS)
    tab.check_accessibility("the list with the shortcuts listed")
    tab.press("Escape")
    tab.wait(SHORTCUTS, hidden=True)
    tab.click("button[data-shortcuts-help]")  # the visible way to the same listing
    tab.wait(SHORTCUTS)
    tab.click(f"{SHORTCUTS} form[method=dialog] button")
    tab.wait(SHORTCUTS, hidden=True)

    tab.press("j")
    tab.press("j")
    tab.press("o", navigates=True)
    assert tab.url.endswith(f"/tickets/{first.reference}/")

    tab.press("n")
    assert tab.evaluate(KIND) == "note"
    assert tab.evaluate("() => document.activeElement === document.querySelector('#reply-form textarea')")
    tab.type("a tu piszę literę a")  # inside the field: no shortcut fires
    assert tab.evaluate(TEXT) == "a tu piszę literę a"
    assert Ticket.objects.get(pk=first.pk).assignee is None

    tab.evaluate("() => document.activeElement.blur()")
    tab.press("a", navigates=True)
    assert "Zmieniono przydział." in tab.text()
    assert Ticket.objects.get(pk=first.pk).assignee.username == "alice"
    tab.press("r")
    assert tab.evaluate(KIND) == "outbound"


def test_the_ticket_page_with_all_its_parts_has_no_serious_accessibility_violation(tab, live_server):
    _staff()
    alice = User.objects.get(username="alice")
    ticket = _ticket(
        attachments=[
            actions.NewAttachment("zrzut.png", PNG, "image/png"),
            actions.NewAttachment("pismo.pdf", PDF, "application/pdf"),
        ]
    )
    other, duplicate = _ticket("Powiązane"), _ticket("Duplikat")
    actions.link_tickets(actor=alice, ticket=ticket, other=other)
    actions.merge_tickets(actor=alice, source=duplicate, target=ticket)
    actions.follow(actor=alice, ticket=ticket)
    tab.log_in(live_server.url, "alice", PASSWORD)
    tab.goto(f"{live_server.url}/tickets/{ticket.reference}/")  # axe-core on arrival
    tab.click("details.pdf-preview summary")
    tab.check_accessibility("the ticket with the PDF preview open")
    tab.press("?")
    tab.wait(SHORTCUTS)
    tab.check_accessibility("the ticket with the shortcuts listed")
