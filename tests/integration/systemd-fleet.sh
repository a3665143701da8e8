#!/bin/bash
# SPDX-License-Identifier: MIT
#
# A fleet of two under real systemd: two bookworm containers booted by
# systemd-nspawn (nspawn-lib.sh), each in a network namespace of its own,
# joined by veth pairs to a bridge in a third (shared/TESTING-RECIPES.md,
# "Several hosts on one machine"). The .deb from contrib/build-packages is
# installed in both.
# - The central (10.214.0.1): healthmond-central.service is installed but
#   not enabled, and does not start without /etc/healthmond/tokens; with
#   that file (root:healthmond 0640) `systemctl enable --now` starts it on
#   the shipped central.conf, as the user healthmond.
# - The agent (10.214.0.2): healthmond.service, its config sending every
#   second to the central with a token file, restarted.
# The central then has the agent's RRD files in
# /var/lib/healthmond-central/<agent>/, its /api/v1/hosts lists the agent
# with a last report that keeps advancing, its STATUS= counts one host
# reporting and the agent's says "forwarding: connected". Both stop cleanly.
# Needs root, debootstrap and systemd-nspawn; the Debian tree is cached
# (nspawn-lib.sh).
. "$(dirname "$0")/lib.sh" || { echo "FAIL: cannot read lib.sh" >&2; exit 1; }
. "$(dirname "$0")/nspawn-lib.sh" || fail "cannot read nspawn-lib.sh"
ns_need
command -v ip >/dev/null || skip "no ip (apt-get install iproute2)"

. "$(dirname "$0")/netns-lib.sh" || fail "cannot read netns-lib.sh"
# Containers first, then their namespaces, then lib.sh's cleanup.
trap 'ns_exit; netns_exit; cleanup' EXIT
test_start=$(date +%s.%N)
ns_build_deb
ns_prepare_tree

netns_switch
CADDR=10.214.0.1
host c pc "$CADDR"
host a pa 10.214.0.2

CENTRAL=hm-central-$$
AGENT=hm-agent-$$
t=$(date +%s.%N)
ns_boot "$CENTRAL" --network-namespace-path="/run/netns/$P-c"
ns_boot "$AGENT" --network-namespace-path="/run/netns/$P-a"
ns_wait_running "$CENTRAL"
ns_wait_running "$AGENT"
ok "$CENTRAL ($CADDR) and $AGENT (10.214.0.2) booted in $(ns_since "$t") s"

c() { ns_exec "$CENTRAL" "$@"; }
a() { ns_exec "$AGENT" "$@"; }
ns_install_deb "$CENTRAL"
ns_install_deb "$AGENT"

# The central: not enabled, and not starting without its tokens.
state=$(c systemctl is-enabled healthmond-central)
[ "$state" = disabled ] || fail "healthmond-central.service is '$state' after dpkg -i, not disabled"
! c systemctl start healthmond-central 2>/dev/null ||
	fail "healthmond-central started without /etc/healthmond/tokens"
ns_journal "$CENTRAL" -u healthmond-central -o cat >"$T/no-tokens"
grep -q '/etc/healthmond/tokens' "$T/no-tokens" ||
	fail "without tokens, healthmond-central says: $(tail -n 5 "$T/no-tokens" | tr '\n' '|')"
c systemctl stop healthmond-central
c systemctl reset-failed healthmond-central >/dev/null 2>&1
ok "healthmond-central: disabled after dpkg -i; without tokens: '$(grep -m1 '/etc/healthmond/tokens' "$T/no-tokens")'"

TOKEN=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s %s\n' "$AGENT" "$TOKEN" | ns_put "$CENTRAL" /etc/healthmond/tokens 640 root:healthmond
c systemctl enable --now healthmond-central >"$T/enable" 2>&1 ||
	fail "systemctl enable --now healthmond-central: $(cat "$T/enable")"
cprop() { ns_unit_prop "$CENTRAL" healthmond-central "$1"; }
[ "$(cprop ActiveState)" = active ] || fail "healthmond-central is $(cprop ActiveState)"
[ "$(c systemctl is-enabled healthmond-central)" = enabled ] || fail "healthmond-central is not enabled"
CPID=$(cprop MainPID)
c cat "/proc/$CPID/status" >"$T/central-status"
uid=$(awk '$1 == "Uid:" { print $2 }' "$T/central-status")
[ "$uid" = "$(c id -u healthmond)" ] || fail "healthmond-central runs as uid $uid"
ok "healthmond-central: enabled and active as uid $uid (healthmond): $(cprop StatusText)"
# Across the bridge, the central wants credentials (docs/protocol.md).
code=$(ns_exec "$AGENT" curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X POST \
	"http://$CADDR:8089/api/v1/ingest" 2>&1)
[ "$code" = 401 ] || fail "POST http://$CADDR:8089/api/v1/ingest from $AGENT: $code, not 401"
ok "from $AGENT, the central at $CADDR:8089 answers 401 without a token"

# The agent: every second to the central, with its token.
printf '%s\n' "$TOKEN" | ns_put "$AGENT" /etc/healthmond/token 640 root:healthmond
ns_put "$AGENT" /etc/healthmond/healthmond.conf 644 root:root <<EOF
interval = 1;
forward = { url = "http://$CADDR:8089"; token_file = "/etc/healthmond/token"; };
EOF
a systemctl restart healthmond || fail "systemctl restart healthmond on $AGENT failed"
aprop() { ns_unit_prop "$AGENT" healthmond "$1"; }

# The central has the agent's data.
DIR=/var/lib/healthmond-central/$AGENT
wait_for c test -f "$DIR/load.rrd" ||
	fail "no $DIR/load.rrd on $CENTRAL; agent says: $(aprop StatusText)"
ok "$CENTRAL: $(c ls "$DIR" | grep -c '\.rrd$') RRD files in $DIR"
hosts() {
	c curl -sS --max-time 10 --unix-socket /run/healthmond-central/http.sock \
		http://localhost/api/v1/hosts
}
# last_report: the agent's last report in /api/v1/hosts, if it is listed
# as a remote host that is not silent.
last_report() {
	hosts | tr '{' '\n' | grep -F "\"host\":\"$AGENT\"" |
		grep -F '"local":false' | grep -F '"silent":false' |
		sed -n 's/.*"last_report":\([0-9]*\).*/\1/p'
}
wait_for eval '[ -n "$(last_report)" ]' || fail "/api/v1/hosts: $(hosts)"
first=$(last_report)
wait_for eval '[ "$(last_report)" -gt "$first" ]' ||
	fail "the last report of $AGENT stays at $first: $(hosts)"
ok "/api/v1/hosts: $AGENT, not silent, last report $first, then $(last_report)"
wait_for eval '[[ "$(cprop StatusText)" == *"central: 1 hosts reporting, 0 silent"* ]]' ||
	fail "healthmond-central STATUS=: $(cprop StatusText)"
wait_for eval '[[ "$(aprop StatusText)" == *"; forwarding: connected, "* ]]' ||
	fail "agent STATUS=: $(aprop StatusText)"
ok "STATUS= of the central: '$(cprop StatusText | grep -o 'central: [^,]*, [^,]*')'; of the agent: '$(aprop StatusText | grep -o 'forwarding: [^,]*')'"

# Clean stops.
a systemctl stop healthmond || fail "systemctl stop healthmond on $AGENT failed"
c systemctl stop healthmond-central || fail "systemctl stop healthmond-central failed"
for u in "$AGENT healthmond" "$CENTRAL healthmond-central"; do
	# shellcheck disable=SC2086 # two words: container and unit
	ns_exec ${u% *} systemctl show -p Result,ExecMainStatus ${u#* } >"$T/stopped"
	grep -qx Result=success "$T/stopped" && grep -qx ExecMainStatus=0 "$T/stopped" ||
		fail "${u#* } on ${u% *}: $(tr '\n' ' ' <"$T/stopped")"
done
ok "both stopped: exit status 0, result success"

ns_poweroff "$AGENT"
ns_poweroff "$CENTRAL"
ok "powered off; the whole test took $(ns_since "$test_start") s"
exit 0
