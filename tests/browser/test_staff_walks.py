"""Every staff path walked end to end in Chromium and Firefox ESR as each comes out of the box, as a person does
it: through the links and forms of the pages, with the database checked from pytest afterwards. Each page a tab
arrives at must answer 200 (or the status named) and pass axe-core (tests/browser/runner.py).

The walks act through ids and names, not labels, so they survive a change of wording.

Each walk ends with the persona check: a regional administrator of another voivodeship (celina, Śląskie) opens
what the walk worked on and gets the site's own Polish 404 page (or the 403 page saying whose the unit is), checked
by axe-core like every other page."""

import io
import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command

from contacts import lookup
from contacts.models import Person, PersonPhone, Reminder, Submission, UnitMembership
from helpdesk import outbox
from helpdesk.models import NoticeMode, OutboxMessage, User
from inbox_ingest.models import Mailbox, RawMessage
from knowledge_base.models import Article, Status
from tests.mailtools import message
from tests.submission_data import office, report, unit
from tests.ticket_requests import new_ticket
from tickets import actions
from tickets.models import CannedResponse, Entry, Queue, Ticket, TicketLink

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
PASSWORD = "test-pass-123"  # the password of the tests/conftest.py staff fixtures


def _ticket(subject: str, body: str = "Nie mogę wysłać sprawozdania.", queue: str = "woj-14", **extra) -> Ticket:
    return actions.open_tickets(
        [
            new_ticket(
                channel="email",
                subject=subject,
                body_text=body,
                requester_email=extra.pop("requester_email", "rejestracja@przychodnia-lipowa.example.pl"),
                queue=Queue.objects.get(slug=queue),
                **extra,
            )
        ],
        actor=None,
    )[0]


def _refused(open_tab, base_url: str, *paths: str) -> None:
    """Celina, regional administrator of Śląskie, gets 404 or 403 for each path, never the page."""
    celina = open_tab()
    celina.log_in(base_url, "celina", PASSWORD)
    for path in paths:
        response = celina.goto(base_url + path, status=None)
        assert response.status in (403, 404), f"[{celina.name}] celina got {response.status} for {path}"
    assert not celina.interface_not_in("pl")


def _sent_to(address: str):
    outbox.drain()  # what waits in the outbox goes out now (it went on commit already, as a rule)
    return [m for m in mail.outbox if address in m.to]


# --- first login ----------------------------------------------------------------------------------------------


def test_a_new_regional_admin_changes_the_one_time_password_then_lands_on_the_workspace(open_tab, live_server, celina):
    out = io.StringIO()
    call_command(
        "create_staff", "ewa.lis", "--email", "ewa.lis@uw.example.pl", "--role", "regional_admin",
        "--voivodeship", "14", stdout=out,
    )  # fmt: skip
    one_time = re.search(r"Hasło jednorazowe: (\S+)", out.getvalue()).group(1)
    ticket = _ticket("MZ-88: brak działu II")  # in Mazowieckie: Ewa's

    tab = open_tab()
    tab.log_in(live_server.url, "ewa.lis", one_time)
    assert tab.url.endswith("/haslo/")  # nothing else until the one-time password is replaced
    assert tab.text("main h1") == "Zmiana hasła"
    tab.goto(f"{live_server.url}/tickets/")
    assert tab.url.endswith("/haslo/")
    tab.fill("#id_old_password", one_time)
    tab.fill("#id_new_password1", "Mazowsze-lipa-7Kx")
    tab.fill("#id_new_password2", "Mazowsze-lipa-7Kx")
    tab.click("main form button[type=submit]", navigates=True)
    assert tab.url.endswith("/tickets/?status=open")  # the workspace: her open tickets
    assert tab.count(f"a[href='/tickets/{ticket.reference}/']") == 1
    ewa = User.objects.get(username="ewa.lis")
    assert not ewa.must_change_password and ewa.check_password("Mazowsze-lipa-7Kx")

    # then a daily digest instead of a notice per ticket, on her own settings page
    tab.click("a[href='/ustawienia/']", navigates=True)
    tab.check("input[name=notice_mode][value=digest]")
    tab.click("main form button[type=submit]", navigates=True)
    assert User.objects.get(username="ewa.lis").notice_mode == NoticeMode.DIGEST

    _refused(open_tab, live_server.url, f"/tickets/{ticket.reference}/")


# --- the ticket list --------------------------------------------------------------------------------------------


def test_an_agent_filters_sorts_searches_and_saves_a_view_of_the_ticket_list(
    tab, open_tab, live_server, alice, bob, celina
):
    waiting = _ticket("Korekta MZ-06 za ubiegły rok", body="Proszę o odblokowanie sprawozdania.")
    actions.change_status(actor=alice, ticket=waiting, status="waiting_customer")
    mine = _ticket("Hasło do systemu SSOZ", body="Zapomniałam hasła.")
    actions.assign(actor=alice, ticket=mine, assignee=alice)
    urgent = _ticket("Termin MZ-88 mija dziś", body="Pilne: nie działa wysyłka.")
    actions.change_priority(actor=alice, ticket=urgent, priority=3)
    central = _ticket("Pytanie ogólne o portal", queue="centralna")

    def listed() -> list[str]:
        return tab.evaluate("() => [...document.querySelectorAll('table.tickets tbody a')].map(a => a.textContent)")

    tab.log_in(live_server.url, "alice", PASSWORD)
    assert set(listed()) == {waiting.reference, mine.reference, urgent.reference, central.reference}

    tab.fill("form.filters select[name=queue]", "woj-14")
    tab.fill("form.filters select[name=status]", "waiting_customer")
    tab.click("form.filters button[type=submit]", navigates=True)
    assert listed() == [waiting.reference]

    tab.fill("form.filters select[name=status]", "")
    tab.fill("form.filters select[name=sort]", "priority")
    tab.click("form.filters button[type=submit]", navigates=True)
    assert listed()[0] == urgent.reference and central.reference not in listed()

    tab.click("a[data-view=mine]", navigates=True)  # a workspace view
    assert listed() == [mine.reference]

    tab.goto(f"{live_server.url}/tickets/")
    tab.fill("form.filters input[name=q]", "odblokowanie")  # a word from the conversation
    tab.click("form.filters button[type=submit]", navigates=True)
    assert listed() == [waiting.reference]
    tab.fill("form.filters input[name=q]", mine.reference.lower())  # a reference alone opens the ticket
    tab.click("form.filters button[type=submit]", navigates=True)
    assert tab.url.endswith(f"/tickets/{mine.reference}/")

    tab.goto(f"{live_server.url}/tickets/?queue=woj-14&sort=priority")
    tab.fill("form.save-view input[name=name]", "Mazowsze pilne")
    tab.click("form.save-view button[type=submit]", navigates=True)
    assert alice.saved_views.get().query == "queue=woj-14&sort=priority"
    tab.click("ul.saved-views a", navigates=True)
    assert listed()[0] == urgent.reference and central.reference not in listed()

    # Bob (Mazowieckie) sees his voivodeship's tickets; Celina (Śląskie) none of them, even searched for
    bob_tab = open_tab()
    bob_tab.log_in(live_server.url, "bob", PASSWORD)
    assert urgent.reference in bob_tab.text("table.tickets")
    celina_tab = open_tab()
    celina_tab.log_in(live_server.url, "celina", PASSWORD)
    celina_tab.goto(f"{live_server.url}/tickets/?q=MZ-88")
    assert urgent.reference not in celina_tab.text("main")
    _refused(open_tab, live_server.url, f"/tickets/{urgent.reference}/")


# --- a ticket -----------------------------------------------------------------------------------------------------


def test_an_agent_replies_notes_changes_status_merges_links_and_moves_a_ticket(
    tab, open_tab, live_server, mailoutbox, alice, celina
):
    ticket = _ticket(
        "Nie mogę złożyć MZ-88", requester_email="ewa.lis@przychodnia-lipowa.example.pl", requester_name="Ewa Lis"
    )
    duplicate = _ticket("MZ-88 nie wysyła się", body="Piszę drugi raz w tej sprawie.")
    related = _ticket("MZ-88: korekta działu III")
    template = CannedResponse.objects.create(
        title="Potwierdzenie", body="Dzień dobry {zglaszajacy}, przyjęliśmy {sygnatura}."
    )
    tab.log_in(live_server.url, "alice", PASSWORD)
    tab.click(f"a[href='/tickets/{ticket.reference}/']", navigates=True)

    # a reply template fills the reply in place (no reload), rendered for this ticket, where the cursor is
    tab.fill("#reply-form textarea[name=body_text]", "Uwaga: ")
    tab.fill("#canned-picker select[name=szablon]", str(template.pk))
    filled = f"Uwaga: Dzień dobry Ewa Lis, przyjęliśmy {ticket.reference}."
    tab.wait_until("(text) => document.querySelector('#reply-form textarea').value === text", filled)
    assert tab.url.endswith(f"/tickets/{ticket.reference}/")

    # a reply by e-mail to the requester
    tab.fill("#reply-form select[name=kind]", "outbound")
    tab.fill("#reply-form textarea[name=body_text]", "Dzień dobry, proszę wybrać w systemie opcję „Wyślij”.")
    tab.click("#reply-form button[type=submit]", navigates=True)
    reply = ticket.entries.get(kind=Entry.Kind.OUTBOUND)
    assert "opcję „Wyślij”" in reply.body_text
    [sent] = _sent_to("ewa.lis@przychodnia-lipowa.example.pl")
    assert ticket.reference in sent.subject and "opcję „Wyślij”" in sent.body

    # an internal note: it goes to nobody
    tab.fill("#reply-form select[name=kind]", "note")
    tab.fill("#reply-form textarea[name=body_text]", "Dzwoniła też wczoraj, sprawdzić uprawnienia.")
    tab.click("#reply-form button[type=submit]", navigates=True)
    assert ticket.entries.filter(kind=Entry.Kind.NOTE, body_text__contains="sprawdzić uprawnienia").exists()
    assert len(_sent_to("ewa.lis@przychodnia-lipowa.example.pl")) == 1

    # the status
    tab.fill("form[action$='/status'] select[name=status]", "waiting_customer")
    tab.click("form[action$='/status'] button[type=submit]", navigates=True)
    assert Ticket.objects.get(pk=ticket.pk).status == "waiting_customer"

    # link a related ticket
    tab.fill("#link-reference", related.reference)
    tab.click("#link-form button[type=submit]", navigates=True)
    assert tab.count(f"a[href='/tickets/{related.reference}/']") >= 1
    assert TicketLink.objects.filter(low_id=min(ticket.pk, related.pk), high_id=max(ticket.pk, related.pk)).exists()

    # merge the duplicate into this one, from the duplicate's page
    tab.goto(f"{live_server.url}/tickets/{duplicate.reference}/")
    tab.fill("#merge-target", ticket.reference)
    tab.click("#merge-form button[type=submit]", navigates=True)
    assert tab.url.endswith(f"/tickets/{ticket.reference}/")
    assert "Piszę drugi raz w tej sprawie." in tab.text("main")
    assert Ticket.objects.get(pk=duplicate.pk).merged_into_id == ticket.pk
    tab.goto(f"{live_server.url}/tickets/{duplicate.reference}/")  # the duplicate's address leads here, saying so
    assert tab.url.endswith(f"/tickets/{ticket.reference}/")
    assert f"Zgłoszenie {duplicate.reference} zostało scalone z {ticket.reference}." in tab.text()

    # move to the central queue
    central = Queue.objects.get(slug="centralna")
    tab.fill("form[action$='/move'] select[name=queue]", str(central.pk))
    tab.fill("form[action$='/move'] input[name=reason]", "Sprawa dotyczy całego systemu.")
    tab.click("form[action$='/move'] button[type=submit]", navigates=True)  # an agent still works on it
    assert Ticket.objects.get(pk=ticket.pk).queue == central

    # persona checks come last in every walk: in Firefox a tab left in the background by a newer one stalls
    _refused(open_tab, live_server.url, f"/tickets/{ticket.reference}/", f"/tickets/{related.reference}/")


# --- the call log -------------------------------------------------------------------------------------------------


def test_an_agent_logs_a_call_as_a_new_ticket_and_one_added_to_an_existing_ticket(
    tab, open_tab, live_server, alice, celina
):
    lipowa = unit(4101, "14", name="Przychodnia Lipowa")
    person = Person.objects.create(name="Ewa Lis")
    PersonPhone.objects.create(person=person, number="+48501369856")
    UnitMembership.objects.create(person=person, unit=lipowa)
    earlier = _ticket("Korekta MZ-06", requester_email="ewa.lis@przychodnia-lipowa.example.pl")

    tab.log_in(live_server.url, "alice", PASSWORD)
    tab.click("a[href='/tickets/calls/new']", navigates=True)
    tab.wait("#call-form")
    # the save button with its "(Ctrl+Enter)" hint, once on screen, is readable (axe-core judges contrast in view)
    tab.evaluate("() => document.querySelector('#call-form button[type=submit]').scrollIntoView()")
    tab.check_accessibility("the call form scrolled to its save button")

    # the timer starts with the page; Ctrl+Enter too early sends an empty call: refused, and the timer goes on
    duration = "(n) => Number(document.querySelector('[name=duration_seconds]').value) >= n"
    tab.wait_until(duration, 2)
    tab.press("Control+Enter", "#id_caller_number", navigates=True, status=400)
    assert "Rozmowa jest pusta" in tab.text("main") and Ticket.objects.count() == 1  # the earlier one
    seconds = int(tab.evaluate("() => document.querySelector('[name=duration_seconds]').value"))
    assert seconds >= 2 and tab.text("#call-clock") != "0:00"
    tab.wait_until(duration, seconds + 1)
    assert tab.attribute("#call-timer", "data-stop") == tab.text("#call-timer")  # still running: it offers Stop

    tab.fill("#id_caller_number", "501 369 856")
    tab.wait("#caller-card ::-p-text(Ewa Lis)")
    tab.fill("#id_unit_query", "Lipowa")
    tab.click("#unit-suggestions button")
    tab.fill("#id_subject", "Korekta działu II MZ-88")
    tab.fill("#id_notes", "Pani Ewa pyta, jak poprawić dział II.")
    tab.check("#call-form input[name=outcome][value=new]")  # not settled on the phone: a new open ticket
    tab.press("Control+Enter", "#id_notes", navigates=True)  # saved from the keyboard
    created = Ticket.objects.get(subject="Korekta działu II MZ-88")
    assert tab.url.endswith(f"/tickets/{created.reference}/")
    assert "Pani Ewa pyta, jak poprawić dział II." in tab.text("main")
    call = created.entries.get(kind=Entry.Kind.CALL)
    assert (created.channel, created.reporting_unit, call.caller_number) == ("phone", lipowa, "+48501369856")
    assert call.call_duration_seconds >= seconds + 1  # the time before the refused submit counts

    # she calls again about the earlier ticket: the call joins it
    tab.click("a[href='/tickets/calls/new']", navigates=True)
    tab.wait("#call-form")
    tab.fill("#id_caller_number", "501 369 856")
    tab.fill("#id_notes", "Dzwoni ponownie w sprawie korekty MZ-06.")
    tab.fill("#id_ticket", earlier.reference)
    # the outcome left at its default ("explained on the call") is refused, never a new ticket instead
    tab.click("#call-form button[type=submit]", navigates=True, status=400)
    assert tab.count("#call-form .errorlist") == 1 and Ticket.objects.count() == 2
    tab.check("#call-form input[name=outcome][value=existing]")
    tab.fill("#id_ticket", earlier.reference)
    tab.click("#call-form button[type=submit]", navigates=True)
    assert tab.url.endswith(f"/tickets/{earlier.reference}/")
    assert earlier.entries.filter(kind=Entry.Kind.CALL, body_text__contains="ponownie").count() == 1
    assert Ticket.objects.count() == 2

    # a third call, about the ticket her first call opened: picked from the caller card, which sets the
    # reference and the outcome "add to an existing ticket"
    tab.click("a[href='/tickets/calls/new']", navigates=True)
    tab.fill("#id_caller_number", "501 369 856")
    tab.click(f"#caller-card [data-pick-ticket='{created.reference}']")
    assert tab.evaluate("() => document.querySelector('#id_ticket').value") == created.reference
    assert tab.evaluate("() => document.querySelector('#call-form input[name=outcome][value=existing]').checked")
    tab.fill("#id_notes", "Dziękuje, dział II poprawiony.")
    tab.click("#call-form button[type=submit]", navigates=True)
    assert tab.url.endswith(f"/tickets/{created.reference}/")
    assert created.entries.filter(kind=Entry.Kind.CALL).count() == 2 and Ticket.objects.count() == 2

    _refused(open_tab, live_server.url, f"/tickets/{created.reference}/", f"/sprawozdania/jednostka/{lipowa.regon}/")


# --- a region's reports and reminders -----------------------------------------------------------------------------


def _region():
    cache.clear()  # the reminders' rate limit
    office("14")
    office("24")
    late = unit(5001, "14", name="Przychodnia Spóźniona", email="rejestracja@spozniona.example.pl")
    draft = unit(5002, "14", name="Przychodnia Robocza", email="biuro@robocza.example.pl")
    third = unit(5003, "14", name="Przychodnia Trzecia", email="biuro@trzecia.example.pl")
    year = lookup.default_year()  # the year the pages offer first, whatever today's date
    report(late, "MZ-88", year, "after_deadline")
    report(draft, "MZ-88", year, "draft")
    report(third, "MZ-88", year, "assigned")
    return year, late, draft, third


def test_a_regional_admin_sets_a_units_report_status_explicitly(tab, open_tab, live_server, bob, celina):
    year, late, _draft, _third = _region()
    tab.log_in(live_server.url, "bob", PASSWORD)
    tab.goto(f"{live_server.url}/sprawozdania/?form=MZ-88&year={year}")
    tab.click(f"a[href='/sprawozdania/jednostka/{late.regon}/']", navigates=True)
    form = "form[action$='/sprawozdania/status']"
    tab.fill(f"{form} select[name=form]", "MZ-88")
    tab.fill(f"{form} select[name=year]", str(year))
    tab.fill(f"{form} select[name=status]", "accepted")
    tab.fill(f"{form} input[name=note]", "Przyjęte telefonicznie.")
    tab.click(f"{form} button[type=submit]", navigates=True)
    assert tab.url.endswith(f"/sprawozdania/jednostka/{late.regon}/")
    assert Submission.objects.get(unit=late, form__code="MZ-88", year=year).status.code == "accepted"
    assert Submission.objects.filter(unit=late).count() == 1  # nothing else written

    _refused(open_tab, live_server.url, f"/sprawozdania/jednostka/{late.regon}/")


def test_a_regional_admin_ticks_two_units_confirms_the_count_and_reminders_are_queued(
    tab, open_tab, live_server, mailoutbox, bob, celina
):
    year, late, draft, third = _region()
    tab.log_in(live_server.url, "bob", PASSWORD)
    tab.goto(f"{live_server.url}/sprawozdania/?form=MZ-88&year={year}")
    boxes = "form[action$='/przypomnienia'] input[type=checkbox][name=unit]"
    assert tab.evaluate(f"() => [...document.querySelectorAll({boxes!r})].filter(b => b.checked).length") == 0
    tab.check(f"{boxes}[value='{late.pk}']")
    tab.check(f"{boxes}[value='{draft.pk}']")
    tab.click("form[action$='/przypomnienia'] button[type=submit]", navigates=True)
    assert "2" in tab.text("h1")  # "Wysłać przypomnienie do 2 jednostek?"
    assert not Reminder.objects.exists() and not OutboxMessage.objects.exists()  # nothing sent yet
    tab.click("form[action$='/przypomnienia'] button[name=confirm]", navigates=True)
    assert set(Reminder.objects.values_list("unit", flat=True)) == {late.pk, draft.pk}
    assert len(_sent_to("biuro@robocza.example.pl")) == len(_sent_to("rejestracja@spozniona.example.pl")) == 1
    assert not _sent_to("biuro@trzecia.example.pl")

    _refused(open_tab, live_server.url, f"/sprawozdania/jednostka/{third.regon}/")


# --- the knowledge-base editor ------------------------------------------------------------------------------------


def test_an_editor_writes_previews_submits_for_review_and_publishes_an_article(
    tab, open_tab, live_server, redaktor, celina
):
    cache.clear()
    tab.log_in(live_server.url, "redaktor", PASSWORD)
    tab.goto(f"{live_server.url}/redakcja/")
    tab.click("a[href='/redakcja/nowy/']", navigates=True)
    tab.fill("#id_title", "Jak wycofać błędnie wysłane sprawozdanie MZ-29")
    tab.fill("#id_kind", "manual")
    tab.fill("#id_summary", "Wycofanie sprawozdania przed akceptacją.")
    tab.fill("#id_body", "## Wycofanie\n\nWybierz **Wycofaj** na liście sprawozdań, zanim urząd je zaakceptuje.")
    tab.fill("#id_visibility", "public")
    tab.click("button[name=preview]", navigates=True)
    assert "<strong>Wycofaj</strong>" in tab.content()
    assert not Article.objects.exists()  # a preview writes nothing
    tab.click("button[name=save]", navigates=True)
    article = Article.objects.get()
    assert tab.url.endswith(f"/redakcja/{article.pk}/") and article.status == Status.DRAFT

    for status in (Status.REVIEW, Status.PUBLISHED):
        tab.fill("form[action$='/stan'] select[name=status]", status)
        tab.click("form[action$='/stan'] button", navigates=True)
        article.refresh_from_db()
        assert article.status == status

    tab.goto(f"{live_server.url}/")
    tab.fill("#kb-q", "wycofac bledne sprawozdanie")
    tab.click("main form[role=search] button[type=submit]", navigates=True)
    assert tab.attribute("ol.kb-results > li h2 a", "href") == article.get_absolute_url()

    _refused(open_tab, live_server.url, "/redakcja/", f"/redakcja/{article.pk}/")


# --- quarantine ---------------------------------------------------------------------------------------------------


def test_a_regional_admin_releases_a_quarantined_message_into_a_ticket(tab, open_tab, live_server, bob, celina):
    box = Mailbox.objects.create(
        name="m14", email_address="m14@localhost", host="h", username="u", queue=Queue.objects.get(slug="woj-14")
    )
    row = RawMessage.objects.create(
        mailbox=box,
        raw=message(subject="Sprawozdanie MZ-11 w załączniku"),
        size=100,
        sha256="0" * 64,
        subject="Sprawozdanie MZ-11 w załączniku",
        sender="jan.nowak@przychodnia.example.pl",
        status=RawMessage.Status.QUARANTINED,
        outcome=RawMessage.Outcome.QUARANTINED,
        reason="ValueError: zepsuta",
    )
    tab.log_in(live_server.url, "bob", PASSWORD)
    tab.goto(f"{live_server.url}/inbox/quarantine/")
    tab.click(f"a[href='/inbox/quarantine/{row.pk}/']", navigates=True)
    tab.click(f"form[action$='/inbox/quarantine/{row.pk}/create'] button", navigates=True)
    ticket = Ticket.objects.get()
    assert tab.url.endswith(f"/tickets/{ticket.reference}/")
    assert ticket.queue == box.queue and ticket.entries.get().attachments.get().filename == "oryginal.eml"
    assert RawMessage.objects.get(pk=row.pk).ticket == ticket

    _refused(open_tab, live_server.url, f"/inbox/quarantine/{row.pk}/", f"/tickets/{ticket.reference}/")


# --- live updates (the real ASGI server: websockets) --------------------------------------------------------------


def test_a_colleagues_note_shows_up_as_a_refresh_offer_on_the_open_list(open_tab, daphne_server, alice, bob, celina):
    ticket = _ticket("Termin MZ-11", body="Do kiedy?")  # Mazowieckie: alice and bob see it, celina does not
    alice_tab, celina_tab, bob_tab = open_tab(), open_tab(), open_tab()
    alice_tab.log_in(daphne_server, "alice", PASSWORD)
    celina_tab.log_in(daphne_server, "celina", PASSWORD)
    alice_tab.wait("#live-notice", hidden=True)

    bob_tab.log_in(daphne_server, "bob", PASSWORD)
    bob_tab.goto(f"{daphne_server}/tickets/{ticket.reference}/")
    bob_tab.fill("#reply-form select[name=kind]", "note")
    bob_tab.fill("#reply-form textarea[name=body_text]", "Sprawdzam w harmonogramie.")
    bob_tab.click("#reply-form button[type=submit]", navigates=True)
    assert ticket.entries.filter(kind=Entry.Kind.NOTE, author=bob).count() == 1

    alice_tab.wait("#live-notice")  # the list offers a refresh, without reloading
    assert alice_tab.text("#live-notice [data-count]") == "1"
    alice_tab.check_accessibility("the list with its refresh offer")
    celina_tab.reload()  # her list, pushed to or caught up on connecting, knows of nothing
    assert celina_tab.evaluate("() => document.querySelector('#live-notice').hidden") is True
    assert ticket.reference not in celina_tab.text("main")


def test_two_agents_on_one_ticket_see_each_other_typing_and_a_stale_reply_is_held_back_once(
    open_tab, daphne_server, alice, celina
):
    User.objects.create_user(username="adam", password=PASSWORD, role=alice.role, first_name="Adam")
    ticket = _ticket("Brak MZ-06", body="Nie widzę MZ-06.", queue="centralna")
    url = f"{daphne_server}/tickets/{ticket.reference}/"
    alice_tab, adam_tab = open_tab(), open_tab()
    alice_tab.log_in(daphne_server, "alice", PASSWORD)
    adam_tab.log_in(daphne_server, "adam", PASSWORD)
    alice_tab.goto(url)
    adam_tab.goto(url)

    viewers = "(name) => document.querySelector('[data-viewers]').textContent === name"
    alice_tab.wait_until(viewers, "Adam")
    adam_tab.wait_until(viewers, "Alice")
    alice_tab.check_accessibility("the ticket showing who else views it")

    alice_tab.fill("#reply-form select[name=kind]", "outbound")
    alice_tab.fill("#reply-form textarea[name=body_text]", "Dzień dobry, formularz MZ-06 ")
    adam_tab.wait("[data-typing]")
    assert adam_tab.text("[data-typing]") == "Alice"

    adam_tab.fill("#reply-form select[name=kind]", "note")
    adam_tab.fill("#reply-form textarea[name=body_text]", "Dzwoniłem, sprawa wyjaśniona.")
    adam_tab.click("#reply-form button[type=submit]", navigates=True)

    alice_tab.wait("#ticket-changed")  # warned before sending
    assert alice_tab.text("#ticket-changed [data-who]") == "Adam"
    alice_tab.check_accessibility("the ticket with the warning of a change")
    text = "Dzień dobry, formularz MZ-06 jest już na liście."
    alice_tab.fill("#reply-form textarea[name=body_text]", text)
    alice_tab.click("#reply-form button[type=submit]", navigates=True, status=None)  # held back once, text kept
    assert "Zgłoszenie zmieniło się, gdy pisałeś(-aś)" in alice_tab.text("main")
    assert alice_tab.evaluate("() => document.querySelector('#reply-form textarea').value") == text
    assert not ticket.entries.filter(kind=Entry.Kind.OUTBOUND).exists()
    alice_tab.click("#reply-form button[type=submit]", navigates=True)
    assert ticket.entries.filter(kind=Entry.Kind.OUTBOUND).get().body_text == text

    _refused(open_tab, daphne_server, f"/tickets/{ticket.reference}/")
