#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Health events reach a real journald with their MESSAGE_ID and HEALTHMOND_*
# fields, and `journalctl -x` explains them from our catalog. A probe of a
# closed port on 127.0.0.1 goes critical (url_down, reason connect); then
# the test starts an HTTP server on that port and the probe recovers.
# journald is private to the test, inside new mount and PID namespaces
# (shared/TESTING-RECIPES.md); the catalog database is a scratch copy
# bind-mounted over the system's. Needs root.
. "$(dirname "$0")/lib.sh" || { echo "FAIL: cannot read lib.sh" >&2; exit 1; }
[ -d "${T:-}" ] || { echo "FAIL: lib.sh made no temp directory" >&2; exit 1; }
need_healthmond

command -v python3 >/dev/null || skip "no python3 for the HTTP server and reading JSON"
[ -d /usr/lib/systemd/catalog ] && [ -d /var/lib/systemd/catalog ] ||
	skip "no /usr/lib/systemd/catalog or /var/lib/systemd/catalog to bind over"
private_journald_prepare

CATALOG=$top_srcdir/catalog/healthmond.catalog
[ -s "$CATALOG" ] || fail "no catalog at $CATALOG"
# The ids are fixed forever (src/event.c); these two are what we expect.
ID_URL_DOWN=37f4fea246324816a846bb00363d3323
ID_RECOVERED=3e5f4890285342bb90ce675f787f5cab

# 1. The catalog passes journalctl's own parser, with no duplicate id.
mkdir -p "$T/lint/usr/lib/systemd/catalog"
cp "$CATALOG" "$T/lint/usr/lib/systemd/catalog/"
journalctl --root="$T/lint" --update-catalog >"$T/lint.out" 2>&1 ||
	fail "journalctl --update-catalog rejects the catalog: $(cat "$T/lint.out")"
[ ! -s "$T/lint.out" ] || fail "journalctl --update-catalog complains: $(cat "$T/lint.out")"
dups=$(grep -oE '^-- [0-9a-f]{32}' "$CATALOG" | sort | uniq -d)
[ -z "$dups" ] || fail "duplicate catalog ids: $dups"
n_ids=$(grep -cE '^-- [0-9a-f]{32}$' "$CATALOG")
n_listed=$(journalctl --root="$T/lint" --list-catalog 2>/dev/null | grep -c ' healthmond: ')
[ "$n_ids" -eq 18 ] && [ "$n_listed" -eq "$n_ids" ] ||
	fail "catalog: $n_ids ids in the file, $n_listed listed by journalctl, expected 18"
journalctl --root="$T/lint" --dump-catalog "$ID_URL_DOWN" 2>/dev/null |
	grep -q '^Subject: URL @HEALTHMOND_URL@ is down' ||
	fail "journalctl --dump-catalog $ID_URL_DOWN does not show the url_down entry"
ok "catalog: journalctl --update-catalog accepts it, 18 distinct ids"

# 2. Events into a private journald.
PORT=$(free_ports 1) || fail "cannot pick a free port"
URL="http://127.0.0.1:$PORT/"
mkdir -p "$T/data" "$T/www" "$T/catalog-src" "$T/catalog-db"
echo "healthmond test page" >"$T/www/index.html"
write_conf "$T/hm.conf" <<EOF
hostname = "hm-events";
interval = 1;
datadir = "$T/data";
log = "journal";
log_level = "err";
probes = ( { name = "closed"; url = "$URL"; interval = 1; timeout = 1; } );
EOF
"$HEALTHMOND" -n -c "$T/hm.conf" >"$T/check.out" 2>&1 ||
	fail "healthmond -n rejects the probe config: $(cat "$T/check.out")"

JDIR=$T/varlog/journal/$(cat /etc/machine-id)

{
	private_journald_inner_head
	cat <<'EOF'
# has_event STATE: the journal holds a probe_up event entering STATE.
has_event() {
	journalctl -D "$JDIR" -o cat HEALTHMOND_CHECK=probe_up HEALTHMOND_STATE="$1" \
		2>/dev/null | grep -q .
}
"$HEALTHMOND" -f -c "$T/hm.conf" </dev/null >"$T/daemon.log" 2>&1 &
H=$!
wait_until "$TENTHS" test -d "$JDIR" || { echo "journald wrote no journal"; exit 1; }
wait_until "$TENTHS" has_event critical ||
	{ echo "no critical probe_up event within ${HM_WAIT}s"; exit 1; }
echo "critical event seen"

# Open the port: the probe recovers.
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$PORT" \
	</dev/null >"$T/httpd.log" 2>&1 &
P=$!
wait_until "$TENTHS" has_event ok ||
	{ echo "no recovery event within ${HM_WAIT}s of opening the port"; exit 1; }
echo "recovery event seen"

kill -TERM "$H"
wait_until "$TENTHS" gone "$H" || { echo "healthmond did not stop"; exit 1; }
wait "$H"
echo "healthmond exit status $?" >"$T/daemon.rc"
kill -TERM "$P"
wait_until "$TENTHS" gone "$P"
journalctl --sync >/dev/null 2>&1
kill -TERM "$J"
wait_until "$TENTHS" gone "$J"
wait "$J"
exit 0
EOF
} >"$T/inner.sh"

HM_LOGS+=("$T/inner.log" "$T/daemon.log" "$T/journald.log" "$T/httpd.log")
export T HEALTHMOND JOURNALD JDIR PORT HM_WAIT
rc=0
timeout -k 5 $((HM_WAIT * 3 + 30)) unshare -m -p -f --kill-child --mount-proc \
	bash "$T/inner.sh" >"$T/inner.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "the private journald run failed (exit $rc): $(cat "$T/inner.log")"
grep -qx 'healthmond exit status 0' "$T/daemon.rc" ||
	fail "healthmond: $(cat "$T/daemon.rc" 2>/dev/null) after SIGTERM"
ok "healthmond logged a probe going critical and recovering, and exited 0"

journalctl -D "$JDIR" -o json HEALTHMOND_CHECK=probe_up >"$T/events.json" \
	2>"$T/journalctl.err" || fail "journalctl -D failed: $(cat "$T/journalctl.err")"
HM_LOGS+=("$T/events.json")

# 3. Every field of the first critical event and of the recovery.
python3 - "$T/events.json" "$URL" "$ID_URL_DOWN" "$ID_RECOVERED" <<'EOF' ||
import json, sys

path, url, id_down, id_recovered = sys.argv[1:]
events = [json.loads(line) for line in open(path)]
failed = False

def check(e, what, want):
    global failed
    for k, v in want.items():
        got = e.get(k)
        if v is None:
            if got is not None:
                print("FAIL: %s: %s=%r, expected no such field" % (what, k, got))
                failed = True
        elif got != v:
            print("FAIL: %s: %s=%r, expected %r" % (what, k, got, v))
            failed = True
    if not failed:
        print("ok: journal: %s: %s" % (what, e.get("MESSAGE")))

common = {
    "SYSLOG_IDENTIFIER": "healthmond",
    "HEALTHMOND_HOST": "hm-events",
    "HEALTHMOND_CHECK": "probe_up",
    "HEALTHMOND_SERIES": "probe-closed",
    "HEALTHMOND_FIELD": "up",
    "HEALTHMOND_URL": url,
}
crit = [e for e in events if e.get("HEALTHMOND_STATE") == "critical"]
okay = [e for e in events if e.get("HEALTHMOND_STATE") == "ok"]
if not crit or not okay:
    print("FAIL: %d critical and %d ok probe_up events" % (len(crit), len(okay)))
    sys.exit(1)
check(crit[0], "critical event", dict(common, **{
    "MESSAGE": "URL 'closed' (%s) is down: connect" % url,
    "MESSAGE_ID": id_down,
    "PRIORITY": "2",
    "HEALTHMOND_KIND": "url_down",
    "HEALTHMOND_STATE": "critical",
    "HEALTHMOND_PREV_STATE": "ok",
    "HEALTHMOND_VALUE": "0",
    "HEALTHMOND_REASON": "connect",
    "HEALTHMOND_REPEAT": None,
}))
if "HEALTHMOND_THRESHOLD" in crit[0]:
    float(crit[0]["HEALTHMOND_THRESHOLD"])  # a number when present
check(okay[-1], "recovery event", dict(common, **{
    "MESSAGE_ID": id_recovered,
    "PRIORITY": "5",
    "HEALTHMOND_KIND": "recovered",
    "HEALTHMOND_STATE": "ok",
    "HEALTHMOND_PREV_STATE": "critical",
    "HEALTHMOND_VALUE": "1",
}))
if not okay[-1].get("MESSAGE", "").startswith("Recovered: probe_up on probe-closed"):
    print("FAIL: recovery MESSAGE=%r" % okay[-1].get("MESSAGE"))
    failed = True
sys.exit(1 if failed else 0)
EOF
	fail "the events in the journal lack fields or have wrong values"

# log_level = "err": events are written all the same, and only to the journal.
! grep -q 'is down' "$T/daemon.log" ||
	fail "log = \"journal\": the event went to stderr as well"
ok "events are logged whatever log_level says, and only to the journal"

# 4. journalctl -x with our catalog. It ignores --root and -D for the
# catalog, so a private mount namespace puts a copy of the system's catalogs
# plus ours where journalctl looks, and a scratch database over the real one.
cp /usr/lib/systemd/catalog/*.catalog "$T/catalog-src/" 2>/dev/null
cp "$CATALOG" "$T/catalog-src/"
cat >"$T/catalog.sh" <<'EOF'
set -eu
mount --bind "$T/catalog-src" /usr/lib/systemd/catalog
mount --bind "$T/catalog-db" /var/lib/systemd/catalog
journalctl --update-catalog
journalctl -D "$JDIR" -x --no-pager HEALTHMOND_CHECK=probe_up
EOF
timeout -k 5 60 unshare -m bash "$T/catalog.sh" >"$T/explained.txt" 2>"$T/catalog.err" ||
	fail "journalctl -x in a private mount namespace failed: $(cat "$T/catalog.err")"
HM_LOGS+=("$T/explained.txt")
for want in \
	"Subject: URL $URL is down (connect)" \
	"Defined-By: healthmond" \
	"could not fetch $URL" \
	"curl -sS -v -o /dev/null --max-time 10 $URL" \
	"The reason is connect:" \
	"Subject: probe_up on hm-events is ok again" \
	"is back to ok from" \
	"critical; the message above names the series"; do
	grep -qF -- "$want" "$T/explained.txt" ||
		fail "journalctl -x does not show '$want'"
done
! grep -q '@HEALTHMOND_' "$T/explained.txt" ||
	fail "journalctl -x left fields unsubstituted: $(grep -m1 '@HEALTHMOND_' "$T/explained.txt")"
ok "journalctl -x explains the events, with the URL and host filled in"
exit 0
