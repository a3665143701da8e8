#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# A small threaded HTTP(S) server for the probe tests, standard library only.
# It listens on 127.0.0.1 with ports chosen by the kernel, prints them as the
# first line of stdout ("PORTS http=N https=M ..."), then serves until killed.
# `--tls LABEL:CERT:KEY` (repeatable) adds a TLS port named LABEL with that
# certificate; `--cert CERT --key KEY` is the same with the label "https".
#
# Routes (a "?tag=T" query on /slow groups requests for /stats):
#   /ok                 200 "hello healthmond"
#   /status/N           status N
#   /redirect/N         302 to /redirect/N-1, and /redirect/0 to /ok
#   /redirect-file      302 to file:///etc/passwd
#   /body               200 with BODY below
#   /big                200 with a 5 MB body: "BEGIN", filler, "END"
#   /slow/MS            200 "slow" after MS milliseconds
#   /hang               reads the request, never answers, until the client goes
#   /echo-header/NAME   200 with the value of request header NAME
#   /stats?tag=T        "hits=H max=M": /slow requests and most at once, for tag T
import argparse
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = b"healthmond test body: the quick brown fox jumps over the lazy dog\n"
BIG_SIZE = 5 * 1024 * 1024

lock = threading.Lock()
stats = {}  # tag -> [hits, current, max]


def enter(tag):
    with lock:
        s = stats.setdefault(tag, [0, 0, 0])
        s[0] += 1
        s[1] += 1
        s[2] = max(s[2], s[1])


def leave(tag):
    with lock:
        stats[tag][1] -= 1


class Handler(BaseHTTPRequestHandler):
    server_version = "healthmond-test/1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        tag = query.get("tag", [""])[0]
        self.route(url.path.strip("/").split("/"), query, tag)

    def route(self, parts, query, tag):
        head, arg = parts[0], parts[1] if len(parts) > 1 else ""
        if head == "ok":
            self.reply(200, b"hello healthmond")
        elif head == "status" and arg.isdigit():
            self.reply(int(arg), b"status %s\n" % arg.encode())
        elif head == "redirect" and arg.isdigit():
            n = int(arg)
            where = "/ok" if n <= 0 else "/redirect/%d" % (n - 1)
            self.reply(302, b"", [("Location", where)])
        elif head == "redirect-file":
            self.reply(302, b"", [("Location", "file:///etc/passwd")])
        elif head == "body":
            self.reply(200, BODY)
        elif head == "big":
            self.big()
        elif head == "slow" and arg.isdigit():
            # Counted while sleeping only: a client that got the answer may
            # start its next request before this thread returns.
            enter(tag)
            time.sleep(int(arg) / 1000.0)
            leave(tag)
            self.reply(200, b"slow")
        elif head == "hang":
            self.hang()
        elif head == "echo-header" and arg:
            self.reply(200, (self.headers.get(arg) or "").encode())
        elif head == "stats":
            tag = query.get("tag", [""])[0]
            with lock:
                s = stats.get(tag, [0, 0, 0])
                text = "hits=%d max=%d" % (s[0], s[2])
            self.reply(200, text.encode())
        else:
            self.reply(404, b"not found\n")

    def big(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(BIG_SIZE))
        self.end_headers()
        if self.command == "HEAD":
            return
        chunk = b"x" * 65536
        self.wfile.write(b"BEGIN")
        left = BIG_SIZE - len(b"BEGIN") - len(b"END")
        while left > 0:
            n = min(left, len(chunk))
            self.wfile.write(chunk[:n])
            left -= n
        self.wfile.write(b"END")

    def hang(self):
        # Block until the client closes; recv() returns b"" then.
        try:
            while self.connection.recv(4096):
                pass
        except OSError:
            pass
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # many probes connect at once
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients that give up (timeouts, cancelled probes) are routine.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class TLSServer(Server):
    def __init__(self, addr, context):
        self.context = context
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # Handshake in the request's thread, so a client that never finishes
        # (or rejects our certificate) cannot stall the accept loop.
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        super().finish_request(request, client_address)


def main():
    ap = argparse.ArgumentParser(description="test HTTP(S) server")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--tls", action="append", default=[],
                    help="LABEL:CERT:KEY, an extra TLS port")
    args = ap.parse_args()
    tls = [t.split(":", 2) for t in args.tls]
    if args.cert and args.key:
        tls.insert(0, ["https", args.cert, args.key])

    servers = [("http", Server(("127.0.0.1", 0), Handler))]
    for label, cert, key in tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        servers.append((label, TLSServer(("127.0.0.1", 0), ctx)))
    print("PORTS " + " ".join("%s=%d" % (label, srv.server_address[1])
                              for label, srv in servers), flush=True)
    for _, srv in servers[1:]:
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        servers[0][1].serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
