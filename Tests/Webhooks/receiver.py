"""A webhook receiver for the tests, as an integrator would write one: every delivery is verified
with the Standard Webhooks reference implementation (`standardwebhooks`, from PyPI) against each
secret in the secrets file, and logged as one JSON line.

    receiver.py LOG SECRETS BEHAVIOUR

LOG gets {"id", "timestamp", "signature", "verified": [index of each secret that verifies],
"body", "status" (null while it hangs)} per request, written before the answer. SECRETS holds one `whsec_` secret a line
(read at each request: the test writes it once it has created the endpoint). BEHAVIOUR is read at
each request too: `200`, `500`, `410`, `hang` (answer after 60 s), or `redirect URL` (a 307 to URL). The port it listens on (on
127.0.0.1) is written to LOG.port once it listens.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

log_path, secrets_path, behaviour_path = sys.argv[1:4]
lock = threading.Lock()


def read(path, default):
    try:
        with open(path) as file:
            return file.read()
    except FileNotFoundError:
        return default


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        verified = []
        for index, secret in enumerate(line.strip() for line in read(secrets_path, "").splitlines()):
            if not secret:
                continue
            try:
                Webhook(secret).verify(body, headers)
                verified.append(index)
            except WebhookVerificationError:
                pass
        behaviour = read(behaviour_path, "200").strip() or "200"
        location = None
        if behaviour.startswith("redirect "):
            behaviour, location = "307", behaviour.split(" ", 1)[1]
        status = 200 if behaviour == "hang" else int(behaviour)
        with lock, open(log_path, "a") as log:
            log.write(json.dumps({
                "id": headers.get("webhook-id"), "timestamp": headers.get("webhook-timestamp"),
                "signature": headers.get("webhook-signature"), "content_type": headers.get("content-type"),
                "verified": verified, "body": body.decode(), "status": None if behaviour == "hang" else status, "behaviour": behaviour,
            }) + "\n")
        if behaviour == "hang":
            time.sleep(60)
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
with open(log_path + ".port.tmp", "w") as port:
    port.write(str(server.server_address[1]))
import os
os.rename(log_path + ".port.tmp", log_path + ".port")
server.serve_forever()
