#!/bin/bash
# SPDX-License-Identifier: MIT
#
# A small fleet on 127.0.0.1: one central and two agents (a1, a2), each with
# its own data directory, every second. Once the agents stopped (SIGTERM) and
# the central took everything they sent, the central's copy of memory, load,
# cpu and df-root holds exactly what each agent wrote itself: `rrdtool fetch`
# prints the same text for both, row by row.
#
# With root, the central runs with a journald of its own (mount and PID
# namespaces; the network is shared, so the agents outside reach it on
# 127.0.0.1): an event of a1 (a probe of a closed port going down) is in the
# central's journal with HEALTHMOND_HOST=a1 and every field. Without root
# that part is skipped ("SKIP part: ...") and the central's stderr is checked.
. "$(dirname "$0")/lib.sh" || { echo "FAIL: cannot read lib.sh" >&2; exit 1; }
. "$(dirname "$0")/central-lib.sh" || fail "cannot read central-lib.sh"
need_healthmond
command -v python3 >/dev/null || skip "no python3 to pick ports and read JSON"
command -v rrdtool >/dev/null || skip "rrdtool is not installed"

ID_URL_DOWN=37f4fea246324816a846bb00363d3323
closed_port closed
port=$(free_ports 1) || fail "cannot pick a free port"
URL="http://127.0.0.1:$closed/"
mkdir -p "$T/central" "$T/a1" "$T/a2"
seed_spool "$T/a1" a1
seed_spool "$T/a2" a2
write_tokens "$T/tokens" a1 a2

journal=1 why=''
if ! (private_journald_prepare) >"$T/journald-prepare.out" 2>&1; then
	journal=0
	why=$(sed -n 's/^SKIP: //p' "$T/journald-prepare.out")
	[ -n "$why" ] || fail "private_journald_prepare: $(cat "$T/journald-prepare.out")"
fi
JOURNALD=/lib/systemd/systemd-journald
central_log=stderr
[ "$journal" -eq 0 ] || central_log=journal

write_conf "$T/central.conf" <<EOF
hostname = "hub";
interval = 1;
datadir = "$T/central";
log = "$central_log";
$CONF_QUIET
http = { listen = [ "unix:$T/central-http.sock" ]; };
central = { enabled = true; listen = [ "127.0.0.1:$port" ]; tokens_file = "$T/tokens";
	host_timeout = 30; };
EOF
for h in a1 a2; do
	probes=''
	[ "$h" = a2 ] ||
		probes="probes = ( { name = \"closed\"; url = \"$URL\"; interval = 1; timeout = 1; } );"
	write_conf "$T/$h.conf" <<EOF
hostname = "$h";
interval = 1;
datadir = "$T/$h";
log = "stderr";
forward = { url = "http://127.0.0.1:$port"; token_file = "$T/$h.token"; timeout = 5; };
$probes
EOF
	"$HEALTHMOND" -n -c "$T/$h.conf" >"$T/check.out" 2>&1 ||
		fail "healthmond -n rejects $h.conf: $(cat "$T/check.out")"
done
"$HEALTHMOND" -n -c "$T/central.conf" >"$T/check.out" 2>&1 ||
	fail "healthmond -n rejects central.conf: $(cat "$T/check.out")"

# The central: directly, or as the only daemon next to a private journald.
JDIR=$T/varlog/journal/$(cat /etc/machine-id 2>/dev/null)
# shellcheck disable=SC2034 # the listener's pid: cleanup stops it
central='' c_listener=''
start_listener "$T/central.sock" "$T/central.notify" c_listener
HM_LOGS+=("$T/central.log" "$T/central.notify")
if [ "$journal" -eq 1 ]; then
	{
		private_journald_inner_head
		cat <<'EOF'
env NOTIFY_SOCKET="$T/central.sock" "$HEALTHMOND" -f -c "$T/central.conf" \
	</dev/null >"$T/central.log" 2>&1 &
H=$!
# The test says when to stop, by creating this file; bounded all the same.
wait_until $((TENTHS * 6)) test -e "$T/central.stop" || echo "no stop file: stopping anyway"
kill -TERM "$H"
wait_until "$TENTHS" gone "$H" || { echo "the central did not stop"; kill -KILL "$H"; }
wait "$H"
echo "central exit status $?" >"$T/central.rc"
journalctl --sync >/dev/null 2>&1
kill -TERM "$J"
wait_until "$TENTHS" gone "$J"
wait "$J"
exit 0
EOF
	} >"$T/inner.sh"
	HM_LOGS+=("$T/inner.log" "$T/journald.log")
	export T HEALTHMOND JOURNALD HM_WAIT
	start_bg central timeout -k 5 $((HM_WAIT * 8)) unshare -m -p -f --kill-child \
		--mount-proc bash "$T/inner.sh" >"$T/inner.log" 2>&1
else
	start_bg central env NOTIFY_SOCKET="$T/central.sock" \
		"$HEALTHMOND" -f -c "$T/central.conf" >"$T/central.log" 2>&1
fi
wait_notified "$T/central.notify" 'READY=1'
ok "central listening on 127.0.0.1:$port (log = $central_log)"

# shellcheck disable=SC2034 # the listeners' pids: cleanup stops them
declare -A agent=() listener=()
for h in a1 a2; do
	start_listener "$T/$h.sock" "$T/$h.notify" "listener[$h]"
	HM_LOGS+=("$T/$h.log" "$T/$h.notify")
	start_bg "agent[$h]" env NOTIFY_SOCKET="$T/$h.sock" \
		"$HEALTHMOND" -f -c "$T/$h.conf" >"$T/$h.log" 2>&1
done

# A few cycles of both, all taken by the central.
for h in a1 a2; do
	wait_for mark_at_least "$T/central" "$h" 6 ||
		fail "central mark of $h: $(mark_of "$T/central" "$h") after ${HM_WAIT}s, want 6"
	wait_notified "$T/$h.notify" 'STATUS=.*; forwarding: connected, spool [01] batches.*'
done
wait_notified "$T/central.notify" 'STATUS=.*; central: 2 hosts reporting, 0 silent, .*, 0 refused'
ok "$(grep '^STATUS=' "$T/central.notify" | tail -n 1 | grep -o 'central: .*')"
wait_for grep -q "check=probe_up series=probe-closed .*state=critical" "$T/a1.log" ||
	fail "a1 logged no probe_up critical event for $URL"
ok "a1: $(grep -m1 'check=probe_up' "$T/a1.log")"
# The batch holding that event (spooled at the latest with the next one)
# must reach the central before the agents stop.
event_batch=$(($(spool_last "$T/a1/a1.spool") + 1))
wait_for mark_at_least "$T/central" a1 "$event_batch" ||
	fail "central mark of a1 stays below $event_batch"

for h in a1 a2; do
	stop_pid "${agent[$h]}" TERM || fail "$h did not exit 0 after SIGTERM"
done
ok "agents stopped"
for h in a1 a2; do
	wait_for drained "$T/$h/$h.spool" "$T/central" "$h" ||
		fail "$h: central mark $(mark_of "$T/central" "$h"), spool holds [$(spool_seqs "$T/$h/$h.spool" | tr '\n' ' ')], last $(spool_last "$T/$h/$h.spool")"
	ok "$h: central mark $(mark_of "$T/central" "$h"), last spooled $(spool_last "$T/$h/$h.spool"), $(spool_count "$T/$h/$h.spool") batches left unsent by SIGTERM"
done

# leftover_last SPOOLDIR SERIES MARK: the newest time of SERIES in the
# batches still spooled and past the central's MARK (0 if none): what the
# agent has and the central cannot have.
leftover_last() {
	python3 - "$@" <<'EOF'
import glob, json, os, sys
spool, series, mark = sys.argv[1:]
last = 0
for path in glob.glob(spool + "/*.batch"):
    if int(os.path.basename(path).split("-")[0], 10) <= int(mark):
        continue
    batch = json.load(open(path))
    for r in batch["records"]:
        if r["series"] == series:
            last = max(last, r["time"])
print(last)
EOF
}

# The central's copy of each series is the agent's, row for row.
for h in a1 a2; do
	compared=0
	for s in memory load cpu df-root; do
		a=$T/$h/$h/$s.rrd c=$T/central/$h/$s.rrd
		if [ ! -e "$a" ] && [ "$s" = df-root ]; then
			log "$h has no df-root series here (root filesystem of an ignored type)"
			continue
		fi
		[ -e "$a" ] || fail "$h has no $s.rrd of its own"
		[ -e "$c" ] || fail "the central has no $h/$s.rrd"
		a_last=$(rrdtool last "$a") c_last=$(rrdtool last "$c")
		left=$(leftover_last "$T/$h/$h.spool" "$s" "$(mark_of "$T/central" "$h")") || fail "cannot read $h's spool"
		if [ "$left" -gt 0 ]; then
			{ [ "$a_last" -eq "$left" ] && [ "$c_last" -lt "$left" ]; } ||
				fail "$h/$s: agent's last update $a_last, central's $c_last, unsent batches up to $left"
		else
			[ "$a_last" -eq "$c_last" ] ||
				fail "$h/$s: agent's last update $a_last, central's $c_last, nothing left unsent"
		fi
		first=$(rrd_first "$a") || fail "$h/$s: no known row"
		out=$(rrd_compare "$a" "$c" $((first - 3)) "$c_last") ||
			fail "$h/$s: the central's copy differs from the agent's: $out"
		known=$(rrd_known_rows "$c" $((first - 3)) "$c_last")
		[ "$known" -ge 5 ] || fail "$h/$s: only $known known rows on the central"
		ok "$h/$s: $out"
		compared=$((compared + 1))
	done
	[ "$compared" -ge 3 ] || fail "$h: only $compared series compared"
done

# The agents' events reached the central.
if [ "$journal" -eq 1 ]; then
	touch "$T/central.stop"
	wait_exit "$central" $((HM_WAIT * 2)) || fail "the central's namespace did not end"
	rc=0
	wait "$central" || rc=$?
	forget_pid "$central"
	[ "$rc" -eq 0 ] || fail "the private journald run failed (exit $rc): $(cat "$T/inner.log")"
	grep -qx 'central exit status 0' "$T/central.rc" ||
		fail "central: $(cat "$T/central.rc" 2>/dev/null) after SIGTERM"
	journalctl -D "$JDIR" -o json HEALTHMOND_CHECK=probe_up >"$T/events.json" \
		2>"$T/journalctl.err" || fail "journalctl -D failed: $(cat "$T/journalctl.err")"
	HM_LOGS+=("$T/events.json")
	python3 - "$T/events.json" "$URL" "$ID_URL_DOWN" <<'EOF' ||
import json, sys
path, url, id_down = sys.argv[1:]
events = [json.loads(line) for line in open(path)]
crit = [e for e in events if e.get("HEALTHMOND_STATE") == "critical"]
if not crit:
    print("FAIL: no critical probe_up event in the central's journal (%d probe_up events)" % len(events))
    sys.exit(1)
e = crit[0]
want = {
    "MESSAGE": "URL 'closed' (%s) is down: connect" % url,
    "MESSAGE_ID": id_down,
    "PRIORITY": "2",
    "SYSLOG_IDENTIFIER": "healthmond",
    "HEALTHMOND_HOST": "a1",
    "HEALTHMOND_KIND": "url_down",
    "HEALTHMOND_CHECK": "probe_up",
    "HEALTHMOND_SERIES": "probe-closed",
    "HEALTHMOND_FIELD": "up",
    "HEALTHMOND_STATE": "critical",
    "HEALTHMOND_PREV_STATE": "ok",
    "HEALTHMOND_VALUE": "0",
    "HEALTHMOND_THRESHOLD": "0.5",
    "HEALTHMOND_URL": url,
    "HEALTHMOND_REASON": "connect",
}
bad = ["%s=%r, expected %r" % (k, e.get(k), v) for k, v in want.items() if e.get(k) != v]
if "HEALTHMOND_REPEAT" in e:
    bad.append("HEALTHMOND_REPEAT=%r on a first event" % e["HEALTHMOND_REPEAT"])
others = sorted({x.get("HEALTHMOND_HOST") for x in events} - {"a1"})
if others:
    bad.append("probe_up events of other hosts: %s" % others)
if bad:
    print("FAIL: central's journal: " + "; ".join(bad))
    sys.exit(1)
print("ok: central's journal: HEALTHMOND_HOST=a1: %s" % e["MESSAGE"])
EOF
		fail "a1's event in the central's journal lacks fields or has wrong values"
	# The agent's own copy of the event says the same.
	grep -q "is down: connect \[host=a1 check=probe_up series=probe-closed field=up state=critical prev=ok value=0 threshold=0.5 url=$URL reason=connect id=$ID_URL_DOWN\]" "$T/a1.log" ||
		fail "a1's own log line of the event differs"
	ok "a1's event is in the central's private journal with every field"
else
	wait_for grep -q "is down: connect \[host=a1 check=probe_up series=probe-closed field=up state=critical prev=ok value=0 threshold=0.5 url=$URL reason=connect id=$ID_URL_DOWN\]" "$T/central.log" ||
		fail "the central did not log a1's event"
	ok "a1's event is in the central's log with host=a1"
	stop_pid "$central" TERM || fail "the central did not exit 0 after SIGTERM"
	echo "SKIP part: the central's journal: $why"
fi
exit 0
