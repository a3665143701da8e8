#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
#
# The API contract of docs/api.md, checked against a running central of
# the fleet that web-lib.sh starts (hub; agents web1, web2 with a failing
# probe "shop", db1). Standard library only. Usage: api_contract.py BASE_URL
# Prints "ok: ..." per check; exits 1 at the first broken promise.
import json
import struct
import sys
import urllib.error
import urllib.request

BASE = sys.argv[1].rstrip("/")
STATES = {"ok", "warning", "critical", "unknown"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def ok(msg):
    print("ok: " + msg)


def get(path, method="GET"):
    req = urllib.request.Request(BASE + path, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def get_json(path, status=200):
    code, headers, body = get(path)
    if code != status:
        fail(f"{path}: status {code}, expected {status}: {body[:200]!r}")
    if not headers.get("Content-Type", "").startswith("application/json"):
        fail(f"{path}: Content-Type {headers.get('Content-Type')}")
    try:
        return json.loads(body)
    except ValueError as e:
        fail(f"{path}: not JSON ({e}): {body[:200]!r}")


def expect_error(path, status, error):
    o = get_json(path, status)
    if o.get("error") != error or not isinstance(o.get("message"), str) or not o["message"]:
        fail(f"{path}: error body {o}, expected error '{error}' with a message")
    ok(f"{path} -> {status} {error}: {o['message']}")


def need(cond, msg):
    if not cond:
        fail(msg)


def check_status():
    s = get_json("/api/v1/status")
    need(s["api"] == 1 and s["role"] == "central" and s["host"] == "hub", f"status: {s}")
    need(s["state"] == "critical", f"status state {s['state']}, expected critical (web2)")
    need(s["hosts"]["critical"] >= 1 and sum(s["hosts"].values()) == 4, f"hosts {s['hosts']}")
    need(s["central"]["hosts"] >= 3 and s["central"]["batches"] > 0, f"central {s['central']}")
    need(s["forward"] is None, "the hub forwards nowhere: forward must be null")
    need(s["agent"]["cycles"] > 0 and s["uptime"] >= 0 and s["version"], f"agent {s['agent']}")
    need(s["events"]["kept"] >= 1, f"events {s['events']}")
    ok(f"status: state {s['state']}, hosts {s['hosts']}, {s['central']['batches']} batches")


def check_hosts():
    hosts = get_json("/api/v1/hosts")["hosts"]
    names = [h["host"] for h in hosts]
    need(names == sorted(names) and set(names) == {"hub", "web1", "web2", "db1"}, f"hosts {names}")
    for h in hosts:
        need(h["state"] in STATES and set(h["checks"]) == STATES, f"host {h}")
        need(isinstance(h["last_report"], int) and h["last_report"] > 0, f"host {h}")
        need(h["local"] == (h["host"] == "hub") and h["silent"] is False, f"host {h}")
    web2 = next(h for h in hosts if h["host"] == "web2")
    need(web2["state"] == "critical" and web2["checks"]["critical"] >= 1, f"web2 {web2}")
    ok(f"hosts: {names}, web2 critical")


def check_host():
    h = get_json("/api/v1/host?host=web2")
    probe = [c for c in h["checks"] if c["check"] == "probe_up" and c["series"] == "probe-shop"]
    need(len(probe) == 1, f"web2 checks {h['checks']}")
    c = probe[0]
    need(c["state"] == "critical" and c["field"] == "up" and c["url"].startswith("http://127.0.0.1:"),
         f"probe check {c}")
    need(c["reason"] == "connect" and isinstance(c["event"], int) and c["since"] > 0, f"probe check {c}")
    series = {s["series"]: s for s in h["series"]}
    need("probe-shop" in series and series["probe-shop"]["values"]["up"] == 0, f"series {series.get('probe-shop')}")
    need("cpu" in series and "memory" in series, f"web2 series {sorted(series)}")
    web1 = get_json("/api/v1/host?host=web1")
    s1 = {s["series"]: s for s in web1["series"]}
    need(s1["probe-shop"]["values"]["up"] == 1, f"web1 probe {s1['probe-shop']}")
    ok(f"host web2: probe_up critical ({c['reason']}), {len(series)} series; web1's probe up")
    expect_error("/api/v1/host?host=nope", 404, "not_found")
    expect_error("/api/v1/host?host=..%2Fetc", 400, "bad_request")
    expect_error("/api/v1/host", 400, "bad_request")
    expect_error("/api/v1/host?host=web2&x=1", 400, "bad_request")
    return c["event"]


def check_events(event_id):
    ev = get_json("/api/v1/events?host=web2&state=critical")["events"]
    need(len(ev) >= 1 and all(e["host"] == "web2" and e["state"] == "critical" for e in ev), f"events {ev}")
    e = next((e for e in ev if e["id"] == event_id), None)
    need(e is not None, f"event {event_id} not among web2's critical events")
    need(e["check"] == "probe_up" and e["kind"] == "url_down" and len(e["message_id"]) == 32 and e["message"],
         f"event {e}")
    all_ev = get_json("/api/v1/events")["events"]
    ids = [x["id"] for x in all_ev]
    need(ids == sorted(ids, reverse=True), f"events not newest first: {ids}")
    need(len(get_json("/api/v1/events?limit=1")["events"]) == 1, "limit=1")
    need(get_json("/api/v1/events?since=4000000000")["events"] == [], "since in the future")
    need(all(x["check"] == "probe_up" for x in get_json("/api/v1/events?check=probe_up")["events"]), "check filter")
    ok(f"events: {len(all_ev)} kept, newest first; filters host/state/check/since/limit work")
    expect_error("/api/v1/events?state=bogus", 400, "bad_request")
    expect_error("/api/v1/events?since=yesterday", 400, "bad_request")
    expect_error("/api/v1/events?limit=0", 400, "bad_request")
    expect_error("/api/v1/events?colour=red", 400, "bad_request")


def check_help(event_id):
    h = get_json(f"/api/v1/help?event={event_id}")
    need("web2" in h["text"] and h["event"]["id"] == event_id, f"help text {h['text'][:300]}")
    need(h["event"]["url"] in h["text"] and "@HEALTHMOND" not in h["text"], "help text not filled in")
    need(h["fix"] and h["fix"].startswith("To fix"), f"help fix {h['fix']!r}")
    ok(f"help: '{h['subject']}'")
    expect_error("/api/v1/help?event=999999999", 404, "not_found")
    expect_error("/api/v1/help?event=x", 400, "bad_request")
    expect_error("/api/v1/help", 400, "bad_request")


def png_size(body):
    need(body[:8] == b"\x89PNG\r\n\x1a\n" and body[12:16] == b"IHDR", "not a PNG")
    return struct.unpack(">II", body[16:24])


def check_graph():
    for q, size in (("host=web1&series=cpu&size=400x150", (400, 150)),
                    ("host=web2&series=probe-shop&period=1h", (800, 250)),
                    ("host=hub&series=memory&period=1w&size=640x200", (640, 200)),
                    ("host=db1&series=load&fields=load1,load5&size=300x120", (300, 120))):
        code, headers, body = get("/api/v1/graph?" + q)
        need(code == 200 and headers.get("Content-Type") == "image/png", f"graph {q}: {code} {body[:200]!r}")
        need(png_size(body) == size, f"graph {q}: size {png_size(body)}, expected {size}")
    ok("graph: PNGs of the requested sizes")
    expect_error("/api/v1/graph?host=web1&series=cpu&period=2d", 400, "bad_request")
    expect_error("/api/v1/graph?host=web1&series=cpu&size=10x10", 400, "bad_request")
    expect_error("/api/v1/graph?host=web1&series=cpu&fields=a;b", 400, "bad_request")
    expect_error("/api/v1/graph?host=..&series=cpu", 400, "bad_request")
    expect_error("/api/v1/graph?host=web1", 400, "bad_request")
    expect_error("/api/v1/graph?host=web1&series=nope", 404, "not_found")


def check_pages():
    code, headers, body = get("/")
    need(code == 200 and headers.get("Content-Type", "").startswith("text/html"), f"/: {code}")
    text = body.decode()
    need(all(h in text for h in ("web1", "web2", "db1", "hub")), "/ does not name every host")
    code, _, body = get("/host?host=web2")
    need(code == 200 and b"probe-shop" in body, f"/host?host=web2: {code}")
    ok("dashboard pages answer")
    expect_error("/host?host=nope", 404, "not_found")
    code, _, _ = get("/metrics")
    need(code == 200, "/metrics")
    code, _, _ = get("/nope")
    need(code == 404, f"/nope: {code}")
    code, _, _ = get("/api/v1/status", method="POST")
    need(code in (404, 405), f"POST /api/v1/status: {code}")
    ok("unknown path 404, POST refused")


def main():
    check_status()
    check_hosts()
    event_id = check_host()
    check_events(event_id)
    check_help(event_id)
    check_graph()
    check_pages()
    # For the shell script: the event checked, to find again after a restart.
    with open(sys.argv[2], "w") if len(sys.argv) > 2 else sys.stdout as f:
        print(event_id, file=f)


main()
