"""An address too long for the web server (a search of about 20,000 characters) gets a clear Polish page from
the real daphne process, not a dropped connection or a bare 400; what browsers can type stays short."""

import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.conftest import need_server

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@dataclass(frozen=True)
class Nginx:
    """The shipped nginx running: `url` its HTTPS server, `http_url` its port-80 server, `tls` a client context
    that trusts the certificate made for the test (and checks it is the site's: SERVER_NAME)."""

    url: str
    http_url: str
    tls: ssl.SSLContext
    directory: Path
    acme: Path  # the port-80 server's root for Let's Encrypt's challenge files


SERVER_NAME = "pomoc.example.gov.pl"  # deploy/nginx.conf's, kept as shipped


def ask(server: "str | Nginx", path: str, headers: str = "") -> tuple[int, dict[str, str], str]:
    """One raw HTTP/1.1 request (urllib refuses nothing, but a raw socket shows a dropped connection as such);
    to nginx over TLS, verifying its certificate. Several headers of one name are joined with ", "."""
    tls = server.tls if isinstance(server, Nginx) else None
    address = urlsplit(server.url if isinstance(server, Nginx) else server)
    with socket.create_connection((address.hostname, address.port), timeout=60) as raw:
        sock = tls.wrap_socket(raw, server_hostname=SERVER_NAME) if tls else raw
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer, "the server dropped the connection without an answer"
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields: dict[str, str] = {}
    for name, value in (line.split(":", 1) for line in header_lines):
        key = name.lower()
        fields[key] = f"{fields[key]}, {value.strip()}" if key in fields else value.strip()
    return int(status_line.split()[1]), fields, body.decode()


@pytest.mark.parametrize("path", ["/szukaj/?q=", "/tickets/?q="])
def test_a_search_of_20000_characters_gets_the_polish_page(daphne_server, path):
    status, headers, page = ask(daphne_server, path + "podatek+" * 2500)
    assert status == 414
    assert headers["content-type"] == "text/html; charset=utf-8" and headers["connection"] == "close"
    assert '<html lang="pl">' in page and "<h1>Adres strony jest za długi</h1>" in page
    assert 'href="/"' in page


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/szukaj/?q=mz-03", f"Cookie: sessionid={'x' * 17000}\r\n", 431),  # one header line over 16 KiB
        ("/szukaj/?q=mz-03", "".join(f"X-Extra-{n}: {'y' * 6000}\r\n" for n in range(3)), 431),  # head over 16 KiB
        ("/szukaj/?q=" + "podatek+" * 1500, f"Cookie: sessionid={'x' * 5000}\r\n", 414),  # a 12 KB address + cookies
    ],
)
def test_a_head_too_large_for_daphne_gets_the_same_page(daphne_server, path, headers, expected):
    status, _, page = ask(daphne_server, path, headers=headers)
    assert status == expected and "<h1>Adres strony jest za długi</h1>" in page


def test_a_long_address_daphne_still_takes_reaches_the_search_cut_to_200_characters(daphne_server):
    status, _, page = ask(daphne_server, "/szukaj/?q=" + "sprawozdanie+" * 600)  # 7,800 characters
    assert status == 200 and "Wyniki wyszukiwania" in page
    typed = re.search(r'<input id="kb-q"[^>]*value="([^"]*)"', page).group(1)
    assert len(typed) <= 200  # the query shown (and searched) is its first 200 characters


def test_the_search_inputs_cannot_be_typed_past_200_characters(client, alice):
    for page in (client.get(reverse("kb:search")).content.decode(), client.get("/").content.decode()):
        assert re.search(r'<input[^>]*name="q"[^>]*maxlength="200"', page)
    client.force_login(alice)
    assert re.search(r'<input[^>]*name="q"[^>]*maxlength="200"', client.get(reverse("tickets:list")).content.decode())
    lookup = client.get(reverse("status_lookup")).content.decode()
    assert re.search(r'<input[^>]*name="regon"[^>]*maxlength="\d+"', lookup)


NGINX = os.environ.get("NGINX_PATH") or shutil.which("nginx") or ""


@pytest.fixture
def nginx_in_front(daphne_server, tmp_path):
    yield from run_nginx(daphne_server, tmp_path)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for SERVER_NAME made with openssl, as an operator makes one to try the site."""
    certificate, key = directory / "fullchain.pem", directory / "privkey.pem"
    subprocess.run(
        [shutil.which("openssl") or "/usr/bin/openssl", "req", "-x509", "-nodes",
         "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-keyout", str(key), "-out", str(certificate), "-days", "2", "-subj", f"/CN={SERVER_NAME}",
         "-addext", f"subjectAltName=DNS:{SERVER_NAME}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return certificate, key


def shipped_site(
    daphne_url: str | list[str], directory: Path, acme: Path, http_port: int, https_port: int, edge_cache: Path
) -> str:
    """deploy/nginx.conf as shipped, with only what an operator sets (the certificate's files) and what one
    machine shared by tests needs (free ports of 127.0.0.1, the test's daphne, files in `directory`) changed.
    The upstream's two servers (8000, 8001) become the test's two daphne processes, or both its one."""
    certificate, key = self_signed_certificate(directory)
    first, second = [daphne_url, daphne_url] if isinstance(daphne_url, str) else daphne_url
    site = (Path(__file__).resolve().parents[1] / "deploy" / "nginx.conf").read_text()
    for shipped, here, times in [
        ("listen 80;", f"listen 127.0.0.1:{http_port};", 1),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;", 1),
        ("ssl_certificate /etc/ssl/helpdesk/fullchain.pem;", f"ssl_certificate {certificate};", 1),
        ("ssl_certificate_key /etc/ssl/helpdesk/privkey.pem;", f"ssl_certificate_key {key};", 1),
        ("server 127.0.0.1:8000 ", f"server 127.0.0.1:{urlsplit(first).port} ", 1),
        ("server 127.0.0.1:8001 ", f"server 127.0.0.1:{urlsplit(second).port} ", 1),
        ("root /var/www/letsencrypt;", f"root {acme};", 1),
        ("alias /srv/helpdesk/deploy/", f"alias {Path(__file__).resolve().parents[1]}/deploy/", 1),
        ("access_log /var/log/nginx/pomoc-ssoz.access.log", f"access_log {directory}/access.log", 2),
        ("proxy_cache_path /var/cache/nginx/helpdesk ", f"proxy_cache_path {edge_cache} ", 1),
    ]:
        assert site.count(shipped) == times, shipped
        site = site.replace(shipped, here)
    return site


def run_nginx(daphne_url: str | list[str], tmp_path: Path):
    """The shipped deploy/nginx.conf in front of daphne, one or two (shipped_site), inside an http block like Debian's
    /etc/nginx/nginx.conf, checked with `nginx -t` first. Yields an Nginx."""
    need_server("nginx", bool(NGINX), "apt-get install nginx-light, or set NGINX_PATH")
    http_port, https_port = free_port(), free_port()
    acme = Path(tempfile.mkdtemp(prefix="acme-"))  # readable by nginx's workers (nobody), unlike tmp_path
    acme.chmod(0o755)
    edge_cache = Path(tempfile.mkdtemp(prefix="edge-cache-"))  # written by nginx's workers (nobody)
    edge_cache.chmod(0o777)
    site = shipped_site(daphne_url, tmp_path, acme, http_port, https_port, edge_cache)
    (tmp_path / "site.conf").write_text(site)
    temp = " ".join(
        f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"daemon off; pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ access_log off; {temp} include {tmp_path}/site.conf; }}\n"
    )
    command = [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0 and "test is successful" in check.stderr, check.stderr
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    for port in (http_port, https_port):
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    pytest.fail(f"nginx did not start: {process.stdout.read().decode()[-2000:]}")
                time.sleep(0.1)
    tls = ssl.create_default_context(cafile=str(tmp_path / "fullchain.pem"))
    yield Nginx(f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", tls, tmp_path, acme)
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(acme, ignore_errors=True)
    shutil.rmtree(edge_cache, ignore_errors=True)


def test_the_shipped_nginx_answers_an_over_long_address_with_the_same_page(nginx_in_front, daphne_server):
    status, headers, page = ask(nginx_in_front, "/szukaj/?q=" + "podatek+" * 2500)
    assert status == 414 and headers["content-type"].startswith("text/html")
    assert page == ask(daphne_server, "/szukaj/?q=" + "podatek+" * 2500)[2]  # the very page daphne answers with
    status, _, page = ask(nginx_in_front, "/szukaj/?q=mz-03", headers=f"Cookie: sessionid={'x' * 9000}\r\n")
    assert status == 431 and "<h1>Adres strony jest za długi</h1>" in page
    assert ask(nginx_in_front, "/szukaj/?q=mz-03")[0] == 200  # an ordinary search passes through
