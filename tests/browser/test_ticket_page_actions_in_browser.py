"""The ticket page's collaboration actions in a real Chromium: an @mention notifies the colleague live (with
suggestions while typing), image and PDF previews load through the scoped download view, and the keyboard
shortcuts work (and keep out of text fields). Merging is walked in both browsers in test_staff_walks.py."""

import pytest

from helpdesk.models import Role, User
from tickets import actions
from tickets.models import Entry, Queue, Ticket

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = (
    b"%PDF-1.1\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _login(page, base_url, username):
    page.goto(f"{base_url}/login/")
    page.get_by_label("Nazwa użytkownika").fill(username)
    page.get_by_label("Hasło").fill("test-pass-123")
    page.get_by_role("button", name="Zaloguj").click()
    page.get_by_role("heading", name="Zgłoszenia").wait_for()


def _staff():
    User.objects.create_user(username="alice", password="test-pass-123", role=Role.AGENT, first_name="Alicja")
    User.objects.create_user(username="bob", password="test-pass-123", role=Role.AGENT, first_name="Bob")
    celina = User.objects.create_user(
        username="celina", password="test-pass-123", role=Role.REGIONAL_ADMIN, first_name="Celina"
    )
    celina.voivodeships.set(["24"])


def _ticket(subject="Brak MZ-06", queue="woj-14", **extra):
    return actions.open_ticket(
        actor=None,
        channel="email",
        subject=subject,
        body_text=extra.pop("body_text", "Nie widzę MZ-06."),
        requester_email="pielegniarka@szkola.example.pl",
        queue=Queue.objects.get(slug=queue),
        **extra,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mention_suggested_while_typing_notifies_the_colleague_live(browser, daphne_server):
    _staff()
    ticket = _ticket()
    alicja, bob = (browser.new_context().new_page() for _ in range(2))
    for page in (alicja, bob):
        page.set_default_timeout(10_000)
    _login(alicja, daphne_server, "alice")
    _login(bob, daphne_server, "bob")  # bob stays on the list: notices come on any page
    alicja.goto(f"{daphne_server}/tickets/{ticket.reference}/")

    alicja.get_by_label("Rodzaj").select_option("note")
    text = alicja.get_by_label("Treść")
    text.click()
    text.press_sequentially("Zobacz proszę @bo")
    alicja.get_by_role("option", name="@bob — Bob").wait_for()
    text.press("Enter")
    text.press_sequentially("czy to korekta?")
    assert text.input_value() == "Zobacz proszę @bob czy to korekta?"
    alicja.get_by_role("button", name="Wyślij").click()
    alicja.get_by_text("Dodano notatkę.").wait_for()

    notice = bob.locator("#notify .notice-mention")
    notice.wait_for()
    assert "Alicja wspomina o Tobie w notatce:" in notice.inner_text()
    notice.get_by_role("link", name=f"{ticket.reference} Brak MZ-06").click()
    bob.get_by_text("Zobacz proszę @bob czy to korekta?").wait_for()

    # someone who cannot see the ticket is refused, and the note is kept for correcting
    alicja.get_by_label("Rodzaj").select_option("note")
    alicja.get_by_label("Treść").fill("A może @celina wie?")
    alicja.get_by_role("button", name="Wyślij").click()
    alicja.get_by_text("Nie można wspomnieć @celina: nie ma dostępu do tego zgłoszenia.").wait_for()
    assert alicja.get_by_label("Treść").input_value() == "A może @celina wie?"
    assert ticket.entries.filter(kind=Entry.Kind.NOTE).count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_image_thumbnails_and_the_pdf_preview_load_through_the_download_view(page, live_server):
    _staff()
    ticket = _ticket(
        attachments=[
            actions.NewAttachment("zrzut.png", PNG, "image/png"),
            actions.NewAttachment("pismo.pdf", PDF, "application/pdf"),
            actions.NewAttachment("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
        ]
    )
    _login(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    thumbnail = page.get_by_alt_text("Podgląd: zrzut.png")
    thumbnail.wait_for()
    page.wait_for_function("() => document.querySelector('img[alt=\"Podgląd: zrzut.png\"]').naturalWidth === 1")
    assert page.locator("img[alt='Podgląd: logo.svg']").count() == 0

    with page.expect_response(lambda response: response.url.endswith("/pismo.pdf")) as pdf:
        page.get_by_text("Podgląd PDF").click()
    response = pdf.value
    assert response.status == 200
    assert response.headers["content-disposition"].startswith("inline")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert page.locator("details.pdf-preview iframe").get_attribute("src").endswith("/pismo.pdf")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_keyboard_shortcuts_on_the_list_and_the_ticket_page(page, live_server):
    _staff()
    first = _ticket("Starsze zgłoszenie")
    _ticket("Nowsze zgłoszenie")
    _login(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/tickets/")

    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Skróty klawiszowe")
    dialog.wait_for()
    assert "następne / poprzednie zgłoszenie" in dialog.inner_text()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    page.get_by_role("button", name="Skróty klawiszowe").click()  # the visible way to the same listing
    dialog.wait_for()
    dialog.get_by_role("button", name="Zamknij").click()
    dialog.wait_for(state="hidden")

    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("o")
    page.wait_for_url(f"**/tickets/{first.reference}/")

    page.keyboard.press("n")
    assert page.get_by_label("Rodzaj").input_value() == "note"
    textarea = page.get_by_label("Treść")
    assert textarea.evaluate("(el) => el === document.activeElement")
    textarea.press_sequentially("a tu piszę literę a")  # inside the field: no shortcut fires
    assert textarea.input_value() == "a tu piszę literę a"
    assert Ticket.objects.get(pk=first.pk).assignee is None

    textarea.evaluate("(el) => el.blur()")
    page.keyboard.press("a")
    page.get_by_text("Zmieniono przydział.").wait_for()
    assert Ticket.objects.get(pk=first.pk).assignee.username == "alice"
    page.keyboard.press("r")
    assert page.get_by_label("Rodzaj").input_value() == "outbound"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_ticket_page_with_all_its_new_parts_has_no_serious_accessibility_violation(page, live_server):
    from tests.browser.test_public_pages_accessibility import AXE, violations
    from tests.conftest import need_server

    need_server("axe-core", AXE.exists(), "cd tests/browser && npm ci")
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
    _login(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    page.get_by_text("Podgląd PDF").click()
    assert violations(page) == []
    page.keyboard.press("?")
    page.get_by_role("dialog", name="Skróty klawiszowe").wait_for()
    assert violations(page) == []
