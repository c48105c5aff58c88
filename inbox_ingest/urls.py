from django.urls import path

from inbox_ingest import views

app_name = "inbox"

urlpatterns = [
    path("quarantine/", views.quarantine_list, name="quarantine"),
    path("quarantine/<int:raw_id>/", views.quarantine_detail, name="quarantine_detail"),
    path("quarantine/<int:raw_id>/raw", views.raw_download, name="raw"),
    path("quarantine/<int:raw_id>/<str:action>", views.quarantine_action, name="quarantine_action"),
]
