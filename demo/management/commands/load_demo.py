"""`manage.py load_demo`: demo data to try the helpdesk out, in Polish, safe to run any number of times.

Creates the regional offices, a few hundred generated reporting units with valid REGON/NIP and their
people, demo staff accounts with fixed passwords ("demo-" + login), extra days off of the office calendar and
about forty sample tickets. Tickets are written only through tickets.actions; a sample ticket is skipped when
the Message-ID of its first entry is already in the database. The data itself lives in demo/data.py.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from email.utils import parseaddr

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from phonenumbers import PhoneNumberFormat, format_number, parse

from contacts import actions as contacts_actions
from contacts.identifiers import normalize_phone
from contacts.models import (
    Person,
    PersonEmail,
    PersonPhone,
    RegionalOffice,
    ReportingUnit,
    StatisticalForm,
    Submission,
    UnitMembership,
    Voivodeship,
)
from contacts.submissions import CREATED, StatusBatch
from demo import data as demo
from demo.data import DemoTicket
from helpdesk import access
from helpdesk.models import BusinessCalendar, CalendarClosure, Role, User
from knowledge_base.models import Article
from tickets import actions
from tickets.models import Category, Entry, Queue

OFFICE_VALID_FROM = dt.date(2025, 1, 1)
UNIT_FIELDS = ("name", "nip", "rpwdl", "kind", "voivodeship_id", "address", "email_domain")
ATTACHMENTS = {
    "png": actions.NewAttachment("zrzut-ekranu-mz88.png", demo.screenshot_png(), "image/png"),
    "txt": actions.NewAttachment("komunikat-bledu-mz11.txt", demo.VALIDATION_LOG.encode(), "text/plain"),
}


def demo_message_id(number: int, part: int = 1) -> str:
    """The Message-ID of a sample ticket's inbound entry: the key that makes the tickets idempotent."""
    suffix = f"-{part}" if part > 1 else ""
    return f"<demo-ticket-{number:03d}{suffix}@{demo.DEMO_MESSAGE_DOMAIN}>"


def office_domain(voivodeship: Voivodeship) -> str:
    return f"{demo.ascii_slug(voivodeship.name)}.uw.gov.example"


class Command(BaseCommand):
    help = "Wczytuje dane demonstracyjne: urzędy wojewódzkie, jednostki, osoby, konta pracowników i zgłoszenia."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Wypisz tylko tabelę kont demonstracyjnych.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Załaduj mimo produkcyjnych ustawień (tworzy konta ze znanymi hasłami!).",
        )

    def handle(self, *args, quiet: bool = False, **options):
        if not settings.ALLOW_DEMO_DATA and not options["force"]:
            raise CommandError(
                "Dane demonstracyjne tworzą konta ze znanymi hasłami (np. admin / demo-admin): "
                "w instalacji produkcyjnej (DEBUG=false, ALLOW_DEMO_DATA nieustawione) odmawiam. "
                "Użyj --force, jeśli naprawdę tego chcesz."
            )
        started = time.monotonic()
        task_log = logging.getLogger("celery.app.trace")  # in-process tasks log one line per outbox message
        level = task_log.level
        task_log.setLevel(max(level, logging.WARNING))
        try:
            with transaction.atomic():
                rows = [self.load_offices(), *self.load_units_and_people(), self.load_staff(), self.load_closures()]
                rows.append(self.load_submissions())
            rows.append(self.load_tickets())  # one transaction per ticket: replies are mailed after each commit
        finally:
            task_log.setLevel(level)
        if not quiet:
            self.stdout.write("Dane demonstracyjne:")
            for label, total, created in rows:
                self.stdout.write(f"  {label}: {total} (nowe: {created})")
            self.stdout.write(f"Gotowe w {time.monotonic() - started:.1f} s.\n\n")
        self.print_logins()
        call_command("load_kb", stdout=self.stdout)  # the knowledge base's starter articles (knowledge_base/)
        self.link_form_instructions()

    def link_form_instructions(self) -> None:
        """Link some forms to their instructions explicitly (the others find theirs by the forms listed in the
        articles); a form an administrator has already linked is left alone."""
        articles = {a.slug: a for a in Article.objects.filter(slug__in=demo.FORM_INSTRUCTIONS.values())}
        forms = StatisticalForm.objects.filter(code__in=demo.FORM_INSTRUCTIONS, instruction_article__isnull=True)
        for form in forms:
            article = articles.get(demo.FORM_INSTRUCTIONS[form.code])
            if article is not None:
                contacts_actions.set_form_instruction(actor=None, form=form, article=article)

    # --- contacts ----------------------------------------------------------------------------------------

    def load_offices(self):
        created = 0
        for voivodeship in Voivodeship.objects.filter(code__in=demo.OFFICES):
            adjective, seat, address, _area = demo.OFFICES[voivodeship.code]
            _office, new = RegionalOffice.objects.get_or_create(
                voivodeship=voivodeship,
                valid_from=OFFICE_VALID_FROM,
                defaults={
                    "name": f"{adjective} Urząd Wojewódzki {seat}",
                    "department": demo.OFFICE_DEPARTMENT,
                    "email": f"statystyka@{office_domain(voivodeship)}",
                    "phone": demo.office_phone(voivodeship.code),
                    "address": address,
                },
            )
            created += new
        return "urzędy wojewódzkie (realizatorzy)", RegionalOffice.objects.count(), created

    def load_units_and_people(self):
        specs, people = demo.generate()
        existing = {u.regon: u for u in ReportingUnit.objects.filter(regon__in=[s.regon for s in specs])}
        new, changed, now = [], [], timezone.now()
        for spec in specs:
            values = {field: getattr(spec, field.removesuffix("_id")) for field in UNIT_FIELDS}
            unit = existing.get(spec.regon)
            if unit is None:
                new.append(ReportingUnit(regon=spec.regon, **values))
            elif any(getattr(unit, field) != value for field, value in values.items()):
                for field, value in values.items():
                    setattr(unit, field, value)
                unit.updated_at = now
                changed.append(unit)
        ReportingUnit.objects.bulk_create(new, batch_size=500)
        ReportingUnit.objects.bulk_update(changed, [*UNIT_FIELDS, "updated_at"], batch_size=500)
        unit_ids = dict(ReportingUnit.objects.filter(regon__in=[s.regon for s in specs]).values_list("regon", "pk"))

        person_ids = dict(
            PersonEmail.objects.filter(email__in=[p.email for p in people]).values_list("email", "person")
        )
        fresh = [p for p in people if p.email not in person_ids]
        persons = Person.objects.bulk_create([Person(name=p.name) for p in fresh], batch_size=500)
        pairs = list(zip(persons, fresh, strict=True))
        PersonEmail.objects.bulk_create([PersonEmail(person=o, email=p.email) for o, p in pairs])
        PersonPhone.objects.bulk_create(
            [PersonPhone(person=o, number=normalize_phone(n)) for o, p in pairs for n in p.phones]
        )
        person_ids.update({p.email: o.pk for o, p in pairs})
        before = UnitMembership.objects.count()
        memberships = [
            UnitMembership(person_id=person_ids[p.email], unit_id=unit_ids[regon], role=role)
            for p in people
            for regon, role in p.memberships
        ]
        UnitMembership.objects.bulk_create(memberships, batch_size=500, ignore_conflicts=True)
        return [
            ("jednostki sprawozdawcze", len(specs), len(new)),
            ("osoby kontaktowe", len(people), len(fresh)),
            ("powiązania osób z jednostkami", len(memberships), UnitMembership.objects.count() - before),
        ]

    def load_submissions(self):
        """Submission statuses of the demo units (three reporting years), recorded like any feed: idempotent."""
        batch = StatusBatch(source=Submission.Source.DEMO)
        today = timezone.localdate()
        specs, _people = demo.generate()
        rows = [
            (n, {"regon": spec.regon, "form": form, "year": year, "status": status, "changed_at": changed_at})
            for spec in specs
            for n, (form, year, status, changed_at) in enumerate(
                demo.submission_plan(
                    spec.regon, spec.kind, first_year=today.year - 2, latest=(today - dt.timedelta(days=1)).isoformat()
                )
            )
        ]
        outcome = batch.apply((f"{key}-{index}", values) for index, (key, values) in enumerate(rows))
        counts = outcome.count()
        return "statusy sprawozdań", len(rows), counts[CREATED]

    # --- staff and calendar ------------------------------------------------------------------------------

    def load_staff(self):
        created = 0
        for username, first, last, role, codes, queue_slugs, organisation in demo.STAFF:
            user = User.objects.filter(username=username).first()
            if user is None:
                office = RegionalOffice.objects.filter(voivodeship_id__in=codes).select_related("voivodeship").first()
                domain = office_domain(office.voivodeship) if office else demo.STAFF_EMAIL_DOMAIN
                user = User.objects.create_user(
                    username=username,
                    password=f"demo-{username}",  # only when the account is created: a changed password stays
                    email=f"{demo.ascii_slug(first)[0]}.{demo.ascii_slug(last)}@{domain}",
                    first_name=first,
                    last_name=last,
                    role=role,
                    is_staff=role == Role.ADMIN,
                    is_superuser=role == Role.ADMIN,
                    signature=f"{first} {last}\n{organisation}",
                )
                created += 1
            user.voivodeships.add(*codes)
            for queue in Queue.objects.filter(slug__in=queue_slugs):
                queue.members.add(user)
            for office in RegionalOffice.objects.filter(voivodeship_id__in=codes, valid_from=OFFICE_VALID_FROM):
                office.members.add(user)
        return "konta pracowników", len(demo.STAFF), created

    def load_closures(self):
        calendar = BusinessCalendar.objects.filter(name=demo.CLOSURE_CALENDAR).first()
        if calendar is None:
            self.stderr.write(f"Brak kalendarza „{demo.CLOSURE_CALENDAR}”: pomijam dni wolne.")
            return "dni wolne w kalendarzu", 0, 0
        created = 0
        for day, reason in demo.CLOSURES:
            _closure, new = CalendarClosure.objects.get_or_create(
                calendar=calendar, date=dt.date.fromisoformat(day), defaults={"reason": reason}
            )
            created += new
        return "dni wolne w kalendarzu", len(demo.CLOSURES), created

    # --- tickets -----------------------------------------------------------------------------------------

    def load_tickets(self):
        self.users = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in demo.STAFF])}
        self.queues = {q.slug: q for q in Queue.objects.all()}
        self.categories = {c.slug: c for c in Category.objects.all()}
        self.inbox = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
        created = 0
        for number, spec in enumerate(demo.TICKETS, 1):
            if Entry.objects.filter(message_id=demo_message_id(number)).exists():
                continue
            with transaction.atomic():  # all of a sample ticket or nothing, so a rerun can finish the job
                self.open_demo_ticket(number, spec)
            created += 1
        return "zgłoszenia przykładowe", len(demo.TICKETS), created

    def requester(self, spec: DemoTicket) -> UnitMembership | None:
        """The `spec.nth` unit of the wanted kind in the voivodeship, with one of its people (stable order)."""
        if not spec.unit:
            return None
        pairs = list(
            UnitMembership.objects.filter(unit__voivodeship_id=spec.voivodeship)
            .select_related("unit", "person")
            .prefetch_related("person__emails", "person__phones")
            .order_by("unit__regon", "person_id")
        )
        per_person = Counter(m.person_id for m in pairs)
        wanted = {
            "any": lambda m: True,
            "multi": lambda m: per_person[m.person_id] >= 3,
            "local": lambda m: len(m.unit.regon) == 14,
        }.get(spec.unit, lambda m: m.unit.kind == spec.unit)
        female = spec.gender == "f"
        gender = (lambda m: m.person.name.split()[0].endswith("a") == female) if spec.gender else (lambda m: True)
        for test in (lambda m: wanted(m) and gender(m), wanted, lambda m: True):  # relax if the data was edited
            by_unit = {}
            for membership in pairs:
                if test(membership) and membership.person.emails.all():
                    by_unit.setdefault(membership.unit_id, membership)
            if by_unit:
                return list(by_unit.values())[spec.nth % len(by_unit)]
        return None

    def open_demo_ticket(self, number: int, spec: DemoTicket) -> None:
        membership = self.requester(spec)
        unit = membership.unit if membership else None
        person = membership.person if membership else None
        name, email = (person.name, person.emails.all()[0].email) if person else spec.sender
        phones = list(person.phones.all()) if person else []
        phone = phones[0].number if phones else ""
        text = {
            "osoba": name,
            "jednostka": unit.name if unit else "",
            "regon": unit.regon if unit else "",
            "regon_kreski": demo.format_regon(unit.regon) if unit else "",
            "nip": demo.format_nip(unit.nip) if unit and unit.nip else "",
            "telefon": format_number(parse(phone), PhoneNumberFormat.NATIONAL) if phone else "",
        }
        is_call = spec.channel == "phone"
        request = actions.NewTicket(
            channel=spec.channel,
            subject=spec.subject,
            message=actions.Message(
                text=spec.body.format(**text), attachments=(ATTACHMENTS[spec.attachment],) if spec.attachment else ()
            ),
            requester=actions.Requester(name=name, email=email, phone=phone, person=person, unit=unit),
            routing=actions.Routing(
                queue=self.queues.get(spec.queue or ""),
                category=self.categories.get(spec.category),
                priority=spec.priority,
            ),
            email=actions.EmailHeaders(
                message_id=demo_message_id(number), to=[self.inbox] if spec.channel == "email" else []
            ),
            call=actions.CallDetails(direction=spec.call[0], duration_seconds=spec.call[1]) if is_call else None,
        )
        (ticket,) = actions.open_tickets([request], actor=self.users[spec.opened_by] if is_call else None)
        for part, (step, *args) in enumerate(spec.steps, 2):
            self.run_step(ticket, number, part, step, args, text)

    def run_step(self, ticket, number: int, part: int, step: str, args: list, text: dict) -> None:
        actor = self.users.get(args[0]) if step != "customer" else None
        if step == "move":
            actions.move_to_queue(actor=actor, ticket=ticket, queue=self.queues[args[1]], reason=args[2])
        elif step == "assign":
            actions.assign(actor=actor, ticket=ticket, assignee=self.users[args[1]])
        elif step == "status":
            actions.change_status(actor=actor, ticket=ticket, status=args[1], reason=args[2])
        else:  # a conversation entry: the text is always the last argument
            kind = {"reply": Entry.Kind.OUTBOUND, "note": Entry.Kind.NOTE, "call": Entry.Kind.CALL}
            body = args[-1].format(**text)
            call, sender, headers = None, actions.Sender(), actions.EmailHeaders()
            if step == "reply":
                body += f"\n\nZ poważaniem\n{actor.signature or actor}"
            elif step == "call":
                call = actions.CallDetails(direction=args[1], duration_seconds=args[2])
            elif step == "customer":
                replies = ticket.entries.filter(kind=Entry.Kind.OUTBOUND).order_by("-created_at", "-id")
                sender = actions.Sender(name=ticket.requester_name, email=ticket.requester_email)
                headers = actions.EmailHeaders(
                    to=[self.inbox],
                    message_id=demo_message_id(number, part),
                    in_reply_to=replies.values_list("message_id", flat=True).first() or "",
                )
            elif step != "note":
                raise ValueError(f"Nieznany krok zgłoszenia demonstracyjnego: {step}")
            entry = actions.NewEntry(
                ticket=ticket,
                kind=kind.get(step, Entry.Kind.INBOUND),
                message=actions.Message(text=body),
                sender=sender,
                email=headers,
                call=call,
            )
            actions.add_entries([entry], actor=actor)

    # --- output ------------------------------------------------------------------------------------------

    def print_logins(self) -> None:
        self.stdout.write("Konta demonstracyjne (hasło ustawiane tylko przy zakładaniu konta):")
        self.stdout.write(f"  {'login':<13}{'hasło':<18}{'rola':<28}województwa")
        users = User.objects.filter(username__in=[s[0] for s in demo.STAFF]).prefetch_related("voivodeships")
        by_name = {user.username: user for user in users}
        for username, *_ in demo.STAFF:
            user = by_name.get(username)
            if user is None:
                continue
            codes = ", ".join(f"{v.code} {v.name}" for v in user.voivodeships.all())
            scope = "wszystkie" if access.voivodeship_scope(user).is_everything else (codes or "–")
            role = str(Role(user.role).label) if user.role in Role.values else user.role
            self.stdout.write(f"  {username:<13}{'demo-' + username:<18}{role:<28}{scope}")
