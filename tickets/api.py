"""REST API v1 for tickets: the same selectors (and so the same scoping) as the pages.

GET /api/v1/tickets/?status=&queue=&channel=&voivodeship=&regon=&requester_email=
POST /api/v1/tickets/<reference>/notes/  {"text": "… @alice …"}     an internal note (@mentions notify)
POST /api/v1/tickets/<reference>/replies/  {"text": "…", "to": [], "cc": []}   a reply by e-mail (to empty: the
                                    requester; at most REPLY_MAX_RECIPIENTS addresses, REPLY_RECIPIENTS_PER_HOUR)
    Both take `Idempotency-Key: <1–100 ASCII characters>`: the same request again with the same key writes
    nothing and answers as the first time (201, the same entry id, `Idempotent-Replayed: true`); the key with
    another request is refused with 422 (tickets.submissions).
POST /api/v1/tickets/<reference>/merge/  {"into": "<reference>", "reason": ""}   merge this duplicate into another
POST|DELETE /api/v1/tickets/<reference>/links/  {"reference": "<reference>"}   link / unlink a related ticket
POST|DELETE /api/v1/tickets/<reference>/follow/ {"by_email": false}            follow / stop following
GET /api/v1/tickets/<reference>/   (with the conversation: entries, new text, sanitised HTML, attachments; the
                                    ticket a merged duplicate went to, linked tickets, whether you follow it)
"""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk import inputs
from tickets import actions, selectors, submissions, telephony
from tickets.forms import ReplyForm
from tickets.models import Attachment, Channel, Entry, Status, Ticket


class AttachmentSerializer(serializers.ModelSerializer):
    size = serializers.IntegerField(source="file.size")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "filename", "size", "content_type", "is_inline", "url"]

    def get_url(self, attachment: Attachment) -> str:
        path = reverse("attachment", args=[attachment.pk, attachment.filename])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class EntrySerializer(serializers.ModelSerializer):
    sender = serializers.SerializerMethodField()
    created = serializers.DateTimeField(source="created_at")
    text = serializers.CharField(source="body_text")
    visible_text = serializers.SerializerMethodField()
    html = serializers.CharField(source="body_html")
    attachments = AttachmentSerializer(many=True, read_only=True)
    delivery = serializers.SerializerMethodField()

    class Meta:
        model = Entry
        fields = [
            "id",
            "kind",
            "sender",
            "created",
            "subject",
            "text",
            "visible_text",
            "html",
            "message_id",
            "attachments",
            "delivery",
        ]

    def get_delivery(self, entry: Entry) -> dict | None:
        """For a reply sent by e-mail: sent / pending / retrying / failed, attempts and the last error."""
        delivery = entry.delivery
        if delivery is None:
            return None
        return {"state": delivery.state, "attempts": delivery.attempts, "last_error": delivery.last_error}

    def get_sender(self, entry: Entry) -> dict:
        return {"name": entry.sender_name, "email": entry.sender_email}

    def get_visible_text(self, entry: Entry) -> str:
        return entry.visible_text or entry.body_text


class TicketSerializer(serializers.ModelSerializer):
    queue = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    voivodeship = serializers.CharField(source="queue.voivodeship_id", allow_null=True)
    assignee = serializers.StringRelatedField()
    reporting_unit = serializers.SerializerMethodField()
    requester = serializers.SerializerMethodField()
    related_to = serializers.SlugRelatedField(slug_field="reference", read_only=True)
    merged_into = serializers.SlugRelatedField(slug_field="reference", read_only=True)

    class Meta:
        model = Ticket
        fields = [
            "reference",
            "subject",
            "status",
            "priority",
            "channel",
            "queue",
            "voivodeship",
            "assignee",
            "reporting_unit",
            "requester",
            "requester_name",
            "requester_email",
            "related_to",
            "merged_into",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
        ]

    def get_reporting_unit(self, ticket: Ticket) -> dict | None:
        unit = ticket.reporting_unit
        if unit is None:
            return None
        return {"name": unit.name, "regon": unit.regon, "voivodeship": unit.voivodeship_id}

    def get_requester(self, ticket: Ticket) -> dict:
        return {"name": ticket.requester_name, "email": ticket.requester_email, "phone": ticket.requester_phone}


class TicketDetailSerializer(TicketSerializer):
    """`merged_into` names the ticket a merged duplicate's conversation moved to; `linked` the related tickets
    the caller may see; `following` whether the caller follows the ticket."""

    entries = EntrySerializer(many=True, read_only=True)
    linked = serializers.SerializerMethodField()
    following = serializers.SerializerMethodField()

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "linked", "following", "entries"]

    def get_linked(self, ticket: Ticket) -> list[str]:
        return [other.reference for other in selectors.linked_tickets(self.context["request"].user, ticket)]

    def get_following(self, ticket: Ticket) -> bool:
        return selectors.follow_state(self.context["request"].user, ticket)["following"]


_TERYT = re.compile(r"^\d{2}$")


def _api_filters(tickets, params):
    """The API's extra filters over the scoped list; a malformed value is refused, never ignored."""
    errors = {}
    status = (params.get("status") or "").strip()
    if status and status != "open" and status not in Status.values:
        errors["status"] = _("Nieznany status: %(value)s.") % {"value": status}
    channel = (params.get("channel") or "").strip()
    if channel:
        if channel not in Channel.values:
            errors["channel"] = _("Nieznany kanał: %(channel)s.") % {"channel": channel}
        tickets = tickets.filter(channel=channel)
    voivodeship = (params.get("voivodeship") or "").strip()
    if voivodeship:
        if not _TERYT.match(voivodeship):
            errors["voivodeship"] = _("Kod TERYT województwa to dwie cyfry, np. 14.")
        tickets = tickets.filter(queue__voivodeship_id=voivodeship)
    regon = re.sub(r"[\s-]", "", params.get("regon") or "")
    if regon:
        if not inputs.is_ascii_digits(regon) or len(regon) not in (9, 14):
            errors["regon"] = _("REGON ma 9 albo 14 cyfr.")
        tickets = tickets.filter(reporting_unit__regon=regon)
    assignee = (params.get("assignee") or "").strip()
    if assignee and assignee not in ("me", "none") and inputs.ascii_int(assignee) is None:
        errors["assignee"] = _("Parametr assignee to me, none albo numer użytkownika (cyfry 0–9).")
    email = (params.get("requester_email") or "").strip()
    if email:
        tickets = tickets.filter(requester_email__iexact=email)
    if errors:
        raise serializers.ValidationError(errors)
    return tickets


class TicketViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "reference"

    def get_queryset(self):
        params = self.request.query_params
        tickets = selectors.list_tickets(self.request.user, selectors.TicketFilters.from_query(params))
        return _api_filters(tickets, params).select_related("queue", "reporting_unit", "related_to", "merged_into")

    def get_object(self):
        ticket = selectors.ticket_for_user(self.request.user, self.kwargs["reference"])
        entries = (
            Entry.objects.select_related("outbox_message")
            .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.select_related("file")))
            .order_by("created_at", "id")
        )
        return (
            Ticket.objects.select_related("queue", "reporting_unit", "related_to", "merged_into", "assignee")
            .prefetch_related(Prefetch("entries", queryset=entries))
            .get(pk=ticket.pk)
        )

    def get_serializer_class(self):
        return TicketDetailSerializer if self.action == "retrieve" else TicketSerializer

    # --- actions: thin adapters over tickets.actions; refusals answer with the action's Polish message ---

    def _run(self, perform, success_status=200):
        try:
            result = perform()
        except submissions.SubmissionKeyReused as exc:
            return Response({"detail": " ".join(exc.messages)}, status=422)
        except ValidationError as exc:
            return Response({"detail": " ".join(exc.messages)}, status=400)
        except PermissionDenied as exc:
            return Response({"detail": str(exc) or _("Brak uprawnień.")}, status=403)
        except Http404:
            return Response({"detail": _("Nie znaleziono.")}, status=404)
        return Response(result, status=success_status)

    def _data(self) -> dict:
        return self.request.data if isinstance(self.request.data, dict) else {}

    def _other(self, reference: str) -> Ticket:
        reference = "".join(str(reference or "").split()).upper()[:30]
        try:
            return selectors.ticket_for_user(self.request.user, reference)
        except Http404:
            raise ValidationError(_("Nie znaleziono zgłoszenia %(reference)s.") % {"reference": reference}) from None

    def _add_entry(self, make_request, answer) -> Response:
        """Add the entry `make_request(submission_key)` asks for; 201 with `answer(entry)`. With an
        Idempotency-Key used before for the same request: the same answer about the entry written then."""
        repeated = False

        def perform():
            nonlocal repeated
            key = submissions.clean_key(self.request.headers.get("Idempotency-Key", ""))
            (entry,) = actions.add_entries([make_request(key)], actor=self.request.user)
            repeated = entry.repeated
            return answer(entry)

        response = self._run(perform, 201)
        if repeated:
            response["Idempotent-Replayed"] = "true"
        return response

    @action(detail=True, methods=["post"])
    def notes(self, request, reference=None):
        ticket = selectors.ticket_for_user(request.user, reference)
        text = str(self._data().get("text", ""))
        return self._add_entry(
            lambda key: actions.NewEntry(
                ticket=ticket, kind=Entry.Kind.NOTE, message=actions.Message(text=text), submission_key=key
            ),
            lambda entry: {"id": entry.pk, "ticket": entry.ticket.reference},
        )

    @action(detail=True, methods=["post"])
    def replies(self, request, reference=None):
        """A reply by e-mail, as the ticket page sends it (To empty: the requester); the same limits on its
        recipients, refused with the same Polish message."""
        ticket = selectors.ticket_for_user(request.user, reference)

        def addresses(value) -> list[str]:
            items = value if isinstance(value, list) else [value] if value else []
            return ReplyForm._addresses(", ".join(str(item) for item in items))

        def reply(key: str):
            text = str(self._data().get("text", "")).strip()
            if not text:
                raise ValidationError(_("Wpisz treść odpowiedzi."))
            return actions.NewEntry(
                ticket=ticket,
                kind=Entry.Kind.OUTBOUND,
                message=actions.Message(text=text),
                email=actions.EmailHeaders(to=addresses(self._data().get("to")), cc=addresses(self._data().get("cc"))),
                submission_key=key,
            )

        return self._add_entry(
            reply, lambda entry: {"id": entry.pk, "ticket": entry.ticket.reference, "to": entry.to, "cc": entry.cc}
        )

    @action(detail=True, methods=["post"])
    def merge(self, request, reference=None):
        ticket = selectors.ticket_for_user(request.user, reference)

        def perform():
            target = actions.merge_tickets(
                actor=request.user,
                source=ticket,
                target=self._other(self._data().get("into")),
                reason=str(self._data().get("reason", ""))[:500],
            )
            return {"reference": ticket.reference, "merged_into": target.reference}

        return self._run(perform)

    @action(detail=True, methods=["post", "delete"])
    def links(self, request, reference=None):
        ticket = selectors.ticket_for_user(request.user, reference)

        def perform():
            other = self._other(self._data().get("reference"))
            if request.method == "DELETE":
                actions.unlink_tickets(actor=request.user, ticket=ticket, other=other)
            else:
                actions.link_tickets(actor=request.user, ticket=ticket, other=other)
            return {"linked": [t.reference for t in selectors.linked_tickets(request.user, ticket)]}

        return self._run(perform)

    @action(detail=True, methods=["post", "delete"])
    def follow(self, request, reference=None):
        ticket = selectors.ticket_for_user(request.user, reference)

        def perform():
            if request.method == "DELETE":
                actions.unfollow(actor=request.user, ticket=ticket)
            else:
                actions.follow(actor=request.user, ticket=ticket, by_email=self._data().get("by_email") is True)
            return {"following": selectors.follow_state(request.user, ticket)["following"]}

        return self._run(perform)


class TelephonyEventView(APIView):
    """POST /api/v1/telephony/events — from a PBX, authenticated by its own token (not a staff login):
    `Authorization: Bearer <token>` or `X-PBX-Token: <token>`; body {"event", "call_id", "caller", "extension"}
    of at most TELEPHONY_MAX_BODY_BYTES."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else request.headers.get("X-PBX-Token", "")
        try:
            pbx = telephony.authenticate(token)  # first: a stranger's body is never read, stored or logged
            event = telephony.receive_event(pbx=pbx, payload=telephony.read_payload(pbx, request._request))
        except telephony.TelephonyError as error:
            return Response({"detail": str(error)}, status=error.status)
        return Response({"accepted": True, "id": event.pk, "user": event.user.username}, status=202)
