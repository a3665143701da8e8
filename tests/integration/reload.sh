#!/bin/bash
# SPDX-License-Identifier: MIT
#
# SIGHUP reload: a valid changed config (new hostname, new interval) is
# announced with RELOADING=1 then READY=1, logged, and takes effect; an
# invalid one is logged with FILE:LINE, ends with READY=1 too, and the old
# config keeps running and writing RRDs.
. "$(dirname "$0")/lib.sh"
need_healthmond
command -v rrdtool >/dev/null || skip "rrdtool is not installed"

conf=$T/hm.conf
data=$T/data
mkdir -p "$data"
write_conf "$conf" <<EOF
hostname = "hm-a";
interval = 1;
datadir = "$data";
log = "stderr";
log_level = "info";
EOF

daemon='' listener=''
start_listener "$T/notify.sock" "$T/notify" listener
HM_LOGS+=("$T/daemon.log")
start_bg daemon env NOTIFY_SOCKET="$T/notify.sock" \
	"$HEALTHMOND" -f -c "$conf" >"$T/daemon.log" 2>&1
wait_notify "$T/notify" 'READY=1'
wait_for test -e "$data/hm-a/memory.rrd" || fail "no hm-a/memory.rrd"
rrdtool info "$data/hm-a/memory.rrd" | grep -qx 'step = 1' ||
	fail "hm-a/memory.rrd: step is not the interval (1)"
ok "first config running: hm-a, step 1"

# line_of FILE LINE [N]: number of the Nth line of FILE equal to LINE.
line_of() {
	grep -nx -- "$2" "$1" | sed -n "${3:-1}p" | cut -d: -f1
}

# 1. A valid change: new host name and interval.
write_conf "$conf" <<EOF
hostname = "hm-b";
interval = 2;
datadir = "$data";
log = "stderr";
log_level = "info";
EOF
kill -HUP "$daemon"
wait_notify "$T/notify" 'RELOADING=1'
wait_notify "$T/notify" 'READY=1' 2
[ "$(line_of "$T/notify" RELOADING=1)" -lt "$(line_of "$T/notify" READY=1 2)" ] ||
	fail "READY=1 came before RELOADING=1"
ok "valid reload: RELOADING=1 then READY=1"
wait_for grep -q 'Reloaded configuration' "$T/daemon.log" ||
	fail "no 'Reloaded configuration' in the log"
ok "logged: $(grep -m1 'Reloaded configuration' "$T/daemon.log")"

wait_for test -e "$data/hm-b/memory.rrd" || fail "no hm-b/memory.rrd after the reload"
rrdtool info "$data/hm-b/memory.rrd" | grep -qx 'step = 2' ||
	fail "hm-b/memory.rrd: step is not the new interval (2)"
ok "new config in effect: hm-b, step 2"

# The old host name is no longer written once the new one is.
wait_for rrd_known "$data/hm-b/memory.rrd" total || fail "hm-b/memory.rrd never updated"
a_last=$(rrd_last_time "$data/hm-a/memory.rrd")
b_last=$(rrd_last_time "$data/hm-b/memory.rrd")
wait_for rrd_advanced "$data/hm-b/memory.rrd" $((b_last + 2)) ||
	fail "hm-b/memory.rrd stopped at $b_last"
[ "$(rrd_last_time "$data/hm-a/memory.rrd")" = "$a_last" ] ||
	fail "hm-a/memory.rrd still written after the reload"
ok "hm-a no longer written, hm-b is"

# 2. An invalid config: the error names FILE:LINE, the old config goes on.
write_conf "$conf" <<EOF
hostname = "hm-c";
interval = 1;
datadir = "$data";
interval_typo = 5;
EOF
kill -HUP "$daemon"
wait_notify "$T/notify" 'RELOADING=1' 2
wait_for grep -qF "$conf:4: " "$T/daemon.log" ||
	fail "invalid reload: no '$conf:4: ' in the log"
ok "invalid reload logged: $(grep -m1 -F "$conf:4: " "$T/daemon.log" | sed "s|$T/||")"
# systemd leaves the reloading state only on READY=1, valid config or not.
wait_notify "$T/notify" 'READY=1' 3
[ "$(line_of "$T/notify" RELOADING=1 2)" -lt "$(line_of "$T/notify" READY=1 3)" ] ||
	fail "READY=1 came before the second RELOADING=1"
ok "invalid reload: RELOADING=1 then READY=1"

is_running "$daemon" || fail "the daemon died on an invalid config"
b_last=$(rrd_last_time "$data/hm-b/memory.rrd")
wait_for rrd_advanced "$data/hm-b/memory.rrd" $((b_last + 2)) ||
	fail "hm-b/memory.rrd no longer written after the invalid reload"
[ ! -e "$data/hm-c" ] || fail "the invalid config was applied (hm-c exists)"
grep -c 'Reloaded configuration' "$T/daemon.log" | grep -qx 1 ||
	fail "the invalid reload was logged as 'Reloaded configuration'"
ok "old config still running after the invalid reload"

rc=0
stop_pid "$daemon" || rc=$?
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM"
wait_notify "$T/notify" 'STOPPING=1'
ok "STOPPING=1, exit 0"
stop_pid "$listener" || true
exit 0
