"""The public portal (no login): thin adapters over knowledge_base.selectors, .search and .actions."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from contacts import catalogue
from helpdesk import public_cache, ratelimit
from helpdesk.access import not_found
from knowledge_base import actions, search, selectors
from knowledge_base.forms import ContactForm, FeedbackForm, ReplyForm
from knowledge_base.models import Category, SearchLog
from tickets import previews
from tickets.actions import NewAttachment
from tickets.selectors import final_ticket

LANGUAGE = "pl"  # the knowledge base is Polish first; English translations are linked from each article
TRANSLATIONS = "en"  # searched too, shown apart (so Polish results stay as they were)


def _search_allowed(request: HttpRequest) -> bool:
    return ratelimit.allow(
        "kb-search", ratelimit.client_address(request), limit=settings.KB_SEARCH_PER_MINUTE, window_seconds=60
    )


@public_cache.shared_page()
def home(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "public/kb/home.html", selectors.home_page(request.user, LANGUAGE))


@require_GET
@public_cache.shared_page("q")  # the rate limit and the search log below run on every request, a kept page or not
def search_page(request: HttpRequest) -> HttpResponse:
    raw = (request.GET.get("q") or "")[: search.MAX_QUERY]
    results = english = None
    limited = False
    if raw.strip():
        if _search_allowed(request):
            results = search.answer(raw, user=request.user, language=LANGUAGE, limit=20)
            english = search.answer(raw, user=request.user, language=TRANSLATIONS, limit=5)
            found = results.total + english.total
            actions.record_search(query=results.query, source=SearchLog.Source.PORTAL, results=found)
        else:
            limited = True
    return TemplateResponse(
        request,
        "public/kb/search.html",
        {"q": raw, "results": results, "english": english, "limited": limited},
        status=429 if limited else 200,
    )


def category(request: HttpRequest, slug: str) -> HttpResponse:
    category = get_object_or_404(Category, slug=slug)
    articles = selectors.category_articles(request.user, category, LANGUAGE)
    return render(request, "public/kb/category.html", {"category": category, "articles": articles})


@public_cache.shared_page("opinia")  # kept whole for visitors without a session; one with ?z= (a contact attempt's
def article(request: HttpRequest, slug: str) -> HttpResponse:  # link) is rendered for itself, and recorded
    context = {**selectors.article_page(request.user, slug)}  # a copy: the page's answer is not changed
    attempt = (request.GET.get("z") or "")[:40]
    if attempt:
        actions.record_opened_article(token=attempt, article=context["article"])
    context.update(feedback_form=FeedbackForm(), feedback_sent=request.GET.get("opinia") == "dziekujemy")
    return TemplateResponse(request, "public/kb/article.html", context)


# Without the CSRF check, like the language switch (helpdesk.language): the vote needs no session and changes
# nothing of the visitor's, so a vote forged from another site is one the forger could post himself, bounded by
# the same per-address limit; with a token in its form every article page was different for every visitor and
# could not be kept whole (docs/security.md).
@csrf_exempt
@require_POST
def feedback(request: HttpRequest, slug: str) -> HttpResponse:
    article = selectors.article_for_user(request.user, slug)
    form = FeedbackForm(request.POST)
    if not ratelimit.allow("kb-feedback", ratelimit.client_address(request), limit=30, window_seconds=3600):
        messages.error(request, _("Za dużo ocen z tego adresu. Spróbuj później."))
    elif form.is_valid():
        try:
            actions.record_feedback(
                article=article, helpful=form.cleaned_data["helpful"], comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            return redirect(article.get_absolute_url() + "?opinia=dziekujemy#opinia")
    else:
        messages.error(request, _("Wybierz „Tak” albo „Nie”."))
    return redirect(article.get_absolute_url() + "#opinia")


def attachment(request: HttpRequest, attachment_id: int, filename: str) -> FileResponse:
    """An article's file, served like a ticket attachment: inline only for a raster image or PDF proven by its
    content (the stored, uploader-declared type is not trusted), else a download; nosniff and a sandbox."""
    item = selectors.attachment_for_user(request.user, attachment_id)
    return previews.file_response(item.content.open("rb"), filename=item.filename, declared_type=item.content_type)


def forms_catalogue(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "public/kb/forms.html",
        {"forms": catalogue.public_catalogue(today), "years": catalogue.reporting_years(today)},
    )


def accessibility_statement(request: HttpRequest) -> HttpResponse:
    return render(request, "public/kb/accessibility.html")


# --- contact form and deflection ------------------------------------------------------------------------------


@require_POST
def suggestions(request: HttpRequest) -> HttpResponse:
    """Articles matching what the person is typing into the contact form (an HTML fragment for the page). A POST
    from the form's script with the form's CSRF token: the only way a visit enters the deflection statistics."""
    raw = " ".join([(request.POST.get("subject") or "")[:200], (request.POST.get("body") or "")[:200]])
    token = (request.POST.get("attempt") or "")[:40]
    hits = []
    if raw.strip() and _search_allowed(request):
        results = search.answer(raw, user=None, language=LANGUAGE, limit=5)
        hits = results.hits
        if hits and token:
            actions.record_suggestions(
                token=token,
                suggested=[hit.article.pk for hit in hits],
                client_address=ratelimit.client_address(request),
            )
    return render(request, "public/kb/_suggestions.html", {"hits": hits, "attempt": token})


def _files(uploaded) -> list[NewAttachment]:
    return [NewAttachment(filename=f.name, content=f.read(), content_type=f.content_type or "") for f in uploaded]


def contact(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = ContactForm(initial={"attempt": secrets.token_urlsafe(16)})
        return render(request, "public/kb/contact.html", {"form": form})
    form = ContactForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "public/kb/contact.html", {"form": form}, status=400)
    data = form.cleaned_data
    if data["website"]:  # the honeypot: a bot; answer as if it worked and open nothing
        return redirect("kb:contact_sent")
    if not ratelimit.allow(
        "kb-contact", ratelimit.client_address(request), limit=settings.KB_CONTACT_PER_HOUR, window_seconds=3600
    ):
        form.add_error(None, _("Z tego adresu wysłano już wiele zgłoszeń. Spróbuj za godzinę albo napisz e-mail."))
        return render(request, "public/kb/contact.html", {"form": form}, status=429)
    try:
        ticket, token = actions.submit_contact_form(
            name=data["name"],
            email=data["email"],
            subject=data["subject"],
            body=data["body"],
            regon=data["regon"],
            attachments=_files(data["attachments"]),
            attempt_token=data["attempt"],
        )
    except ValidationError as exc:
        for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [(None, exc.messages)]:
            form.add_error(field if field in form.fields else None, errors)
        return render(request, "public/kb/contact.html", {"form": form}, status=400)
    request.session["kb_last_ticket"] = ticket.reference
    # a repeat (the same form sent again after an error page) was acknowledged the first time
    request.session["kb_last_acknowledged"] = token is not None or ticket.repeated
    return redirect("kb:contact_sent")


def contact_sent(request: HttpRequest) -> HttpResponse:
    context = {
        "reference": request.session.get("kb_last_ticket", ""),
        "acknowledged": request.session.get("kb_last_acknowledged", True),
    }
    return render(request, "public/kb/contact_sent.html", context)


# --- the requester's private ticket page ----------------------------------------------------------------------


def requester_ticket(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.requester_link(token)
    form, status = ReplyForm(), 200
    if request.method == "POST":
        form, status = ReplyForm(request.POST, request.FILES), 400
        if not _requester_may_reply(request, link):
            form.add_error(None, _("Za dużo odpowiedzi w krótkim czasie. Spróbuj ponownie za godzinę."))
            status = 429
        elif form.is_valid():
            try:
                actions.requester_reply(
                    link=link, body=form.cleaned_data["body"], attachments=_files(form.cleaned_data["attachments"])
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                messages.success(request, _("Dodaliśmy Twoją odpowiedź do zgłoszenia."))
                return redirect("kb:requester_ticket", token=token)

    ticket = final_ticket(link.ticket)  # after a merge: the ticket the conversation went to
    entries = selectors.requester_entries(link)
    context = {"ticket": ticket, "subject": link.ticket.subject, "entries": entries, "form": form, "token": token}
    response = render(request, "public/kb/requester_ticket.html", context, status=status)
    # The token is in the address: never send it to other sites. same-origin, not no-referrer: under no-referrer
    # browsers post this page's forms with "Origin: null", which the CSRF check refuses (403 to every reply).
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def _requester_may_reply(request: HttpRequest, link) -> bool:
    """Replies through private links, per link and per client address an hour (a leaked link, or one person with
    many, cannot flood a ticket or the storage)."""
    hour = 3600
    by_link = ratelimit.allow("requester-reply", str(link.pk), limit=settings.REQUESTER_REPLIES_PER_HOUR,
                              window_seconds=hour)  # fmt: skip
    by_address = ratelimit.allow(
        "requester-reply-address", ratelimit.client_address(request),
        limit=settings.REQUESTER_REPLIES_PER_ADDRESS_HOUR, window_seconds=hour,
    )  # fmt: skip
    return by_link and by_address


def requester_attachment(request: HttpRequest, token: str, attachment_id: int) -> FileResponse:
    link = selectors.requester_link(token)
    item = selectors.requester_attachment(link, attachment_id)
    if item is None:
        raise not_found()
    response = previews.file_response(
        item.file.content.open("rb"), filename=item.filename, declared_type=item.content_type, download=True
    )
    response["Referrer-Policy"] = "no-referrer"
    return response
