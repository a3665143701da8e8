#!/bin/bash
# SPDX-License-Identifier: MIT
#
# HTTPS between agents and a central on 127.0.0.1, with certificates made
# here by the openssl CLI: a CA, the central's certificate for 127.0.0.1
# (tests/make-certs.sh), a client certificate of host a1 from that CA, and
# one with CN=a1 from another CA. The central has tls_cert/tls_key,
# client_ca and a tokens file.
#   (a) an agent with the right ca_file and a token: its data arrives;
#   (b) an agent with another CA as ca_file: nothing arrives, its log says
#       the central's certificate cannot be verified, STATUS= says retrying;
#   (d) an agent with a1's certificate from the other CA and no token:
#       refused (nothing arrives, the central counts a refusal);
#   (c) an agent with a1's certificate from the right CA and no token: its
#       data arrives as host a1.
# And with curl: no credentials, 401; the central's own certificate (right
# CA, but not for clients) as a client certificate, 401; a1's certificate
# with another host's data, 403.
. "$(dirname "$0")/lib.sh" || { echo "FAIL: cannot read lib.sh" >&2; exit 1; }
. "$(dirname "$0")/central-lib.sh" || fail "cannot read central-lib.sh"
need_healthmond
command -v python3 >/dev/null || skip "no python3 to pick ports"
command -v openssl >/dev/null || skip "no openssl to make certificates"
command -v curl >/dev/null || skip "curl is not installed"

# Certificates. make-certs.sh: ca.pem/ca.key and leaf.pem/leaf.key
# (CN and SAN 127.0.0.1, serverAuth).
C=$T/certs
mkdir -p "$C"
sh "$top_srcdir/tests/make-certs.sh" "$C" >"$T/certs.log" 2>&1 ||
	fail "make-certs.sh failed: $(cat "$T/certs.log")"
(
	cd "$C" || exit 1
	q() { "$@" >>"$T/certs.log" 2>&1; }
	printf 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n' >client.ext
	q openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout other-ca.key -out other-ca.pem -days 30 -subj "/CN=another CA" || exit 1
	# client NAME CA: a client certificate with CN=a1, signed by CA.
	client() {
		q openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout "$1.key" -out "$1.csr" -subj "/CN=a1" &&
			q openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
				-CAcreateserial -days 30 -extfile client.ext -out "$1.pem"
	}
	client a1 ca && client wrong-a1 other-ca
) || fail "cannot make the client certificates: $(tail -n 5 "$T/certs.log")"
openssl verify -CAfile "$C/ca.pem" "$C/a1.pem" >/dev/null 2>&1 ||
	fail "a1.pem does not verify against ca.pem"
! openssl verify -CAfile "$C/ca.pem" "$C/wrong-a1.pem" >/dev/null 2>&1 ||
	fail "wrong-a1.pem verifies against ca.pem"
ok "certificates: CA, central (127.0.0.1), a1 from the CA, a1 from another CA"

port=$(free_ports 1) || fail "cannot pick a free port"
URL=https://127.0.0.1:$port
mkdir -p "$T/central"
write_tokens "$T/tokens" tok1 badca
write_conf "$T/central.conf" <<EOF
hostname = "hub";
interval = 1;
datadir = "$T/central";
log = "stderr";
$CONF_QUIET
http = { listen = [ "unix:$T/central-http.sock" ]; };
central = { enabled = true; listen = [ "127.0.0.1:$port" ]; tokens_file = "$T/tokens";
	tls_cert = "$C/leaf.pem"; tls_key = "$C/leaf.key"; client_ca = "$C/ca.pem"; };
EOF
# agent_conf NAME HOST FORWARD-KEYS
agent_conf() {
	mkdir -p "$T/$1"
	seed_spool "$T/$1" "$2"
	write_conf "$T/$1.conf" <<EOF
hostname = "$2";
interval = 1;
datadir = "$T/$1";
log = "stderr";
cpu = { per_core = false; };
disk_io = { enabled = false; };
network = { enabled = false; };
forward = { url = "$URL"; timeout = 5; $3 };
EOF
	"$HEALTHMOND" -n -c "$T/$1.conf" >"$T/check.out" 2>&1 ||
		fail "healthmond -n rejects $1.conf: $(cat "$T/check.out")"
}
agent_conf a tok1 "ca_file = \"$C/ca.pem\"; token_file = \"$T/tok1.token\";"
agent_conf b badca "ca_file = \"$C/other-ca.pem\"; token_file = \"$T/badca.token\";"
agent_conf c a1 "ca_file = \"$C/ca.pem\"; client_cert = \"$C/a1.pem\"; client_key = \"$C/a1.key\";"
agent_conf d a1 "ca_file = \"$C/ca.pem\"; client_cert = \"$C/wrong-a1.pem\"; client_key = \"$C/wrong-a1.key\";"

# shellcheck disable=SC2034 # the listener's pid: cleanup stops it
central='' c_listener=''
HM_LOGS+=("$T/central.log" "$T/central.notify")
start_listener "$T/central.sock" "$T/central.notify" c_listener
start_bg central env NOTIFY_SOCKET="$T/central.sock" \
	"$HEALTHMOND" -f -c "$T/central.conf" >"$T/central.log" 2>&1
wait_notified "$T/central.notify" 'READY=1'
grep -q "Central listening on 127.0.0.1:$port (HTTPS, client certificates)" "$T/central.log" ||
	fail "the central does not say it listens with HTTPS and client certificates"
ok "central: $(grep -m1 'Central listening' "$T/central.log" | sed 's/^healthmond\[info\]: //')"

# curl: the right CA, no credentials: 401, and the central counts it.
code=$(curl -sS --max-time 10 --cacert "$C/ca.pem" -o "$T/curl.out" -D "$T/curl.hdr" \
	-w '%{http_code}' -H 'Content-Type: application/json' --data-binary '{}' \
	"$URL/api/v1/ingest") || fail "curl over HTTPS with the right CA failed"
[ "$code" = 401 ] || fail "no credentials: HTTP $code $(cat "$T/curl.out"), expected 401"
grep -q '"error": *"auth"' "$T/curl.out" || fail "no credentials: $(cat "$T/curl.out"), expected error auth"
grep -qi '^WWW-Authenticate: Bearer realm="healthmond"' "$T/curl.hdr" ||
	fail "no credentials: no WWW-Authenticate header"
ok "curl, right CA, no credentials: 401 $(cat "$T/curl.out")"
wait_notified "$T/central.notify" 'STATUS=.*central: .*, 1 refused'

# shellcheck disable=SC2034 # the listeners' pids: cleanup stops them
declare -A agent=() listener=()
start_agent() {
	HM_LOGS+=("$T/$1.log" "$T/$1.notify")
	start_listener "$T/$1.sock" "$T/$1.notify" "listener[$1]"
	start_bg "agent[$1]" env NOTIFY_SOCKET="$T/$1.sock" \
		"$HEALTHMOND" -f -c "$T/$1.conf" >"$T/$1.log" 2>&1
}
start_agent a
start_agent b
start_agent d

# (a) right CA and a token: data arrives.
wait_for mark_at_least "$T/central" tok1 3 ||
	fail "(a) central mark of tok1: $(mark_of "$T/central" tok1), want 3"
[ -e "$T/central/tok1/memory.rrd" ] || fail "(a) no tok1/memory.rrd on the central"
wait_notified "$T/a.notify" 'STATUS=.*; forwarding: connected, .*'
ok "(a) token over HTTPS: central mark of tok1 $(mark_of "$T/central" tok1)"

# (b) another CA: the agent cannot verify the central.
wait_for grep -q "Uploading to '$URL/api/v1/ingest' failed: " "$T/b.log" ||
	fail "(b) no failed upload in the log"
line=$(grep -m1 "Uploading to '$URL/api/v1/ingest' failed: " "$T/b.log")
echo "$line" | grep -qiE 'certificate|verif' ||
	fail "(b) the log does not say the central's certificate is not trusted: $line"
ok "(b) $line"
wait_notified "$T/b.notify" 'STATUS=.*; forwarding: retrying, spool [0-9]+ batches.*'
ok "(b) STATUS: $(grep '^STATUS=' "$T/b.notify" | tail -n 1 | grep -o 'forwarding: .*')"

# (d) a1's name, the other CA: refused.
wait_for grep -q "Uploading to '$URL/api/v1/ingest' failed: " "$T/d.log" ||
	fail "(d) no failed upload in the log"
line=$(grep -m1 "Uploading to '$URL/api/v1/ingest' failed: " "$T/d.log")
echo "$line" | grep -q 'HTTP 401' || fail "(d) expected a 401: $line"
ok "(d) $line"
wait_notified "$T/d.notify" 'STATUS=.*; forwarding: retrying, spool [0-9]+ batches.*'
# central_refused: the refusals the central's latest STATUS= counts.
central_refused() {
	grep '^STATUS=' "$T/central.notify" | tail -n 1 | sed -n 's/.*, \([0-9]*\) refused$/\1/p'
}
# The central's STATUS= is sent once a cycle: it may not count d's refusal yet.
wait_for eval '[ "$(central_refused)" -ge 2 ] 2>/dev/null'
refused=$(central_refused)
[ "${refused:-0}" -ge 2 ] || fail "(d) the central counts ${refused:-no} refusals, expected 2 or more"
ok "(d) the central counts $refused refusals"
for h in badca a1; do
	[ ! -e "$T/central/$h" ] || fail "the central has data of $h: $(ls "$T/central/$h")"
done
ok "(b), (d): nothing of badca or a1 on the central"
stop_pid "${agent[b]}" TERM || fail "(b) did not exit 0"
stop_pid "${agent[d]}" TERM || fail "(d) did not exit 0"

# (c) a1's certificate from the right CA, no token: data as host a1.
start_agent c
wait_for mark_at_least "$T/central" a1 3 ||
	fail "(c) central mark of a1: $(mark_of "$T/central" a1), want 3"
[ -e "$T/central/a1/memory.rrd" ] || fail "(c) no a1/memory.rrd on the central"
wait_notified "$T/c.notify" 'STATUS=.*; forwarding: connected, .*'
ok "(c) client certificate: central mark of a1 $(mark_of "$T/central" a1)"

# curl with certificates: the central's own (CA right, purpose wrong) and
# a1's with the data of another host.
body() {
	printf '{"version":1,"host":"%s","batches":[{"seq":%s,"records":[{"series":"load","kind":"load","time":%s,"step":1,"values":[0.5,0.5,0.5,1,100,2]}],"events":[]}]}' \
		"$1" "$2" "$(date +%s)"
}
body 127.0.0.1 1 >"$T/server-cert.json"
code=$(curl -sS --max-time 10 --cacert "$C/ca.pem" --cert "$C/leaf.pem" --key "$C/leaf.key" \
	-o "$T/curl.out" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @"$T/server-cert.json" "$URL/api/v1/ingest") || fail "curl failed"
[ "$code" = 401 ] || fail "the server certificate as a client's: HTTP $code $(cat "$T/curl.out"), expected 401"
[ ! -e "$T/central/127.0.0.1" ] || fail "the server certificate wrote data as host 127.0.0.1"
ok "curl, the central's certificate as a client's: 401 $(cat "$T/curl.out")"
body tok1 999999999 >"$T/other-host.json"
code=$(curl -sS --max-time 10 --cacert "$C/ca.pem" --cert "$C/a1.pem" --key "$C/a1.key" \
	-o "$T/curl.out" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary @"$T/other-host.json" "$URL/api/v1/ingest") || fail "curl failed"
[ "$code" = 403 ] || fail "a1's certificate, tok1's data: HTTP $code $(cat "$T/curl.out"), expected 403"
ok "curl, a1's certificate with tok1's data: 403 $(cat "$T/curl.out")"
[ "$(mark_of "$T/central" tok1)" -lt 999999999 ] || fail "tok1's mark jumped to 999999999"
# Certificate and token together: the token counts (docs/protocol.md).
code=$(curl -sS --max-time 10 --cacert "$C/ca.pem" --cert "$C/a1.pem" --key "$C/a1.key" \
	-H "Authorization: Bearer not-a-token-of-anyone" -o "$T/curl.out" -w '%{http_code}' \
	-H 'Content-Type: application/json' --data-binary @"$T/other-host.json" \
	"$URL/api/v1/ingest") || fail "curl failed"
[ "$code" = 401 ] || fail "a1's certificate and an unknown token: HTTP $code $(cat "$T/curl.out"), expected 401"
ok "curl, a1's certificate and an unknown token: 401 (the token counts)"
mark=$(mark_of "$T/central" tok1)
body tok1 $((mark + 1000)) >"$T/both.json"
code=$(curl -sS --max-time 10 --cacert "$C/ca.pem" --cert "$C/a1.pem" --key "$C/a1.key" \
	-H "Authorization: Bearer $(cat "$T/tok1.token")" -o "$T/curl.out" -w '%{http_code}' \
	-H 'Content-Type: application/json' --data-binary @"$T/both.json" \
	"$URL/api/v1/ingest") || fail "curl failed"
[ "$code" = 200 ] || fail "a1's certificate and tok1's token, tok1's data: HTTP $code $(cat "$T/curl.out"), expected 200"
ok "curl, a1's certificate and tok1's token for tok1's data: 200 $(cat "$T/curl.out")"

stop_pid "${agent[a]}" TERM || fail "(a) did not exit 0"
stop_pid "${agent[c]}" TERM || fail "(c) did not exit 0"
stop_pid "$central" TERM || fail "the central did not exit 0 after SIGTERM"
exit 0
