"""A tiny real SMTP server on 127.0.0.1 for the tests of outgoing mail (Django's smtp backend talks to it).

`mode` decides what it answers: "accept" stores each message; "tempfail" answers 451 to RCPT TO (a greylisting or
overloaded relay); "reject" answers 550 (a relay refusing us). Switch it while it runs. (Python 3.11's `smtpd`
is deprecated and aiosmtpd is not a dependency, so this speaks the few commands smtplib uses.)
"""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from email.message import EmailMessage


class SmtpServer:
    def __init__(self) -> None:
        self.mode = "accept"
        self.messages: list[EmailMessage] = []
        self.sessions = 0
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")
                self.wfile.flush()

            def handle(self) -> None:
                server.sessions += 1
                self.reply("220 localhost test SMTP")
                recipients: list[str] = []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    command = line.decode("ascii", "replace").strip()
                    verb = command.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply(
                            "250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8" if verb == "EHLO" else "250 localhost"
                        )
                    elif verb == "MAIL":
                        recipients = []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        if server.mode == "tempfail":
                            self.reply("451 4.3.0 Mail server temporarily overloaded, try again later")
                        elif server.mode == "reject":
                            self.reply("550 5.7.1 Relaying denied")
                        else:
                            recipients.append(command)
                            self.reply("250 OK")
                    elif verb == "DATA":
                        if not recipients:
                            self.reply("503 5.5.1 No valid recipients")
                            continue
                        self.reply("354 End data with <CR><LF>.<CR><LF>")
                        lines = []
                        while (data := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
                            lines.append(data[1:] if data.startswith(b"..") else data)
                        server.messages.append(email.message_from_bytes(b"".join(lines), policy=email.policy.default))
                        self.reply("250 OK queued")
                    elif verb == "RSET":
                        recipients = []
                        self.reply("250 OK")
                    elif verb == "NOOP":
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 Bye")
                        return
                    else:
                        self.reply("502 5.5.2 Command not implemented")

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.tcp = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.tcp.daemon_threads = True
        self.port = self.tcp.server_address[1]
        self.thread = threading.Thread(target=self.tcp.serve_forever, name="test-smtp", daemon=True)

    def start(self) -> SmtpServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.tcp.shutdown()
        self.tcp.server_close()
