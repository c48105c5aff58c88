"""A unit's e-mail domain comes in with the units import: derived from the unit's e-mail address (never a public
provider's, like gmail.com or wp.pl), or written in a `domena` / `email_domain` column, which wins. Proven the
way an operator works: units imported by the real `import_units` command from a CSV or XLSX made here, then
mail ingested through inbox_ingest (one message at a time, and the batched `ingest_mail` path)."""

from __future__ import annotations

import io
import json
import mailbox as stdlib_mailbox
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from contacts import mail_domains
from contacts.models import ReportingUnit
from inbox_ingest import actions as ingest_actions
from tests.mailtools import message
from tests.submission_data import regon9
from tickets.models import Identification, Ticket

pytestmark = pytest.mark.django_db

HEADER = ["REGON", "Nazwa", "Województwo", "E-mail", "Osoba kontaktowa"]
FIVE_UNITS = [  # as a register extract has them: the unit's own domain, or a public provider's for a small practice
    [regon9(8101), "SP ZOZ w Radomiu", "14", "sekretariat@spzoz-radom.example.pl", "Ewa Lis"],
    [regon9(8102), "Szpital Specjalistyczny w Katowicach", "śląskie", "statystyka@szpital-kat.example.pl", ""],
    [regon9(8103), "Przychodnia Rodzinna Zdrowie", "woj. mazowieckie", "Biuro@Zdrowie-Plock.example.pl", ""],
    [regon9(8104), "Gabinet Lekarski Anna Nowak", " 14 ", "gabinet.nowak@gmail.com", "Anna Nowak"],
    [regon9(8105), "Centrum Medyczne Lublin", "06", "rejestracja@cm-lublin.example.pl", ""],
]
# people the directory does not know, writing from the units' domains (and from gmail.com)
SENDERS = {
    "jan.kowalski@spzoz-radom.example.pl": regon9(8101),
    "k.wrona@szpital-kat.example.pl": regon9(8102),
    "Marta.Sowa@ZDROWIE-PLOCK.example.pl": regon9(8103),
    "kadry@cm-lublin.example.pl": regon9(8105),
    "ktos.inny@gmail.com": None,
}


def _csv(tmp_path, rows, header=HEADER, name="jednostki.csv"):
    path = tmp_path / name
    path.write_text("\n".join(";".join(row) for row in [header, *rows]) + "\n", encoding="utf-8")
    return path


def _xlsx(tmp_path, rows, header=HEADER):
    book = Workbook()
    sheet = book.active
    for row in [header, *rows]:
        sheet.append(row)
    path = tmp_path / "jednostki.xlsx"
    book.save(path)
    return path


def _import(path) -> str:
    out = StringIO()
    call_command("import_units", str(path), "--quiet", stdout=out)
    return out.getvalue()


@pytest.fixture
def ingest(run_on_commit):
    ingest_actions._OWN_CACHE.clear()

    def run(raw: bytes) -> Ticket:
        row, _new = ingest_actions.store(raw=raw, mailbox=None, uid=None, uidvalidity=None)
        result = run_on_commit(ingest_actions.process, row.pk)
        return Ticket.objects.get(reference=result.ticket)

    return run


def _question(sender: str, number: int) -> bytes:
    return message(
        sender=f"Pytający <{sender}>",
        subject="Nie mogę wysłać MZ-11",
        message_id=f"<q{number}@nadawca.example>",
        body="Dzień dobry,\nsystem nie przyjmuje sprawozdania, co robić?\n",
    )


def _method(ticket: Ticket) -> str:
    event = ticket.events.filter(kind="identified").first()
    return event.data.get("method", "") if event else ""


def test_five_imported_units_identify_the_mail_of_people_at_their_domains_and_gmail_identifies_nobody(
    tmp_path, ingest, central
):
    assert "created: 5" in _import(_csv(tmp_path, FIVE_UNITS))
    domains = dict(ReportingUnit.objects.values_list("regon", "email_domain"))
    assert domains == {
        regon9(8101): "spzoz-radom.example.pl",
        regon9(8102): "szpital-kat.example.pl",
        regon9(8103): "zdrowie-plock.example.pl",
        regon9(8104): "",  # gmail.com names no unit
        regon9(8105): "cm-lublin.example.pl",
    }
    for number, (sender, regon) in enumerate(SENDERS.items()):
        ticket = ingest(_question(sender, number))
        if regon is None:
            assert ticket.reporting_unit is None and ticket.identification == Identification.UNIDENTIFIED
        else:
            assert ticket.reporting_unit.regon == regon, sender
            assert ticket.identification == Identification.IDENTIFIED and _method(ticket) == "domain"


def test_the_gmail_practice_is_still_known_by_its_own_address_but_not_by_its_provider(tmp_path, ingest, central):
    _import(_csv(tmp_path, FIVE_UNITS))
    own = ingest(_question("gabinet.nowak@gmail.com", 1))
    assert own.reporting_unit.regon == regon9(8104) and _method(own) == "sender"
    stranger = ingest(_question("anna.nowak1975@gmail.com", 2))
    assert stranger.reporting_unit is None and stranger.identification == Identification.UNIDENTIFIED


def test_units_imported_from_xlsx_identify_mail_ingested_in_batches(tmp_path, central):
    _import(_xlsx(tmp_path, FIVE_UNITS))
    maildir = stdlib_mailbox.Maildir(tmp_path / "Maildir")
    for number, sender in enumerate(SENDERS):
        maildir.add(_question(sender, number))
    out = io.StringIO()
    call_command("ingest_mail", str(tmp_path / "Maildir"), "--json", stdout=out)
    references = [json.loads(line)["ticket"] for line in out.getvalue().splitlines()]
    tickets = Ticket.objects.filter(reference__in=references).select_related("reporting_unit")
    found = {
        ticket.requester_email: (ticket.reporting_unit.regon if ticket.reporting_unit else None) for ticket in tickets
    }
    assert found == {sender.lower(): regon for sender, regon in SENDERS.items()}


def test_two_units_sharing_a_domain_never_take_each_others_senders(tmp_path, ingest, central):
    main, branch, other = regon9(8201), regon9(8202), regon9(8203)
    _import(
        _csv(
            tmp_path,
            [
                [main, "Szpital Wojewódzki w Siedlcach", "14", "sekretariat@szpital-siedlce.example.pl", "Ola Dąb"],
                [branch, "Szpital Wojewódzki – Poradnia", "14", "poradnia@szpital-siedlce.example.pl", "Piotr Buk"],
                [other, "Przychodnia Inna", "14", "biuro@inna.example.pl", ""],
            ],
        )
    )
    units = ReportingUnit.objects.in_bulk([main, branch], field_name="regon")
    assert {unit.email_domain for unit in units.values()} == {"szpital-siedlce.example.pl"}
    unknown = ingest(_question("nowa.osoba@szpital-siedlce.example.pl", 1))
    assert unknown.reporting_unit is None and unknown.identification == Identification.AMBIGUOUS
    assert set(unknown.unit_candidates) == {units[main].pk, units[branch].pk}
    for number, (sender, regon) in enumerate(
        [("poradnia@szpital-siedlce.example.pl", branch), ("sekretariat@szpital-siedlce.example.pl", main)], start=2
    ):
        known = ingest(_question(sender, number))  # a known person: their own unit, not the other one
        assert known.reporting_unit.regon == regon and _method(known) == "sender"


def test_the_domain_column_wins_and_a_dash_says_the_unit_has_none(tmp_path, ingest, central):
    header = ["regon", "name", "voivodeship", "email", "domena"]
    rows = [
        [regon9(8301), "NZOZ Medyk", "14", "medyk.nzoz@wp.pl", "@Medyk-Ostroleka.example.pl"],
        [regon9(8302), "Poradnia przy urzędzie", "14", "poradnia@um-ciechanow.example.pl", "-"],
        [regon9(8303), "Szpital Miejski", "14", "info@stara-domena.example.pl", "szpital-miejski.example.pl"],
    ]
    _import(_csv(tmp_path, rows, header))
    assert dict(ReportingUnit.objects.values_list("regon", "email_domain")) == {
        regon9(8301): "medyk-ostroleka.example.pl",
        regon9(8302): "",
        regon9(8303): "szpital-miejski.example.pl",
    }
    assert ingest(_question("lekarz@medyk-ostroleka.example.pl", 1)).reporting_unit.regon == regon9(8301)
    assert ingest(_question("ktos@um-ciechanow.example.pl", 2)).reporting_unit is None


def test_a_public_providers_or_malformed_domain_in_the_column_is_a_clear_row_error(tmp_path):
    header = ["regon", "name", "voivodeship", "email_domain"]
    rows = [
        [regon9(8401), "Dobra", "14", "dobra.example.pl"],
        [regon9(8402), "Na Onecie", "14", "poczta.onet.pl"],
        [regon9(8403), "Z literówką", "14", "szpital..example.pl"],
    ]
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("import_units", str(_csv(tmp_path, rows, header)), stdout=out)
    assert "wiersz 3: email_domain: Domena „poczta.onet.pl” należy do publicznego dostawcy poczty" in out.getvalue()
    assert "wiersz 4: email_domain: Nieprawidłowa domena e-mail „szpital..example.pl”." in out.getvalue()
    assert list(ReportingUnit.objects.values_list("regon", flat=True)) == [regon9(8401)]


def test_reimporting_fills_an_empty_domain_and_an_address_never_replaces_a_known_one(tmp_path):
    first, second = regon9(8501), regon9(8502)
    ReportingUnit.objects.create(regon=first, name="Zaimportowana przed poprawką", voivodeship_id="14")
    ReportingUnit.objects.create(regon=second, name="Z domeną", voivodeship_id="14", email_domain="wlasna.example.pl")
    rows = [
        [first, "Zaimportowana przed poprawką", "14", "stat@pierwsza.example.pl", ""],
        [second, "Z domeną", "14", "ktos@obca.example.pl", ""],
    ]
    assert "updated: 1, unchanged: 1" in _import(_csv(tmp_path, rows))
    assert ReportingUnit.objects.get(regon=first).email_domain == "pierwsza.example.pl"
    assert ReportingUnit.objects.get(regon=second).email_domain == "wlasna.example.pl"
    header = ["regon", "name", "voivodeship", "domena"]
    _import(_csv(tmp_path, [[second, "Z domeną", "14", "nowa.example.pl"]], header, name="poprawka.csv"))
    assert ReportingUnit.objects.get(regon=second).email_domain == "nowa.example.pl"


def test_the_admin_upload_fills_the_domain_too(client, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from helpdesk.models import Role, User

    admin = User.objects.create_superuser("root", "root@example.gov.pl", "test-pass-123", role=Role.ADMIN)
    client.force_login(admin)
    content = f"regon;name;voivodeship;email\n{regon9(8601)};Dobra;mazowieckie;a@dobra.example.pl\n".encode()
    upload = SimpleUploadedFile("jednostki.csv", content, content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/admin/contacts/importrun/upload/", {"kind": "units", "file": upload})
    assert ReportingUnit.objects.get(regon=regon9(8601)).email_domain == "dobra.example.pl"


@pytest.mark.parametrize(
    ("domain", "public"),
    [
        ("gmail.com", True),
        ("wp.pl", True),
        ("o2.pl", True),
        ("poczta.onet.pl", True),
        ("protonmail.com", True),
        ("Interia.PL", True),
        ("szpital.example.pl", False),
        ("pl", False),
        ("notwp.pl", False),
    ],
)
def test_public_providers_and_their_subdomains_are_known_from_one_list(domain, public):
    assert mail_domains.is_public(domain) is public


def test_a_unit_domain_is_the_one_own_domain_its_addresses_share():
    assert mail_domains.unit_domain(["A@Szpital.example.pl", "b@szpital.example.pl", "c@gmail.com"]) == (
        "szpital.example.pl"
    )
    assert mail_domains.unit_domain(["c@gmail.com", "d@wp.pl"]) == ""
    assert mail_domains.unit_domain(["a@jeden.example.pl", "b@drugi.example.pl"]) == ""
