"""The shipped chain (deploy/nginx.conf in front of daphne started with the options of
deploy/helpdesk-web@.service) gives the application the address nginx saw, whatever X-Forwarded-For or
X-Real-IP the client writes: per-address rate limits cannot be dodged by forging them."""

import socket
import ssl
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from stdnum.pl import regon

from tests.conftest import run_daphne, shipped_daphne_options
from tests.test_overlong_address import NGINX, SERVER_NAME, ask, run_nginx

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


def _regon(n: int) -> str:
    body = str(12345670 + n)
    return body + regon.calc_check_digit(body)


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
    """An enumeration: another REGON each time (the same one again may come from nginx's edge cache, which tells
    nothing new and costs nothing: tests/test_edge_cache.py)."""
    statuses = [ask(shipped_chain, f"/status/?regon={_regon(n)}", headers=forge(n))[0] for n in range(LIMIT + 2)]
    assert statuses[:LIMIT] == [200] * LIMIT
    assert statuses[LIMIT:] == [429, 429]  # one client, whatever addresses it claims
    status, headers, page = ask(shipped_chain, f"/status/?regon={_regon(LIMIT + 2)}")
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


# --- HTTPS as shipped: the certificate, the port-80 redirect, HSTS ----------------------------------------------

HSTS = "max-age=31536000; includeSubDomains; preload"  # Django's with HTTPS on (helpdesk/settings.py defaults)


@pytest.fixture
def https_chain(transactional_db, tmp_path):
    """The chain as in production: daphne with HTTPS on (secure cookies, HSTS, redirect of plain HTTP) behind the
    shipped nginx with a self-signed certificate."""
    for daphne_url in run_daphne(shipped_daphne_options(), {"HTTPS": "true"}):
        yield from run_nginx(daphne_url, tmp_path)


def test_the_shipped_file_passes_nginx_t_with_a_certificate(https_chain):
    check = subprocess.run(
        [NGINX, "-t", "-p", str(https_chain.directory), "-c", str(https_chain.directory / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert check.returncode == 0 and "syntax is ok" in check.stderr and "test is successful" in check.stderr


@pytest.mark.parametrize("path", ["/", "/szukaj/?q=mz-03&strona=2", "/zgloszenie/abc/pliki/1", "/healthz"])
def test_port_80_redirects_to_the_same_address_on_https(https_chain, path):
    status, headers, _ = ask(https_chain.http_url, path)
    assert status == 301 and headers["location"] == f"https://127.0.0.1{path}"
    assert "strict-transport-security" not in headers  # meaningless over plain HTTP


def test_port_80_serves_the_lets_encrypt_challenge_and_masks_the_private_link_in_its_log(https_chain):
    challenge = https_chain.acme / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    for folder in (challenge.parent, challenge):
        folder.chmod(0o755)
    (challenge / "tok3n").write_text("tok3n.thumbprint")
    status, headers, body = ask(https_chain.http_url, "/.well-known/acme-challenge/tok3n")
    assert status == 200 and body == "tok3n.thumbprint" and headers["content-type"] == "text/plain"
    ask(https_chain.http_url, "/zgloszenie/SEKRETNYtoken123/")
    log = https_chain.directory / "access.log"
    deadline = time.monotonic() + 5
    while "zgloszenie" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert '"GET /zgloszenie/***/ HTTP/1.1" 301' in log.read_text() and "SEKRETNY" not in log.read_text()


def test_https_serves_the_site_through_daphne_with_modern_tls_and_one_hsts_header(https_chain):
    status, headers, page = ask(https_chain, "/")
    assert status == 200 and '<html lang="pl">' in page
    assert headers["strict-transport-security"] == HSTS  # Django's, once (two would be joined with ", ")
    status, headers, _ = ask(https_chain, "/.well-known/security.txt")  # nginx's own answer: the same value
    assert status == 200 and headers["strict-transport-security"] == HSTS
    address = urlsplit(https_chain.url)
    with (
        socket.create_connection((address.hostname, address.port), timeout=30) as raw,
        https_chain.tls.wrap_socket(raw, server_hostname=SERVER_NAME) as sock,
    ):
        assert sock.version() == "TLSv1.3"
    tls12 = ssl.create_default_context(cafile=str(https_chain.directory / "fullchain.pem"))
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    with (
        socket.create_connection((address.hostname, address.port), timeout=30) as raw,
        tls12.wrap_socket(raw, server_hostname=SERVER_NAME) as sock,
    ):
        name, version, _bits = sock.cipher()
        assert version == "TLSv1.2" and name.startswith("ECDHE-") and ("GCM" in name or "CHACHA20" in name)


def test_the_certificate_is_checked_by_name(https_chain):
    """The client really verifies: the test's certificate is for the shipped server name only."""
    address = urlsplit(https_chain.url)
    with (
        socket.create_connection((address.hostname, address.port), timeout=30) as raw,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        https_chain.tls.wrap_socket(raw, server_hostname="inna.example.gov.pl")


def test_hsts_in_the_shipped_nginx_is_the_value_django_sends(settings):
    """The one HSTS value nginx adds itself (its own answers) is the one the settings give with HTTPS on."""
    import re

    site = (DEPLOY / "nginx.conf").read_text()
    added = re.findall(r'add_header Strict-Transport-Security "([^"]+)" always;', site)
    assert added == [HSTS]
    settings_source = (DEPLOY.parent / "helpdesk" / "settings.py").read_text()
    assert 'env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0' in settings_source
    assert "SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS" in settings_source
    assert "SECURE_HSTS_PRELOAD = HTTPS" in settings_source
