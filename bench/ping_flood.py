#!/usr/bin/env python3
"""The ping-flood attack of the abuse issue, measured: one member opens N websockets to a channel, each
floods 125-byte pings and never reads, with one more frame every 15 s; prints the server's resident
memory per socket after the flood and how many of the connections the server still holds over time.

usage: bench/ping_flood.py BASE_URL SERVER_PID LOGFILE [SOCKETS] [SECONDS]

BASE_URL is a running eelchat with the console mailer (no SMTP_HOST) whose standard output goes to LOGFILE
(the sign-in code is read from there). Standard library only.
"""
import http.client
import re
import socket
import subprocess
import sys
import time
import urllib.parse

base, pid, logfile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
count = int(sys.argv[4]) if len(sys.argv) > 4 else 40
seconds = int(sys.argv[5]) if len(sys.argv) > 5 else 75
u = urllib.parse.urlparse(base)
host, port = u.hostname, u.port
cookies = {}


def request(method, path, fields=None):
    c = http.client.HTTPConnection(host, port, timeout=10)
    body = urllib.parse.urlencode(fields) if fields else None
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    text = r.read().decode("utf-8", "replace")
    for k, v in r.getheaders():
        if k.lower() == "set-cookie":
            name, value = v.split(";", 1)[0].split("=", 1)
            cookies[name] = value
    return r.status, r.getheader("Location"), text


def csrf(page):
    return re.search(r'name="__anti-forgery-token" value="([0-9a-f]{64})"', page).group(1)


def server_sockets():
    """Connections the server holds open on its port (ss, from iproute2)."""
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( sport = :{port} )"],
                         capture_output=True, text=True).stdout
    return len([line for line in out.splitlines() if line.strip()])


def rss_kb():
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


email = f"flood{int(time.time())}@example.org"
_, _, page = request("GET", "/signin")
request("POST", "/auth/send-code", {"email": email, "__anti-forgery-token": csrf(page)})
time.sleep(0.5)
with open(logfile, errors="replace") as f:
    code = re.findall(r"\b(\d{6})\b", f.read().split(email)[-1])[0]
_, _, page = request("GET", "/verify-code?email=" + urllib.parse.quote(email))
request("POST", "/auth/verify-code", {"email": email, "code": code, "__anti-forgery-token": csrf(page)})
_, _, page = request("GET", "/app")
_, community, _ = request("POST", "/community", {"__anti-forgery-token": csrf(page)})
_, channel, _ = request("POST", community + "/channel", {"__anti-forgery-token": csrf(page)})

before = rss_kb()
ping = bytes([0x89, 0x80 | 125]) + b"\x01\x02\x03\x04" + bytes(b ^ (1, 2, 3, 4)[i % 4] for i, b in enumerate(b"p" * 125))
socks = []
for i in range(count):
    s = socket.create_connection((host, port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall((f"GET {channel}/connect HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               f"Origin: {base}\r\nCookie: eelchat_session={cookies['eelchat_session']}\r\n\r\n").encode())
    s.setblocking(False)
    socks.append(s)
# Flood: as many pings as each socket takes, never reading.
sent = 0
deadline = time.time() + 5
while time.time() < deadline:
    for s in socks:
        try:
            s.send(ping * 64)
            sent += 64
        except (BlockingIOError, OSError):
            pass
time.sleep(1)
after = rss_kb()
print(f"sockets={count} pings_sent={sent} rss_before_kb={before} rss_after_kb={after} "
      f"per_socket_kb={(after - before) / count:.1f}")
# One frame every 15 s from each socket; count the connections the server still holds.
start = time.time()
print(f"t=0s server_connections={server_sockets()} rss_kb={rss_kb()}", flush=True)
while time.time() - start < seconds:
    time.sleep(15)
    for s in socks:
        try:
            s.send(ping)
        except OSError:
            pass
    print(f"t={time.time() - start:.0f}s server_connections={server_sockets()} rss_kb={rss_kb()}", flush=True)
