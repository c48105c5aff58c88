"""ASGI entry point: HTTP goes to Django, websockets to channels consumers behind session auth."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")

from helpdesk.asgi_handler import get_asgi_application

django_asgi_app = get_asgi_application()  # Django's, with the middleware chain and the view in one thread

from helpdesk import http_limits  # noqa: E402

http_limits.install()  # over-long addresses: a Polish page from daphne itself (Django never sees them)

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from helpdesk import inputs  # noqa: E402
from tickets.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            inputs.RefuseOddWebsocket(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
        ),
    }
)

from helpdesk.speed import heap  # noqa: E402

heap.settle()  # start-up is done: its objects out of the collector's full passes
