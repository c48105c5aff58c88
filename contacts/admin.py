from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from contacts import catalogue, imports, privacy
from contacts.models import (
    DirectoryLog,
    FormDeadline,
    ImportRun,
    Person,
    PersonEmail,
    PersonPhone,
    RegionalOffice,
    Reminder,
    ReportingUnit,
    StatisticalForm,
    Submission,
    SubmissionChange,
    SubmissionStatus,
    UnitMembership,
    Voivodeship,
)
from contacts.tasks import queue_import


@admin.register(Voivodeship)
class VoivodeshipAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "seat")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegionalOffice)
class RegionalOfficeAdmin(admin.ModelAdmin):
    list_display = ("name", "voivodeship", "valid_from", "valid_to", "email", "phone")
    list_filter = ("voivodeship",)
    filter_horizontal = ("members",)


class MembershipInline(admin.TabularInline):
    model = UnitMembership
    extra = 0
    autocomplete_fields = ("person", "unit")


def _merge_selected(modeladmin, request, queryset, merge):
    """Merge every selected record into the oldest one (lowest id), through contacts.privacy (logged)."""
    records = list(queryset.order_by("pk"))
    if len(records) < 2:
        modeladmin.message_user(request, _("Zaznacz co najmniej dwa rekordy do scalenia."), messages.ERROR)
        return
    keep = records[0]
    try:
        for duplicate in records[1:]:
            merge(actor=request.user, keep=keep, duplicate=duplicate, reason=_("scalenie w panelu administracyjnym"))
    except (ValidationError, PermissionDenied) as exc:
        modeladmin.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
        return
    modeladmin.message_user(
        request,
        ngettext("Scalono %(n)s rekord w: %(keep)s.", "Scalono %(n)s rekordów w: %(keep)s.", len(records) - 1)
        % {"n": len(records) - 1, "keep": keep},
        messages.SUCCESS,
    )


@admin.register(ReportingUnit)
class ReportingUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "regon", "nip", "rpwdl", "kind", "voivodeship", "is_active")
    list_filter = ("voivodeship", "kind", "is_active")
    search_fields = ("name", "regon", "nip", "rpwdl")
    inlines = [MembershipInline]
    actions = ["merge"]

    @admin.action(description=gettext_lazy("Scal zaznaczone jednostki (zostaje najstarsza, ze zgłoszeniami)"))
    def merge(self, request, queryset):
        _merge_selected(self, request, queryset, privacy.merge_units)


class EmailInline(admin.TabularInline):
    model = PersonEmail
    extra = 1


class PhoneInline(admin.TabularInline):
    model = PersonPhone
    extra = 1


class AnonymiseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Podstawa (np. numer wniosku)"), max_length=500)


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "consent_given_at", "created_at")
    search_fields = ("name", "emails__email", "phones__number")
    inlines = [EmailInline, PhoneInline, MembershipInline]
    actions = ["merge", "export_data", "anonymise"]

    @admin.action(description=gettext_lazy("Scal zaznaczone osoby (zostaje najstarsza, ze zgłoszeniami)"))
    def merge(self, request, queryset):
        _merge_selected(self, request, queryset, privacy.merge_people)

    @admin.action(description=gettext_lazy("Eksportuj wszystkie dane osoby (JSON, RODO art. 15)"))
    def export_data(self, request, queryset):
        people = list(queryset[:2])
        if len(people) != 1:
            self.message_user(request, _("Zaznacz dokładnie jedną osobę."), messages.ERROR)
            return None
        try:
            data = privacy.export_person(actor=request.user, person=people[0])
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return None
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = f'attachment; filename="osoba-{people[0].pk}.json"'
        return response

    @admin.action(description=gettext_lazy("Anonimizuj zaznaczone osoby (RODO art. 17)"))
    def anonymise(self, request, queryset):
        form = AnonymiseForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            try:
                for person in queryset:
                    privacy.anonymise_person(actor=request.user, person=person, reason=form.cleaned_data["reason"])
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, " ".join(getattr(exc, "messages", [str(exc)])), messages.ERROR)
                return None
            self.message_user(request, _("Zanonimizowano: %(n)s.") % {"n": queryset.count()}, messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Anonimizacja osób"),
            "people": queryset,
            "form": form,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return render(request, "admin/contacts/person/anonymise.html", context)


class DeadlineInline(admin.TabularInline):
    model = FormDeadline
    extra = 1
    fields = ("year", "deadline", "source", "note")


class ToCompleteFilter(admin.SimpleListFilter):
    """Forms whose title, who submits, source or a deadline for the reporting years that matter today is missing:
    the public catalogue leaves those out until they are filled in from a published source."""

    title = gettext_lazy("do uzupełnienia")
    parameter_name = "do_uzupelnienia"

    def lookups(self, request, model_admin):
        return [("tak", gettext_lazy("Do uzupełnienia")), ("nie", gettext_lazy("Kompletne"))]

    def queryset(self, request, queryset):
        if self.value() not in ("tak", "nie"):
            return queryset
        return catalogue.to_complete(queryset, timezone.localdate(), incomplete=self.value() == "tak")


@admin.register(StatisticalForm)
class StatisticalFormAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "missing", "periodicity", "instruction_article", "is_active")
    list_filter = (ToCompleteFilter, "is_active")
    list_select_related = ("instruction_article",)
    fields = (
        "code",
        "title",
        "submitted_by",
        "source",
        "periodicity",
        "usual_deadline",
        "is_active",
        "instruction_article",
        "instruction_url",
    )
    search_fields = ("code", "title")
    autocomplete_fields = ("instruction_article",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    inlines = [DeadlineInline]

    def get_queryset(self, request):
        years = catalogue.reporting_years(timezone.localdate())
        deadlines = models.Prefetch("deadlines", FormDeadline.objects.filter(year__in=years))
        return super().get_queryset(request).prefetch_related(deadlines)

    @admin.display(description=gettext_lazy("do uzupełnienia"))
    def missing(self, form: StatisticalForm) -> str:
        return ", ".join(catalogue.missing_for(form, timezone.localdate()))


@admin.register(SubmissionStatus)
class SubmissionStatusAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "counts_as_submitted", "order")
    list_editable = ("order",)


class HistoryInline(admin.TabularInline):
    model = SubmissionChange
    extra = 0
    can_delete = False
    fields = ("changed_at", "status", "source", "actor", "note", "recorded_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    """Read-only here: statuses change through feeds and the regional administrators' page (logged)."""

    list_display = ("unit", "form", "year", "status", "changed_at", "source")
    list_filter = ("year", "form", "status", "source")
    search_fields = ("unit__regon", "unit__name")
    list_select_related = ("unit", "form", "status")
    readonly_fields = ("unit", "form", "year", "status", "changed_at", "source", "created_at", "updated_at")
    inlines = [HistoryInline]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    list_display = ("unit", "form", "year", "sent_by", "sent_at")
    list_filter = ("form", "year")
    search_fields = ("unit__regon", "unit__name")
    readonly_fields = ("unit", "form", "year", "sent_by", "sent_at", "recipients", "outbox_message")

    def has_add_permission(self, request):
        return False


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Co importować"), choices=ImportRun.Kind.choices)
    file = forms.FileField(
        label=gettext_lazy("Plik"), help_text=gettext_lazy("CSV (UTF-8 lub Windows-1250), XLSX, JSON lub JSONL.")
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".json", ".jsonl", ".ndjson")):
            raise forms.ValidationError(_("Nieobsługiwany rodzaj pliku: użyj CSV, XLSX, JSON lub JSONL."))
        return upload


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Imports with an upload page and a progress page that refreshes itself (no JavaScript needed)."""

    list_display = ("started_at", "kind", "filename", "state", "started_by", "finished_at")
    list_filter = ("kind", "state")
    readonly_fields = ("kind", "filename", "started_by", "started_at", "finished_at", "state", "counts", "error")
    exclude = ("rejected",)
    change_list_template = "admin/contacts/importrun/change_list.html"

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        own = [
            path("upload/", self.admin_site.admin_view(self.upload), name="contacts_importrun_upload"),
            path(
                "<int:run_id>/progress/", self.admin_site.admin_view(self.progress), name="contacts_importrun_progress"
            ),
        ]
        return own + super().get_urls()

    def upload(self, request):
        if not request.user.has_perm("contacts.add_reportingunit"):
            messages.error(request, _("Brak uprawnień do importu."))
            return redirect("admin:contacts_importrun_changelist")
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            stored = default_storage.save(f"imports/{upload.name}", upload)
            run = imports.start_run(form.cleaned_data["kind"], upload.name, request.user)

            transaction.on_commit(lambda: queue_import(run.pk, stored))
            return redirect("admin:contacts_importrun_progress", run_id=run.pk)
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Import pliku")}
        return render(request, "admin/contacts/importrun/upload.html", context)

    def progress(self, request, run_id: int):
        run = get_object_or_404(ImportRun, pk=run_id)
        state = imports.progress(run.pk) or {"fraction": 0, "rows": 0}
        context = {
            **self.admin_site.each_context(request),
            "run": run,
            "percent": round(100 * state["fraction"]),
            "rows": state["rows"],
            "running": run.state == ImportRun.State.RUNNING,
            "title": _("Import: %(name)s") % {"name": run.filename},
            "change_url": reverse("admin:contacts_importrun_change", args=[run.pk]),
        }
        return render(request, "admin/contacts/importrun/progress.html", context)


@admin.register(DirectoryLog)
class DirectoryLogAdmin(admin.ModelAdmin):
    list_display = ("at", "kind", "subject", "actor", "reason")
    list_filter = ("kind",)
    readonly_fields = ("kind", "actor", "at", "subject", "reason", "data")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
