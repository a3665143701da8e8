#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Several hosts on one machine (shared/TESTING-RECIPES.md): network
# namespaces joined by veth pairs to a bridge in a namespace of its own; a
# central on 10.213.0.1 (host_timeout 6) and agents a1..a3 on .2 .. .4,
# every second. Once all three report, a3's port on the bridge goes down
# for several intervals: the central reports 'host silent' for a3 (its log
# and STATUS=); the port comes back: a recovery event for a3, and a3's spool
# fills the gap, so that the central's RRDs of a3 hold every sample a3's
# own hold over the time it was cut off. Every address is inside the
# namespaces this test creates, named hm<pid>-* so that runs do not clash;
# the cleanup deletes them. Needs root.
. "$(dirname "$0")/lib.sh" || { echo "FAIL: cannot read lib.sh" >&2; exit 1; }
. "$(dirname "$0")/central-lib.sh" || fail "cannot read central-lib.sh"
need_healthmond
[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
command -v ip >/dev/null || skip "no ip (apt-get install iproute2)"
command -v rrdtool >/dev/null || skip "rrdtool is not installed"

. "$(dirname "$0")/netns-lib.sh" || fail "cannot read netns-lib.sh"
# Namespaces first (their daemons go with lib.sh's cleanup right after).
trap 'netns_exit; cleanup' EXIT
netns_switch
host c pc 10.213.0.1
host a1 p1 10.213.0.2
host a2 p2 10.213.0.3
host a3 p3 10.213.0.4
ok "namespaces $P-{sw,c,a1,a2,a3}: central 10.213.0.1, agents .2 .. .4"

mkdir -p "$T/central"
write_tokens "$T/tokens" a1 a2 a3
write_conf "$T/central.conf" <<EOF
hostname = "hub";
interval = 1;
datadir = "$T/central";
log = "stderr";
$CONF_QUIET
http = { listen = [ "unix:$T/central-http.sock" ]; };
central = { enabled = true; listen = [ "10.213.0.1:8089" ]; tokens_file = "$T/tokens";
	host_timeout = 6; };
EOF
for h in a1 a2 a3; do
	mkdir -p "$T/$h"
	seed_spool "$T/$h" "$h"
	write_conf "$T/$h.conf" <<EOF
hostname = "$h";
interval = 1;
datadir = "$T/$h";
log = "stderr";
forward = { url = "http://10.213.0.1:8089"; token_file = "$T/$h.token"; timeout = 2; };
EOF
done

# shellcheck disable=SC2034 # the listener's pid: cleanup stops it
central='' c_listener=''
HM_LOGS+=("$T/central.log" "$T/central.notify")
start_listener "$T/central.sock" "$T/central.notify" c_listener
start_bg central ip netns exec "$P-c" env NOTIFY_SOCKET="$T/central.sock" \
	"$HEALTHMOND" -f -c "$T/central.conf" >"$T/central.log" 2>&1
wait_notified "$T/central.notify" 'READY=1'
declare -A agent=()
for h in a1 a2 a3; do
	HM_LOGS+=("$T/$h.log")
	start_bg "agent[$h]" ip netns exec "$P-$h" \
		"$HEALTHMOND" -f -c "$T/$h.conf" >"$T/$h.log" 2>&1
done
for h in a1 a2 a3; do
	wait_for mark_at_least "$T/central" "$h" 3 ||
		fail "central mark of $h: $(mark_of "$T/central" "$h"), want 3"
done
wait_notified "$T/central.notify" 'STATUS=.*central: 3 hosts reporting, 0 silent, .*'
ok "all three report: $(grep '^STATUS=' "$T/central.notify" | tail -n 1 | grep -o 'central: .*')"

# Cut a3 off for several intervals: 'host silent' after host_timeout. That
# is 6 s, not less: one upload timing out (2 s) plus a retry's back-off and
# a busy central must not make a1 or a2 look silent.
A3SPOOL=$T/a3/a3.spool
cut_mark=$(mark_of "$T/central" a3)
ip -n "$SW" link set p3 down || fail "cannot take p3 down"
cut_at=$(date +%s)
silent_line() { grep -m1 '\[host=a3 check=host_silent state=critical prev=ok ' "$T/central.log"; }
wait_for silent_line >/dev/null || fail "no 'host silent' event for a3"
ok "central: $(silent_line)"
wait_notified "$T/central.notify" 'STATUS=.*central: 2 hosts reporting, 1 silent, .*'
ok "STATUS: 2 hosts reporting, 1 silent"
all_back='STATUS=.*central: 3 hosts reporting, 0 silent, .*'
seen=$(grep -cxE -- "$all_back" "$T/central.notify")
# Still cut off: more batches wait in a3's spool.
wait_for eval "[ \"\$(spool_count \"$A3SPOOL\")\" -ge 9 ]" ||
	fail "a3 spooled $(spool_count "$A3SPOOL") batches while cut off"
[ "$(mark_of "$T/central" a3)" -le $((cut_mark + 2)) ] ||
	fail "a3 still reached the central while cut off: mark $cut_mark -> $(mark_of "$T/central" a3)"
! grep -q '\[host=a[12] check=host_silent' "$T/central.log" ||
	fail "a1 or a2 was reported silent: $(grep -m1 '\[host=a[12] check=host_silent' "$T/central.log")"
waiting=$(spool_last "$A3SPOOL")

# Back: a recovery event, and the backlog fills the gap.
ip -n "$SW" link set p3 up || fail "cannot bring p3 up"
back_at=$(date +%s)
ip -n "$P-a3" neigh flush all
recovery_line() { grep -m1 '\[host=a3 check=host_silent state=ok prev=critical ' "$T/central.log"; }
wait_for recovery_line >/dev/null || fail "no recovery event for a3"
ok "central: $(recovery_line)"
# The backlog, and a few batches more: the cut-off time is then well
# before the end of what the central has (the last batch of a stopped agent
# stays in its spool).
wait_for mark_at_least "$T/central" a3 $((waiting + 3)) ||
	fail "a3's backlog up to $waiting was not sent: central mark $(mark_of "$T/central" a3)"
ok "a3's backlog taken: central mark $cut_mark -> $(mark_of "$T/central" a3)"
wait_notified "$T/central.notify" "$all_back" $((seen + 1))

for h in a1 a2 a3; do
	stop_pid "${agent[$h]}" TERM || fail "$h did not exit 0 after SIGTERM"
done
for h in a1 a2 a3; do
	wait_for drained "$T/$h/$h.spool" "$T/central" "$h" ||
		fail "$h: central mark $(mark_of "$T/central" "$h"), spool [$(spool_seqs "$T/$h/$h.spool" | tr '\n' ' ')]"
done

# The central has what each agent has, a3's time cut off included.
for h in a1 a2 a3; do
	for s in memory load cpu if-eth0; do
		a=$T/$h/$h/$s.rrd c=$T/central/$h/$s.rrd
		{ [ -e "$a" ] && [ -e "$c" ]; } || fail "no $h/$s.rrd on the agent or the central"
		first=$(rrd_first "$a") || fail "$h/$s: no known row"
		c_last=$(rrdtool last "$c")
		out=$(rrd_compare "$a" "$c" $((first - 3)) "$c_last") ||
			fail "$h/$s: the central's copy differs from the agent's: $out"
		[ "$h" = a3 ] || continue
		ok "$h/$s: $out"
		# The cut-off seconds in particular: known on both sides.
		n_a=$(rrd_known_rows "$a" "$cut_at" "$back_at")
		n_c=$(rrd_known_rows "$c" "$cut_at" "$back_at")
		{ [ "$n_c" -eq "$n_a" ] && [ "$n_a" -ge $((back_at - cut_at - 2)) ]; } ||
			fail "a3/$s from $cut_at to $back_at: $n_a known rows on a3, $n_c on the central"
	done
done
ok "a3: the $((back_at - cut_at)) s cut off are filled on the central; a1, a2: the central's copies are the agents' own"
! grep -qi 'illegal attempt\|Cannot write' "$T/central.log" ||
	fail "the central failed to write: $(grep -i -m1 'illegal attempt\|Cannot write' "$T/central.log")"
stop_pid "$central" TERM || fail "the central did not exit 0 after SIGTERM"
exit 0
