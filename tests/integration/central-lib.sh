# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the tests of agents and centrals talking to each other
# (fleet.sh, crash.sh, netns.sh, tls.sh, hostile.sh). Sourced after lib.sh.

# CONF_QUIET: configuration lines that switch every collector off, for a
# central that should only receive.
# shellcheck disable=SC2034 # for the scripts that source this file
CONF_QUIET='cpu = { enabled = false; }; memory = { enabled = false; };
swap = { enabled = false; }; load = { enabled = false; };
uptime = { enabled = false; }; disk_space = { enabled = false; };
disk_io = { enabled = false; }; network = { enabled = false; };'

# seed_spool DATADIR HOST: HOST's spool under DATADIR numbers its batches
# from 1, as if it had counted to 0 before, so that marks read as batch
# counts. A new spool starts at the current time in microseconds instead
# (check_spool, and fleet.sh with a wiped spool).
seed_spool() {
	mkdir -p "$1/$2.spool" && echo 0 >"$1/$2.spool/state"
}

# token_of HOST: a token of 32 visible characters, different per host and run.
token_of() {
	printf 'tok-%s-%s-%08d' "$1" "$TEST_NAME" "$$" | head -c 200
}

# write_tokens FILE HOST...: the central's tokens file for these hosts, and
# $T/HOST.token, the agent's token file, for each. Mode 600.
write_tokens() {
	local file=$1 h
	shift
	: >"$file"
	for h in "$@"; do
		printf '%s %s\n' "$h" "$(token_of "$h")" >>"$file"
		token_of "$h" >"$T/$h.token"
		chmod 600 "$T/$h.token"
	done
	chmod 600 "$file"
}

# wait_notified FILE LINE [COUNT]: lib.sh's wait_notify, without adding FILE
# to the logs shown on failure once more with every call.
wait_notified() {
	wait_for notified "$@" ||
		fail "no '$2' (x${3:-1}) from sd_notify within ${HM_WAIT}s in ${1##*/}"
}

# mark_of DATADIR HOST: the central's sequence mark of HOST (0 if none yet):
# the first line of its mark file, 20 digits, leading zeros dropped.
mark_of() {
	local m
	m=$(head -n 1 "$1/$2/.ingest-seq" 2>/dev/null | sed 's/^0*\([0-9]\)/\1/')
	echo "${m:-0}"
}

# mark_at_least DATADIR HOST N
mark_at_least() {
	[ "$(mark_of "$1" "$2")" -ge "$3" ]
}

# spool_seqs SPOOLDIR: the sequence numbers of the batches in a spool, oldest first.
spool_seqs() {
	local f
	for f in "$1"/*.batch; do
		[ -e "$f" ] || continue
		f=${f##*/}
		f=${f%%-*}
		echo $((10#$f))
	done
}

# spool_count SPOOLDIR: how many batches wait there.
spool_count() {
	spool_seqs "$1" | wc -l
}

# spool_last SPOOLDIR: the number of the newest batch this spool ever held:
# its newest file, else its state file (written when it became empty).
spool_last() {
	local last
	last=$(spool_seqs "$1" | tail -n 1)
	[ -n "$last" ] || last=$(cat "$1/state" 2>/dev/null)
	echo "${last:-0}"
}

# spool_bytes SPOOLDIR: the bytes of its batches.
spool_bytes() {
	find "$1" -maxdepth 1 -name '*.batch' -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'
}

# spool_bytes_below SPOOLDIR N
spool_bytes_below() {
	[ "$(spool_bytes "$1")" -lt "$2" ]
}

# spool_copy SPOOLDIR DEST: copies batch files not copied yet (whole files
# only: the spool renames them into place).
spool_copy() {
	local f
	mkdir -p "$2"
	for f in "$1"/*.batch; do
		[ -e "$f" ] || continue
		[ -e "$2/${f##*/}" ] || cp "$f" "$2/" 2>/dev/null || true
	done
}

# drained SPOOLDIR DATADIR HOST: everything the agent sent has been taken:
# the central's mark is at least just below the oldest batch left in the
# spool (an agent stopped with SIGTERM spools its last batch but does not
# send it), or the spool is empty and the mark is its last number; and the
# mark stays put for a second. The mark may be past the oldest batch left:
# SIGTERM drops the request in flight, whose batches the central may have
# taken before its answer was read, and those stay spooled until the next
# start sends them again.
drained() {
	local oldest newest mark
	mark=$(mark_of "$2" "$3")
	oldest=$(spool_seqs "$1" | head -n 1)
	newest=$(spool_seqs "$1" | tail -n 1)
	if [ -n "$oldest" ]; then
		[ "$mark" -ge $((oldest - 1)) ] && [ "$mark" -le "$newest" ] || return 1
	else
		[ "$mark" -eq "$(spool_last "$1")" ] && [ "$mark" -gt 0 ] || return 1
	fi
	sleep 1
	[ "$(mark_of "$2" "$3")" = "$mark" ]
}

# rrd_rows FILE START END: "time: v v ..." rows of AVERAGE at 1 s resolution.
rrd_rows() {
	rrdtool fetch "$1" AVERAGE -r 1 -s "$2" -e "$3" | grep -E '^[0-9]+:'
}

# rrd_first FILE: the time of the oldest known (not all-nan) row in the last hour.
rrd_first() {
	local last
	last=$(rrdtool last "$1") || return 1
	rrd_rows "$1" $((last - 3500)) "$last" |
		awk '{ for (i = 2; i <= NF; i++) if ($i !~ /nan/) { sub(":", "", $1); print $1; exit } }'
}

# rrd_compare AGENT_RRD CENTRAL_RRD START END [FROM TO]: the rows of the two
# files from START to END are the same text, except:
# - where one side is all unknown at the edges of the range (a run of such
#   rows that touches START or END);
# - with FROM TO: inside that window, rows where the central is all unknown
#   and the agent is not (data the agent had collected but not yet spooled
#   when it was killed).
# Prints "N rows, K known, E edge rows" and returns 0, or prints what differs
# and returns 1.
rrd_compare() {
	local a=$1 c=$2 s=$3 e=$4 from=${5:-0} to=${6:--1}
	if ! rrdtool fetch "$a" AVERAGE -r 1 -s "$s" -e "$e" >"$T/cmp.a" 2>&1 ||
		! rrdtool fetch "$c" AVERAGE -r 1 -s "$s" -e "$e" >"$T/cmp.c" 2>&1; then
		echo "rrdtool fetch failed: $(cat "$T/cmp.a" "$T/cmp.c")"
		return 1
	fi
	if [ "$(head -n 1 "$T/cmp.a")" != "$(head -n 1 "$T/cmp.c")" ]; then
		echo "different data sources: $(head -n 1 "$T/cmp.a") / $(head -n 1 "$T/cmp.c")"
		return 1
	fi
	paste -d '|' <(grep -E '^[0-9]+:' "$T/cmp.a") <(grep -E '^[0-9]+:' "$T/cmp.c") |
		awk -F'|' -v from="$from" -v to="$to" '
		function unknown(row,   n, f, i) {
			n = split(row, f, " ")
			for (i = 2; i <= n; i++) if (f[i] !~ /nan/) return 0
			return 1
		}
		{
			n++
			ta = $1; sub(":.*", "", ta); tc = $2; sub(":.*", "", tc)
			if (ta != tc) { printf "row %d: times %s and %s\n", n, ta, tc; bad = 1; exit }
			t[n] = ta; A[n] = $1; C[n] = $2
			if ($1 == $2) { kind[n] = "same"; if (!unknown($1)) known++; next }
			ua = unknown($1); uc = unknown($2)
			if (uc && !ua && ta + 0 >= from + 0 && ta + 0 <= to + 0) { kind[n] = "window"; win++; next }
			kind[n] = (ua || uc) ? "edge" : "differ"
		}
		END {
			if (bad) exit 1
			if (n == 0) { print "no rows"; exit 1 }
			# Edge rows must form runs from the start and from the end,
			# through rows that are unknown on both sides.
			for (i = 1; i <= n && (kind[i] == "edge" || (kind[i] == "same" && unknown(A[i]))); i++)
				if (kind[i] == "edge") { kind[i] = "ok-edge"; edges++ }
			for (i = n; i >= 1 && (kind[i] == "edge" || (kind[i] == "same" && unknown(A[i]))); i--)
				if (kind[i] == "edge") { kind[i] = "ok-edge"; edges++ }
			for (i = 1; i <= n; i++)
				if (kind[i] == "edge" || kind[i] == "differ") {
					printf "at %s: agent  %s\n", t[i], A[i]
					printf "at %s: central %s\n", t[i], C[i]
					if (++shown >= 4) break
				}
			if (shown) exit 1
			printf "%d rows, %d known and identical, %d unknown on one side at the edges, %d in the window\n",
				n, known, edges, win
		}'
}

# rrd_known_rows FILE START END: how many rows of the range hold a known value.
rrd_known_rows() {
	rrd_rows "$1" "$2" "$3" | awk '{ for (i = 2; i <= NF; i++) if ($i !~ /nan/) { k++; break } } END { print k + 0 }'
}
