#!/bin/bash
# SPDX-License-Identifier: MIT
#
# log = "journal" reaches a real journald: one private to this test, started
# inside new mount and PID namespaces (shared/TESTING-RECIPES.md), so the
# host's journal and kernel auditing are left alone. Needs root.
. "$(dirname "$0")/lib.sh"
need_healthmond

command -v python3 >/dev/null || skip "no python3 to read journalctl -o json"
private_journald_prepare
mkdir -p "$T/data"
write_conf "$T/hm.conf" <<EOF
hostname = "hm-journal";
interval = 1;
datadir = "$T/data";
log = "journal";
log_level = "info";
EOF

{
	private_journald_inner_head
	cat <<'EOF'
"$HEALTHMOND" -f -c "$T/hm.conf" </dev/null >"$T/daemon.log" 2>&1 &
H=$!
# A couple of cycles: the cpu rates are known from the second one.
wait_until "$TENTHS" test -e "$T/data/hm-journal/cpu.rrd" || { echo "no cpu.rrd"; exit 1; }
wait_until "$TENTHS" sh -c "rrdtool lastupdate '$T/data/hm-journal/cpu.rrd' | tail -n 1 |
	grep -qv ' U'" || { echo "cpu.rrd never updated"; exit 1; }
kill -TERM "$H"
wait_until "$TENTHS" sh -c "! kill -0 $H 2>/dev/null || grep -q '^State:.*Z' /proc/$H/status" ||
	{ echo "healthmond did not stop"; exit 1; }
wait "$H"
echo "healthmond exit status $?" >"$T/daemon.rc"
journalctl --sync >/dev/null 2>&1
kill -TERM "$J"
wait_until "$TENTHS" sh -c "! kill -0 $J 2>/dev/null || grep -q '^State:.*Z' /proc/$J/status"
wait "$J"
exit 0
EOF
} >"$T/inner.sh"

HM_LOGS+=("$T/inner.log" "$T/daemon.log" "$T/journald.log")
# The inner script is the namespace's init; --kill-child and timeout bound it.
export T HEALTHMOND JOURNALD HM_WAIT
rc=0
timeout -k 5 120 unshare -m -p -f --kill-child --mount-proc \
	bash "$T/inner.sh" >"$T/inner.log" 2>&1 || rc=$?
[ "$rc" -eq 0 ] || fail "the private journald run failed (exit $rc): $(cat "$T/inner.log")"
grep -qx 'healthmond exit status 0' "$T/daemon.rc" ||
	fail "healthmond: $(cat "$T/daemon.rc" 2>/dev/null) after SIGTERM"
ok "healthmond ran for a few cycles with log = \"journal\" and exited 0"

jdir=$T/varlog/journal/$(cat /etc/machine-id)
[ -d "$jdir" ] || fail "journald wrote no journal under $T/varlog/journal"
journalctl -D "$jdir" -o json SYSLOG_IDENTIFIER=healthmond >"$T/journal.json" 2>"$T/journalctl.err" ||
	fail "journalctl -D failed: $(cat "$T/journalctl.err")"
HM_LOGS+=("$T/journal.json")
[ -s "$T/journal.json" ] || fail "no entry with SYSLOG_IDENTIFIER=healthmond in the journal"

python3 - "$T/journal.json" <<'EOF' || fail "the journal has no proper 'started' entry"
import json, sys

started = []
errors = []
for line in open(sys.argv[1]):
    e = json.loads(line)
    msg = e.get("MESSAGE")
    if isinstance(msg, list):  # journalctl's form of a non-UTF-8 value
        msg = bytes(msg).decode("utf-8", "replace")
    msg = msg or ""
    if "started" in msg:
        started.append(e)
        print("ok: journal: PRIORITY=%s SYSLOG_IDENTIFIER=%s MESSAGE=%s"
              % (e.get("PRIORITY"), e.get("SYSLOG_IDENTIFIER"), msg))
    if int(e.get("PRIORITY", "6")) <= 3:
        errors.append(msg)
for m in errors:
    print("# note: error-level entry during a normal run: %s" % m)
sys.exit(0 if any(e.get("PRIORITY") == "6"
                  and e.get("SYSLOG_IDENTIFIER") == "healthmond"
                  for e in started) else 1)
EOF

# With log = "journal" nothing is left for stderr but sanitizer reports.
if grep -q started "$T/daemon.log"; then
	fail "log = \"journal\": the 'started' line went to stderr as well"
fi
ok "journal entry with PRIORITY=6 and SYSLOG_IDENTIFIER=healthmond"
exit 0
