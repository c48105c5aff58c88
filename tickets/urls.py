from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("calls/new", views.call_new, name="call_new"),
    path("calls/caller-card", views.call_caller_card, name="call_caller_card"),
    path("calls/units", views.call_unit_suggestions, name="call_units"),
    path("sla/", views.sla_report, name="sla_report"),
    path("saved-views/new", views.saved_view_create, name="saved_view_create"),
    path("saved-views/<int:pk>/delete", views.saved_view_delete, name="saved_view_delete"),
    path("changes", views.tickets_changed, name="changes"),
    path("notices", views.notices_changed, name="notices"),
    path("<str:reference>/", views.ticket_detail, name="detail"),
    path("<str:reference>/changes", views.ticket_changed, name="changes_of_ticket"),
    path("<str:reference>/reply", views.ticket_reply, name="reply"),
    path("<str:reference>/canned/<int:pk>", views.ticket_canned_response, name="canned_response"),
    path("<str:reference>/status", views.ticket_status, name="status"),
    path("<str:reference>/priority", views.ticket_priority, name="priority"),
    path("<str:reference>/assign", views.ticket_assign, name="assign"),
    path("<str:reference>/move", views.ticket_move, name="move"),
    path("<str:reference>/reroute", views.ticket_reroute, name="reroute"),
    path("<str:reference>/unit", views.ticket_choose_unit, name="choose_unit"),
    path("<str:reference>/entries/<int:entry_id>/retry-delivery", views.ticket_retry_delivery, name="retry_delivery"),
    path("<str:reference>/merge", views.ticket_merge, name="merge"),
    path("<str:reference>/link", views.ticket_link, name="link"),
    path("<str:reference>/unlink", views.ticket_unlink, name="unlink"),
    path("<str:reference>/follow", views.ticket_follow, name="follow"),
    path("<str:reference>/mentions", views.ticket_mention_suggestions, name="mentions"),
]
