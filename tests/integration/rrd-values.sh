#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The RRD files hold the truth: after a few cycles at interval 1, the values
# rrdtool reads back agree with what the test reads itself from /proc,
# statvfs and nproc; rrdtool graph draws them; and a restart on the same
# datadir never hands rrdtool a sample it refuses.
. "$(dirname "$0")/lib.sh"
need_healthmond
command -v rrdtool >/dev/null || skip "rrdtool is not installed"

data=$T/data
host=hm-rrd
dir=$data/$host
mkdir -p "$data"
write_conf "$T/hm.conf" <<EOF
hostname = "$host";
interval = 1;
datadir = "$data";
log = "stderr";
log_level = "info";
EOF

daemon=''
HM_LOGS+=("$T/run1.log")
start_bg daemon "$HEALTHMOND" -f -c "$T/hm.conf" >"$T/run1.log" 2>&1

# Rates need two cycles; wait until they are known everywhere.
n_cpu=$(grep -c '^cpu[0-9]' /proc/stat)
series=cpu
for ((i = 0; i < n_cpu; i++)); do series+=" cpu-$i"; done
# The default route's interface, and the first real disk with I/O since boot.
dev=$(ip route show default 2>/dev/null |
	awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
disk=$(awk '$4 + $8 > 0 { print $3 }' /proc/diskstats | while read -r d; do
	[ -e "/sys/block/$d/device" ] && { echo "$d"; break; }
done)
# df-root exists unless / is of a type ignored by default (a container's overlay).
root_df=df-root
case $(stat -f -c %T / 2>/dev/null) in
overlayfs | overlay | tmpfs | squashfs | ramfs) root_df='' ;;
esac
for s in memory swap load uptime $root_df $series ${dev:+if-$dev} ${disk:+disk-$disk}; do
	wait_for test -e "$dir/$s.rrd" || fail "no $s.rrd in $dir"
done
for s in $series; do
	wait_for rrd_known "$dir/$s.rrd" idle || fail "$s.rrd: idle never known"
done
[ -z "$dev" ] || wait_for rrd_known "$dir/if-$dev.rrd" rx_bytes ||
	fail "if-$dev.rrd: rx_bytes never known"
[ -z "$disk" ] || wait_for rrd_known "$dir/disk-$disk.rrd" busy_pct ||
	fail "disk-$disk.rrd: busy_pct never known"
t=$(rrd_last_time "$dir/memory.rrd")
wait_for rrd_advanced "$dir/memory.rrd" $((t + 2)) || fail "memory.rrd not updated"
ok "series written: $(cd "$dir" && echo *.rrd)"

# Stop, so that the fields of one file read below all come from one update.
rc=0
stop_pid "$daemon" || rc=$?
[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM"

# The layout: step = interval, GAUGE fields, heartbeat 2 x step, AVERAGE/MIN/MAX.
info=$(rrdtool info "$dir/memory.rrd")
grep -qx 'step = 1' <<<"$info" || fail "memory.rrd: step is not 1"
grep -qx 'ds\[total\].type = "GAUGE"' <<<"$info" || fail "memory.rrd: total is not a GAUGE"
grep -qx 'ds\[total\].minimal_heartbeat = 2' <<<"$info" || fail "memory.rrd: heartbeat is not 2"
for cf in AVERAGE MIN MAX; do
	grep -q "^rra\[[0-9]*\]\.cf = \"$cf\"" <<<"$info" || fail "memory.rrd: no $cf archive"
done
ok "layout: step 1, GAUGE, heartbeat 2, AVERAGE/MIN/MAX"

# val SERIES FIELD: sets V to the last value, failing the test when the
# field is missing or unknown. (Not a $(function): fail must end the test.)
val() {
	V=$(rrd_last "$dir/$1.rrd" "$2") || fail "$1.rrd has no field $2"
	case $V in U | nan | -nan) fail "$1.rrd: $2 is unknown" ;; esac
}

# in_range WHAT VALUE MIN MAX
in_range() {
	awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v + 0 >= lo && v + 0 <= hi) }' ||
		fail "$1 = $2, not within [$3, $4]"
}

# field_in SERIES FIELD MIN MAX: the last value is known and within bounds.
field_in() {
	val "$1" "$2"
	in_range "$1 $2" "$V" "$3" "$4"
}

kib() { awk -v k="$1" '$1 == k":" { printf "%.0f\n", $2 * 1024 }' /proc/meminfo; }

# memory: total is MemTotal exactly; the rest is consistent.
val memory total
total=$V
check_near "memory total" "$total" "$(kib MemTotal)" 0.5
field_in memory used 0 "$total"
used=$V
field_in memory available 0 "$total"
field_in memory buffers 0 "$total"
field_in memory cached 0 "$total"
val memory used_pct
check_near "memory used_pct" "$V" \
	"$(awk -v u="$used" -v t="$total" 'BEGIN { print 100 * u / t }')" 0.5

# swap: total is SwapTotal exactly.
val swap total
check_near "swap total" "$V" "$(kib SwapTotal)" 0.5

# load: cpus is the number of CPUs (online or usable, whichever it counts).
val load cpus
cpus=$V
if near "$cpus" "$(nproc)" 0; then
	ok "load cpus = nproc = $cpus"
else
	check_near "load cpus (online)" "$cpus" "$(getconf _NPROCESSORS_ONLN)" 0
fi
field_in load load1 0 100000
field_in load tasks 1 10000000
field_in load runnable 0 "$V"

# uptime: /proc/uptime as it was at the time of the last update.
last=$(rrd_last_time "$dir/uptime.rrd")
read -r up _ </proc/uptime
now=$(date +%s)
val uptime uptime
check_near "uptime" "$V" \
	"$(awk -v u="$up" -v n="$now" -v l="$last" 'BEGIN { print u - (n - l) }')" 3

# cpu and every cpu-N: eight shares of 0..100 that add up to 100.
for s in $series; do
	sum=0
	for f in user nice system iowait irq softirq steal idle; do
		field_in "$s" "$f" 0 100
		sum=$(awk -v a="$sum" -v b="$V" 'BEGIN { print a + b }')
	done
	check_near "$s fields sum" "$sum" 100 1
done

# df-root: statvfs("/") as stat -f and df see it. bytes_free may count the
# blocks free to unprivileged users (df's Avail) or all free blocks.
if [ -n "$root_df" ]; then
	bsize=0 blocks=0 files=0
	eval "$(stat -f -c 'bsize=%S blocks=%b bfree=%f bavail=%a files=%c ffree=%d' /)"
	read -r _ df_used df_avail _ < <(df -B1 --output=size,used,avail / | tail -n 1)
	size=$((blocks * bsize))
	tol=$((size / 100))
	val df-root bytes_used
	b_used=$V
	val df-root bytes_free
	b_free=$V
	check_near "df-root bytes_used" "$b_used" "$df_used" "$tol"
	if near "$b_free" "$df_avail" "$tol"; then
		check_near "df-root bytes_used+bytes_free (df Used+Avail)" \
			"$(awk -v a="$b_used" -v b="$b_free" 'BEGIN { printf "%.0f", a + b }')" \
			"$((df_used + df_avail))" "$tol"
	else
		check_near "df-root bytes_used+bytes_free (stat -f size)" \
			"$(awk -v a="$b_used" -v b="$b_free" 'BEGIN { printf "%.0f", a + b }')" \
			"$size" "$tol"
	fi
	val df-root bytes_pct
	check_near "df-root bytes_pct" "$V" \
		"$(awk -v u="$b_used" -v f="$b_free" 'BEGIN { print 100 * u / (u + f) }')" 1
	if [ "$files" -gt 0 ]; then
		val df-root inodes_used
		i_used=$V
		val df-root inodes_free
		check_near "df-root inodes_used+inodes_free" \
			"$(awk -v a="$i_used" -v b="$V" 'BEGIN { printf "%.0f", a + b }')" \
			"$files" $((files / 100 + 16))
		field_in df-root inodes_pct 0 100
	fi
else
	log "/ is $(stat -f -c %T /), ignored by default: no df-root to check"
fi

# if-<default route's interface>: per-second rates.
if [ -n "$dev" ]; then
	for f in rx_bytes tx_bytes rx_packets tx_packets rx_errors tx_errors rx_drops tx_drops; do
		field_in "if-$dev" "$f" 0 1e12
	done
	ok "if-$dev: rates known and non-negative"
fi
[ ! -e "$dir/if-lo.rrd" ] || fail "if-lo.rrd written although lo is ignored by default"

# disk-<whole disk>: rates, and a busy share.
if [ -n "$disk" ]; then
	for f in read_bytes write_bytes read_ops write_ops; do
		field_in "disk-$disk" "$f" 0 1e12
	done
	field_in "disk-$disk" busy_pct 0 100
	ok "disk-$disk: rates known, busy_pct in 0..100"
fi

# rrdtool fetch reads the consolidated archive: MemTotal again.
# The daemon stopped a while ago: the rows before its last update.
memtotal=$(kib MemTotal)
last=$(rrd_last_time "$dir/memory.rrd")
rrdtool fetch "$dir/memory.rrd" AVERAGE -r 1 -s $((last - 20)) -e "$last" >"$T/fetch" ||
	fail "rrdtool fetch failed"
awk -v want="$memtotal" '
	NR == 1 { for (i = 1; i <= NF; i++) if ($i == "total") c = i + 1; next }
	/^[0-9]+:/ && $c !~ /nan/ { n++; d = $c - want; if (d < 0) d = -d; if (d > want * 1e-9) bad++ }
	END { exit !(c && n > 0 && !bad) }' "$T/fetch" ||
	fail "rrdtool fetch: no row with total = $memtotal: $(cat "$T/fetch")"
ok "rrdtool fetch: AVERAGE rows hold total = $memtotal"

# rrdtool graph draws a PNG from the files as they are.
rrdtool graph "$T/mem.png" --start -60 --end now --title memory \
	"DEF:x=$dir/memory.rrd:used:AVERAGE" 'LINE1:x#0000ff:used' \
	"DEF:c=$dir/cpu.rrd:user:AVERAGE" 'LINE1:c#ff0000:cpu user' >"$T/graph.out" 2>&1 ||
	fail "rrdtool graph failed: $(cat "$T/graph.out")"
[ -s "$T/mem.png" ] || fail "rrdtool graph wrote an empty file"
[ "$(head -c 8 "$T/mem.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
	fail "rrdtool graph did not write a PNG"
ok "rrdtool graph: PNG of $(wc -c <"$T/mem.png") bytes"

# Restart on the same datadir, twice, the second time at once: its first
# sample may fall in the same second as the last one, and rrdtool must never
# see such a sample.
run=1
for again in later at-once; do
	last=$(rrd_last_time "$dir/memory.rrd")
	run=$((run + 1))
	HM_LOGS+=("$T/run$run.log")
	start_bg daemon "$HEALTHMOND" -f -c "$T/hm.conf" >"$T/run$run.log" 2>&1
	wait_for rrd_advanced "$dir/memory.rrd" $((last + 2)) ||
		fail "memory.rrd not updated after the restart ($again)"
	wait_for rrd_advanced "$dir/cpu.rrd" $((last + 2)) ||
		fail "cpu.rrd not updated after the restart ($again)"
	rc=0
	stop_pid "$daemon" || rc=$?
	[ "$rc" -eq 0 ] || fail "exit status $rc after SIGTERM (run $run)"
done
if grep -i 'illegal attempt to update' "$T"/run*.log; then
	fail "rrdtool refused a sample"
fi
if grep -F '[err]' "$T"/run*.log; then
	fail "errors logged during normal runs"
fi
ok "restarts on the same datadir: no refused sample, no error logged"
exit 0
