from django.urls import path

from knowledge_base import views

app_name = "kb"

urlpatterns = [
    path("", views.home, name="home"),
    path("szukaj/", views.search_page, name="search"),
    path("kategoria/<slug:slug>/", views.category, name="category"),
    path("artykul/<slug:slug>/", views.article, name="article"),
    path("artykul/<slug:slug>/opinia", views.feedback, name="feedback"),
    path("pliki/<int:attachment_id>/<str:filename>", views.attachment, name="attachment"),
    path("formularze/", views.forms_catalogue, name="forms"),
    path("kontakt/", views.contact, name="contact"),
    path("kontakt/podpowiedzi", views.suggestions, name="suggestions"),
    path("kontakt/wyslano/", views.contact_sent, name="contact_sent"),
    path("zgloszenie/<str:token>/", views.requester_ticket, name="requester_ticket"),
    path("zgloszenie/<str:token>/pliki/<int:attachment_id>", views.requester_attachment, name="requester_attachment"),
    path("deklaracja-dostepnosci/", views.accessibility_statement, name="accessibility"),
]
