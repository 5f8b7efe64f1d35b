#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A webhook receiver for the delivery tests: HTTPS on 127.0.0.1 only.

  webhook_receiver.py DIR CERT KEY [PORT]

Serves POST on 127.0.0.1:PORT (0: the kernel picks; the port goes to
DIR/port once listening) with CERT/KEY. For each request it checks the
X-Fleetreg-Signature with its own HMAC-SHA-256 under the secret in
DIR/secret and appends one JSON line to DIR/received.jsonl: event id
header, whether the signature matched, the status answered, the body.
It answers the status written in DIR/status (200 when there is none),
with "Retry-After: N" when DIR/retry_after holds N (a 3xx with a Location
back to itself). While DIR/hang exists
it records a request (status "hang") and then holds it for a minute
before answering (a center killed mid-delivery). A receiver a real
dealer runs would deduplicate by event_id; this one records everything.
"""
import hashlib
import hmac
import http.server
import json
import os
import ssl
import sys
import threading
import time

DIR, CERT, KEY = sys.argv[1], sys.argv[2], sys.argv[3]
PORT = int(sys.argv[4]) if len(sys.argv) > 4 else 0
lock = threading.Lock()


def read(name, default=""):
    try:
        with open(os.path.join(DIR, name)) as f:
            return f.read().strip()
    except FileNotFoundError:
        return default


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        secret = read("secret").encode()
        expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        given = self.headers.get("X-Fleetreg-Signature", "")
        hang = os.path.exists(os.path.join(DIR, "hang"))
        status = "hang" if hang else int(read("status", "200"))
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        line = {"event_id": self.headers.get("X-Fleetreg-Event-Id", ""),
                "signature_ok": hmac.compare_digest(expected, given),
                "status": status, "body": parsed}
        with lock:
            with open(os.path.join(DIR, "received.jsonl"), "a") as f:
                f.write(json.dumps(line) + "\n")
        if hang:
            time.sleep(60)
            status = 200
        self.send_response(status)
        if 300 <= status < 400:
            # Where a redirect would lead (the center must not follow it).
            self.send_header("Location", "https://127.0.0.1:%d/redirected" % self.server.server_address[1])
        retry = read("retry_after")
        if retry:
            self.send_header("Retry-After", retry)
        # DIR/big: an answer of 8 MiB (the center reads at most 64 KiB).
        answer = b"x" * (8 << 20) if os.path.exists(os.path.join(DIR, "big")) else b"ok"
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        try:
            self.wfile.write(answer)
            self.wfile.flush()
        except OSError:
            # The client hung up before taking the whole answer.
            open(os.path.join(DIR, "cut"), "w").close()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CERT, KEY)
server.socket = context.wrap_socket(server.socket, server_side=True)
with open(os.path.join(DIR, "port.tmp"), "w") as f:
    f.write(str(server.server_address[1]))
os.rename(os.path.join(DIR, "port.tmp"), os.path.join(DIR, "port"))
server.serve_forever()
