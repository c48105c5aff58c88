from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from helpdesk import tokens
from helpdesk.models import (
    ApiToken,
    BusinessCalendar,
    CalendarClosure,
    OutboxMessage,
    StaffAbsence,
    User,
    WorkerHeartbeat,
)
from helpdesk.redact import mask_private_links, scrub_payload


@admin.register(User)
class StaffAdmin(UserAdmin):
    fieldsets = (
        *UserAdmin.fieldsets,
        (
            _("Rola w pomocy SSOZ"),
            {"fields": ("role", "voivodeships", "signature", "notice_mode", "must_change_password")},
        ),
        (
            _("Godziny pracy"),
            {
                "fields": ("work_weekdays", "work_starts_at", "work_ends_at"),
                "description": _(
                    "Przydział automatyczny pomija osobę poza jej dniami i godzinami pracy. "
                    "Puste pola: jak w kalendarzu kolejki (święta i dni wolne kalendarza obowiązują zawsze)."
                ),
            },
        ),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        (_("Rola w pomocy SSOZ"), {"fields": ("email", "role", "voivodeships")}),
    )
    list_display = ("username", "email", "first_name", "last_name", "role", "is_active")
    list_filter = ("role", "is_active", "voivodeships")
    filter_horizontal = ("voivodeships", "groups", "user_permissions")


class ClosureInline(admin.TabularInline):
    model = CalendarClosure
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "always_open", "opens_at", "closes_at", "holidays_country")
    inlines = [ClosureInline]


@admin.register(OutboxMessage)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ("pk", "kind", "created_at", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("kind", ("sent_at", admin.EmptyFieldListFilter))
    # the payload only as shown_payload: a pending acknowledgement's private link is masked (helpdesk.redact)
    exclude = ("payload",)
    readonly_fields = [f.name for f in OutboxMessage._meta.fields if f.name != "payload"] + ["shown_payload"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("treść"))
    def shown_payload(self, obj):
        import json

        text = json.dumps(scrub_payload(obj.payload or {}), ensure_ascii=False, indent=2)
        return format_html("<pre>{}</pre>", mask_private_links(text))


@admin.register(WorkerHeartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "last_seen")


@admin.register(StaffAbsence)
class StaffAbsenceAdmin(admin.ModelAdmin):
    list_display = ("user", "starts_on", "ends_on", "reason")
    list_filter = ("starts_on",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """A token is issued here (or by `manage.py issue_api_token`) and shown once on the page that follows; only
    its hash is kept, so the list tells tokens apart by their first characters. Delete a token to revoke it."""

    list_display = ("user", "prefix", "created_at")
    search_fields = ("user__username",)
    autocomplete_fields = ("user",)

    def get_fields(self, request, obj=None):
        return ("user", "prefix", "created_at") if obj else ("user",)

    def get_readonly_fields(self, request, obj=None):
        return ("user", "prefix", "created_at") if obj else ()

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj._issued_key = tokens.prepare(obj)
        obj.save(force_insert=True)

    def response_add(self, request, obj, post_url_continue=None):
        context = {**self.admin_site.each_context(request), "token": obj, "key": obj._issued_key}
        return TemplateResponse(request, "admin/helpdesk/apitoken/issued.html", context)
