"""The shipped chain (deploy/nginx.conf in front of daphne started with the options of
deploy/helpdesk-web.service) gives the application the address nginx saw, whatever X-Forwarded-For or
X-Real-IP the client writes: per-address rate limits cannot be dodged by forging them."""

from pathlib import Path

import pytest

from tests.conftest import run_daphne, shipped_daphne_options
from tests.test_overlong_address import ask, run_nginx

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
LIMIT = 3


@pytest.fixture
def shipped_chain(transactional_db, tmp_path):
    # a window of 10^9 s: the test's requests never straddle two windows, whenever it runs
    env = {"LOOKUP_RATE_LIMIT": str(LIMIT), "LOOKUP_RATE_WINDOW_SECONDS": "1000000000"}
    for daphne_url in run_daphne(shipped_daphne_options(), env):
        yield from run_nginx(daphne_url, tmp_path)


def test_the_shipped_unit_trusts_proxy_headers_so_nginx_must_set_them():
    assert "--proxy-headers" in shipped_daphne_options()
    site = (DEPLOY / "nginx.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site
    assert "X-Forwarded-For $proxy_add_x_forwarded_for" not in site


@pytest.mark.parametrize(
    "forge",
    [
        lambda n: f"X-Forwarded-For: 203.0.113.{n}\r\n",
        lambda n: f"X-Forwarded-For: 203.0.113.{n}, 198.51.100.{n}\r\n",
        lambda n: f"X-Forwarded-For: 203.0.113.{n}\r\nX-Real-IP: 198.51.100.{n}\r\nX-Forwarded-Port: {1000 + n}\r\n",
    ],
    ids=["one-forged-address", "a-forged-chain", "every-proxy-header"],
)
def test_forged_forwarding_headers_do_not_get_past_the_lookup_limit(shipped_chain, forge):
    statuses = [ask(shipped_chain, "/status/?regon=123456785", headers=forge(n))[0] for n in range(LIMIT + 2)]
    assert statuses[:LIMIT] == [200] * LIMIT
    assert statuses[LIMIT:] == [429, 429]  # one client, whatever addresses it claims
    status, headers, page = ask(shipped_chain, "/status/?regon=123456785")
    assert status == 429 and "Za dużo zapytań z tego adresu" in page and headers["retry-after"]


def test_the_shipped_nginx_serves_security_txt(shipped_chain):
    status, headers, body = ask(shipped_chain, "/.well-known/security.txt")
    assert status == 200 and headers["content-type"].startswith("text/plain")
    assert "Contact: mailto:" in body and "Expires: " in body and "docs/security.md" in body


def test_the_limits_named_in_docs_security_exist_with_the_documented_defaults(settings):
    """docs/security.md's table names settings that exist, and the login limits it states are the defaults."""
    import re

    page = (DEPLOY.parent / "docs" / "security.md").read_text()
    table = [line for line in page.splitlines() if line.startswith("| ") and not line.startswith("| What")]
    named = {name for line in table for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", line)}
    assert {"LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", "TELEPHONY_MAX_BODY_BYTES", "LOOKUP_RATE_LIMIT"} <= named
    assert not [name for name in named if not hasattr(settings, name)]
    assert "| 5 per 15 min |" in page and settings.LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS == 5
    assert settings.LOGIN_FAILURES_PER_ADDRESS == 30 and settings.LOGIN_FAILURES_PER_ACCOUNT == 50
    assert settings.LOGIN_THROTTLE_WINDOW_SECONDS == 15 * 60 and settings.TELEPHONY_MAX_BODY_BYTES == 16 * 1024
    assert "client_max_body_size 30m;" in (DEPLOY / "nginx.conf").read_text() and "| 30 MiB |" in page
