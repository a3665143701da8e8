#!/bin/bash
# SPDX-License-Identifier: MIT
#
# sd_notify as systemd sees it: READY=1, STATUS= naming the series and kept
# current, STOPPING=1 and exit 0 on SIGTERM (and on SIGINT); WATCHDOG=1 when
# WATCHDOG_USEC is set, and none when it is not.
. "$(dirname "$0")/lib.sh"
need_healthmond

mkdir -p "$T/data"
write_conf "$T/hm.conf" <<EOF
hostname = "hm-notify";
interval = 1;
datadir = "$T/data";
log = "stderr";
EOF

# run_daemon NAME SIGNAL [VAR=VALUE...]: one daemon lifetime under a fresh
# listener; leaves the notifications in $T/NAME.notify.
run_daemon() {
	local name=$1 sig=$2 listener='' daemon='' rc
	shift 2
	start_listener "$T/$name.sock" "$T/$name.notify" listener
	HM_LOGS+=("$T/$name.log")
	start_bg daemon env NOTIFY_SOCKET="$T/$name.sock" "$@" \
		"$HEALTHMOND" -f -c "$T/hm.conf" >"$T/$name.log" 2>&1
	wait_notify "$T/$name.notify" 'READY=1'
	ok "$name: READY=1"
	wait_notify "$T/$name.notify" 'STATUS=.*series.*'
	# Kept current: a STATUS= per cycle, so more than one over a few cycles.
	wait_notify "$T/$name.notify" 'STATUS=.*' 3
	ok "$name: STATUS: $(grep '^STATUS=' "$T/$name.notify" | tail -n 1)"
	wait_for test -e "$T/data/hm-notify/memory.rrd" ||
		fail "$name: no memory.rrd in the datadir"
	if [ "$name" = watchdog ]; then
		wait_notify "$T/$name.notify" 'WATCHDOG=1' 2
		ok "$name: WATCHDOG=1"
	fi
	rc=0
	stop_pid "$daemon" "$sig" || rc=$?
	[ "$rc" -eq 0 ] || fail "$name: exit status $rc after SIG$sig"
	ok "$name: exit 0 after SIG$sig"
	wait_notify "$T/$name.notify" 'STOPPING=1'
	ok "$name: STOPPING=1"
	# READY=1 comes once, before STOPPING=1.
	[ "$(grep -cx 'READY=1' "$T/$name.notify")" -eq 1 ] ||
		fail "$name: READY=1 sent $(grep -cx 'READY=1' "$T/$name.notify") times"
	[ "$(grep -nx 'READY=1' "$T/$name.notify" | cut -d: -f1)" -lt \
		"$(grep -nx 'STOPPING=1' "$T/$name.notify" | head -n 1 | cut -d: -f1)" ] ||
		fail "$name: STOPPING=1 before READY=1"
	stop_pid "$listener" || true
}

run_daemon plain TERM
# The watchdog is off without WATCHDOG_USEC.
! grep -qx 'WATCHDOG=1' "$T/plain.notify" || fail "WATCHDOG=1 sent without WATCHDOG_USEC"
ok "no WATCHDOG=1 without WATCHDOG_USEC"

run_daemon sigint INT

# WATCHDOG_USEC=2 s: sd-event pings at a fraction of it.
run_daemon watchdog TERM WATCHDOG_USEC=2000000

exit 0
