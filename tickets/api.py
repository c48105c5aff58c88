"""REST API v1 for tickets: the same selectors (and so the same scoping) as the pages."""

from rest_framework import serializers, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from tickets import selectors, telephony
from tickets.models import Entry, Ticket


class EntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Entry
        fields = ["id", "kind", "sender_name", "sender_email", "subject", "body_text", "created_at"]


class TicketSerializer(serializers.ModelSerializer):
    queue = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    assignee = serializers.StringRelatedField()
    reporting_unit = serializers.StringRelatedField()

    class Meta:
        model = Ticket
        fields = [
            "reference",
            "subject",
            "status",
            "priority",
            "channel",
            "queue",
            "assignee",
            "reporting_unit",
            "requester_name",
            "requester_email",
            "created_at",
            "updated_at",
            "first_response_at",
            "resolved_at",
        ]


class TicketDetailSerializer(TicketSerializer):
    entries = EntrySerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "entries"]


class TicketViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "reference"

    def get_queryset(self):
        return selectors.list_tickets(self.request.user, selectors.TicketFilters.from_query(self.request.query_params))

    def get_object(self):
        return selectors.ticket_for_user(self.request.user, self.kwargs["reference"])

    def get_serializer_class(self):
        return TicketDetailSerializer if self.action == "retrieve" else TicketSerializer


class TelephonyEventView(APIView):
    """POST /api/v1/telephony/events — from a PBX, authenticated by its own token (not a staff login):
    `Authorization: Bearer <token>` or `X-PBX-Token: <token>`; body {"event", "call_id", "caller", "extension"}."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.startswith("Bearer ") else request.headers.get("X-PBX-Token", "")
        try:
            event = telephony.receive_event(token=token, payload=request.data)
        except telephony.TelephonyError as error:
            return Response({"detail": str(error)}, status=error.status)
        return Response({"accepted": True, "id": event.pk, "user": event.user.username}, status=202)
