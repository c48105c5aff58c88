"""Editor pages (knowledge-base editors and admins): list, write with preview, workflow, versions with diff,
attachments, analytics. Thin adapters over knowledge_base.actions and .selectors."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from helpdesk import access
from knowledge_base import actions, selectors
from knowledge_base import render as kbrender
from knowledge_base.editor_forms import ArticleForm, AttachmentForm, StatusForm
from knowledge_base.models import Article, ArticleVersion, MissingArticleFlag
from knowledge_base.permissions import can_edit
from tickets.selectors import ticket_for_user

editor_required = access.page_for(can_edit, gettext_lazy("Tylko redaktor bazy wiedzy ma dostęp do tej strony."))


@editor_required
def article_list(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.select_related("category").order_by("status", "-updated_at")
    status = request.GET.get("status", "")
    if status:
        articles = articles.filter(status=status)
    flags = MissingArticleFlag.objects.filter(resolved=False).select_related("ticket", "flagged_by")[:20]
    return render(request, "kb_editor/list.html", {"articles": articles[:500], "status": status, "flags": flags})


def _initial(article: Article) -> dict:
    return {
        "title": article.title, "kind": article.kind, "category": article.category_id, "summary": article.summary,
        "body": article.body, "forms": ", ".join(article.forms), "reporting_year": article.reporting_year,
        "tags": list(article.tags.values_list("pk", flat=True)), "visibility": article.visibility,
        "language": article.language, "translation_of": article.translation_of_id,
        "publish_at": article.publish_at, "expire_at": article.expire_at,
    }  # fmt: skip


def _save(request: HttpRequest, form: ArticleForm, article: Article | None):
    data = dict(form.cleaned_data)
    tags, note = data.pop("tags"), data.pop("note")
    if article is None:
        return actions.create_article(actor=request.user, draft=actions.ArticleDraft(**data), tags=tags, note=note)
    return actions.update_article(actor=request.user, article=article, tags=tags, note=note, **data)


@editor_required
def article_edit(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    article = get_object_or_404(Article, pk=article_id) if article_id else None
    form = ArticleForm(request.POST or None, initial=_initial(article) if article else {"language": "pl"})
    preview = None
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = kbrender.render(form.cleaned_data["body"]).html
        else:
            try:
                article = _save(request, form, article)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("Zapisano artykuł (nowa wersja)."))
                return redirect("kb_editor:edit", article_id=article.pk)
    context = {
        "article": article,
        "form": form,
        "preview": preview,
        "status_form": StatusForm(initial={"status": article.status if article else ""}),
        "attachment_form": AttachmentForm(),
        "versions": selectors.versions(article)[:50] if article else [],
    }
    return render(request, "kb_editor/edit.html", context, status=400 if form.errors else 200)


@require_POST
@editor_required
def article_status(request: HttpRequest, article_id: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=article_id)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            actions.change_status(actor=request.user, article=article, status=form.cleaned_data["status"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Zmieniono stan artykułu."))
    return redirect("kb_editor:edit", article_id=article.pk)


@require_POST
@editor_required
def article_attach(request: HttpRequest, article_id: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=article_id)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Wybierz plik."))
        return redirect("kb_editor:edit", article_id=article.pk)
    upload = form.cleaned_data["file"]
    try:
        actions.add_attachment(
            actor=request.user, article=article, filename=upload.name, content=upload.read(),
            content_type=upload.content_type or "",
        )  # fmt: skip
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Dodano załącznik; jego tekst jest już w wyszukiwarce."))
    return redirect("kb_editor:edit", article_id=article.pk)


@editor_required
def version_diff(request: HttpRequest, article_id: int, older: int, newer: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=article_id)
    old = get_object_or_404(ArticleVersion, article=article, number=older)
    new = get_object_or_404(ArticleVersion, article=article, number=newer)
    context = {"article": article, "old": old, "new": new, "lines": selectors.diff(old, new)}
    return render(request, "kb_editor/diff.html", context)


@require_POST
@editor_required
def version_restore(request: HttpRequest, article_id: int, number: int) -> HttpResponse:
    article = get_object_or_404(Article, pk=article_id)
    version = get_object_or_404(ArticleVersion, article=article, number=number)
    actions.restore_version(actor=request.user, article=article, version=version)
    messages.success(request, _("Przywrócono wersję %(number)s.") % {"number": number})
    return redirect("kb_editor:edit", article_id=article.pk)


@editor_required
def analytics(request: HttpRequest) -> HttpResponse:
    return render(request, "kb_editor/analytics.html", {"stats": selectors.analytics()})


@require_POST
@login_required
def flag_missing(request: HttpRequest, reference: str) -> HttpResponse:
    """An agent marks that the knowledge base lacks the answer to this ticket (shown to editors)."""
    ticket = ticket_for_user(request.user, reference)
    try:
        actions.flag_missing_article(actor=request.user, ticket=ticket, note=request.POST.get("note", ""))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Redaktorzy bazy wiedzy dostali informację o brakującym artykule."))
    return redirect("tickets:detail", reference=ticket.reference)
