#!/usr/bin/python3
"""A throwaway SMTP server for the mailer tests (tests/mail/smtp_mailer_test.cpp and smtp_failures_test.cpp).

Runs aiosmtpd on 127.0.0.1 on a port the kernel picks, then reports on stdout, one JSON object per line:
  {"event": "ready", "port": N}                           once it accepts connections
  {"event": "auth", "mechanism": ..., "login": ..., "success": ...}   each AUTH attempt
  {"event": "message", "mail_from": ..., "rcpt_tos": [...], "mail_options": [...], "tls": ...,
   "auth_login": ..., "subject": <decoded>, "body": <decoded, "\\n" line breaks>, "headers": {...},
   "data": <raw DATA as received, after un-dot-stuffing>}
It stops on SIGTERM, or when stdin reaches EOF (the test process died).

Run it with Debian's /usr/bin/python3 (python3-aiosmtpd).
"""

import argparse
import email
import email.policy
import json
import logging
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

_out_lock = threading.Lock()


def emit(obj):
    # Each line is flushed at once: the test reads the "ready" line while the server runs, and may kill
    # the process right after the client finished.
    with _out_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def text(b):
    return b.decode("utf-8", errors="replace") if isinstance(b, bytes) else b


class Handler:
    def __init__(self, reject):
        self.reject = set(reject)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 <%s>: Recipient address rejected: no such user" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        login = None
        if session.authenticated and session.auth_data is not None:
            login = text(getattr(session.auth_data, "login", None))
        emit({
            "event": "message",
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "mail_options": envelope.mail_options,
            "tls": session.ssl is not None,
            "auth_login": login,
            "subject": str(msg["Subject"]),
            "body": msg.get_content().replace("\r\n", "\n"),
            "headers": {k: str(v) for k, v in msg.items()},
            "data": text(raw),
        })
        return "250 2.0.0 Ok: queued as TEST1"


class FreePortController(Controller):
    # Controller connects to its own port once to check it is up; with port 0 it must first learn which
    # port the kernel picked, so there is no window in which another process could take it.
    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cert", help="PEM certificate: offer STARTTLS")
    p.add_argument("--key", help="PEM private key for --cert")
    p.add_argument("--user", help="enable AUTH and accept this user")
    p.add_argument("--password", default="")
    p.add_argument("--auth-without-tls", action="store_true", help="offer AUTH before STARTTLS too")
    p.add_argument("--no-plain", action="store_true", help="offer AUTH LOGIN only")
    p.add_argument("--reject", action="append", default=[], help="refuse this recipient with 550")
    p.add_argument("--verbose", action="store_true", help="let aiosmtpd and asyncio log to stderr")
    args = p.parse_args()

    if not args.verbose:
        # A client that gives up mid-handshake is what some tests want; keep the tracebacks out of the
        # test output.
        for name in ("mail.log", "asyncio"):
            logging.getLogger(name).setLevel(logging.CRITICAL + 1)

    kwargs = {"hostname": "127.0.0.1", "server_hostname": "test-smtp.localhost", "enable_SMTPUTF8": False}
    if args.cert:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(args.cert, args.key)
        kwargs["tls_context"] = tls
    if args.user:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = text(auth_data.login) == args.user and text(auth_data.password) == args.password
            emit({"event": "auth", "mechanism": mechanism, "login": text(auth_data.login), "success": ok})
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

        kwargs["authenticator"] = authenticator
        kwargs["auth_require_tls"] = not args.auth_without_tls
        if args.no_plain:
            kwargs["auth_exclude_mechanism"] = ["PLAIN"]

    controller = FreePortController(Handler(args.reject), port=0, ready_timeout=10, **kwargs)
    controller.start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())

    def watch_stdin():
        # os.read, not sys.stdin: a daemon thread blocked inside a buffered reader makes the interpreter
        # abort at exit.
        try:
            while os.read(0, 4096):
                pass
        finally:
            stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    emit({"event": "ready", "port": controller.port})
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
