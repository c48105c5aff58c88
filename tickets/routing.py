from django.urls import path

from tickets.consumers import TicketStreamConsumer

websocket_urlpatterns = [path("ws/tickets/", TicketStreamConsumer.as_asgi())]
