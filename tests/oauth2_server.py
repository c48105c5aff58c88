"""A tiny OAuth2 token-introspection endpoint (RFC 7662) on 127.0.0.1 for the test Dovecot's oauth2 passdb.

Dovecot (`introspection_mode = post`) POSTs `token=<access token>`; the answer is a JSON object with
`active` and the user name. Tokens are issued by the tests: valid ones map to an IMAP user, revoked or
expired ones answer `{"active": false}` and Dovecot refuses the login. Every request is recorded.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class IntrospectionServer:
    def __init__(self) -> None:
        self.tokens: dict[str, dict] = {}
        self.requests: list[str] = []
        self.lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                token = (parse_qs(self.rfile.read(length).decode()).get("token") or [""])[0]
                body = json.dumps(server.introspect(token)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="oauth2-introspection", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/introspect"

    def start(self) -> IntrospectionServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def issue(self, user: str, lifetime: float = 3600) -> str:
        """A new access token for `user`, valid for `lifetime` seconds."""
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = {"username": user, "exp": time.time() + lifetime}
        return token

    def revoke(self, token: str) -> None:
        with self.lock:
            self.tokens.pop(token, None)

    def introspect(self, token: str) -> dict:
        with self.lock:
            self.requests.append(token)
            grant = self.tokens.get(token)
        if grant is None or grant["exp"] <= time.time():
            return {"active": "false"}
        return {"active": "true", "username": grant["username"], "exp": int(grant["exp"])}
