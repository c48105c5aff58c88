from django.urls import path

from tickets.consumers import NotifyConsumer, TicketPageConsumer, TicketStreamConsumer

websocket_urlpatterns = [
    path("ws/tickets/", TicketStreamConsumer.as_asgi()),
    path("ws/notify/", NotifyConsumer.as_asgi()),
    path("ws/tickets/<str:reference>/", TicketPageConsumer.as_asgi()),
]
