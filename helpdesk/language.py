"""The interface language: Polish unless the person chose English with the language switch.

Django's LocaleMiddleware also follows the browser's Accept-Language, so Firefox out of the box (en-US) got
an English interface around Polish articles, units and forms. Here only the switch counts: Django's
`set_language` view stores the choice in the language cookie, and that cookie is all this reads.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language as django_set_language

# Django's view (it refuses a `next` to another host, url_has_allowed_host_and_scheme, and sets the language
# cookie), without the CSRF check: a forged switch changes nothing but the visitor's own preference cookie, and
# without a token in the switch's form the public pages are the same for every visitor and can be kept whole
# (helpdesk.public_cache.shared_page). See docs/security.md.
set_language = csrf_exempt(django_set_language)


def chosen_language(request) -> str:
    """The language picked with the switch (the cookie), else the site's language; never the browser's."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen:
        try:
            return translation.get_supported_language_variant(chosen)
        except LookupError:
            pass
    return settings.LANGUAGE_CODE


class ChosenLanguageMiddleware(MiddlewareMixin):
    """Activates `chosen_language` for the request; in place of django.middleware.locale.LocaleMiddleware."""

    def process_request(self, request):
        language = chosen_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language

    def process_response(self, request, response):
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
