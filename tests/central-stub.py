#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# A stand-in for the central's ingest endpoint, for the uploader's tests:
# a real HTTP/1.1 server (keep-alive) on 127.0.0.1, standard library only.
# It prints "PORT N" as the first line of stdout, then serves until killed.
# `--cert CERT --key KEY` serves HTTPS instead; `--client-ca CA` also asks
# for a client certificate and logs its CN.
#
#   POST /api/v1/ingest   answers as the control settings say; by default
#                         200 {"acked": <highest seq of the request>}
#   POST /control         JSON object of settings to change (below);
#                         {"reset": true} restores the defaults and
#                         forgets every request
#   GET  /log             JSON list of the ingest requests seen:
#                         {"seqs": [...], "auth": ..., "type": ...,
#                          "host": ..., "records": N, "events": [checks],
#                          "client": CN of the client certificate or null,
#                          "conn": N, "bytes": N, "time": monotonic s,
#                          "status": N}
#
# Settings:
#   token        the bearer token required (401 otherwise); null: any
#   status       the status to answer (default 200), with
#                {"error": <error>, "message": "told to fail"}
#   error        the error class of those answers (default "busy")
#   fail_count   answer `status` this many times, then 200 (null: always)
#   ack          "last" (default), "none" (2xx without an ack), or a number
#   max_batches  more batches than this in one request: 413
#   poison       list of seqs: a request holding one gets 400
#   retry_after  Retry-After header value for 429 and 503
#   delay        seconds to wait before answering
import argparse
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULTS = {
    "token": None,
    "status": 200,
    "error": "busy",
    "fail_count": None,
    "ack": "last",
    "max_batches": None,
    "poison": [],
    "retry_after": None,
    "delay": 0,
}

lock = threading.Lock()
settings = dict(DEFAULTS)
log = []
connections = [0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "central-stub/1"

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        with lock:
            connections[0] += 1
            self.conn = connections[0]

    def reply(self, status, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n)

    def do_GET(self):
        if self.path == "/log":
            with lock:
                self.reply(200, log)
        else:
            self.reply(404, {"error": "no such page"})

    def do_POST(self):
        body = self.read_body()
        if self.path == "/control":
            change = json.loads(body)
            with lock:
                if change.pop("reset", False):
                    settings.clear()
                    settings.update(DEFAULTS)
                    log.clear()
                settings.update(change)
            self.reply(200, {})
        elif self.path == "/api/v1/ingest":
            self.ingest(body)
        else:
            self.reply(404, {"error": "no such page"})

    def decide(self, seqs, auth):
        """Returns (status, answer, headers) and updates the settings."""
        s = settings
        if s["token"] is not None and auth != "Bearer " + s["token"]:
            return 401, {"error": "unknown token"}, ()
        if s["status"] != 200 and s["fail_count"] != 0:
            if s["fail_count"] is not None:
                s["fail_count"] -= 1
            headers = ()
            if s["retry_after"] is not None:
                headers = (("Retry-After", str(s["retry_after"])),)
            return (s["status"], {"error": s["error"], "message": "told to fail"},
                    headers)
        if s["max_batches"] is not None and len(seqs) > s["max_batches"]:
            return 413, {"error": "limit", "message": "too many batches"}, ()
        bad = [q for q in seqs if q in s["poison"]]
        if bad:
            return 400, {"error": "name",
                         "message": "batch %d: bad record" % bad[0]}, ()
        if s["ack"] == "none":
            return 200, {"ok": True}, ()
        if s["ack"] == "last":
            return 200, {"acked": max(seqs)}, ()
        return 200, {"acked": s["ack"]}, ()

    def ingest(self, body):
        try:
            req = json.loads(body)
            seqs = [b["seq"] for b in req["batches"]]
            records = sum(len(b["records"]) for b in req["batches"])
            events = [e["check"] for b in req["batches"] for e in b["events"]]
        except (ValueError, KeyError, TypeError):
            self.reply(400, {"error": "malformed"})
            return
        auth = self.headers.get("Authorization")
        client = None
        if isinstance(self.connection, ssl.SSLSocket):
            cert = self.connection.getpeercert() or {}
            for rdn in cert.get("subject", ()):
                for key, value in rdn:
                    if key == "commonName":
                        client = value
        with lock:
            status, answer, headers = self.decide(seqs, auth)
            delay = settings["delay"]
            log.append({"seqs": seqs, "auth": auth, "host": req.get("host"),
                        "records": records, "events": events,
                        "client": client,
                        "type": self.headers.get("Content-Type"),
                        "conn": self.conn, "bytes": len(body),
                        "time": time.monotonic(), "status": status})
        if delay:
            time.sleep(delay)
        self.reply(status, answer, headers)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--client-ca")
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_OPTIONAL
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("PORT %d" % server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
