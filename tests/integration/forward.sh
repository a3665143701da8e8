#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Agent to central on 127.0.0.1, both the real binary: an agent started while
# its central is down spools batches and says so in STATUS=; once the central
# is up, the backlog drains (STATUS= "connected", nothing a second old) and the
# agent's series appear as RRDs on the central. A restarted agent goes on
# with higher sequence numbers, which the central takes (its mark grows).
. "$(dirname "$0")/lib.sh" || { echo "FAIL: cannot read lib.sh" >&2; exit 1; }
. "$(dirname "$0")/central-lib.sh" || fail "cannot read central-lib.sh"
need_healthmond
command -v python3 >/dev/null || skip "no python3 to find a free port"

port=$(free_ports 1) || fail "cannot pick a free port"
token=fwd-test-token-0123456789
mkdir -p "$T/agent" "$T/central"
seed_spool "$T/agent" web1
printf 'web1 %s\n' "$token" >"$T/tokens"
printf '%s\n' "$token" >"$T/token"
chmod 600 "$T/tokens" "$T/token"
write_conf "$T/central.conf" <<EOF
hostname = "hub";
interval = 1;
datadir = "$T/central";
http = { listen = [ "unix:$T/central-http.sock" ]; };
central = { enabled = true; listen = [ "127.0.0.1:$port" ]; tokens_file = "$T/tokens"; };
EOF
write_conf "$T/agent.conf" <<EOF
hostname = "web1";
interval = 1;
datadir = "$T/agent";
forward = { url = "http://127.0.0.1:$port"; token_file = "$T/token"; timeout = 5; };
EOF

spooled() { # at least N batch files in the agent's spool
	[ "$(find "$T/agent/web1.spool" -name '*.batch' 2>/dev/null | wc -l)" -ge "$1" ]
}
mark() { mark_of "$T/central" web1; }
mark_above() { [ "$(mark)" -gt "$1" ]; }

agent=''
start_listener "$T/agent.sock" "$T/agent.notify" listener
HM_LOGS+=("$T/agent.log" "$T/central.log")
start_bg agent env NOTIFY_SOCKET="$T/agent.sock" \
	"$HEALTHMOND" -f -c "$T/agent.conf" >"$T/agent.log" 2>&1
wait_for spooled 3 || fail "the agent spooled no batches while the central was down"
wait_notify "$T/agent.notify" 'STATUS=.*; forwarding: retrying, spool [0-9]+ batches, oldest [0-9]+ s.*'
ok "central down: $(grep -o 'forwarding: [^;]*' "$T/agent.notify" | tail -n 1)"

start_bg central "$HEALTHMOND" -f -c "$T/central.conf" >"$T/central.log" 2>&1
wait_for test -e "$T/central/web1/memory.rrd" ||
	fail "the central has no memory.rrd of web1"
# The forwarder's tick and the agent's cycle run on timers of their own, at
# a phase chosen by the agent's start-up jitter. When the tick falls just
# before the cycle ends, every STATUS= is sent while that second's batch is
# still on its way, so "spool 1" can last for good; "oldest 0 s" is what
# says the backlog, seconds old, is gone.
wait_notify "$T/agent.notify" 'STATUS=.*; forwarding: connected, spool [01] batches, oldest 0 s.*'
ok "central up: backlog sent, $(find "$T/central/web1" -name '*.rrd' | wc -l) RRDs on the central"
before=$(mark)
[ "$before" -ge 3 ] || fail "central mark $before, expected the backlog of 3 or more"

stop_pid "$agent" TERM || fail "the agent did not exit 0"
start_bg agent env NOTIFY_SOCKET="$T/agent.sock" \
	"$HEALTHMOND" -f -c "$T/agent.conf" >>"$T/agent.log" 2>&1
wait_for mark_above "$before" || fail "a restarted agent's batches were not taken"
ok "restarted agent: central mark $before -> $(mark)"
! grep -q 'refused\|Dropped' "$T/agent.log" || fail "the agent saw refusals"
ok "no refusals, nothing dropped"
