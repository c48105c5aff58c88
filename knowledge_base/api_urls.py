from django.urls import path

from knowledge_base import api

urlpatterns = [
    path("search", api.search_view, name="kb-api-search"),
    path("articles/", api.ArticleList.as_view(), name="kb-api-articles"),
    path("articles/<int:article_id>/", api.ArticleDetail.as_view(), name="kb-api-article"),
]
