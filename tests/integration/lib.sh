# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers sourced by tests/integration/*.sh. Each test gets a private temp
# directory ($T) and a trap that stops only the processes the test itself
# started (through start_bg), then removes $T. Exit codes follow automake:
# 0 pass, 1 fail, 77 skip.
#
# Every wait is bounded (HM_WAIT seconds, 30 by default). Tests never assert
# on how long something took, only that it happened before the bound.

set -u

if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fi
: "${top_builddir:=$top_srcdir}"
HEALTHMOND=${HEALTHMOND:-$top_builddir/healthmond}
HEALTHMONDCTL=${HEALTHMONDCTL:-$top_builddir/healthmondctl}
# The daemon renders graphs with this build's healthmondctl, not an installed one.
export HEALTHMOND_CTL=$HEALTHMONDCTL
NOTIFY_LISTEN=${NOTIFY_LISTEN:-$top_builddir/tests/notify-listen}
HM_WAIT=${HM_WAIT:-30}
TEST_NAME=$(basename "$0" .sh)

# Whatever started `make check` (a systemd unit, a CI runner) must not leak
# into the daemons we start.
unset NOTIFY_SOCKET WATCHDOG_USEC WATCHDOG_PID JOURNAL_STREAM STATE_DIRECTORY \
	LISTEN_FDS LISTEN_PID LISTEN_FDNAMES INVOCATION_ID

HM_PIDS=()   # processes this test started; the only ones cleanup() kills
HM_LOGS=()   # files shown when the test fails

T=$(mktemp -d "${TMPDIR:-/tmp}/hm-$TEST_NAME.XXXXXX") || {
	echo "FAIL: mktemp" >&2
	exit 1
}

cleanup() {
	local rc=$? pid
	trap - EXIT
	for pid in "${HM_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null || continue
		kill -TERM "$pid" 2>/dev/null
		wait_exit "$pid" 10 || kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || [ -z "${HM_KEEP:-}" ]; then
		rm -rf "$T"
	else
		echo "# kept $T (HM_KEEP is set)" >&2
	fi
	exit "$rc"
}
# Daemons run in the foreground here get a runtime directory in $T too.
export RUNTIME_DIRECTORY="$T/run"
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

log() { printf '# %s\n' "$*"; }
ok() { printf 'ok: %s\n' "$*"; }

skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# fail MESSAGE: says what went wrong, shows the logs the test registered.
fail() {
	local f
	printf 'FAIL: %s\n' "$*" >&2
	for f in "${HM_LOGS[@]}"; do
		[ -s "$f" ] || continue
		printf -- '--- %s (last 40 lines) ---\n' "${f#"$T"/}" >&2
		tail -n 40 "$f" >&2
	done
	exit 1
}

need_healthmond() {
	[ -x "$HEALTHMOND" ] || fail "no binary at $HEALTHMOND (run make first)"
}

need_notify_listen() {
	[ -x "$NOTIFY_LISTEN" ] || fail "no $NOTIFY_LISTEN (make check builds it)"
}

# wait_for [-t SECONDS] COMMAND...: polls COMMAND every 0.1 s until it
# succeeds (0) or the bound passes (1).
wait_for() {
	local limit=$HM_WAIT deadline
	if [ "${1:-}" = -t ]; then
		limit=$2
		shift 2
	fi
	deadline=$((SECONDS + limit))
	while ! "$@"; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.1
	done
	return 0
}

# True while pid runs and is not a zombie (kill -0 succeeds on zombies).
is_running() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_exit PID [SECONDS]: 0 once pid has exited, 1 if it still runs.
wait_exit() {
	local pid=$1
	wait_for -t "${2:-$HM_WAIT}" eval "! is_running $pid"
}

# start_bg VAR COMMAND...: runs COMMAND in the background, remembers its
# pid for cleanup and stores it in VAR. Redirect inside COMMAND's caller:
#   start_bg P env X=1 prog >out 2>&1
start_bg() {
	local var=$1
	shift
	# A runtime directory (the HTTP face's UNIX socket) of its own per process.
	RUNTIME_DIRECTORY="$T/run.${var//[^A-Za-z0-9_]/_}" "$@" &
	HM_PIDS+=("$!")
	printf -v "$var" '%s' "$!"
}

# stop_pid PID [SIGNAL]: signals pid, waits (bounded) and returns its exit
# status; fails the test if it does not exit.
stop_pid() {
	local pid=$1 sig=${2:-TERM} rc
	kill -"$sig" "$pid" 2>/dev/null || true
	wait_exit "$pid" || fail "pid $pid did not exit within ${HM_WAIT}s of SIG$sig"
	rc=0
	wait "$pid" 2>/dev/null || rc=$?
	forget_pid "$pid"
	return "$rc"
}

# forget_pid PID: PID was reaped; cleanup must never signal it (it may
# belong to someone else by then).
forget_pid() {
	local p keep=()
	for p in "${HM_PIDS[@]}"; do
		[ "$p" = "$1" ] || keep+=("$p")
	done
	HM_PIDS=("${keep[@]}")
}

# start_listener SOCKET OUTFILE VAR: starts notify-listen, waits for its socket.
start_listener() {
	need_notify_listen
	: >"$2"
	start_bg "$3" "$NOTIFY_LISTEN" "$1" "$2"
	wait_for test -S "$1" || fail "notify-listen did not bind $1"
}

# notified FILE LINE [COUNT]: FILE holds LINE (a grep -E pattern anchored
# to the whole line) at least COUNT times.
notified() {
	local n
	n=$(grep -cxE -- "$2" "$1" 2>/dev/null)
	[ "${n:-0}" -ge "${3:-1}" ]
}

# wait_notify FILE LINE [COUNT]: bounded wait for notified, else fail.
wait_notify() {
	HM_LOGS+=("$1")
	wait_for notified "$@" ||
		fail "no '$2' (x${3:-1}) from sd_notify within ${HM_WAIT}s"
}

# free_ports N: N TCP ports of 127.0.0.1 that were free a moment ago, on
# one line. They are bound all at once, so that none comes twice: ports
# picked one after the other can repeat.
free_ports() {
	python3 - "$1" <<'EOF'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# closed_port VAR: a port of 127.0.0.1 that refuses connections for the
# rest of the test, stored in VAR. A process of its own binds it without
# listening, so that no daemon, of this test or of one running alongside,
# can take it in the meantime; cleanup stops that process.
closed_port() {
	local holder out=$T/closed-port.$1
	start_bg holder python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
time.sleep(int(sys.argv[1]))' 3600 >"$out"
	wait_for test -s "$out" || fail "cannot hold a closed port"
	printf -v "$1" '%s' "$(cat "$out")"
}

# write_conf FILE: writes stdin to FILE atomically (a reload never sees
# half a file).
write_conf() {
	cat >"$1.tmp.$$" && mv -f "$1.tmp.$$" "$1"
}

# rrd_last FILE FIELD: the value FIELD had in FILE's last update ("U" when
# unknown). rrdtool lastupdate prints a header of names, then "time: v v v".
rrd_last() {
	rrdtool lastupdate "$1" 2>/dev/null | awk -v f="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i + 1; next }
		/^[0-9]+:/ { if (f in col) v = $(col[f]) }
		END { if (v == "") exit 1; print v }'
}

# rrd_last_time FILE: unix time of FILE's last update.
rrd_last_time() {
	rrdtool last "$1" 2>/dev/null
}

# rrd_known FILE FIELD: FIELD's last value is a number, not U.
rrd_known() {
	local v
	v=$(rrd_last "$1" "$2") || return 1
	[ "$v" != U ] && [ "$v" != nan ] && [ "$v" != -nan ]
}

# rrd_advanced FILE TIME: FILE was updated after TIME.
rrd_advanced() {
	local t
	t=$(rrd_last_time "$1") || return 1
	[ "${t:-0}" -gt "$2" ]
}

# near A B TOLERANCE: |A - B| <= TOLERANCE (floating point, via awk).
near() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN {
		d = a - b; if (d < 0) d = -d; exit !(d <= t) }'
}

# check_near WHAT ACTUAL EXPECTED TOLERANCE: fails the test unless near.
check_near() {
	near "$2" "$3" "$4" || fail "$1: got $2, expected $3 (+/- $4)"
	ok "$1: $2 ~ $3"
}

# private_journald_prepare: skips unless a private journald can run here
# (root, journald, namespaces), sets JOURNALD and writes its configuration
# under $T. Audit= stays empty: journald's default would switch kernel
# auditing off for the whole machine.
private_journald_prepare() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for the private journald (mount and PID namespaces)"
	JOURNALD=/lib/systemd/systemd-journald
	[ -x "$JOURNALD" ] || skip "no $JOURNALD (apt-get install systemd)"
	command -v journalctl >/dev/null || skip "no journalctl (apt-get install systemd)"
	command -v unshare >/dev/null || skip "no unshare (apt-get install util-linux)"
	[ -s /etc/machine-id ] || skip "no /etc/machine-id: journald needs one"
	[ -d /etc/systemd ] || skip "no /etc/systemd to hold a private journald.conf"
	timeout 20 unshare -m -p -f --mount-proc true 2>"$T/unshare.err" ||
		skip "cannot create mount and PID namespaces here: $(head -n 1 "$T/unshare.err")"
	mkdir -p "$T/varlog" "$T/etc-systemd"
	cat >"$T/etc-systemd/journald.conf" <<'CONF'
[Journal]
Storage=persistent
ReadKMsg=no
ForwardToSyslog=no
ForwardToWall=no
ForwardToConsole=no
Audit=
CONF
	export JOURNALD
}

# private_journald_inner_head: prints the start of a script that runs as PID 1
# of new mount and PID namespaces (when it exits, the kernel ends everything
# in there): helpers, then a journald of its own on a tmpfs /run, its journal
# under $T/varlog. Every wait is bounded by HM_WAIT.
private_journald_inner_head() {
	cat <<'HEAD'
set -u
wait_until() { # TENTHS COMMAND...
	local n=$1; shift
	until "$@"; do
		n=$((n - 1)); [ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}
gone() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status"; }
TENTHS=$((HM_WAIT * 10))
mount -t tmpfs -o mode=755 tmpfs /run || exit 1
mount --bind "$T/varlog" /var/log || exit 1
# Our journald.conf, and no drop-in of the host's that could override it.
mount --bind "$T/etc-systemd" /etc/systemd || exit 1
for d in /usr/lib/systemd/journald.conf.d /usr/local/lib/systemd/journald.conf.d \
	/lib/systemd/journald.conf.d; do
	[ -d "$d" ] && mount -t tmpfs tmpfs "$d"
done
mkdir -p /run/systemd/journal && touch /run/systemd/journal/flushed
# journald would put its sockets in $RUNTIME_DIRECTORY, as under systemd.
env -u RUNTIME_DIRECTORY "$JOURNALD" </dev/null >"$T/journald.log" 2>&1 &
J=$!
wait_until "$TENTHS" test -S /run/systemd/journal/socket ||
	{ echo "journald did not start"; exit 1; }
HEAD
}
