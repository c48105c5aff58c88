from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from tickets.models import (
    CannedResponse,
    Category,
    Pbx,
    PbxExtension,
    Queue,
    RoutingRule,
    SlaPolicy,
    TelephonyEvent,
    Ticket,
    TicketEvent,
)


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "kind", "voivodeship", "calendar", "assignment_mode", "lead", "is_active")
    list_filter = ("kind", "is_active")
    filter_horizontal = ("members",)
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "is_active")
    prepopulated_fields = {"slug": ("name",)}


class EventInline(admin.TabularInline):
    model = TicketEvent
    extra = 0
    can_delete = False
    readonly_fields = ("created_at", "actor", "kind", "data", "reason")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only here: tickets change only through tickets.actions (the workspace), which logs every change."""

    list_display = ("reference", "subject", "status", "priority", "channel", "queue", "assignee", "updated_at")
    list_filter = ("status", "channel", "queue")
    search_fields = ("reference", "subject", "requester_email")
    list_select_related = ("queue", "assignee")
    inlines = [EventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PbxExtensionInline(admin.TabularInline):
    model = PbxExtension
    extra = 1


@admin.register(Pbx)
class PbxAdmin(admin.ModelAdmin):
    """Tokens are issued by `manage.py create_pbx NAME` (shown once); only their hash is kept."""

    list_display = ("name", "is_active")
    readonly_fields = ("token_sha256",)
    inlines = [PbxExtensionInline]

    def has_add_permission(self, request):
        return False


@admin.register(TelephonyEvent)
class TelephonyEventAdmin(admin.ModelAdmin):
    list_display = ("received_at", "pbx", "kind", "call_id", "caller_number", "extension", "user", "accepted", "error")
    list_filter = ("accepted", "kind", "pbx")
    readonly_fields = [f.name for f in TelephonyEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "is_active", "stop", "set_queue", "queue_of_unit_voivodeship", "set_category")
    list_display_links = ("name",)
    list_editable = ("position", "is_active")
    ordering = ("position", "id")
    fieldsets = (
        (None, {"fields": ("name", "position", "is_active", "stop")}),
        (
            _("Warunki (puste = dowolne)"),
            {
                "fields": (
                    "channel",
                    "mailbox",
                    "senders",
                    "unit",
                    "voivodeship",
                    "form_codes",
                    "words",
                    "category",
                    "time",
                    "calendar",
                )
            },
        ),
        (
            _("Działania"),
            {
                "fields": (
                    "set_queue",
                    "queue_of_unit_voivodeship",
                    "set_category",
                    "set_priority",
                    "add_tags",
                    "assign_to",
                    "auto_assign",
                    "reply_subject",
                    "reply_body",
                )
            },
        ),
    )


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "queue",
        "priority",
        "category",
        "first_response_minutes",
        "resolution_minutes",
        "is_active",
    )
    list_filter = ("is_active", "queue")


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("title", "is_active")
    list_filter = ("is_active",)
    search_fields = ("title", "body")
