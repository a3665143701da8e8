# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# A small fleet for the tests of the HTTP face (api.sh, dashboard.sh): a
# real test web server to probe, a central "hub" serving its HTTP face on
# 127.0.0.1:$WEB_PORT, and three real agents forwarding to it: web1 and db1
# healthy, web2 with a probe of a closed port (probe_up critical). Sourced
# after lib.sh and central-lib.sh.

# start_httpd: tests/httpd.py on 127.0.0.1; sets HTTPD_PORT.
start_httpd() {
	local httpd
	start_bg httpd python3 "$top_srcdir/tests/httpd.py" >"$T/httpd.out" 2>"$T/httpd.log"
	wait_for grep -q '^PORTS' "$T/httpd.out" || fail "the test web server did not start"
	HTTPD_PORT=$(sed -n 's/^PORTS http=\([0-9]*\).*/\1/p' "$T/httpd.out")
	[ -n "$HTTPD_PORT" ] || fail "no port from the test web server"
}

# hub_knows: the central's API lists every host of the fleet.
hub_knows() {
	local hosts
	hosts=$(curl -sf "http://127.0.0.1:$WEB_PORT/api/v1/hosts") || return 1
	for h in hub web1 web2 db1; do
		grep -q "\"host\":\"$h\"" <<<"$hosts" || return 1
	done
}

# web2_critical: the central has web2's failing probe as a critical check.
web2_critical() {
	curl -sf "http://127.0.0.1:$WEB_PORT/api/v1/host?host=web2" |
		grep -q '"check":"probe_up","series":"probe-shop"[^}]*"state":"critical"'
}

# fleet_settled: rates need two samples: every agent's cpu series is there.
fleet_settled() {
	local h
	for h in web1 web2 db1; do
		[ -e "$T/hub/$h/cpu.rrd" ] && [ -e "$T/hub/$h/load.rrd" ] || return 1
		curl -sf "http://127.0.0.1:$WEB_PORT/api/v1/host?host=$h" |
			grep -q '"series":"cpu"' || return 1
	done
}

# start_web_fleet [EXTRA-HUB-CONF]: the fleet above, started and settled:
# every host known to the hub, web2's critical check and event there.
start_web_fleet() {
	local ports ingest closed h
	command -v curl >/dev/null || skip "no curl"
	start_httpd
	closed_port closed
	ports=$(free_ports 2) || fail "cannot find free ports"
	read -r ingest WEB_PORT <<<"$ports"
	mkdir -p "$T/hub"
	write_tokens "$T/tokens" web1 web2 db1
	write_conf "$T/hub.conf" <<EOF
hostname = "hub";
interval = 2;
datadir = "$T/hub";
probes = ( { name = "hub-self"; url = "http://127.0.0.1:$HTTPD_PORT/ok"; interval = 2; } );
central = { enabled = true; listen = [ "127.0.0.1:$ingest" ]; tokens_file = "$T/tokens"; };
http = { listen = [ "unix:$T/hub-http.sock", "127.0.0.1:$WEB_PORT" ]; ${1:-} };
EOF
	for h in web1 web2 db1; do
		local probe="http://127.0.0.1:$HTTPD_PORT/slow/20"
		[ "$h" = web2 ] && probe="http://127.0.0.1:$closed/"
		mkdir -p "$T/$h"
		seed_spool "$T/$h" "$h"
		write_conf "$T/$h.conf" <<EOF
hostname = "$h";
interval = 1;
datadir = "$T/$h";
probes = ( { name = "shop"; url = "$probe"; interval = 1; timeout = 2; } );
forward = { url = "http://127.0.0.1:$ingest"; token_file = "$T/$h.token"; timeout = 5; };
EOF
	done
	HM_LOGS+=("$T/hub.log" "$T/web1.log" "$T/web2.log" "$T/db1.log")
	start_bg hub "$HEALTHMOND" -f -c "$T/hub.conf" >"$T/hub.log" 2>&1
	for h in web1 web2 db1; do
		start_bg "agent_$h" "$HEALTHMOND" -f -c "$T/$h.conf" >"$T/$h.log" 2>&1
	done
	wait_for hub_knows || fail "the hub's API does not list hub, web1, web2 and db1"
	wait_for web2_critical || fail "the hub does not show web2's probe as critical"
	wait_for fleet_settled || fail "the hub has no cpu series of every agent"
}
