"""Every public path walked end to end in Chromium and Firefox ESR as each comes out of the box, as a person
does it: through the links and forms of the pages (not typed addresses), with the database checked afterwards.
Each page a tab arrives at must answer 200 (or the status named) and pass axe-core (tests/browser/runner.py).

Out of the box both browsers ask for en-US; the interface must be Polish all the same, on every page
(`_interface_was_polish()` at the end of each walk)."""

import re
from email import message_from_string

import pytest
from django.core import mail
from django.core.cache import cache

from contacts import lookup
from helpdesk import outbox
from helpdesk.models import Role, User
from knowledge_base.loading import load_starter_content
from knowledge_base.models import Article, Feedback, SearchLog
from tests.submission_data import office, report, unit
from tickets.models import Channel, Entry, Ticket

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _interface_was_polish(tab) -> None:
    """Out of the box both browsers ask for en-US: every page of the walk must still be Polish, not mixed."""
    assert not tab.interface_not_in("pl")


def test_a_person_searches_the_portal_reads_an_article_and_rates_it(tab, live_server):
    cache.clear()
    load_starter_content()
    tab.goto(live_server.url + "/")
    assert tab.count("main a[href^='/kategoria/']") >= 3  # the topics

    # the search box on the front page, with a typo and without diacritics, as people type
    tab.fill("#kb-q", "zapomnialem hasla do systemu")
    tab.click("main form[role=search] button[type=submit]", navigates=True)
    assert "/szukaj/?q=zapomnialem+hasla" in tab.url
    assert tab.count("ol.kb-results > li") >= 1
    first = tab.attribute("ol.kb-results > li h2 a", "href")
    article = Article.objects.get(slug=first.strip("/").split("/")[-1])
    log = SearchLog.objects.get()
    assert (log.source, log.query, log.results > 0) == (SearchLog.Source.PORTAL, "zapomnialem hasla do systemu", True)

    # the first result
    tab.click("ol.kb-results > li h2 a", navigates=True)
    assert tab.url.endswith(article.get_absolute_url())
    assert tab.text("h1") == article.title

    # "was it helpful?": yes, with a comment
    tab.check("#opinia input[type=radio][value='1']")
    tab.fill("#opinia textarea", "Pomogło, dziękuję.")
    tab.click("#opinia button[type=submit]", navigates=True)
    assert tab.url.endswith("?opinia=dziekujemy#opinia")
    assert tab.count("#opinia form") == 0  # the form gave way to the thanks
    assert list(Feedback.objects.values_list("article", "helpful", "comment")) == [
        (article.pk, True, "Pomogło, dziękuję.")
    ]

    # a topic from the front page's list, then one of its articles
    tab.goto(live_server.url + "/")
    topic = tab.attribute("main a[href^='/kategoria/']", "href")
    tab.click("main a[href^='/kategoria/']", navigates=True)
    assert tab.url.endswith(topic)
    tab.click("main a[href^='/artykul/']", navigates=True)
    assert Article.objects.filter(slug=tab.url.rstrip("/").split("/")[-1], category__slug=topic.split("/")[2]).exists()
    _interface_was_polish(tab)


def test_a_unit_checks_the_forms_catalogue_its_report_status_and_its_regional_administrator(tab, live_server):
    cache.clear()
    office("14")
    office("24")
    year = lookup.default_year()
    clinic = unit(1001, "14", name="Przychodnia Zdrowie Sp. z o.o.", email="jan.kowalski@przychodnia.example.pl")
    report(clinic, "MZ-88", year, "returned")
    report(clinic, "MZ-11", year, "accepted")

    tab.goto(live_server.url + "/")
    tab.click("header nav a[href='/formularze/']", navigates=True)
    catalogue = tab.text("main")
    assert "MZ-88" in catalogue and "MZ-11" in catalogue

    tab.click("header nav a[href='/status/']", navigates=True)
    # a REGON typed as people copy it, with a wrong check digit first: a clear error beside the field
    wrong = clinic.regon[:-1] + str((int(clinic.regon[-1]) + 1) % 10)
    tab.fill("#id_regon", wrong)
    tab.click("form.lookup-form button[type=submit]", navigates=True, status=400)
    assert tab.count("#regon-error") == 1
    assert tab.attribute("#id_regon", "aria-invalid") == "true"
    tab.fill("#id_regon", f"{clinic.regon[:3]}-{clinic.regon[3:6]} {clinic.regon[6:]}")
    tab.fill("#id_year", str(year))
    tab.click("form.lookup-form button[type=submit]", navigates=True)
    result = tab.text(".lookup-result")
    assert clinic.regon in result and "Przychodnia Zdrowie Sp. z o.o." in result
    assert tab.count(".lookup-result article.report") == 2
    assert "MZ-88" in result and "MZ-11" in result
    assert "statystyka14@uw.example.gov.pl" in result  # whom to ask about the returned report
    assert "jan.kowalski" not in tab.content()  # no personal data on a public page

    tab.click("header nav a[href='/administratorzy/']", navigates=True)
    assert tab.count("section.office-card") == 2
    offices = tab.text("main")
    assert "statystyka14@uw.example.gov.pl" in offices and "statystyka24@uw.example.gov.pl" in offices
    assert "mazowieckie" in offices and "śląskie" in offices
    _interface_was_polish(tab)


def _sent_to(address: str) -> list:
    outbox.drain()  # whatever waits in the outbox goes out now (it went on commit already, as a rule)
    return [message_from_string(m.message().as_string()) for m in mail.outbox if address in m.to]


def _body(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def test_a_requester_writes_reads_the_acknowledgement_replies_with_an_attachment_and_the_agent_sees_it(
    open_tab, live_server, mailoutbox, settings, tmp_path
):
    cache.clear()
    settings.SITE_URL = live_server.url  # the links in e-mails lead to this server, as they do in production
    User.objects.create_user(username="alicja", password="test-pass-123", role=Role.AGENT, first_name="Alicja")
    requester = open_tab()

    # the contact form, from the menu
    requester.goto(live_server.url + "/")
    requester.click("header nav a[href='/kontakt/']", navigates=True)
    requester.fill("#id_name", "Anna Kowalska")
    requester.fill("#id_email", "anna.kowalska@przychodnia.example.pl")
    requester.fill("#id_subject", "Nie mogę wysłać MZ-11")
    requester.fill("#id_body", "Przy wysyłce MZ-11 pojawia się błąd walidacji.")
    requester.click("#contact-form button[type=submit]", navigates=True)
    assert requester.url.endswith("/kontakt/wyslano/")
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.requester_email, ticket.subject) == (
        Channel.WEB,
        "anna.kowalska@przychodnia.example.pl",
        "Nie mogę wysłać MZ-11",
    )
    assert ticket.reference in requester.text("main")

    # the acknowledgement e-mail, with the private link
    [ack] = _sent_to("anna.kowalska@przychodnia.example.pl")
    assert ticket.reference in ack["Subject"]
    link = re.search(r"https?://\S+/zgloszenie/\S+/", _body(ack)).group(0)
    assert link.startswith(live_server.url)

    # the private link: the conversation so far, and a reply with a screenshot attached
    requester.goto(link)
    assert ticket.reference in requester.text("h1")
    assert "Przy wysyłce MZ-11 pojawia się błąd walidacji." in requester.text("ol.conversation")
    screenshot = tmp_path / "blad-walidacji.png"
    screenshot.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    requester.fill("#id_body", "Dołączam zrzut ekranu z komunikatem.")
    requester.upload("#id_attachments", screenshot)
    requester.click("main form[enctype='multipart/form-data'] button[type=submit]", navigates=True)
    assert requester.url == link  # back on the private page, with the reply in the conversation
    assert "Dołączam zrzut ekranu z komunikatem." in requester.text("ol.conversation")
    assert requester.count("ol.conversation a[href*='/pliki/']") == 1
    reply = ticket.entries.get(kind=Entry.Kind.INBOUND, body_text="Dołączam zrzut ekranu z komunikatem.")
    assert reply.sender_email == "anna.kowalska@przychodnia.example.pl"
    assert [(a.filename, a.file.size) for a in reply.attachments.all()] == [("blad-walidacji.png", 72)]

    # the agent logs in and finds the reply and its attachment on the ticket
    agent = open_tab()
    agent.log_in(live_server.url, "alicja", "test-pass-123")
    agent.goto(f"{live_server.url}/tickets/{ticket.reference}/")
    assert "Dołączam zrzut ekranu z komunikatem." in agent.text("main")
    href = agent.attribute("li.attachment a:not(.thumb)", "href")
    assert agent.text(f"li.attachment a[href='{href}']:not(.thumb)") == "blad-walidacji.png"
    fetched = agent.evaluate(
        "async (url) => { const r = await fetch(url); return [r.status, (await r.arrayBuffer()).byteLength]; }", href
    )
    assert fetched == [200, 72]
    _interface_was_polish(requester)


def test_a_visitor_switches_the_portal_to_english_and_back_on_a_kept_page(tab, live_server):
    """The switch posts without a CSRF token (docs/security.md): the kept pages are the same for every visitor,
    and the switch brings the visitor back to the page they were on, in the other language."""
    cache.clear()
    load_starter_content()
    tab.goto(live_server.url + "/szukaj/?q=haslo")
    tab.click("form.lang-switch button[value=en]", navigates=True)
    assert tab.url == live_server.url + "/szukaj/?q=haslo"
    assert tab.evaluate("() => document.documentElement.lang") == "en"
    tab.click("form.lang-switch button[value=pl]", navigates=True)
    assert tab.url == live_server.url + "/szukaj/?q=haslo"
    assert tab.evaluate("() => document.documentElement.lang") == "pl"
