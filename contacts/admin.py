from django.contrib import admin

from contacts.models import (
    Person,
    PersonEmail,
    PersonPhone,
    RegionalOffice,
    ReportingUnit,
    StatisticalForm,
    UnitMembership,
    Voivodeship,
)


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


@admin.register(ReportingUnit)
class ReportingUnitAdmin(admin.ModelAdmin):
    list_display = ("name", "regon", "nip", "rpwdl", "kind", "voivodeship", "is_active")
    list_filter = ("voivodeship", "kind", "is_active")
    search_fields = ("name", "regon", "nip", "rpwdl")
    inlines = [MembershipInline]


class EmailInline(admin.TabularInline):
    model = PersonEmail
    extra = 1


class PhoneInline(admin.TabularInline):
    model = PersonPhone
    extra = 1


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name", "emails__email", "phones__number")
    inlines = [EmailInline, PhoneInline, MembershipInline]


@admin.register(StatisticalForm)
class StatisticalFormAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "periodicity", "usual_deadline", "is_active")
    search_fields = ("code", "title")
