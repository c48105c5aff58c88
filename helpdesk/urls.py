from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from rest_framework.routers import DefaultRouter

from contacts import api as contacts_api
from contacts import views as contacts_views
from helpdesk.health import healthz
from helpdesk.language import set_language
from helpdesk.login_throttle import AdminLoginForm, LoginView
from helpdesk.passwords import PasswordChangeView
from helpdesk.views import own_settings, start
from tickets.api import TelephonyEventView, TicketViewSet
from tickets.views import attachment_download

router = DefaultRouter()
router.register("tickets", TicketViewSet, basename="ticket")

admin.site.site_header = _("Pomoc SSOZ: administracja")
admin.site.site_title = _("Pomoc SSOZ")
admin.site.login_form = AdminLoginForm  # password guessing throttled there too (helpdesk.login_throttle)

urlpatterns = [
    path("login/", LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("start/", start, name="start"),
    path("ustawienia/", own_settings, name="own_settings"),
    path("haslo/", PasswordChangeView.as_view(), name="password_change"),
    path("tickets/", include("tickets.urls")),
    path("inbox/", include("inbox_ingest.urls")),
    path("redakcja/", include("knowledge_base.editor_urls")),  # knowledge-base editors
    path("attachments/<int:attachment_id>/<str:filename>", attachment_download, name="attachment"),
    path("api/v1/telephony/events", TelephonyEventView.as_view(), name="telephony_events"),
    path("status/", contacts_views.status_lookup, name="status_lookup"),
    path("administratorzy/", contacts_views.administrators, name="administrators"),
    path("sprawozdania/", include("contacts.urls")),
    path("api/v1/submissions/lookup", contacts_api.submission_lookup, name="api_submission_lookup"),
    path("api/v1/submissions/batch", contacts_api.submission_batch, name="api_submission_batch"),
    path("api/v1/kb/", include("knowledge_base.api_urls")),
    path("api/v1/", include(router.urls)),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),  # without the CSRF check: docs/security.md
    path("", include("knowledge_base.urls")),  # the public portal: front page, articles, forms, contact
]

# The site's own Polish pages (public or staff layout by address), never Django's bare English ones.
handler400 = "helpdesk.errors.bad_request"
handler403 = "helpdesk.errors.permission_denied"
handler404 = "helpdesk.errors.page_not_found"
handler500 = "helpdesk.errors.server_error"
