#!/usr/bin/env python3
"""The demo stack's webhook receiver: what a tenant's own endpoint would do with TenantQuota's events.

POST (any path): checks Tq-Signature (HMAC-SHA256 of "<t>.<raw body>" with the endpoint's secret, t within 300 s,
docs/webhooks.md), drops an event id it has already stored, appends the event to a JSON-lines file, answers 200.
A bad or stale signature is answered 400 and stored nowhere. GET / lists what arrived, newest first (the page
reloads itself every 10 s); GET /events.json the same as JSON.

    webhook_receiver.py PORT EVENTS_FILE SECRET_FILE [HOST]

HOST defaults to 127.0.0.1 (docker-compose binds 0.0.0.0 inside the worker's network namespace).

The secret file is read on every delivery: scripts/start.sh registers the endpoint after starting this and
writes the secret the API answered (once) into it.
"""
import hashlib
import hmac
import html
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, EVENTS, SECRET = int(sys.argv[1]), sys.argv[2], sys.argv[3]
HOST = sys.argv[4] if len(sys.argv) > 4 else "127.0.0.1"
TOLERANCE = 300
lock = threading.Lock()


def verify(header, body):
    try:
        with open(SECRET, encoding="utf-8") as f:
            secret = f.read().strip()
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (OSError, KeyError, ValueError):
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return abs(time.time() - t) <= TOLERANCE and hmac.compare_digest(expected, parts.get("v1", ""))


def stored():
    try:
        with open(EVENTS, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except OSError:
        return []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not verify(self.headers.get("Tq-Signature", ""), body):
            return self.answer(400, "text/plain", b"bad or stale signature\n")
        event = json.loads(body)
        with lock:
            if all(e["id"] != event["id"] for e in stored()):  # receivers dedupe on id
                with open(EVENTS, "a", encoding="utf-8") as f:
                    f.write(json.dumps(event) + "\n")
        self.answer(200, "text/plain", b"ok\n")

    def do_GET(self):
        events = list(reversed(stored()))
        if self.path.startswith("/events.json"):
            return self.answer(200, "application/json", json.dumps(events).encode())
        rows = "".join(
            f"<tr><td>{html.escape(e['createdAt'])}</td><td>{html.escape(e['tenantId'])}</td><td>{html.escape(e['type'])}</td>"
            f"<td><code>{html.escape(json.dumps(e['data']))}</code></td></tr>" for e in events)
        page = (f"<!doctype html><html lang='en'><meta charset='utf-8'><meta http-equiv='refresh' content='10'>"
                f"<meta name='viewport' content='width=device-width'><title>Webhook receiver</title>"
                f"<h1>Events received ({len(events)})</h1><p>Signatures checked; newest first.</p>"
                f"<table border='1' cellpadding='4'><tr><th>created</th><th>tenant</th><th>type</th><th>data</th></tr>{rows}</table>")
        self.answer(200, "text/html; charset=utf-8", page.encode())

    def answer(self, status, content_type, body):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer((HOST, PORT), Receiver).serve_forever()
