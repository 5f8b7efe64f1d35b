#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A mail relay for the digest tests (aiosmtpd, Debian's python3-aiosmtpd),
on 127.0.0.1 only.

  smtp_receiver.py DIR PORT CERT KEY     STARTTLS offered and required
  smtp_receiver.py DIR PORT --plain      no STARTTLS at all

Each message taken is written to DIR/mail-N.eml (its envelope recipients
to DIR/mail-N.rcpt, one a line); DIR/ready appears once it listens.
"""
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller

DIR, PORT = sys.argv[1], int(sys.argv[2])
plain = sys.argv[3] == "--plain"
count = [0]
lock = threading.Lock()


class Handler:
    async def handle_DATA(self, server, session, envelope):
        with lock:
            count[0] += 1
            n = count[0]
        base = os.path.join(DIR, "mail-%d" % n)
        with open(base + ".rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos) + "\n")
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 OK"


if plain:
    controller = Controller(Handler(), hostname="127.0.0.1", port=PORT)
else:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[3], sys.argv[4])
    controller = Controller(Handler(), hostname="127.0.0.1", port=PORT, tls_context=context,
                            require_starttls=True)
controller.start()
open(os.path.join(DIR, "ready"), "w").close()
threading.Event().wait()
