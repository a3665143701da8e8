#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench/webload.py: the load generator of bench/web-face.

A small HTTP/1.1 client on raw sockets (no http.client: its header parsing
costs more CPU than the daemon spends answering), one process per client so
that clients run in parallel, every connection kept alive. Only loopback
addresses and UNIX sockets are accepted.

  webload.py feed --target tcp:127.0.0.1:PORT --tokens FILE [--batches B]
      Plays every host of the tokens file ("host token" lines) once: one
      POST /api/v1/ingest per host holding B batches (default 6), 10 s
      apart, ending now, each with records of 5 series (load, memory,
      df-root, cpu, if-eth0) and, in some batches, events (disk_space,
      load, memory), so that hosts end up ok, warning and critical.

  webload.py run --target TARGET --paths FILE [--clients C] [--seconds S]
                 [--interval-ms MS] [--count N] [--timeout S]
      C clients (default 1), each on its own kept-alive connection, send
      GET requests for S seconds (default 5), back to back, or one every
      MS milliseconds (a paced probe); with --count, each client stops
      after N requests if that comes first. Client i takes the paths of FILE
      (one a line) at lines i, i+C, i+2C, ... cyclically, so that clients
      never ask for the same line at once unless FILE has fewer lines.
      A request started before the end is waited for (up to --timeout,
      default 30 s).

  webload.py get --target TARGET PATH
      One GET; prints the body, exits 1 unless the status is 200.

TARGET is tcp:127.0.0.1:PORT or unix:/path/to/socket. Prints key=value
lines: requests, rps, latency percentiles in ms, mean body bytes, HTTP
statuses, errors, reconnects and the client processes' CPU seconds.
"""

import argparse
import json
import os
import pickle
import resource
import socket
import sys
import time


class Conn:
    """One kept-alive HTTP/1.1 connection."""

    def __init__(self, target, timeout):
        self.target = target
        self.timeout = timeout
        self.sock = None
        self.buf = b""
        self.reconnects = -1

    def connect(self):
        self.close()
        kind, _, addr = self.target.partition(":")
        if kind == "unix":
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(self.timeout)
            s.connect(addr)
        else:
            host, _, port = addr.rpartition(":")
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            s.settimeout(self.timeout)
            s.connect((host, int(port)))
        self.sock = s
        self.buf = b""
        self.reconnects += 1

    def close(self):
        if self.sock:
            self.sock.close()
        self.sock = None

    def _fill(self):
        d = self.sock.recv(262144)
        if not d:
            raise ConnectionError("closed by the server")
        self.buf += d

    def _read_until(self, sep):
        while True:
            i = self.buf.find(sep)
            if i >= 0:
                out, self.buf = self.buf[:i], self.buf[i + len(sep):]
                return out
            self._fill()

    def _read_n(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def request(self, raw):
        """Sends raw request bytes; returns (status, body length, close?)."""
        if self.sock is None:
            self.connect()
        self.sock.sendall(raw)
        head = self._read_until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        hdr = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            hdr[k.strip().lower()] = v.strip()
        if "content-length" in hdr:
            body = self._read_n(int(hdr["content-length"]))
        elif hdr.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                n = int(self._read_until(b"\r\n").split(b";")[0], 16)
                if n == 0:
                    self._read_until(b"\r\n")  # no trailers from healthmond
                    break
                parts.append(self._read_n(n))
                self._read_n(2)
            body = b"".join(parts)
        else:  # until the end of the connection
            try:
                while True:
                    self._fill()
            except ConnectionError:
                pass
            body, self.buf = self.buf, b""
            hdr["connection"] = "close"
        close = hdr.get("connection", "").lower() == "close"
        if close:
            self.close()
        return status, body, close


def check_target(t):
    kind, _, addr = t.partition(":")
    if kind == "unix" and addr.startswith("/"):
        return t
    if kind == "tcp":
        host, _, port = addr.rpartition(":")
        if host == "127.0.0.1" and port.isdigit():
            return t
    sys.exit("webload: target must be tcp:127.0.0.1:PORT or unix:/path, not %r" % t)


def get_bytes(path):
    return ("GET %s HTTP/1.1\r\nHost: localhost\r\nUser-Agent: webload\r\n\r\n" % path).encode()


# --- run ----------------------------------------------------------------------

def client(args, paths, idx, start, wfd):
    """One client process: its results go to wfd, pickled."""
    c = Conn(args.target, args.timeout)
    lat = []
    sizes = 0
    statuses = {}
    errors = 0
    err_text = ""
    reqs = [get_bytes(p) for p in paths[idx::args.clients] or paths[idx % len(paths)::len(paths)]]
    try:
        c.connect()
    except OSError as e:
        errors += 1
        err_text = str(e)
    now = time.monotonic()
    if start > now:
        time.sleep(start - now)
    end = start + args.seconds
    step = args.interval_ms / 1000.0
    nxt = start
    i = 0
    last_done = start
    while args.count <= 0 or i < args.count:
        t0 = time.monotonic()
        if t0 >= end:
            break
        if step > 0:
            if t0 < nxt:
                time.sleep(nxt - t0)
                t0 = time.monotonic()
                if t0 >= end:
                    break
            nxt += step
        try:
            status, body, _ = c.request(reqs[i % len(reqs)])
        except (OSError, ValueError, IndexError, ConnectionError) as e:
            errors += 1
            err_text = str(e) or type(e).__name__
            c.close()
            if errors > 1000:
                break
            time.sleep(0.01)
            continue
        t1 = time.monotonic()
        last_done = t1
        lat.append(t1 - t0)
        sizes += len(body)
        statuses[status] = statuses.get(status, 0) + 1
        i += 1
    c.close()
    out = pickle.dumps({"lat": lat, "bytes": sizes, "statuses": statuses, "errors": errors,
                        "err": err_text, "reconnects": max(c.reconnects, 0),
                        "last_done": last_done})
    with os.fdopen(wfd, "wb") as f:
        f.write(out)


def pct(sorted_v, p):
    if not sorted_v:
        return float("nan")
    k = min(len(sorted_v) - 1, max(0, int(round(p / 100.0 * len(sorted_v) + 0.5)) - 1))
    return sorted_v[k]


def cmd_run(args):
    with open(args.paths) as f:
        paths = [line.strip() for line in f if line.strip()]
    if not paths:
        sys.exit("webload: no paths in %s" % args.paths)
    start = time.monotonic() + 0.3
    kids = []
    for idx in range(args.clients):
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            code = 0
            try:
                client(args, paths, idx, start, w)
            except BaseException as e:  # report, never fall back into the parent's code
                sys.stderr.write("webload: client %d: %s\n" % (idx, e))
                code = 1
            os._exit(code)
        os.close(w)
        kids.append((pid, r))
    results = []
    for pid, r in kids:
        with os.fdopen(r, "rb") as f:
            data = f.read()
        os.waitpid(pid, 0)
        if data:
            results.append(pickle.loads(data))
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    lat = sorted(x for res in results for x in res["lat"])
    n = len(lat)
    last = max([res["last_done"] for res in results] + [start])
    wall = (last if args.count > 0 else max(last, start + args.seconds)) - start
    statuses = {}
    for res in results:
        for k, v in res["statuses"].items():
            statuses[k] = statuses.get(k, 0) + v
    print("clients=%d" % args.clients)
    print("seconds=%.3f" % wall)
    print("requests=%d" % n)
    print("rps=%.1f" % (n / wall if wall > 0 else 0))
    print("p50_ms=%.3f" % (pct(lat, 50) * 1000))
    print("p90_ms=%.3f" % (pct(lat, 90) * 1000))
    print("p99_ms=%.3f" % (pct(lat, 99) * 1000))
    print("max_ms=%.3f" % ((lat[-1] if lat else float("nan")) * 1000))
    print("mean_ms=%.3f" % ((sum(lat) / n if n else float("nan")) * 1000))
    print("bytes_mean=%.0f" % (sum(res["bytes"] for res in results) / n if n else 0))
    print("statuses=%s" % ",".join("%d:%d" % kv for kv in sorted(statuses.items())))
    print("non2xx=%d" % sum(v for k, v in statuses.items() if not 200 <= k < 300))
    print("errors=%d" % (sum(res["errors"] for res in results) + args.clients - len(results)))
    print("error_text=%s" % next((res["err"] for res in results if res["err"]), ""))
    print("reconnects=%d" % sum(res["reconnects"] for res in results))
    print("client_cpu_s=%.2f" % (ru.ru_utime + ru.ru_stime))
    return 0


# --- feed ---------------------------------------------------------------------

SERIES = [
    ("load", "load", lambda h, j: [0.2 + h % 7 * 0.1, 0.3, 0.3, 1, 200 + h, 4]),
    ("memory", "memory", lambda h, j: [8.0e9, 4.0e9 - h * 1e6, 3.5e9, 1.0e8, 2.0e9, 44.0 + j]),
    ("df-root", "df", lambda h, j: [4.0e10 + j * 1e6, 1.7e9, 90.0 + h % 8, 2.0e6, 3.0e6, 40.0]),
    ("cpu", "cpu", lambda h, j: [10.0 + j, 0.0, 3.0, 0.5, 0.0, 0.2, 0.0, 86.3 - j]),
    ("if-eth0", "if", lambda h, j: [1.0e5 * (j + 1), 2.0e4, 100.0, 80.0, 0.0, 0.0, 0.0, 0.0]),
]


def event(kind, check, series, field, state, prev, value, threshold, t):
    return {"kind": kind, "check": check, "series": series, "field": field, "state": state,
            "prev_state": prev, "value": value, "threshold": threshold, "time": t,
            "repeat": False, "url": None, "reason": None}


def host_events(h, j, nb, t):
    """A few events per host: disk space climbs, load and memory flap."""
    ev = []
    if j == 1:
        ev.append(event("disk_space", "disk_space", "df-root", "bytes_pct", "warning", "ok",
                        91.0, 90, t))
    if j == 2:
        ev.append(event("load", "load", "load", "load5", "warning", "ok", 5.1, 4, t))
    if j == 3 and h % 3 == 0:
        ev.append(event("disk_space", "disk_space", "df-root", "bytes_pct", "critical",
                        "warning", 96.0, 95, t))
    if j == nb - 1:
        if h % 3 == 1:
            ev.append(event("recovered", "load", "load", "load5", "ok", "warning", 1.2, 4, t))
        if h % 5 == 0:
            ev.append(event("memory", "memory", "memory", "used_pct", "warning", "ok",
                            91.5, 90, t))
    return ev


def cmd_feed(args):
    with open(args.tokens) as f:
        hosts = [line.split() for line in f if line.strip()]
    c = Conn(args.target, args.timeout)
    now = int(time.time())
    step = 10
    ok = failed = events = 0
    first_err = ""
    t0 = time.monotonic()
    for h, (name, token) in enumerate(hosts):
        batches = []
        for j in range(args.batches):
            t = now - (args.batches - 1 - j) * step
            recs = [{"series": s, "kind": k, "time": t, "step": step, "values": fn(h, j)}
                    for s, k, fn in SERIES]
            ev = host_events(h, j, args.batches, t)
            events += len(ev)
            batches.append({"seq": j + 1, "records": recs, "events": ev})
        body = json.dumps({"version": 1, "host": name, "batches": batches},
                          separators=(",", ":")).encode()
        raw = (b"POST /api/v1/ingest HTTP/1.1\r\nHost: localhost\r\n"
               b"Authorization: Bearer " + token.encode() + b"\r\n"
               b"Content-Type: application/json\r\nContent-Length: " +
               str(len(body)).encode() + b"\r\n\r\n" + body)
        try:
            status, answer, _ = c.request(raw)
        except (OSError, ConnectionError, ValueError) as e:
            failed += 1
            first_err = first_err or str(e)
            c.close()
            continue
        if status == 200 and json.loads(answer).get("acked") == args.batches:
            ok += 1
        else:
            failed += 1
            first_err = first_err or "HTTP %d %s" % (status, answer[:200].decode("latin-1"))
    c.close()
    print("hosts=%d" % len(hosts))
    print("fed_ok=%d" % ok)
    print("fed_failed=%d" % failed)
    print("fed_records=%d" % (ok * args.batches * len(SERIES)))
    print("fed_events=%d" % events)
    print("feed_seconds=%.2f" % (time.monotonic() - t0))
    print("feed_error=%s" % first_err)
    return 0 if failed == 0 else 1


def cmd_get(args):
    c = Conn(args.target, args.timeout)
    status, body, _ = c.request(get_bytes(args.path))
    c.close()
    sys.stdout.buffer.write(body)
    return 0 if status == 200 else 1


def main():
    p = argparse.ArgumentParser(prog="webload.py", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("feed")
    f.add_argument("--target", required=True, type=check_target)
    f.add_argument("--tokens", required=True)
    f.add_argument("--batches", type=int, default=6)
    f.add_argument("--timeout", type=float, default=60)
    r = sub.add_parser("run")
    r.add_argument("--target", required=True, type=check_target)
    r.add_argument("--paths", required=True)
    r.add_argument("--clients", type=int, default=1)
    r.add_argument("--seconds", type=float, default=5)
    r.add_argument("--interval-ms", type=float, default=0)
    r.add_argument("--count", type=int, default=0)
    r.add_argument("--timeout", type=float, default=30)
    g = sub.add_parser("get")
    g.add_argument("--target", required=True, type=check_target)
    g.add_argument("--timeout", type=float, default=30)
    g.add_argument("path")
    a = p.parse_args()
    if a.cmd == "feed":
        if not 2 <= a.batches <= 100:
            sys.exit("webload: --batches must be 2..100")
        return cmd_feed(a)
    if a.cmd == "get":
        return cmd_get(a)
    if not 1 <= a.clients <= 256 or not 0 < a.seconds <= 600:
        sys.exit("webload: --clients 1..256, --seconds up to 600")
    return cmd_run(a)


if __name__ == "__main__":
    sys.exit(main())
