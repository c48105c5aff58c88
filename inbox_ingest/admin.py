from django.contrib import admin

from inbox_ingest.models import FailingAddress, Mailbox, RawMessage, WatcherState


class WatcherStateInline(admin.StackedInline):
    model = WatcherState
    can_delete = False
    readonly_fields = [
        "connected", "idle", "last_fetch_at", "backlog", "last_error", "last_error_at", "lease_owner", "lease_until",
        "uidvalidity",
    ]  # fmt: skip
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    list_display = ["name", "email_address", "host", "queue", "after_ingest", "is_active"]
    list_filter = ["is_active", "queue"]
    inlines = [WatcherStateInline]


@admin.register(RawMessage)
class RawMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "mailbox", "sender", "subject", "status", "outcome", "ticket"]
    list_filter = ["status", "outcome", "mailbox"]
    search_fields = ["message_id", "sender", "subject", "sha256"]
    exclude = ["raw"]
    readonly_fields = [field.name for field in RawMessage._meta.fields if field.name != "raw"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FailingAddress)
class FailingAddressAdmin(admin.ModelAdmin):
    list_display = ["email", "bounces", "last_bounce_at", "last_reason"]
    search_fields = ["email"]
