from django.urls import path

from knowledge_base import editor_views as views

app_name = "kb_editor"

urlpatterns = [
    path("", views.article_list, name="list"),
    path("nowy/", views.article_edit, name="new"),
    path("<int:article_id>/", views.article_edit, name="edit"),
    path("<int:article_id>/stan", views.article_status, name="status"),
    path("<int:article_id>/zalacznik", views.article_attach, name="attach"),
    path("<int:article_id>/wersje/<int:older>/<int:newer>/", views.version_diff, name="diff"),
    path("<int:article_id>/wersje/<int:number>/przywroc", views.version_restore, name="restore"),
    path("statystyki/", views.analytics, name="analytics"),
    path("brak-artykulu/<str:reference>", views.flag_missing, name="flag_missing"),
]
