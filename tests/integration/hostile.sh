#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Hostile requests against a real central (tokens of web1 and web2), with
# curl: every one gets its 4xx (status and error class of docs/protocol.md)
# and changes nothing on disk: no new host directory, no new RRD, no
# changed file, no changed mark (a listing of the data directory with
# sizes and modification times, before and after each). Afterwards valid
# requests of both hosts still get 200: the central keeps serving everyone.
. "$(dirname "$0")/lib.sh" || { echo "FAIL: cannot read lib.sh" >&2; exit 1; }
. "$(dirname "$0")/central-lib.sh" || fail "cannot read central-lib.sh"
need_healthmond
command -v python3 >/dev/null || skip "no python3 to pick ports and write bodies"
command -v curl >/dev/null || skip "curl is not installed"

port=$(free_ports 1) || fail "cannot pick a free port"
URL=http://127.0.0.1:$port/api/v1/ingest
D=$T/central
mkdir -p "$D" "$T/bodies"
write_tokens "$T/tokens" web1 web2
TOKEN1=$(cat "$T/web1.token")
TOKEN2=$(cat "$T/web2.token")
write_conf "$T/central.conf" <<EOF
hostname = "hub";
interval = 1;
datadir = "$D";
log = "stderr";
$CONF_QUIET
http = { listen = [ "unix:$T/central-http.sock" ]; };
central = { enabled = true; listen = [ "127.0.0.1:$port" ]; tokens_file = "$T/tokens"; };
EOF
# shellcheck disable=SC2034 # the listener's pid: cleanup stops it
central='' c_listener=''
HM_LOGS+=("$T/central.log" "$T/central.notify")
start_listener "$T/central.sock" "$T/central.notify" c_listener
start_bg central env NOTIFY_SOCKET="$T/central.sock" \
	"$HEALTHMOND" -f -c "$T/central.conf" >"$T/central.log" 2>&1
wait_notified "$T/central.notify" 'READY=1'

NOW=$(date +%s)
# record SERIES KIND VALUES: one record, now.
record() {
	printf '{"series":"%s","kind":"%s","time":%s,"step":1,"values":[%s]}' "$1" "$2" "$NOW" "$3"
}
LOAD=$(record load load '0.5,0.4,0.3,1,100,2')
# request HOST SEQ RECORDS [EVENTS]: a whole request body.
request() {
	printf '{"version":1,"host":"%s","batches":[{"seq":%s,"records":[%s],"events":[%s]}]}' \
		"$1" "$2" "$3" "${4:-}"
}

# send NAME [CURL-OPTIONS...]: POSTs $T/bodies/NAME with curl, leaves the
# status in $code and the answer in $T/answer.
send() {
	local name=$1
	shift
	code=$(curl -sS --max-time 10 -o "$T/answer" -w '%{http_code}' \
		-H 'Content-Type: application/json' "$@" \
		--data-binary @"$T/bodies/$name" "$URL" 2>"$T/curl.err") ||
		fail "$name: curl failed: $(cat "$T/curl.err")"
}
snapshot() { find "$D" ! -name events.jsonl -printf '%p %s %T@\n' | sort; }

# A first valid batch of web1: its directory, load.rrd and mark exist.
request web1 1 "$LOAD" >"$T/bodies/valid1"
send valid1 -H "Authorization: Bearer $TOKEN1"
[ "$code" = 200 ] || fail "a valid request: HTTP $code $(cat "$T/answer")"
grep -qx '{"acked":1}' "$T/answer" || fail "a valid request: $(cat "$T/answer"), expected {\"acked\":1}"
{ [ -e "$D/web1/load.rrd" ] && [ "$(mark_of "$D" web1)" -eq 1 ]; } ||
	fail "a valid request left no web1/load.rrd or no mark 1"
ok "valid request of web1: 200 {\"acked\":1}"

n_refused=0
# hostile NAME STATUS CLASS [CURL-OPTIONS...]: the body $T/bodies/NAME gets
# STATUS with {"error": CLASS} (CLASS - for no body check), and the data
# directory does not change.
hostile() {
	local name=$1 want=$2 class=$3 got_class
	shift 3
	snapshot >"$T/before.list"
	send "$name" "$@"
	[ "$code" = "$want" ] || fail "$name: HTTP $code $(head -c 300 "$T/answer"), expected $want"
	if [ "$class" != - ]; then
		got_class=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["error"])' \
			"$T/answer" 2>/dev/null)
		[ "$got_class" = "$class" ] ||
			fail "$name: HTTP $code $(head -c 300 "$T/answer"), expected error '$class'"
	fi
	snapshot >"$T/after.list"
	cmp -s "$T/before.list" "$T/after.list" ||
		fail "$name: the data directory changed: $(diff "$T/before.list" "$T/after.list" | head -n 6)"
	kill -0 "$central" 2>/dev/null || fail "$name: the central is gone"
	case $want in 401 | 403 | 400 | 413) n_refused=$((n_refused + 1)) ;; esac
	ok "$name: $code $(head -c 160 "$T/answer" | tr '\r\n' '  ')"
}
AUTH=(-H "Authorization: Bearer $TOKEN1")
B=$T/bodies

# Credentials.
request web1 2 "$LOAD" >"$B/no-auth"
hostile no-auth 401 auth
grep -qi '^WWW-Authenticate: Bearer' < <(curl -sS --max-time 10 -D - -o /dev/null \
	--data-binary @"$B/no-auth" "$URL") || fail "no-auth: no WWW-Authenticate header"
n_refused=$((n_refused + 1))
cp "$B/no-auth" "$B/wrong-token"
hostile wrong-token 401 auth -H "Authorization: Bearer not-$TOKEN1"
cp "$B/no-auth" "$B/basic-auth"
hostile basic-auth 401 auth -H "Authorization: Basic d2ViMTpzZWNyZXQ="
cp "$B/no-auth" "$B/other-host-token"
hostile other-host-token 403 host -H "Authorization: Bearer $TOKEN2"
request web3 1 "$LOAD" >"$B/unknown-host"
hostile unknown-host 403 host "${AUTH[@]}"

# Bodies that are not JSON, or not the JSON of version 1.
request web1 2 "$LOAD" | head -c 60 >"$B/truncated"
hostile truncated 400 syntax "${AUTH[@]}"
: >"$B/empty"
hostile empty 400 syntax "${AUTH[@]}"
request web1 2 "$LOAD" | sed 's/"seq":2/"seq":"2"/' >"$B/wrong-type-seq"
hostile wrong-type-seq 400 type "${AUTH[@]}"
request web1 2 "$(record load load '0.5,0.4,"x",1,100,2')" >"$B/wrong-type-value"
hostile wrong-type-value 400 type "${AUTH[@]}"
printf '{"version":1,"host":"web1","batches":{}}' >"$B/wrong-type-batches"
hostile wrong-type-batches 400 type "${AUTH[@]}"
head -c 100000 /dev/zero | tr '\0' '[' >"$B/deep-nesting"
hostile deep-nesting 400 syntax "${AUTH[@]}"
{
	printf '{"version":1,"host":"web1","batches":'
	head -c 100000 /dev/zero | tr '\0' '['
} >"$B/deep-nesting-inside"
hostile deep-nesting-inside 400 syntax "${AUTH[@]}"
request web1 2 "$(record load load '1e999,0.4,0.3,1,100,2')" >"$B/huge-number"
hostile huge-number 400 syntax "${AUTH[@]}"
request web1 2 "$(record load load '1e300,0.4,0.3,1,100,2')" >"$B/number-1e300"
hostile number-1e300 400 number "${AUTH[@]}"
request web1 2 "$(record load load 'NaN,0.4,0.3,1,100,2')" >"$B/nan"
hostile nan 400 syntax "${AUTH[@]}"
request web1 2 "$(record load load 'Infinity,0.4,0.3,1,100,2')" >"$B/infinity"
hostile infinity 400 syntax "${AUTH[@]}"
request web1 2 "$LOAD" | sed 's/"seq":2/"seq":9223372036854775808/' >"$B/seq-over-64-bits"
hostile seq-over-64-bits 400 syntax "${AUTH[@]}"
request web1 0 "$LOAD" >"$B/seq-zero"
hostile seq-zero 400 number "${AUTH[@]}"
{
	request web1 2 "$LOAD" | head -c 30
	printf '\xff\xfe'
	request web1 2 "$LOAD" | tail -c +31
} >"$B/invalid-utf8"
# The bytes go into the host string ("web1" -> "we\xff\xfeb1"-like): no valid host either way.
hostile invalid-utf8 400 syntax "${AUTH[@]}"
request web1 2 "$(printf '{"series":"load","kind":"load","time":%s,"step":1,"values":[0.5,0.4,0.3,1,100,2]}' "$NOW")" \
	"$(printf '{"kind":"load","check":"load","series":"load","field":"load5","state":"critical","prev_state":"ok","value":1,"threshold":1,"time":%s,"repeat":false,"url":"http://x/\xc3\x28","reason":null}' "$NOW")" \
	>"$B/invalid-utf8-url"
hostile invalid-utf8-url 400 syntax "${AUTH[@]}"
{
	printf '{"version":1,"host":"web1",'
	printf '\0'
	printf '"batches":[]}'
} >"$B/raw-nul"
hostile raw-nul 400 syntax "${AUTH[@]}"
printf '{"version":1,"host":"web1\\u0000x","batches":[{"seq":2,"records":[%s],"events":[]}]}' "$LOAD" >"$B/escaped-nul"
hostile escaped-nul 400 syntax "${AUTH[@]}"
printf '{"version":1,"version":1,"host":"web1","batches":[{"seq":2,"records":[%s],"events":[]}]}' "$LOAD" >"$B/duplicate-member"
hostile duplicate-member 400 syntax "${AUTH[@]}"
request web1 2 "$LOAD" | sed 's/^{"version":1,/{"version":1,"extra":null,/' >"$B/unknown-member"
hostile unknown-member 400 type "${AUTH[@]}"
{
	request web1 2 "$LOAD"
	printf ' trailing'
} >"$B/trailing-bytes"
hostile trailing-bytes 400 syntax "${AUTH[@]}"
request web1 2 "$LOAD" | sed 's/^{"version":1,/{"version":2,/' >"$B/version-2"
hostile version-2 400 version "${AUTH[@]}"
request web1 2 "$LOAD" | sed 's/^{"version":1,/{"version":"1",/' >"$B/version-string"
hostile version-string 400 version "${AUTH[@]}"

# The answer never echoes the sender's bytes beyond printable ASCII.
printf '{"version":1,"host":"web1","batches":[ \xc3\xa9\x01\x1b[31m ]}' >"$B/garbage-bytes"
hostile garbage-bytes 400 syntax "${AUTH[@]}"
LC_ALL=C grep -q '[^ -~]' "$T/answer" && fail "garbage-bytes: the answer holds bytes beyond printable ASCII: $(od -c "$T/answer" | head -n 3)"

# Names that would leave <datadir>/<host>/<series>.rrd.
request ../../etc 2 "$LOAD" >"$B/host-dotdot"
hostile host-dotdot 400 name "${AUTH[@]}"
request web1/x 2 "$LOAD" >"$B/host-slash"
hostile host-slash 400 name "${AUTH[@]}"
request .web1 2 "$LOAD" >"$B/host-dot"
hostile host-dot 400 name "${AUTH[@]}"
request web1 2 "$(record ../x load '0.5,0.4,0.3,1,100,2')" >"$B/series-dotdot"
hostile series-dotdot 400 name "${AUTH[@]}"
request web1 2 "$(record load-../../x load '0.5,0.4,0.3,1,100,2')" >"$B/series-instance-dotdot"
hostile series-instance-dotdot 400 name "${AUTH[@]}"
request web1 2 "$(record cpu load '0.5,0.4,0.3,1,100,2')" >"$B/series-kind-mismatch"
hostile series-kind-mismatch 400 name "${AUTH[@]}"
request web1 2 "$(record load load '0.5,0.4,0.3,1,100')" >"$B/values-count"
hostile values-count 400 number "${AUTH[@]}"
request web1 2 "$(record load load '0.5,0.4,0.3,1,100,2' | sed "s/\"time\":$NOW/\"time\":1099511627776/")" >"$B/time-2-40"
hostile time-2-40 400 number "${AUTH[@]}"
printf '{"version":1,"host":"web1","batches":[{"seq":3,"records":[],"events":[]},{"seq":2,"records":[%s],"events":[]}]}' "$LOAD" >"$B/seq-not-increasing"
hostile seq-not-increasing 400 number "${AUTH[@]}"

# Too large: declared (answered before the body), and sent.
request web1 2 "$LOAD" >"$B/content-length"
hostile content-length 413 too_large "${AUTH[@]}" -H 'Content-Length: 8388609'
{
	request web1 2 "$LOAD" | head -c -3
	head -c $((8 * 1024 * 1024)) /dev/zero | tr '\0' ' '
	printf ']}'
} >"$B/body-over-limit"
hostile body-over-limit 413 too_large "${AUTH[@]}"

# Refused by libmicrohttpd before the central sees the request (its own
# answers, HTML, not JSON; 0.9.75 even sends the status line and headers of
# the two Content-Length ones twice): a Content-Length that is no number or
# beyond 64 bits, headers past its memory limit.
request web1 2 "$LOAD" >"$B/content-length-garbage"
hostile content-length-garbage 400 - "${AUTH[@]}" -H 'Content-Length: 12abc'
cp "$B/content-length-garbage" "$B/content-length-2-64"
hostile content-length-2-64 413 - "${AUTH[@]}" -H 'Content-Length: 18446744073709551616'
cp "$B/content-length-garbage" "$B/huge-header"
hostile huge-header 431 - "${AUTH[@]}" -H "X-Filler: $(head -c 100000 /dev/zero | tr '\0' x)"
n_refused=$((n_refused - 2)) # the central did not see those two of them
# A chunked body past the limit: the connection is closed unanswered
# (docs: no answer in the middle of a body), at once, not after a timeout.
snapshot >"$T/before.list"
code=$(curl -sS --max-time 10 -o "$T/answer" -w '%{http_code}' "${AUTH[@]}" \
	-H 'Transfer-Encoding: chunked' --data-binary @"$B/body-over-limit" "$URL" 2>"$T/curl.err")
rc=$?
case $rc in
0) [ "${code:-0}" = 413 ] || fail "chunked body over the limit: HTTP $code $(head -c 200 "$T/answer")" ;;
28) fail "chunked body over the limit: no answer and no close within 10 s" ;;
*) ;;
esac
snapshot >"$T/after.list"
cmp -s "$T/before.list" "$T/after.list" || fail "chunked body over the limit changed the data directory"
n_refused=$((n_refused + 1))
ok "chunked body over the limit: closed ($(head -n 1 "$T/curl.err"))"

# Not the ingest route.
request web1 2 "$LOAD" >"$B/wrong-path"
snapshot >"$T/before.list"
code=$(curl -sS --max-time 10 -o "$T/answer" -w '%{http_code}' "${AUTH[@]}" \
	--data-binary @"$B/wrong-path" "http://127.0.0.1:$port/api/v1/ingest/../../x") || fail "curl failed"
case $code in 404 | 400) ;; *) fail "wrong path: HTTP $code $(cat "$T/answer")" ;; esac
ok "wrong path: $code $(cat "$T/answer")"
code=$(curl -sS --max-time 10 -o "$T/answer" -w '%{http_code}' "${AUTH[@]}" "$URL") || fail "curl failed"
[ "$code" = 405 ] || fail "GET: HTTP $code $(cat "$T/answer"), expected 405"
ok "GET: $code $(cat "$T/answer")"
snapshot >"$T/after.list"
cmp -s "$T/before.list" "$T/after.list" || fail "wrong path or method changed the data directory"

# The central still serves everyone.
request web1 2 "$LOAD" >"$B/valid2"
send valid2 "${AUTH[@]}"
{ [ "$code" = 200 ] && grep -qx '{"acked":2}' "$T/answer"; } ||
	fail "valid request after all that: HTTP $code $(cat "$T/answer"), expected 200 {\"acked\":2}"
request web2 1 "$LOAD" >"$B/valid-web2"
send valid-web2 -H "Authorization: Bearer $TOKEN2"
{ [ "$code" = 200 ] && grep -qx '{"acked":1}' "$T/answer"; } ||
	fail "valid request of web2: HTTP $code $(cat "$T/answer"), expected 200 {\"acked\":1}"
{ [ "$(mark_of "$D" web1)" -eq 2 ] && [ "$(mark_of "$D" web2)" -eq 1 ]; } ||
	fail "marks web1 $(mark_of "$D" web1), web2 $(mark_of "$D" web2), expected 2 and 1"
ok "afterwards: web1 200 {\"acked\":2}, web2 200 {\"acked\":1}"
hosts=$(find "$D" -mindepth 1 -maxdepth 1 ! -name events.jsonl -printf '%f\n' | sort | tr '\n' ' ')
[ "$hosts" = "hub web1 web2 " ] || fail "the data directory holds: $hosts"
# The count in the latest STATUS= (one a second), not one on the way there.
# shellcheck disable=SC2317 # called through wait_for
refused_now() {
	[ "$(grep '^STATUS=' "$T/central.notify" | tail -n 1 | sed -n 's/.*, \([0-9]*\) refused$/\1/p')" = "$1" ]
}
wait_for refused_now "$n_refused" ||
	fail "the central counts $(grep '^STATUS=' "$T/central.notify" | tail -n 1 | sed 's/.*, //'), expected $n_refused refused"
ok "the central counted $n_refused refusals"
! grep -qE '\[(err|crit|alert|emerg)\]' "$T/central.log" ||
	fail "the central logged errors: $(grep -m1 -E '\[(err|crit|alert|emerg)\]' "$T/central.log")"
stop_pid "$central" TERM || fail "the central did not exit 0 after SIGTERM"
exit 0
