#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The HTTP API of a real central fed by three real agents (web-lib.sh):
# every endpoint of docs/api.md and its errors (api_contract.py), the same
# answers on the UNIX socket, promtool on /metrics, recent events kept
# across a restart of the central, and basic auth switched on by a reload
# (401 without credentials or with wrong ones, 200 with the right ones),
# then TLS by another reload.
. "$(dirname "$0")/lib.sh" || { echo "FAIL: cannot read lib.sh" >&2; exit 1; }
. "$(dirname "$0")/central-lib.sh" || fail "cannot read central-lib.sh"
. "$(dirname "$0")/web-lib.sh" || fail "cannot read web-lib.sh"
need_healthmond
[ -x "$HEALTHMONDCTL" ] || skip "healthmondctl was not built"
command -v python3 >/dev/null || skip "no python3"

start_web_fleet
ok "fleet up: hub knows web1, web2, db1; web2's probe is critical"

python3 "$top_srcdir/tests/integration/api_contract.py" "http://127.0.0.1:$WEB_PORT" \
	"$T/event-id" || fail "the API broke its contract"
event_id=$(cat "$T/event-id")

# The UNIX socket serves the same API.
curl -sf --unix-socket "$T/hub-http.sock" http://localhost/api/v1/status >"$T/unix.json" ||
	fail "no status on the UNIX socket"
grep -q '"host":"hub"' "$T/unix.json" || fail "unexpected status on the socket: $(cat "$T/unix.json")"
ok "the UNIX socket serves the API"

# /metrics passes promtool.
curl -sf "http://127.0.0.1:$WEB_PORT/metrics" >"$T/metrics.txt" || fail "no /metrics"
grep -q '^healthmond_check_state{.*host="web2".*check="probe_up".*state="critical".*} 1$' \
	"$T/metrics.txt" || fail "/metrics lacks web2's critical probe_up"
if command -v promtool >/dev/null; then
	promtool check metrics <"$T/metrics.txt" >"$T/promtool.out" 2>&1 ||
		fail "promtool check metrics: $(cat "$T/promtool.out")"
	ok "promtool check metrics passes ($(grep -c '^[a-z]' "$T/metrics.txt") samples)"
else
	log "no promtool (apt-get install prometheus): its check is not run"
fi

# Recent events are kept across a restart of the central.
stop_pid "$hub" TERM || fail "the hub did not exit 0"
start_bg hub "$HEALTHMOND" -f -c "$T/hub.conf" >>"$T/hub.log" 2>&1
wait_for curl -sf -o "$T/help.json" "http://127.0.0.1:$WEB_PORT/api/v1/help?event=$event_id" ||
	fail "event $event_id is gone after a restart of the hub"
grep -q '"text":"[^"]*web2' "$T/help.json" || fail "help after restart: $(cat "$T/help.json")"
ok "event $event_id and its help are still there after a restart"

# Basic auth, switched on by a reload: the same port, now asking for a password.
hash=$(openssl passwd -6 -salt testsalt 's3cret pass') || fail "openssl passwd"
printf '# users of the test\nadmin:%s\n' "$hash" >"$T/users"
sed -i "s|^http = { \(.*\) };|http = { \1 auth_file = \"$T/users\"; };|" "$T/hub.conf"
grep -q auth_file "$T/hub.conf" || fail "cannot add auth_file to the config"
kill -HUP "$hub"
code() { curl -s -o /dev/null -w '%{http_code}' "$@"; }
# shellcheck disable=SC2317 # called through wait_for
status_is() { [ "$(code "http://127.0.0.1:$WEB_PORT/api/v1/status")" = "$1" ]; }
wait_for status_is 401 ||
	fail "no 401 without credentials after the reload"
curl -s -D "$T/h401" -o /dev/null "http://127.0.0.1:$WEB_PORT/metrics"
grep -qi '^WWW-Authenticate: Basic realm="healthmond"' "$T/h401" || fail "no WWW-Authenticate"
[ "$(code -u admin:wrong "http://127.0.0.1:$WEB_PORT/api/v1/hosts")" = 401 ] ||
	fail "a wrong password was not refused"
[ "$(code -u 'admin:s3cret pass' "http://127.0.0.1:$WEB_PORT/api/v1/hosts")" = 200 ] ||
	fail "the right password was refused"
[ "$(code -u 'admin:s3cret pass' "http://127.0.0.1:$WEB_PORT/api/v1/graph?host=web1&series=cpu")" = 200 ] ||
	fail "a graph was refused with the right password"
ok "basic auth: 401 without or with a wrong password, 200 with the right one"
curl -s -u 'admin:s3cret pass' "http://127.0.0.1:$WEB_PORT/metrics" >"$T/metrics2.txt"
grep -q '^healthmond_http_refused_total{reason="unauthorized"} [1-9]' "$T/metrics2.txt" ||
	fail "refusals are not counted: $(grep refused "$T/metrics2.txt")"
ok "refusals counted in /metrics"
# TLS on the TCP address, switched on by another reload; the socket stays plain.
mkdir -p "$T/certs"
sh "$top_srcdir/tests/make-certs.sh" "$T/certs" >"$T/certs.log" 2>&1 || fail "make-certs.sh failed"
sed -i "s|auth_file = |tls_cert = \"$T/certs/leaf.pem\"; tls_key = \"$T/certs/leaf.key\"; auth_file = |" \
	"$T/hub.conf"
kill -HUP "$hub"
tls_up() {
	[ "$(code --cacert "$T/certs/ca.pem" -u 'admin:s3cret pass' \
		"https://127.0.0.1:$WEB_PORT/api/v1/status")" = 200 ]
}
wait_for tls_up || fail "no HTTPS with the test CA after the reload"
[ "$(code -u 'admin:s3cret pass' "http://127.0.0.1:$WEB_PORT/api/v1/status")" != 200 ] ||
	fail "plain HTTP still answered on the TLS address"
[ "$(code --unix-socket "$T/hub-http.sock" -u 'admin:s3cret pass' \
	http://localhost/api/v1/status)" = 200 ] || fail "the UNIX socket is not plain HTTP"
ok "TLS on the TCP address (verified with the test CA), plain on the socket"
is_running "$hub" || fail "the hub died"
