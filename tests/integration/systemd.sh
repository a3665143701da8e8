#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The Debian package under a real systemd: a bookworm container booted by
# systemd-nspawn (nspawn-lib.sh), the .deb from contrib/build-packages
# installed with dpkg. Checked, in order:
# - dpkg -i creates the user healthmond, enables and starts healthmond.service,
#   leaves healthmond-central.service disabled;
# - `systemctl start healthmond` returns once READY=1 came: at once the unit
#   is active and the HTTP socket is there; `systemctl status` shows the
#   STATUS= text;
# - the daemon runs as healthmond, without capabilities, with no_new_privs
#   and a seccomp filter, and its sandbox lets it serve its API and render a
#   graph (healthmondctl under MemoryDenyWriteExecute and SystemCallFilter);
# - `systemctl reload` with a changed config (interval 1 s, a probe of a
#   closed port) applies it; the probe's event is found by `journalctl -u
#   healthmond HEALTHMOND_STATE=critical` and `journalctl -x` explains it
#   with the catalog's text (the package updated the catalog database);
# - `systemctl reload` with a broken config fails (ExecReload checks it
#   first) with file:line in the journal, a SIGHUP anyway is refused by the
#   daemon; the process and the running configuration stay;
# - with WatchdogSec=3s (a drop-in), a SIGSTOPped daemon is killed by the
#   watchdog and restarted: a new MainPID, "Watchdog timeout" in the journal;
# - `systemctl stop` is clean: exit status 0, result success;
# - `dpkg --purge` removes the units, binaries and /var/lib/healthmond.
# Needs root, debootstrap and systemd-nspawn; the Debian tree is cached
# (nspawn-lib.sh).
. "$(dirname "$0")/lib.sh" || { echo "FAIL: cannot read lib.sh" >&2; exit 1; }
. "$(dirname "$0")/nspawn-lib.sh" || fail "cannot read nspawn-lib.sh"
ns_need
trap 'ns_exit; cleanup' EXIT

test_start=$(date +%s.%N)
ns_build_deb
ns_prepare_tree

C=hm-unit-$$
t=$(date +%s.%N)
ns_boot "$C"
ns_wait_running "$C"
ok "$C booted to 'running' in $(ns_since "$t") s"

x() { ns_exec "$C" "$@"; }
prop() { ns_unit_prop "$C" healthmond "$1"; }
journal() { ns_journal "$C" -u healthmond "$@"; }

# 1. Installing: user, units, catalog.
ns_install_deb "$C"
x getent passwd healthmond >"$T/passwd" || fail "dpkg -i created no user healthmond"
HM_UID=$(cut -d: -f3 "$T/passwd")
[ "$HM_UID" -gt 0 ] || fail "user healthmond has uid $HM_UID"
state=$(x systemctl is-enabled healthmond)
[ "$state" = enabled ] || fail "healthmond.service is '$state' after dpkg -i, not enabled"
wait_for -t 10 eval '[ "$(prop ActiveState)" = active ]' ||
	fail "healthmond.service is $(prop ActiveState) after dpkg -i, not active"
state=$(x systemctl is-enabled healthmond-central)
[ "$state" = disabled ] ||
	fail "healthmond-central.service is '$state' after dpkg -i, not disabled"
ok "dpkg -i: user healthmond ($HM_UID), healthmond.service enabled and active, healthmond-central.service disabled"
# The catalog database has our entries (systemd's dpkg trigger on
# /usr/lib/systemd/catalog runs journalctl --update-catalog).
ID_URL_DOWN=37f4fea246324816a846bb00363d3323
x journalctl --dump-catalog "$ID_URL_DOWN" 2>&1 | grep -q '^Subject: URL @HEALTHMOND_URL@ is down' ||
	fail "journalctl --dump-catalog $ID_URL_DOWN: $(x journalctl --dump-catalog "$ID_URL_DOWN" 2>&1 | head -n 3)"
ok "the catalog database holds healthmond's entries"

# A quick watchdog for step 7, and a quick restart.
x mkdir -p /etc/systemd/system/healthmond.service.d
ns_put "$C" /etc/systemd/system/healthmond.service.d/test.conf 644 root:root <<'EOF'
[Service]
WatchdogSec=3s
RestartSec=1s
# The watchdog's SIGABRT would leave a core through the host's core_pattern.
LimitCORE=0
EOF
x systemctl daemon-reload || fail "systemctl daemon-reload failed"

# 2. systemctl start returns once READY=1 came.
x systemctl stop healthmond || fail "systemctl stop healthmond failed"
x systemctl start healthmond || fail "systemctl start healthmond failed"
# No waiting here: systemctl start of a Type=notify unit returns only
# after READY=1, which healthmond sends once its sockets are bound.
x systemctl show -p ActiveState,SubState healthmond >"$T/started"
grep -qx 'ActiveState=active' "$T/started" && grep -qx 'SubState=running' "$T/started" ||
	fail "right after systemctl start: $(tr '\n' ' ' <"$T/started")"
x test -S /run/healthmond/http.sock ||
	fail "right after systemctl start: no /run/healthmond/http.sock"
ok "systemctl start returned with the unit active (running) and its HTTP socket bound"
# STATUS= comes in the datagram of READY=1: there as start returns.
[[ "$(prop StatusText)" == "Collecting "*" series every 10s; "* ]] ||
	fail "no STATUS= text right after systemctl start: '$(prop StatusText)'"
x systemctl status --no-pager healthmond >"$T/status" 2>&1
grep -qE '^ +Status: "Collecting [0-9]+ series every 10s; last cycle .* ms; [0-9]+ errors; checks: ' \
	"$T/status" || { HM_LOGS+=("$T/status"); fail "systemctl status shows no STATUS= text"; }
ok "systemctl status: $(grep -m1 'Status:' "$T/status" | sed 's/^ *//')"

# 3. Its own user, in its sandbox.
PID=$(prop MainPID)
[ "${PID:-0}" -gt 0 ] || fail "no MainPID"
x cat "/proc/$PID/status" >"$T/proc-status" || fail "cannot read /proc/$PID/status"
field() { awk -v f="$1:" '$1 == f { print $2 }' "$T/proc-status"; }
[ "$(field Uid)" = "$HM_UID" ] || fail "healthmond runs as uid $(field Uid), not $HM_UID"
[ "$(field Gid)" = "$(cut -d: -f4 "$T/passwd")" ] || fail "healthmond runs as gid $(field Gid)"
[ "$(field NoNewPrivs)" = 1 ] || fail "NoNewPrivs is $(field NoNewPrivs)"
[ "$(field CapEff)" = 0000000000000000 ] || fail "CapEff is $(field CapEff)"
[ "$(field CapBnd)" = 0000000000000000 ] || fail "CapBnd is $(field CapBnd)"
[ "$(field Seccomp)" = 2 ] || fail "no seccomp filter (Seccomp: $(field Seccomp))"
ok "MainPID $PID: uid $(field Uid) (healthmond), NoNewPrivs 1, no capabilities, seccomp filter"
for ns in mnt user; do
	[ "$(x readlink "/proc/$PID/ns/$ns")" != "$(x readlink "/proc/1/ns/$ns")" ] ||
		fail "healthmond shares PID 1's $ns namespace"
done
# mount_opts PATH: the options of the mount at PATH, as the daemon sees it.
mount_opts() { x awk -v p="$1" '$5 == p { o = $6 } END { print o }' "/proc/$PID/mountinfo"; }
[[ "$(mount_opts /)" == ro,* ]] || fail "the daemon's / is mounted '$(mount_opts /)', not read-only"
[[ "$(mount_opts /var/lib/healthmond)" == rw,* ]] ||
	fail "the daemon's /var/lib/healthmond is mounted '$(mount_opts /var/lib/healthmond)'"
ok "its own mount and user namespaces: / read-only, /var/lib/healthmond writable"
api() { x curl -sS --max-time 10 --unix-socket /run/healthmond/http.sock "http://localhost$1"; }
api /api/v1/status >"$T/api-status" || fail "curl of /run/healthmond/http.sock failed"
grep -q '"role":"agent"' "$T/api-status" || fail "/api/v1/status: $(cat "$T/api-status")"
HOST=$(sed -n 's/.*"host":"\([^"]*\)".*/\1/p' "$T/api-status")
[ "$HOST" = "$C" ] || fail "/api/v1/status: host '$HOST', expected the machine name $C"
ok "sandboxed: /api/v1/status answers on the UNIX socket"

# 4. Reload with a changed config: every second, a probe of a closed port.
URL=http://127.0.0.1:9/
ns_put "$C" /etc/healthmond/healthmond.conf 644 root:root <<EOF
interval = 1;
probes = ( { name = "closed"; url = "$URL"; interval = 1; timeout = 2; } );
EOF
x healthmond -n -c /etc/healthmond/healthmond.conf >"$T/check" 2>&1 ||
	fail "healthmond -n rejects the new config: $(cat "$T/check")"
x systemctl reload healthmond >"$T/reload" 2>&1 || {
	journal -n 8 -o cat >>"$T/reload"
	fail "systemctl reload healthmond failed: $(cat "$T/reload")"
}
reloaded() { journal -o cat | grep -q "^Reloaded configuration from '/etc/healthmond/healthmond.conf'"; }
wait_for reloaded || fail "no 'Reloaded configuration' in the journal"
wait_for eval '[[ "$(prop StatusText)" == "Collecting "*" every 1s; "* ]]' ||
	fail "after reload: $(prop StatusText)"
[ "$(prop MainPID)" = "$PID" ] || fail "reload restarted the daemon: MainPID $(prop MainPID)"
ok "systemctl reload applied the new config: $(prop StatusText | cut -d';' -f1)"
# A graph needs two samples in its RRD: wait for the second cycle.
cycles() { api /api/v1/status | sed -n 's/.*"cycles":\([0-9]*\).*/\1/p'; }
wait_for eval '[ "$(cycles)" -ge 2 ]' || fail "fewer than 2 cycles: $(api /api/v1/status)"
x sh -c 'curl -sS --max-time 30 --unix-socket /run/healthmond/http.sock \
	-o /tmp/load.png -w "%{http_code} %{content_type}" \
	"http://localhost/api/v1/graph?host=$1&series=load&period=1h" &&
	echo " $(head -c 4 /tmp/load.png | od -An -tx1 | tr -d " ")"' sh "$HOST" \
	>"$T/graph" 2>&1 || fail "GET /api/v1/graph: $(cat "$T/graph")"
[ "$(cat "$T/graph")" = '200 image/png 89504e47' ] ||
	fail "GET /api/v1/graph: $(cat "$T/graph"); journal: $(journal -n 5 -o cat | tr '\n' '|')"
ok "sandboxed: healthmondctl renders /api/v1/graph as a PNG"

# 5. The probe's event, found by unit and state, explained from the catalog.
event() { journal -o cat HEALTHMOND_STATE=critical | grep -F "URL 'closed' ($URL) is down: connect"; }
wait_for event >/dev/null || fail "journalctl -u healthmond HEALTHMOND_STATE=critical finds no event"
ok "journalctl -u healthmond HEALTHMOND_STATE=critical: $(event | head -n 1)"
journal -x HEALTHMOND_STATE=critical HEALTHMOND_CHECK=probe_up >"$T/explained" 2>&1
for want in "Subject: URL $URL is down (connect)" \
	"healthmond on $HOST could not fetch $URL" \
	"connect  connection refused or no route: nothing listens, or a" \
	"curl -sS -v -o /dev/null --max-time 10 $URL"; do
	grep -qF -- "$want" "$T/explained" || {
		HM_LOGS+=("$T/explained")
		fail "journalctl -x does not show '$want'"
	}
done
! grep -q '@HEALTHMOND_' "$T/explained" ||
	fail "journalctl -x left fields unsubstituted: $(grep -m1 '@HEALTHMOND_' "$T/explained")"
ok "journalctl -x explains it with the catalog's url_down text"

# 6. Reload with a broken config: an error naming file:line, nothing else changes.
ns_put "$C" /etc/healthmond/healthmond.conf 644 root:root <<EOF
interval = 1;
probes = ( { name = "closed"; url = "$URL"; interval = 1; timeout = 2; } );
no_such_key = 3;
EOF
# ExecReload checks the file first (healthmond -n), so systemctl says no...
if x systemctl reload healthmond >"$T/reload" 2>&1; then
	fail "systemctl reload accepted a broken config"
fi
checked() { journal -o cat | grep -q "healthmond.conf:3: .*no_such_key"; }
wait_for checked ||
	fail "no 'healthmond.conf:3: ... no_such_key' in the journal after systemctl reload: $(journal -n 5 -o cat | tr '\n' '|')"
ok "systemctl reload refuses a broken config: '$(journal -o cat | grep -m1 'healthmond.conf:3: ')'"
# ... and a SIGHUP that comes anyway is refused by the daemon itself.
x systemctl kill --kill-whom=main -s HUP healthmond || fail "systemctl kill -s HUP failed"
refused() { journal -o cat | grep -q '^Reloading failed, keeping the running configuration: .*healthmond.conf:3'; }
wait_for refused ||
	fail "no 'Reloading failed ... healthmond.conf:3' in the journal: $(journal -n 5 -o cat | tr '\n' '|')"
wait_for eval '[ "$(prop SubState)" = running ]' || fail "after a refused reload: $(prop SubState)"
[ "$(prop MainPID)" = "$PID" ] || fail "a refused reload changed MainPID to $(prop MainPID)"
[[ "$(prop StatusText)" == "Collecting "*" every 1s; "* ]] ||
	fail "a refused reload changed the running config: $(prop StatusText)"
c=$(cycles)
wait_for eval '[ "$(cycles)" -gt $c ]' || fail "no collection cycle after a refused reload"
ok "refused reload: '$(journal -o cat | grep '^Reloading failed' | tail -n 1)'; still running, interval 1s"

# 7. The watchdog: a stopped daemon is killed and restarted.
ns_put "$C" /etc/healthmond/healthmond.conf 644 root:root <<EOF
interval = 1;
EOF
restarts=$(prop NRestarts)
x sh -c "kill -STOP $PID" || fail "cannot SIGSTOP $PID"
restarted() {
	local p
	p=$(prop MainPID)
	[ "$p" != "$PID" ] && [ "$p" -gt 0 ] && [ "$(prop ActiveState)" = active ]
}
wait_for restarted ||
	fail "no restart after SIGSTOP: $(x systemctl show -p MainPID,ActiveState,SubState,Result healthmond | tr '\n' ' ')"
journal -o cat | grep 'healthmond.service: Watchdog timeout' >"$T/watchdog"
grep -q 'Watchdog timeout (limit 3s)' "$T/watchdog" || fail "no 'Watchdog timeout' in the journal"
[ "$(prop NRestarts)" -gt "$restarts" ] || fail "NRestarts did not grow"
ok "SIGSTOP: $(head -n 1 "$T/watchdog"); restarted as MainPID $(prop MainPID)"

# 8. A clean stop.
x systemctl stop healthmond || fail "systemctl stop healthmond failed"
x systemctl show -p ActiveState,Result,ExecMainCode,ExecMainStatus healthmond >"$T/stopped"
for want in ActiveState=inactive Result=success ExecMainCode=1 ExecMainStatus=0; do
	grep -qx "$want" "$T/stopped" || fail "after systemctl stop: $(tr '\n' ' ' <"$T/stopped")"
done
ok "systemctl stop: exited 0, result success"

# 9. Purging the package removes the units and the state, keeps the user.
x test -d /var/lib/healthmond || fail "no /var/lib/healthmond before the purge"
NS_EXEC_WAIT=${HM_DPKG_WAIT:-180} x dpkg --purge healthmond >"$T/purge" 2>&1 || fail "dpkg --purge healthmond failed: $(cat "$T/purge")"
for gone in /var/lib/healthmond /lib/systemd/system/healthmond.service /usr/sbin/healthmond; do
	! x test -e "$gone" || fail "$gone is still there after dpkg --purge"
done
! x test -e /etc/systemd/system/multi-user.target.wants/healthmond.service ||
	fail "healthmond.service still enabled after the purge"
x getent passwd healthmond >/dev/null || fail "the purge removed the user healthmond (Debian keeps it)"
ok "dpkg --purge: units, binaries and /var/lib/healthmond gone, the user kept"

t=$(date +%s.%N)
ns_poweroff "$C"
ok "powered off in $(ns_since "$t") s; the whole test took $(ns_since "$test_start") s"
exit 0
