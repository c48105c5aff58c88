"""API v1 of contacts: the public lookup and the statistics system's push of submission statuses.

`GET /api/v1/submissions/lookup?regon=…[&year=…][&form=…]`: public, no authentication, rate-limited per client
address like the page; the same facts as /status/ and nothing more.

`POST /api/v1/submissions/batch`: token authentication only (`Authorization: Token …`, helpdesk.tokens); the client is a
service account with the permission `contacts.push_submissions` and no staff role (see
`manage.py create_feed_client`), so it can push statuses and do nothing else. Body: `{"items": [{"regon", "form",
"year", "status", "changed_at", "note"?}, …]}` (or a bare list), at most SUBMISSIONS_BATCH_MAX_ITEMS items.
Valid items are recorded in one transaction; each item gets its own result, so invalid items are reported
without holding back the others.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    parser_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response

from contacts import lookup, submissions
from contacts.models import Submission
from contacts.views import lookup_allowed, rate_limit_message
from helpdesk import public_cache, tokens


class CanPushSubmissions(BasePermission):
    message = _("To konto nie ma uprawnienia do przesyłania statusów sprawozdań (contacts.push_submissions).")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.has_perm("contacts.push_submissions"))


@public_cache.shared_page("regon", "year", "form")  # JSON kept whole as the status page is; the limit counts each
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([])
def submission_lookup(request):
    if not lookup_allowed(request._request):
        return Response(
            {"detail": rate_limit_message()},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
            headers={"Retry-After": str(settings.LOOKUP_RATE_WINDOW_SECONDS)},
        )
    params = request.query_params
    try:
        result = lookup.answer(params.get("regon", ""), params.get("year"), params.get("form"))
    except ValidationError as exc:
        return Response({"errors": exc.message_dict}, status=status.HTTP_400_BAD_REQUEST)
    return Response(lookup.as_json(result, absolute_url=request.build_absolute_uri))


@api_view(["POST"])
@authentication_classes([tokens.TokenAuthentication])
@permission_classes([CanPushSubmissions])
@parser_classes([JSONParser])  # not the strict one: an item with a NUL byte is refused alone (StatusBatch._check)
def submission_batch(request):
    data = request.data
    items = data.get("items") if isinstance(data, dict) else data
    if not isinstance(items, list):
        return Response(
            {"detail": _('Treść musi być obiektem {"items": [...]} albo tablicą elementów.')},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if len(items) > settings.SUBMISSIONS_BATCH_MAX_ITEMS:
        return Response(
            {
                "detail": _("Za dużo elementów w jednym żądaniu: %(n)s (limit %(max)s). Podziel paczkę.")
                % {"n": len(items), "max": settings.SUBMISSIONS_BATCH_MAX_ITEMS}
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    rows = [
        (index, item if isinstance(item, dict) else {"__error__": _("element nie jest obiektem JSON")})
        for index, item in enumerate(items)
    ]
    with transaction.atomic():
        batch = submissions.StatusBatch(source=Submission.Source.API, actor=request.user)
        outcome = batch.apply(rows)
    results = []
    for index in range(len(items)):
        entry = {"index": index, "result": outcome.results[index]}
        if index in outcome.errors:
            entry["errors"] = outcome.errors[index]
        results.append(entry)
    return Response({"counts": outcome.count(), "results": results})
