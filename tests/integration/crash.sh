#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Crashes and a full spool, agent (every second, batches every second) and
# central on 127.0.0.1:
#
# 1. kill -9 of the central in the middle of the stream, restarted on the
#    same data directory and port: every sample arrives, none twice. The
#    central's RRDs of the agent hold, row for row, what the agent's own
#    hold; rrdtool never complained ("illegal attempt to update"); batches
#    sent again are acknowledged as duplicates and change nothing.
# 2. kill -9 of the agent while its central hangs (SIGSTOP) and batches
#    wait in its spool, restarted: the spooled batches are sent again, the
#    central's mark goes past the last one from before the crash, and its
#    RRDs have no gap but the seconds the agent was dead (and the one batch
#    it had collected but not yet spooled).
# 3. Spool overflow: an agent with a 1 MiB spool and big batches (about
#    110 kB, mostly events) whose central does not answer: the spool drops its
#    oldest batches, the agent logs it and a spool_overflow event whose
#    value is the records lost; once the central is up, that event reaches
#    it, and the central has the newest samples but not the oldest.
. "$(dirname "$0")/lib.sh" || { echo "FAIL: cannot read lib.sh" >&2; exit 1; }
. "$(dirname "$0")/central-lib.sh" || fail "cannot read central-lib.sh"
need_healthmond
command -v python3 >/dev/null || skip "no python3 to pick ports and read JSON"
command -v rrdtool >/dev/null || skip "rrdtool is not installed"
command -v curl >/dev/null || skip "curl is not installed"

port=$(free_ports 1) || fail "cannot pick a free port"
mkdir -p "$T/central" "$T/a1" "$T/ovf"
seed_spool "$T/a1" a1
seed_spool "$T/ovf" ovf
write_tokens "$T/tokens" a1 ovf
write_conf "$T/central.conf" <<EOF
hostname = "hub";
interval = 1;
datadir = "$T/central";
log = "stderr";
$CONF_QUIET
http = { listen = [ "unix:$T/central-http.sock" ]; };
central = { enabled = true; listen = [ "127.0.0.1:$port" ]; tokens_file = "$T/tokens"; };
EOF
write_conf "$T/a1.conf" <<EOF
hostname = "a1";
interval = 1;
datadir = "$T/a1";
log = "stderr";
forward = { url = "http://127.0.0.1:$port"; token_file = "$T/a1.token";
	batch_interval = 1; timeout = 3; };
EOF

SPOOL=$T/a1/a1.spool
# shellcheck disable=SC2034 # the listeners' pids: cleanup stops them
central='' c_listener='' agent='' a_listener=''
HM_LOGS+=("$T/central.log" "$T/a1.log" "$T/central.notify" "$T/a1.notify")
start_listener "$T/central.sock" "$T/central.notify" c_listener
start_listener "$T/a1.sock" "$T/a1.notify" a_listener
n_central=0
start_central() {
	n_central=$((n_central + 1))
	start_bg central env NOTIFY_SOCKET="$T/central.sock" \
		"$HEALTHMOND" -f -c "$T/central.conf" >>"$T/central.log" 2>&1
	wait_notified "$T/central.notify" 'READY=1' "$n_central"
}
n_agent=0
start_agent() {
	n_agent=$((n_agent + 1))
	start_bg agent env NOTIFY_SOCKET="$T/a1.sock" \
		"$HEALTHMOND" -f -c "$T/a1.conf" >>"$T/a1.log" 2>&1
	wait_notified "$T/a1.notify" 'READY=1' "$n_agent"
}
# spooled_at_least N: the agent's spool holds N batches or more.
# shellcheck disable=SC2317 # called through wait_for
spooled_at_least() {
	[ "$(spool_count "$SPOOL")" -ge "$1" ]
}
# kill9 PID: SIGKILL, reaped; the exit status is no failure.
kill9() {
	stop_pid "$1" KILL || true
}
# Copies of every batch the agent spools, for sending some again later.
copy_spool() {
	spool_copy "$SPOOL" "$T/copies"
	"$@"
}

start_central
start_agent
wait_for copy_spool mark_at_least "$T/central" a1 4 ||
	fail "central mark of a1: $(mark_of "$T/central" a1), want 4"

# 1. kill -9 of the central while the agent streams to it.
central_killed_at=$(date +%s)
kill9 "$central"
before=$(mark_of "$T/central" a1)
wait_for copy_spool spooled_at_least 3 ||
	fail "the agent spooled no backlog while the central was dead"
ok "central killed at mark $before; the agent spools: $(spool_count "$SPOOL") batches"
start_central
backlog=$(spool_last "$SPOOL")
wait_for copy_spool mark_at_least "$T/central" a1 $((backlog + 2)) ||
	fail "restarted central: mark $(mark_of "$T/central" a1), backlog up to $backlog not taken"
ok "restarted central took the backlog: mark $before -> $(mark_of "$T/central" a1)"

# 2. kill -9 of the agent with batches in its spool. SIGSTOP keeps the
# central from answering (the kernel still takes connections and bytes).
kill -STOP "$central"
wait_for copy_spool spooled_at_least 3 || {
	kill -CONT "$central"
	fail "no batches piled up in the agent's spool while the central was stopped"
}
pre_crash=$(spool_last "$SPOOL")
spooled_at_crash=$(spool_count "$SPOOL")
copy_spool true
killed_at=$(date +%s)
kill9 "$agent"
kill -CONT "$central"
ok "agent killed with $spooled_at_crash batches spooled, up to $pre_crash"
# The central handles what the kernel had queued for it: requests of the
# dead agent, whose answers nobody reads.
sleep 2
handled=$(mark_of "$T/central" a1)
oldest=$(spool_seqs "$SPOOL" | head -n 1)
start_agent
wait_for mark_at_least "$T/central" a1 $((pre_crash + 3)) ||
	fail "restarted agent: central mark $(mark_of "$T/central" a1), want past $pre_crash"
ok "restarted agent re-sent its spool from ${oldest:-nothing}: central mark $handled -> $(mark_of "$T/central" a1) (past $pre_crash)"
if [ -n "$oldest" ] && [ "$oldest" -le "$handled" ]; then
	log "batches $oldest..$handled were handled twice by the central (answers lost with the agent)"
fi

stop_pid "$agent" TERM || fail "a1 did not exit 0 after SIGTERM"
wait_for drained "$SPOOL" "$T/central" a1 ||
	fail "central mark $(mark_of "$T/central" a1), spool holds [$(spool_seqs "$SPOOL" | tr '\n' ' ')]"

# Row for row, the central has what the agent has. Only around the
# agent's crash may the central lack rows: those of the batch being
# gathered (up to the kill), and those up to the restarted agent's first
# sample when it came within the RRDs' heartbeat (2 s) of the last sample
# before the kill: the agent's file then fills the gap with it, the
# central's, whose last sample is older, leaves it unknown. So rows from 3 s
# before the kill to 3 s after it.
for s in memory load cpu df-root; do
	a=$T/a1/a1/$s.rrd c=$T/central/a1/$s.rrd
	[ -e "$a" ] || [ "$s" != df-root ] || continue
	{ [ -e "$a" ] && [ -e "$c" ]; } || fail "no $s.rrd on the agent or the central"
	c_last=$(rrdtool last "$c")
	first=$(rrd_first "$a") || fail "$s: no known row on the agent"
	out=$(rrd_compare "$a" "$c" $((first - 3)) "$c_last" $((killed_at - 3)) $((killed_at + 3))) || {
		paste -d '|' "$T/cmp.a" "$T/cmp.c" >&2
		fail "a1/$s: the central's copy differs from the agent's (agent killed at $killed_at, central killed at $central_killed_at): $out"
	}
	ok "a1/$s: $out"
done
! grep -qi 'illegal attempt\|Cannot write\|answering 503' "$T/central.log" ||
	fail "the central failed to write: $(grep -i -m1 'illegal attempt\|Cannot write\|answering 503' "$T/central.log")"
! grep -q 'refused\|Dropped' "$T/a1.log" ||
	fail "the agent saw refusals or dropped data: $(grep -m1 'refused\|Dropped' "$T/a1.log")"
ok "no rrdtool errors on the central, no refusals seen by the agent"

# Batches the central handled long ago, sent again: 200 with its mark,
# and not a byte changes under its data directory.
mark=$(mark_of "$T/central" a1)
python3 - "$T/copies" a1 >"$T/resend.json" <<'EOF' || fail "cannot build a request from the spooled copies"
import glob, sys
copies, host = sys.argv[1:]
texts = [open(p).read().strip() for p in sorted(glob.glob(copies + "/*.batch"))[:5]]
if not texts:
    sys.exit(1)
print('{"version":1,"host":"%s","batches":[%s]}' % (host, ",".join(texts)))
EOF
snapshot() { find "$T/central/a1" -printf '%p %s %T@\n' | sort; }
snapshot >"$T/before.list"
code=$(curl -sS --max-time 10 -o "$T/resend.out" -w '%{http_code}' \
	-H "Authorization: Bearer $(cat "$T/a1.token")" -H 'Content-Type: application/json' \
	--data-binary @"$T/resend.json" "http://127.0.0.1:$port/api/v1/ingest") ||
	fail "curl failed"
{ [ "$code" = 200 ] && grep -qx "{\"acked\":$mark}" "$T/resend.out"; } ||
	fail "old batches sent again: HTTP $code $(cat "$T/resend.out"), expected 200 {\"acked\":$mark}"
snapshot >"$T/after.list"
cmp -s "$T/before.list" "$T/after.list" ||
	fail "old batches sent again changed files: $(diff "$T/before.list" "$T/after.list" | head -n 4)"
ok "5 old batches sent again: 200 {\"acked\":$mark}, nothing written"
# Not a refusal either: two statuses more (the first may have been on its
# way before the request) still count none.
none_refused='STATUS=.*central: .*, 0 refused'
wait_notified "$T/central.notify" "$none_refused" \
	$(($(grep -cxE -- "$none_refused" "$T/central.notify") + 2))

# 3. Spool overflow. Records alone would take minutes to fill 1 MiB, so
# events do: a probe of a server that answers 200 and 503 in turn, watched
# by 48 checks that change state with every sample, each event carrying the
# probe's URL of 1900 characters: about 110 kB a batch.
# The central stops; a listener that never answers takes its port, so the
# agent's first request hangs while the spool fills, instead of piling up
# failures and backing off for long. Its timeout outlasts the wait for the
# spool to fill: a timeout first would report that request's batch lost
# before the spool's own first loss, which is the one looked at below.
stop_pid "$central" TERM || fail "the central did not exit 0 after SIGTERM"
cat >"$T/flap.py" <<'EOF'
import sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
lock = threading.Lock()
n = [0]
class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass
    def do_GET(self):
        with lock:
            n[0] += 1
            status = 200 if n[0] % 2 else 503
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
threading.Thread(target=server.serve_forever, daemon=True).start()
time.sleep(int(sys.argv[1]))
EOF
flap=''
start_bg flap python3 "$T/flap.py" $((HM_WAIT * 4)) >"$T/flap.port"
wait_for test -s "$T/flap.port" || fail "the flapping server did not start"
path=$(printf '%01900d' 0 | tr 0 x)
{
	cat <<EOF
hostname = "ovf";
interval = 1;
datadir = "$T/ovf";
log = "stderr";
forward = { url = "http://127.0.0.1:$port"; token_file = "$T/ovf.token";
	batch_interval = 1; spool_max_mb = 1; timeout = $((HM_WAIT * 4 > 300 ? 300 : HM_WAIT * 4)); };
probes = ( { name = "flap"; url = "http://127.0.0.1:$(cat "$T/flap.port")/$path";
	interval = 1; timeout = 1; } );
checks = {
	probe_up = { enabled = false; };
EOF
	for i in $(seq -w 1 48); do
		printf '\tf%s = { series = "probe-flap"; field = "up"; direction = "below"; warning = "none"; critical = 0.5; clear = "none"; for = 1; flap_window = 0; };\n' "$i"
	done
	echo '};'
} | write_conf "$T/ovf.conf"
"$HEALTHMOND" -n -c "$T/ovf.conf" >"$T/check.out" 2>&1 ||
	fail "healthmond -n rejects ovf.conf: $(cat "$T/check.out")"
blackhole=''
start_bg blackhole python3 -c 'import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
time.sleep(int(sys.argv[2]))' "$port" $((HM_WAIT * 4))
# shellcheck disable=SC2317 # called through wait_for
listening() {
	python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
		"$1" 2>/dev/null
}
wait_for listening "$port" || fail "the silent listener did not start"

OSPOOL=$T/ovf/ovf.spool
ovf=''
# From here on, the logs hold lines of 4 kB (the events of the flapping
# probe, URL and all): a failure shows them without those.
eval "lib_$(declare -f fail)"
fail() {
	grep -v 'probe-flap' "$T/central.log" >"$T/central.brief"
	grep -v 'probe-flap' "$T/ovf.log" >"$T/ovf.brief"
	lib_fail "$@"
}
HM_LOGS=("$T/central.brief" "$T/ovf.brief" "$T/central.notify")
start_bg ovf "$HEALTHMOND" -f -c "$T/ovf.conf" >"$T/ovf.log" 2>&1
full_line() { grep -m1 "Spool '$OSPOOL' is full: dropped the oldest" "$T/ovf.log"; }
# shellcheck disable=SC2317 # called through wait_for
ovf_copy() {
	spool_copy "$OSPOOL" "$T/ovf-copies"
	"$@"
}
wait_for -t $((HM_WAIT * 2)) ovf_copy eval 'full_line >/dev/null' ||
	fail "the 1 MiB spool did not overflow; it holds $(spool_count "$OSPOOL") batches"
ok "spool full: $(full_line | sed 's/.*: dropped/dropped/')"
# The flood stops (the probe fails for good, the checks stay critical):
# once small batches come again and the spool has room for a dozen of them
# (at the latest when they have pushed out one more big batch), the central
# may come, so that the batches lost and those kept are told apart by the
# central's RRD. (A batch evicted while an upload carries it counts as lost
# only if the central does not take it: check_upload tests that.)
stop_pid "$flap" TERM || true
# shellcheck disable=SC2317 # called through wait_for
calm() {
	local newest
	newest=$(find "$OSPOOL" -maxdepth 1 -name '*.batch' | sort | tail -n 1)
	[ -n "$newest" ] && [ "$(stat -c %s "$newest")" -lt 20000 ] &&
		spool_bytes_below "$OSPOOL" $((1024 * 1024 - 40 * 1024))
}
wait_for -t $((HM_WAIT * 2)) ovf_copy calm ||
	fail "the spool stays full after the flood: $(spool_bytes "$OSPOOL") bytes"
stop_pid "$blackhole" TERM || true
start_central

# The first loss: "(numbers A..B, R records, ...)" and an event of value R.
range=$(full_line | sed -n 's/.*(numbers \([0-9]*\.\.[0-9]*\), .*/\1/p')
lost=$(full_line | sed -n 's/.*, \([0-9]*\) records, .*/\1/p')
{ [ -n "$lost" ] && [ -n "$range" ]; } || fail "cannot read the loss: $(full_line)"
wait_for grep -q "check=spool_overflow state=critical prev=ok value=$lost reason=spool_full" "$T/ovf.log" ||
	fail "no spool_overflow event of value $lost in the agent's log"
ok "agent: $(grep -m1 'check=spool_overflow state=critical' "$T/ovf.log" | cut -c1-200)"

# The central takes the rest; the episode ends with an ok event whose value
# is every record lost in it.
wait_for -t $((HM_WAIT * 2)) ovf_copy grep -q 'check=spool_overflow state=ok' "$T/ovf.log" ||
	fail "no end of the overflow episode; spool: $(spool_count "$OSPOOL") batches"
total=$(grep -m1 'check=spool_overflow state=ok' "$T/ovf.log" | sed -n 's/.* value=\([0-9]*\) .*/\1/p')
ok "agent: overflow over, $total records lost in all"
wait_for grep -q "\[host=ovf check=spool_overflow state=critical prev=ok value=$lost reason=spool_full" "$T/central.log" ||
	fail "the central did not get ovf's spool_overflow event (value $lost)"
wait_for grep -q "\[host=ovf check=spool_overflow state=ok prev=critical value=$total " "$T/central.log" ||
	fail "the central did not get ovf's end of overflow event (value $total)"
ok "central: both spool_overflow events of ovf arrived"
stop_pid "$ovf" TERM || fail "ovf did not exit 0 after SIGTERM"
wait_for drained "$OSPOOL" "$T/central" ovf ||
	fail "central mark of ovf $(mark_of "$T/central" ovf), spool [$(spool_seqs "$OSPOOL" | tr '\n' ' ')]"

# The central's memory is the agent's, less the oldest seconds.
a=$T/ovf/ovf/memory.rrd c=$T/central/ovf/memory.rrd
first=$(rrd_first "$a") || fail "ovf/memory: no known row on the agent"
c_first=$(rrd_first "$c") || fail "ovf/memory: no known row on the central"
c_last=$(rrdtool last "$c")
[ "$c_first" -gt "$first" ] ||
	fail "ovf/memory: the central has it from $c_first, the agent from $first: nothing old is missing"
out=$(rrd_compare "$a" "$c" $((first - 3)) "$c_last") ||
	fail "ovf/memory: the central's copy differs from the agent's: $out"
ok "ovf/memory: the central lacks $((c_first - first)) s of the oldest, has the rest: $out"

# Batch by batch (the copies): the oldest are missing on the central, all
# after them are there, and their records are what the events say was lost.
python3 - "$T/ovf-copies" "$OSPOOL" "$c" "$range" "$lost" "$total" <<'EOF' ||
import glob, json, os, re, subprocess, sys
copies, spool, rrd, first_range, first_loss, total = sys.argv[1:]
unsent = {int(os.path.basename(p).split("-")[0]) for p in glob.glob(spool + "/*.batch")}
batches = []
for p in glob.glob(copies + "/*.batch"):
    seq, n = map(int, re.match(r"(\d+)-(\d+)\.batch$", os.path.basename(p)).groups())
    if seq not in unsent:
        mem = [r["time"] for r in json.load(open(p))["records"] if r["series"] == "memory"]
        batches.append((seq, n, mem))
batches.sort()
out = subprocess.run(["rrdtool", "fetch", rrd, "AVERAGE", "-r", "1", "-s", "-3600", "-e", "now"],
                     capture_output=True, text=True, check=True).stdout
known = set()
for line in out.splitlines():
    m = re.match(r"(\d+): (\S+)", line)
    if m and "nan" not in m.group(2):
        known.add(int(m.group(1)))
state = [(seq, all(t in known for t in mem)) for seq, n, mem in batches if mem]
missing = [s for s, p in state if not p]
kept = [s for s, p in state if p]
if not missing or not kept or max(missing) > min(kept):
    print("FAIL: batches missing on the central %s, present %s: want the oldest missing"
          % (missing, kept))
    sys.exit(1)
cut = min(kept)
lost = [(s, n) for s, n, _ in batches if s < cut]
if [s for s, _ in lost] != list(range(1, cut)):
    print("FAIL: no copies of all batches 1..%d: %s" % (cut - 1, [s for s, _ in lost]))
    sys.exit(1)
if sum(n for _, n in lost) != int(total):
    print("FAIL: batches 1..%d held %d records, the ok event says %s were lost"
          % (cut - 1, sum(n for _, n in lost), total))
    sys.exit(1)
a, b = map(int, first_range.split(".."))
if sum(n for s, n in lost if a <= s <= b) != int(first_loss):
    print("FAIL: batches %s held %d records, the first event says %s"
          % (first_range, sum(n for s, n in lost if a <= s <= b), first_loss))
    sys.exit(1)
print("ok: central: batches 1..%d (%s records) missing, %d..%d there"
      % (cut - 1, total, cut, max(kept)))
EOF
	fail "the central's data of ovf is not 'all but the oldest'"
stop_pid "$central" TERM || fail "the central did not exit 0 after SIGTERM"
exit 0
