"""REST API v1 of the knowledge base: search and articles for anyone (visibility by role), writes for editors."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from rest_framework import permissions, serializers, status
from rest_framework.decorators import api_view, permission_classes, throttle_classes
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from helpdesk import inputs, public_cache, ratelimit
from helpdesk.access import is_staff_member
from knowledge_base import actions, search, selectors
from knowledge_base.models import Article, Category, Kind, SearchLog, Status, Visibility
from knowledge_base.permissions import can_edit


class ArticleSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )

    class Meta:
        model = Article
        fields = [
            "id",
            "kind",
            "title",
            "slug",
            "summary",
            "url",
            "category",
            "forms",
            "reporting_year",
            "visibility",
            "status",
            "language",
            "publish_at",
            "expire_at",
            "updated_at",
        ]
        read_only_fields = ["slug", "status", "updated_at"]

    def get_url(self, article) -> str:
        return settings.SITE_URL + article.get_absolute_url()


class ArticleDetailSerializer(ArticleSerializer):
    """An article with its text as the article page shows it: `body_html` (rendered and sanitised by
    knowledge_base.render, editors' HTML comments gone) and `body_text`. The Markdown source (`body`, with the
    editors' notes) only for editors: pass the request in the context."""

    class Meta(ArticleSerializer.Meta):
        fields = [*ArticleSerializer.Meta.fields, "body", "body_html", "body_text"]
        read_only_fields = [*ArticleSerializer.Meta.read_only_fields, "body_html", "body_text"]

    def to_representation(self, article):
        data = super().to_representation(article)
        request = self.context.get("request")
        if request is None or not can_edit(request.user):
            data.pop("body", None)
        return data


class ArticleWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=300, required=False)
    body = serializers.CharField(allow_blank=True, required=False, max_length=actions.MAX_BODY)
    summary = serializers.CharField(allow_blank=True, required=False, max_length=500)
    kind = serializers.ChoiceField(choices=Kind.choices, required=False)
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)
    language = serializers.ChoiceField(choices=settings.LANGUAGES, required=False)
    category = serializers.SlugRelatedField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )
    forms = serializers.ListField(child=serializers.CharField(max_length=20), required=False)
    reporting_year = serializers.IntegerField(required=False, allow_null=True, min_value=2000, max_value=2100)
    publish_at = serializers.DateTimeField(required=False, allow_null=True)
    expire_at = serializers.DateTimeField(required=False, allow_null=True)
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class EditorOrReadOnly(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.method in permissions.SAFE_METHODS or can_edit(request.user)


def _as_api_error(exc: ValidationError) -> ApiValidationError:
    return ApiValidationError(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages})


@public_cache.shared_page("q", "limit", "kind", "lang")  # JSON kept whole as the search page is; the limit counts each
@api_view(["GET"])
@permission_classes([permissions.AllowAny])
@throttle_classes([])
def search_view(request):
    if not ratelimit.allow(
        "kb-search", ratelimit.client_address(request), limit=settings.KB_SEARCH_PER_MINUTE, window_seconds=60
    ):
        return Response({"detail": "Za dużo zapytań. Spróbuj za chwilę."}, status=status.HTTP_429_TOO_MANY_REQUESTS)
    limit = min(max(inputs.ascii_int(request.query_params.get("limit", 10)) or 10, 1), 50)
    kinds = [k for k in request.query_params.getlist("kind") if k in Kind.values] or None
    language = request.query_params.get("lang") or "pl"
    if language not in dict(settings.LANGUAGES):
        return Response({"lang": ["Nieobsługiwany język (pl albo en)."]}, status=status.HTTP_400_BAD_REQUEST)
    results = search.answer(
        request.query_params.get("q", ""), user=request.user, kinds=kinds, limit=limit, language=language
    )

    agent = request.query_params.get("source") == "agent" and is_staff_member(request.user)
    source = SearchLog.Source.AGENT if agent else SearchLog.Source.API
    actions.record_search(query=results.query, source=source, results=results.total)
    return Response(
        {
            "query": results.query.raw,
            "count": results.total,
            "corrections": results.query.corrections,
            "results": [
                {
                    "id": hit.article.pk,
                    "title": hit.article.title,
                    "url": settings.SITE_URL + hit.article.get_absolute_url(),
                    "snippet": hit.snippet,
                    "kind": hit.article.kind,
                    "forms": hit.article.forms,
                    "score": round(hit.score, 4),
                }
                for hit in results.hits
            ],
        }
    )


class ArticleList(APIView):
    permission_classes = [EditorOrReadOnly]

    def get(self, request):
        articles = selectors.articles_for_user(request.user).select_related("category").order_by("pk")
        kind = request.query_params.get("kind")
        if kind:
            articles = articles.filter(kind=kind)
        page = articles[:500]
        return Response({"count": articles.count(), "results": ArticleSerializer(page, many=True).data})

    def post(self, request):
        data = ArticleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        wanted_status = fields.pop("status", None)
        if "title" not in fields:
            raise ApiValidationError({"title": ["Tytuł nie może być pusty."]})
        try:
            note = fields.pop("note", "")
            article = actions.create_article(actor=request.user, draft=actions.ArticleDraft(**fields), note=note)
            if wanted_status and wanted_status != Status.DRAFT:
                article = actions.change_status(actor=request.user, article=article, status=wanted_status)
        except ValidationError as exc:
            raise _as_api_error(exc) from None
        return Response(
            ArticleDetailSerializer(article, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class ArticleDetail(APIView):
    permission_classes = [EditorOrReadOnly]

    def get(self, request, article_id: int):
        article = selectors.article_by_id_for_user(request.user, article_id)
        return Response(ArticleDetailSerializer(article, context={"request": request}).data)

    def patch(self, request, article_id: int):
        article = selectors.article_by_id_for_user(request.user, article_id)
        data = ArticleWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        wanted_status = fields.pop("status", None)
        note = fields.pop("note", "")
        try:
            if fields:
                article = actions.update_article(actor=request.user, article=article, note=note, **fields)
            if wanted_status:
                article = actions.change_status(actor=request.user, article=article, status=wanted_status)
        except ValidationError as exc:
            raise _as_api_error(exc) from None
        return Response(ArticleDetailSerializer(article, context={"request": request}).data)

    put = patch
