"""A real Dovecot IMAP server for the tests and the benchmark, from the config in deploy/dovecot/.

Started as root without systemd (`dovecot -F -c …`) on free ports of 127.0.0.1, with a passwd-file of test
users, Maildirs under its own directory and a self-signed certificate (openssl req -x509). The same users can
also log in with XOAUTH2/OAUTHBEARER: the oauth2 passdb checks access tokens against the introspection endpoint
of tests/oauth2_server.py, started with the server (`dovecot.oauth.issue(user)` gives a token).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from tests.oauth2_server import IntrospectionServer

USERS = 400
CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "dovecot" / "dovecot-test.conf.in"
OAUTH2_CONFIG = CONFIG.with_name("dovecot-oauth2.conf.ext.in")


def available() -> bool:
    return bool(shutil.which("dovecot") or Path("/usr/sbin/dovecot").exists()) and os.geteuid() == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    def __init__(self) -> None:
        # its own directory under /tmp, readable by the dovecot and mail users (pytest's tmp dirs are 0700)
        self.dir = Path(tempfile.mkdtemp(prefix="ssoz-dovecot-"))
        self.dir.chmod(0o755)
        self.port = _free_port()
        self.ssl_port = _free_port()
        self.process: subprocess.Popen | None = None
        self.users: dict[str, str] = {}
        self.oauth = IntrospectionServer()

    def start(self) -> Dovecot:
        for sub in ("run", "state", "home"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        shutil.chown(self.dir / "home", "mail", "mail")
        subprocess.run(
            [shutil.which("openssl") or "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
             "-subj", "/CN=127.0.0.1", "-keyout", str(self.dir / "key.pem"), "-out", str(self.dir / "cert.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
        # Users are written once, before start: Dovecot may not notice a passwd-file changed within a second.
        self.users = {f"user{n:03d}": secrets.token_hex(12) for n in range(USERS)}
        self._next = 0
        (self.dir / "users").write_text("".join(f"{name}:{secret}::::::\n" for name, secret in self.users.items()))
        text = CONFIG.read_text()
        for key, value in {"@DIR@": str(self.dir), "@PORT@": str(self.port), "@SSL_PORT@": str(self.ssl_port)}.items():
            text = text.replace(key, value)
        (self.dir / "dovecot.conf").write_text(text)
        self.oauth.start()
        oauth2 = OAUTH2_CONFIG.read_text().replace("@INTROSPECTION_URL@", self.oauth.url)
        (self.dir / "dovecot-oauth2.conf.ext").write_text(oauth2)
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(self.dir / "dovecot.conf")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.ssl_port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not start listening in 20 s")

    def new_user(self) -> tuple[str, str]:
        """A user nobody has used yet in this session (each test gets an empty Maildir)."""
        name = f"user{self._next:03d}"
        self._next += 1
        return name, self.users[name]

    def client(self, user: str, password: str, *, timeout: float = 30):
        """An IMAP client logged in as `user` over IMAPS (the self-signed certificate is not checked)."""
        import ssl

        from imapclient import IMAPClient

        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        client = IMAPClient("127.0.0.1", port=self.ssl_port, ssl=True, ssl_context=context, timeout=timeout)
        client.login(user, password)
        return client

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.oauth.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
