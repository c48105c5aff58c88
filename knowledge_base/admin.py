"""The knowledge base in the Django admin. Articles are read-only here: they change only through the editor
(/redakcja/, knowledge_base.actions), which keeps a version of every change and the search index in step.
Categories are edited here; tags too, through actions.save_tag (their names are searchable). What the portal
records (feedback, searches, contact-form visits) is shown read-only; a missing-article flag can be resolved."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from knowledge_base import actions
from knowledge_base.models import (
    Article,
    ArticleAttachment,
    ArticleVersion,
    Category,
    ContactAttempt,
    Feedback,
    MissingArticleFlag,
    SearchLog,
    Tag,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "position")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)

    def save_model(self, request, obj, form, change):
        actions.save_tag(actor=request.user, tag=obj)  # the form has already refused an empty name

    def has_delete_permission(self, request, obj=None):
        return False  # removing a tag would leave its name in the articles' search index


class VersionInline(admin.TabularInline):
    model = ArticleVersion
    fields = ("number", "status", "title", "note", "author", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class AttachmentInline(admin.TabularInline):
    model = ArticleAttachment
    fields = ("filename", "content_type", "size", "uploaded_by", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(ReadOnlyAdmin):
    list_display = ("title", "kind", "status", "visibility", "language", "category", "updated_at", "editor_link")
    list_filter = ("status", "kind", "visibility", "language", "category")
    search_fields = ("title", "slug", "summary")
    list_select_related = ("category",)
    exclude = ("body_html", "body_text")
    inlines = [VersionInline, AttachmentInline]

    @admin.display(description=_("redakcja"))
    def editor_link(self, obj):
        return format_html('<a href="/redakcja/{}/">{}</a>', obj.pk, _("edytuj"))


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ("article", "helpful", "comment", "created_at")
    list_filter = ("helpful",)
    search_fields = ("comment", "article__title")
    list_select_related = ("article",)


@admin.register(SearchLog)
class SearchLogAdmin(ReadOnlyAdmin):
    list_display = ("query", "source", "results", "created_at")
    list_filter = ("source",)
    search_fields = ("query", "normalized")


@admin.register(ContactAttempt)
class ContactAttemptAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "ticket_sent", "opened_article")
    list_filter = ("ticket_sent",)
    exclude = ("token",)


@admin.register(MissingArticleFlag)
class MissingArticleFlagAdmin(admin.ModelAdmin):
    list_display = ("ticket", "note", "flagged_by", "created_at", "resolved")
    list_filter = ("resolved",)
    list_editable = ("resolved",)
    readonly_fields = ("ticket", "flagged_by", "note", "created_at")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
