from django import forms as djforms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from knowledge_base.models import Article, Category, Kind, Status, Tag, Visibility


class ArticleForm(djforms.Form):
    title = djforms.CharField(label=_("Tytuł"), max_length=300)
    kind = djforms.ChoiceField(label=_("Rodzaj"), choices=Kind.choices)
    category = djforms.ModelChoiceField(label=_("Kategoria"), queryset=Category.objects.all(), required=False)
    summary = djforms.CharField(label=_("Streszczenie"), max_length=500, required=False)
    body = djforms.CharField(
        label=_("Treść (Markdown)"), widget=djforms.Textarea(attrs={"rows": 18}), required=False, max_length=400_000
    )
    forms = djforms.CharField(label=_("Formularze (np. MZ-11, MZ-88)"), required=False, max_length=200)
    reporting_year = djforms.IntegerField(label=_("Rok sprawozdawczy"), required=False, min_value=2000, max_value=2100)
    tags = djforms.ModelMultipleChoiceField(label=_("Etykiety"), queryset=Tag.objects.all(), required=False)
    visibility = djforms.ChoiceField(label=_("Widoczność"), choices=Visibility.choices)
    language = djforms.ChoiceField(label=_("Język"), choices=settings.LANGUAGES)
    translation_of = djforms.ModelChoiceField(
        label=_("Tłumaczenie artykułu"), queryset=Article.objects.order_by("title"), required=False
    )
    publish_at = djforms.DateTimeField(label=_("Publikacja od (puste: od razu)"), required=False)
    expire_at = djforms.DateTimeField(label=_("Ważny do (puste: bez końca)"), required=False)
    note = djforms.CharField(label=_("Opis zmiany"), max_length=300, required=False)

    def clean_forms(self) -> list[str]:
        return [code.strip() for code in self.cleaned_data["forms"].replace(";", ",").split(",") if code.strip()]


class StatusForm(djforms.Form):
    status = djforms.ChoiceField(label=_("Nowy stan"), choices=Status.choices)


class AttachmentForm(djforms.Form):
    file = djforms.FileField(label=_("Plik (PDF, DOCX, TXT, obraz)"))
