"""An address too long for the web server (a search of about 20,000 characters) gets a clear Polish page from
the real daphne process, not a dropped connection or a bare 400; what browsers can type stays short."""

import re
import socket
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)


def ask(server: str, path: str, headers: str = "") -> tuple[int, dict[str, str], str]:
    """One raw HTTP/1.1 request (urllib refuses nothing, but a raw socket shows a dropped connection as such)."""
    address = urlsplit(server)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}Connection: close\r\n\r\n".encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer, "daphne dropped the connection without an answer"
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    fields = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), fields, body.decode()


@pytest.mark.parametrize("path", ["/szukaj/?q=", "/tickets/?q="])
def test_a_search_of_20000_characters_gets_the_polish_page(daphne_server, path):
    status, headers, page = ask(daphne_server, path + "podatek+" * 2500)
    assert status == 414
    assert headers["content-type"] == "text/html; charset=utf-8" and headers["connection"] == "close"
    assert '<html lang="pl">' in page and "<h1>Adres strony jest za długi</h1>" in page
    assert 'href="/"' in page


def test_headers_too_large_for_daphne_get_the_same_page(daphne_server):
    status, _, page = ask(daphne_server, "/szukaj/?q=mz-03", headers=f"Cookie: sessionid={'x' * 17000}\r\n")
    assert status == 431 and "Adres strony jest za długi" in page


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
