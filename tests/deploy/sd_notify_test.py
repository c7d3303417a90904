#!/usr/bin/env python3
"""eelchat under a service manager: READY=1 only once it serves, watchdog pings while its workers answer,
and on SIGTERM STOPPING=1 and a drain during which /readyz answers 503 while other requests still work.

Plays systemd's side of the notify protocol (a datagram socket named by NOTIFY_SOCKET) against the real
binary and a real PostgreSQL (EELCHAT_TEST_DATABASE_URL). Usage: sd_notify_test.py BUILD/eelchat"""
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

DEADLINE = 30  # seconds for any one expected event; a hang fails instead of stalling the suite


def psql(url, sql):
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-qAtc", sql], check=True, capture_output=True)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def main():
    binary = sys.argv[1]
    admin = os.environ["EELCHAT_TEST_DATABASE_URL"]
    db = "eelchat_notify_" + secrets.token_hex(4)
    psql(admin, f"CREATE DATABASE {db}")
    parts = urllib.parse.urlsplit(admin)
    url = urllib.parse.urlunsplit(parts._replace(path="/" + db))
    tmp = tempfile.mkdtemp()
    path = os.path.join(tmp, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(DEADLINE)
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, PORT=str(port), THREADS="2", NOTIFY_SOCKET=path,
               WATCHDOG_USEC="400000", SHUTDOWN_DRAIN_MS="1500")
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        def expect(word):
            end = time.monotonic() + DEADLINE
            while time.monotonic() < end:
                msg = sock.recv(4096).decode()
                if word in msg.split("\n"):
                    return msg
            raise AssertionError(f"no {word} within {DEADLINE} s")

        ready = expect("READY=1")
        assert "STATUS=serving" in ready, ready
        # Ready means ready: migrations are applied and the port answers at this moment.
        status, body = get(base + "/readyz")
        assert status == 200, (status, body)
        print("ok: READY=1 once /readyz answers 200")

        # Pings every WATCHDOG_USEC / 2 while every worker answers.
        expect("WATCHDOG=1")
        expect("WATCHDOG=1")
        print("ok: watchdog pings")

        proc.send_signal(signal.SIGTERM)
        expect("STOPPING=1")
        status, body = get(base + "/readyz")
        assert status == 503 and "draining" in body, (status, body)
        status, body = get(base + "/healthz")
        assert status == 200, (status, body)
        print("ok: STOPPING=1, then /readyz answers 503 while other requests are still served")

        code = proc.wait(timeout=DEADLINE)
        assert code == 0, code
        print("ok: exits 0 after the drain")
    except BaseException:
        proc.kill()
        print(proc.stderr.read().decode(), file=sys.stderr)
        raise
    finally:
        sock.close()
        psql(admin, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


if __name__ == "__main__":
    main()
