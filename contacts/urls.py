from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("", views.missing, name="missing"),
    path("przypomnienia", views.remind, name="remind"),
    path("status", views.set_status, name="set_status"),
    path("jednostka/<str:regon>/", views.unit_reports, name="unit"),
]
