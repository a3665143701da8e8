#!/bin/bash
# SPDX-License-Identifier: MIT
#
# healthmondctl, the command-line client. First what needs no daemon:
# --help and --version, usage errors (exit 64), an unreachable socket or
# URL (exit 69, the message names it), check-config on a good and a broken
# file (the error names FILE:LINE). Then a real agent with a probe of a
# closed port and one of tests/httpd.py: `graph` draws a PNG from its RRD
# file; `status` exits 2 (critical) and shows the probe_up check;
# `status --json` carries the same; `events` lists the critical event, with
# --state, --since (an age and a local date), --host, --check, --limit and
# --json. Last a healthy central, asked over TCP with basic auth: `status`
# exits 0, and wrong or missing credentials exit 69 without echoing the
# password.
. "$(dirname "$0")/lib.sh"
need_healthmond
CTL=${HEALTHMONDCTL:-$top_builddir/healthmondctl}
[ -x "$CTL" ] || fail "no $CTL (run make first)"
command -v python3 >/dev/null || skip "no python3 for the HTTP server and reading JSON"

out=$T/out
err=$T/err
HM_LOGS+=("$out" "$err")

# run ARGS...: runs healthmondctl, stdout in $out, stderr in $err, status in $rc.
run() {
	rc=0
	"$CTL" "$@" >"$out" 2>"$err" </dev/null || rc=$?
}

# expect_rc WANT WHAT: the last run exited WANT.
expect_rc() {
	[ "$rc" -eq "$1" ] ||
		fail "$2: exit $rc, expected $1; stdout: $(head -c 2000 "$out"); stderr: $(head -c 2000 "$err")"
}

# stderr_has TEXT WHAT: the last run's stderr holds TEXT.
stderr_has() {
	grep -qF -- "$1" "$err" || fail "$2: stderr does not say '$1': $(cat "$err")"
}

# 1. --version and --help.
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h" 2>/dev/null)
run --version
expect_rc 0 --version
[ "$(head -n 1 "$out")" = "healthmondctl ${version:-}" ] ||
	fail "--version printed '$(head -n 1 "$out")', expected 'healthmondctl $version'"
run --help
expect_rc 0 --help
for word in SYNOPSIS status events check-config graph --url --socket --user --json \
	HEALTHMOND_SOCKET HEALTHMOND_PASSWORD NO_COLOR 'EXIT STATUS' 64 69; do
	grep -qF -- "$word" "$out" || fail "--help does not mention '$word'"
done
for cmd in status events check-config; do
	run "$cmd" --help
	expect_rc 0 "$cmd --help"
	grep -q "^Usage: healthmondctl.* $cmd" "$out" || fail "$cmd --help: no usage line"
done
run events --help
for opt in --host --state --check --since --until --limit --json; do
	grep -qF -- "$opt" "$out" || fail "events --help does not name $opt"
done
ok "--version, --help, per-command --help"

# 2. Bad usage: exit 64 with a message, and the daemon is never asked.
export HEALTHMOND_SOCKET=$T/no-daemon.sock
usage() {
	run "$@"
	expect_rc 64 "healthmondctl $*"
	[ -s "$err" ] || fail "healthmondctl $*: exit 64 without a message"
}
usage
usage frobnicate
usage --no-such-option status
usage status --no-such-option
usage status extra-argument
usage events --since yesterday
usage events --since 10x
usage events --since 2026-13-45T10:00
usage events --limit 0
usage events --limit 10001
usage events --state purple
usage events --host 'a/b'
usage events --since
usage --url ftp://example.org status
usage --url http://127.0.0.1:1 --socket "$T/x.sock" status
env -u HEALTHMOND_PASSWORD "$CTL" --user bob status >"$out" 2>"$err" </dev/null && rc=0 || rc=$?
expect_rc 64 "--user without HEALTHMOND_PASSWORD"
stderr_has HEALTHMOND_PASSWORD "--user without HEALTHMOND_PASSWORD"
ok "bad usage exits 64 with a message"

# 3. No daemon there: exit 69, naming the socket or the URL.
run --socket "$T/missing.sock" status
expect_rc 69 "status on a missing socket"
stderr_has "$T/missing.sock" "status on a missing socket"
run status
expect_rc 69 "status on \$HEALTHMOND_SOCKET"
stderr_has "$T/no-daemon.sock" "status on \$HEALTHMOND_SOCKET"
run events --socket "$T/missing.sock"
expect_rc 69 "events on a missing socket"
closed_port closed
run --url "http://127.0.0.1:$closed" status
expect_rc 69 "status on a closed port"
stderr_has "http://127.0.0.1:$closed" "status on a closed port"
unset HEALTHMOND_SOCKET
ok "unreachable daemon: exit 69, the socket or URL named"

# 4. check-config: "FILE: ok", or FILE:LINE of the error and exit 1.
printf 'hostname = "hm-ctl";\ninterval = 5;\n' >"$T/good.conf"
run check-config "$T/good.conf"
expect_rc 0 "check-config on a good file"
[ "$(cat "$out")" = "$T/good.conf: ok" ] || fail "check-config printed '$(cat "$out")'"
printf 'hostname = "hm-ctl";\n\ninterval = "often";\n' >"$T/bad.conf"
run check-config "$T/bad.conf"
expect_rc 1 "check-config on a broken file"
stderr_has "$T/bad.conf:3:" "check-config on a broken file"
printf 'interval = 5;\nno_such_key = 1;\n' >"$T/unknown.conf"
run check-config "$T/unknown.conf"
expect_rc 1 "check-config on an unknown key"
stderr_has "$T/unknown.conf:2:" "check-config on an unknown key"
run check-config "$T/absent.conf"
expect_rc 1 "check-config on a missing file"
stderr_has "$T/absent.conf" "check-config on a missing file"
run check-config -v "$T/good.conf"
expect_rc 0 "check-config -v"
grep -q 'interval = 5;' "$out" || fail "check-config -v does not print the configuration"
ok "check-config: ok, FILE:LINE of errors"

# 5. An agent with a probe of a closed port and one of a working server.
HM_LOGS+=("$T/httpd.out")
start_bg httpd python3 "$top_srcdir/tests/httpd.py" >"$T/httpd.out" 2>&1
wait_for grep -q '^PORTS ' "$T/httpd.out" || fail "tests/httpd.py did not start"
web=$(sed -n 's/^PORTS http=\([0-9]*\).*/\1/p' "$T/httpd.out")
quiet='cpu = { enabled = false; }; memory = { enabled = false; };
swap = { enabled = false; }; load = { enabled = false; };
uptime = { enabled = false; }; disk_space = { enabled = false; };
disk_io = { enabled = false; }; network = { enabled = false; };'
mkdir -p "$T/data" "$T/run.agent"
write_conf "$T/agent.conf" <<EOF
hostname = "hm-ctl";
interval = 1;
datadir = "$T/data";
log = "stderr";
log_level = "info";
$quiet
probes = (
	{ name = "closed"; url = "http://127.0.0.1:$closed/"; interval = 1; timeout = 2; },
	{ name = "web"; url = "http://127.0.0.1:$web/ok"; interval = 1; timeout = 5; }
);
EOF
run check-config "$T/agent.conf"
expect_rc 0 "check-config on the agent's config"
HM_LOGS+=("$T/agent.log")
agent=''
# start_bg gives it RUNTIME_DIRECTORY=$T/run.agent: its socket is in there.
start_bg agent "$HEALTHMOND" -f -c "$T/agent.conf" >"$T/agent.log" 2>&1
sock=$T/run.agent/http.sock

# 6. graph: a PNG straight from the RRD file, no daemon asked.
rrd=$T/data/hm-ctl/probe-web.rrd
wait_for test -s "$rrd" || fail "the agent wrote no $rrd"
run graph hm-ctl probe-web --datadir "$T/data" -o "$T/web.png"
expect_rc 0 "graph"
[ "$(head -c 8 "$T/web.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
	fail "graph did not write a PNG"
ok "graph: PNG of $(wc -c <"$T/web.png") bytes"

# 7. status: exit 2, the critical probe_up check of probe-closed shown.
# status_is WANT ARGS...: `healthmondctl ARGS... status` exits WANT.
# shellcheck disable=SC2317 # called through wait_for
status_is() {
	local want=$1
	shift
	run "$@" status
	[ "$rc" -eq "$want" ]
}
wait_for test -S "$sock" || fail "the agent made no socket at $sock"
wait_for status_is 2 --socket "$sock" ||
	fail "status never exited 2 (critical): last exit $rc: $(cat "$out" "$err")"
HM_LOGS+=("$T/status.txt")
cp "$out" "$T/status.txt"
grep -qE '^healthmond [^ ]+ on hm-ctl \([a-z+]+\), up [0-9][^,]*, state CRITICAL$' "$out" ||
	fail "status: no summary line: $(head -n 1 "$out")"
grep -qE '^HOST +STATE +LAST-REPORT +CHECKS' "$out" || fail "status: no table of hosts"
grep -qE '^hm-ctl +CRITICAL +[0-9].* ago' "$out" || fail "status: hm-ctl is not CRITICAL"
grep -qE '^hm-ctl +probe_up +probe-closed +up +CRITICAL +0' "$out" ||
	fail "status: the critical probe_up check of probe-closed is not listed"
! grep -qE 'probe-web +[a-z_]+ +(CRITICAL|WARNING)' "$out" ||
	fail "status: the working probe is listed as not ok"
! grep -q $'\033' "$out" || fail "status: colour codes although stdout is not a terminal"
HEALTHMOND_SOCKET=$sock "$CTL" status >/dev/null 2>&1 && rc=0 || rc=$?
expect_rc 2 "status through \$HEALTHMOND_SOCKET"
ok "status: exit 2, the critical probe_up check shown"

# 8. status --json: one object, the daemon's answers, state critical.
for args in "--socket $sock status --json" "--json --socket $sock status"; do
	# shellcheck disable=SC2086 # the words are meant to split
	run $args
	expect_rc 2 "healthmondctl $args"
	python3 - "$out" <<'EOF' || fail "healthmondctl $args: wrong JSON: $(cat "$out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["status"]["state"] == "critical", d["status"]
assert d["status"]["host"] == "hm-ctl", d["status"]
hosts = {h["host"]: h for h in d["hosts"]}
assert hosts["hm-ctl"]["state"] == "critical", hosts
checks = [c for h in d["details"] for c in h["checks"]]
assert any(c["check"] == "probe_up" and c["series"] == "probe-closed"
           and c["state"] == "critical" for c in checks), checks
EOF
done
ok "status --json: state critical, the probe_up check in details"

# 9. events.
run --socket "$sock" events --state critical
expect_rc 0 "events --state critical"
HM_LOGS+=("$T/events.txt")
cp "$out" "$T/events.txt"
grep -qE '^TIME +HOST +STATE +CHECK +SERIES +VALUE +MESSAGE$' "$out" ||
	fail "events: no table heading: $(head -n 1 "$out")"
grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8} +hm-ctl +CRITICAL +probe_up +probe-closed ' "$out" ||
	fail "events --state critical: the probe event is not listed"
awk 'NR > 1 && $3 != "CRITICAL" { bad = 1 } END { exit bad }' "$out" ||
	fail "events --state critical lists events of other states"
run --socket "$sock" events --since 1h --json
expect_rc 0 "events --since 1h --json"
python3 - "$out" "$(($(date +%s) - 3600 - 5))" <<'EOF' ||
import json, sys
d = json.load(open(sys.argv[1]))
since = int(sys.argv[2])
ev = d["events"]
assert ev, "no events"
assert all(e["time"] >= since for e in ev), [e["time"] for e in ev]
assert any(e["check"] == "probe_up" and e["series"] == "probe-closed"
           and e["state"] == "critical" for e in ev), ev
EOF
	fail "events --since 1h --json: wrong JSON: $(cat "$out")"
run --socket "$sock" events --host hm-ctl --check probe_up --limit 1 --json
expect_rc 0 "events --host --check --limit 1"
python3 -c 'import json, sys; e = json.load(open(sys.argv[1]))["events"]
assert len(e) == 1 and e[0]["check"] == "probe_up", e' "$out" ||
	fail "events --limit 1: not exactly one probe_up event: $(cat "$out")"
run --socket "$sock" events --since "$(date -d '-1 hour' +%Y-%m-%dT%H:%M)" --state critical
expect_rc 0 "events --since a local date"
grep -q 'probe-closed' "$out" || fail "events --since a local date: the event is missing"
run --socket "$sock" events --host no-such-host
expect_rc 0 "events of an unknown host"
grep -qx 'No events.' "$out" || fail "events of an unknown host: $(cat "$out")"
ok "events: --state, --since (age and date), --host, --check, --limit, --json"
stop_pid "$agent" || fail "the agent exited $? after SIGTERM"

# 10. A healthy central, over TCP with basic auth.
command -v openssl >/dev/null || skip "no openssl to hash a password (the rest passed)"
ports=$(free_ports 2) || fail "cannot pick free ports"
read -r ingest api <<<"$ports"
hash=$(openssl passwd -6 's3cret-pw') || fail "openssl passwd -6 failed"
printf 'ops:%s\n' "$hash" >"$T/users"
printf 'hm-none %s\n' "token-of-nobody-0123456789abcdef" >"$T/tokens"
chmod 600 "$T/users" "$T/tokens"
mkdir -p "$T/data2" "$T/run.central"
write_conf "$T/central.conf" <<EOF
hostname = "hm-ctl-ok";
interval = 1;
datadir = "$T/data2";
log = "stderr";
log_level = "info";
$quiet
probes = ( { name = "web"; url = "http://127.0.0.1:$web/ok"; interval = 1; timeout = 5; } );
central = { enabled = true; listen = [ "127.0.0.1:$ingest" ]; tokens_file = "$T/tokens"; };
http = { listen = [ "unix:$T/run.central/http.sock", "127.0.0.1:$api" ];
	auth_file = "$T/users"; };
EOF
run check-config "$T/central.conf"
expect_rc 0 "check-config on the central's config"
HM_LOGS+=("$T/central.log")
central=''
start_bg central "$HEALTHMOND" -f -c "$T/central.conf" >"$T/central.log" 2>&1
export HEALTHMOND_PASSWORD=s3cret-pw
url=http://127.0.0.1:$api
wait_for status_is 0 --url "$url" --user ops ||
	fail "status of a healthy central never exited 0: last exit $rc: $(cat "$out" "$err")"
grep -qE '^healthmond [^ ]+ on hm-ctl-ok \([a-z+]*central[a-z+]*\), up .*, state OK$' "$out" ||
	fail "status: no summary line of a central: $(head -n 1 "$out")"
grep -qE '^hm-ctl-ok +OK ' "$out" || fail "status: hm-ctl-ok is not OK"
! grep -q 'Checks not ok' "$out" || fail "status: checks listed as not ok on a healthy host"
ok "status over TCP with --user: exit 0, state OK"

run --url "http://ops:s3cret-pw@127.0.0.1:$api/" status
expect_rc 0 "status with user:password@ in the URL"
run --socket "$T/run.central/http.sock" --user ops status
expect_rc 0 "status of the central on its socket"
run --url "$url" --user ops events --json
expect_rc 0 "events over TCP"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))["events"]' "$out" ||
	fail "events over TCP: no JSON"
unset HEALTHMOND_PASSWORD
run --url "$url" status
expect_rc 69 "status without credentials"
stderr_has "$url" "status without credentials"
stderr_has 401 "status without credentials"
run --url "http://ops:wrong-pw@127.0.0.1:$api" status
expect_rc 69 "status with a wrong password"
! grep -q 'wrong-pw' "$err" "$out" || fail "the password was printed: $(cat "$err")"
HEALTHMOND_PASSWORD=wrong-pw "$CTL" --url "$url" --user ops status >"$out" 2>"$err" &&
	rc=0 || rc=$?
expect_rc 69 "status with a wrong \$HEALTHMOND_PASSWORD"
ok "basic auth: right credentials exit 0; none or wrong exit 69, no password shown"
stop_pid "$central" || fail "the central exited $? after SIGTERM"
exit 0
