#!/bin/bash
# SPDX-License-Identifier: MIT
#
# healthmondctl graph and availability on what a real healthmond wrote: the
# daemon runs for about 25 s at interval 1 with two probes against
# tests/httpd.py (one up, one failing), then every graph kind is rendered at
# several sizes. Each PNG must be a PNG of exactly the size asked for, and
# differ from the same graph of an empty file of the same layout (so the
# data is in it). Bad parameters exit non-zero with a message; availability
# prints JSON with 1 for the probe that is up, 0 for the failing one.
. "$(dirname "$0")/lib.sh"
CTL=${HEALTHMONDCTL:-$top_builddir/healthmondctl}
[ -x "$CTL" ] || skip "healthmondctl was not built ($CTL)"
need_healthmond
command -v python3 >/dev/null || fail "python3 is needed (tests/httpd.py)"
command -v rrdtool >/dev/null || fail "rrdtool is needed (apt-get install rrdtool)"

host=hm-graph
data=$T/data
dir=$data/$host
mkdir -p "$data"

# PNG checks without imagemagick: size from IHDR, pixels decoded with zlib.
cat >"$T/png.py" <<'EOF'
import struct, sys, zlib

def chunks(path):
    d = open(path, "rb").read()
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit("%s: no PNG signature" % path)
    i = 8
    while i < len(d):
        n, kind = struct.unpack(">I4s", d[i:i + 8])
        yield kind, d[i + 8:i + 8 + n]
        i += 12 + n

def pixels(path):
    idat, w = b"", 0
    for kind, body in chunks(path):
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            bpp = {2: 3, 6: 4}.get(ctype)
            if depth != 8 or not bpp:
                sys.exit("%s: unexpected PNG type %d/%d" % (path, depth, ctype))
        elif kind == b"IDAT":
            idat += body
    raw, rows, prev, stride, pos = zlib.decompress(idat), [], None, w * bpp, 0
    for _ in range(h):
        f, line = raw[pos], bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        prev = prev or bytearray(stride)
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b, c = prev[x], prev[x - bpp] if x >= bpp else 0
            if f == 1: line[x] = (line[x] + a) & 255
            elif f == 2: line[x] = (line[x] + b) & 255
            elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return [r[i:i + bpp] for r in rows for i in range(0, stride, bpp)]

cmd, path = sys.argv[1], sys.argv[2]
if cmd == "size":
    kind, body = next(chunks(path))
    if kind != b"IHDR":
        sys.exit("%s: IHDR is not the first chunk" % path)
    print("%dx%d" % struct.unpack(">II", body[:8]))
elif cmd == "diff":
    # Rows of the decompressed image data that differ: the encoder is
    # deterministic, so equal images give equal rows.
    def raw(p):
        idat = b"".join(body for kind, body in chunks(p) if kind == b"IDAT")
        return zlib.decompress(idat)
    a, b = raw(path), raw(sys.argv[3])
    print(sum(1 for i in range(0, min(len(a), len(b)), 64) if a[i:i + 64] != b[i:i + 64])
          + abs(len(a) - len(b)))
elif cmd == "colours":
    print(len(set(pixels(path))))
EOF

# The test server: /slow/20 answers, /status/503 fails the probe.
start_bg httpd python3 "$top_srcdir/tests/httpd.py" >"$T/httpd.out" 2>"$T/httpd.err"
HM_LOGS+=("$T/httpd.err")
wait_for grep -q '^PORTS ' "$T/httpd.out" || fail "httpd.py did not start"
port=$(sed -n 's/^PORTS http=\([0-9]*\).*/\1/p' "$T/httpd.out")

write_conf "$T/hm.conf" <<EOF
hostname = "$host";
interval = 1;
datadir = "$data";
log = "stderr";
log_level = "info";
probes = (
	{ name = "web"; url = "http://127.0.0.1:$port/slow/20"; timeout = 3; },
	{ name = "down"; url = "http://127.0.0.1:$port/status/503"; timeout = 3; }
);
EOF

daemon=''
HM_LOGS+=("$T/daemon.log")
start_bg daemon "$HEALTHMOND" -f -c "$T/hm.conf" >"$T/daemon.log" 2>&1
for s in cpu memory load probe-web probe-down; do
	wait_for test -e "$dir/$s.rrd" || fail "no $s.rrd in $dir"
done
wait_for rrd_known "$dir/cpu.rrd" user || fail "cpu.rrd: user never known"
wait_for rrd_known "$dir/probe-web.rrd" total_ms || fail "probe-web: total_ms never known"
t0=$(rrd_last_time "$dir/cpu.rrd")
wait_for -t $((HM_WAIT * 2)) rrd_advanced "$dir/cpu.rrd" $((t0 + 22)) ||
	fail "cpu.rrd not updated for 22 s"
rc=0
stop_pid "$daemon" || rc=$?
[ "$rc" -eq 0 ] || fail "healthmond: exit status $rc after SIGTERM"
stopped=$(rrd_last_time "$dir/cpu.rrd")
ok "healthmond wrote $(cd "$dir" && echo *.rrd)"

# One series of each instance kind, where the machine has one.
first() { (cd "$dir" && ls -- $1 2>/dev/null | head -n 1 | sed 's/\.rrd$//'); }
df=$(first 'df-*.rrd')
net=$(first 'if-*.rrd')
disk=$(first 'disk-*.rrd')
[ -n "$df" ] || log "no df-* series here (/ is $(stat -f -c %T /)): not drawn"
[ -n "$net" ] || log "no if-* series here: not drawn"
[ -n "$disk" ] || log "no disk-* series here: not drawn"
kinds="cpu memory swap load uptime probe-web probe-down $df $net $disk"

# The same layouts without data, for "the data is in it".
empty=$T/empty
mkdir -p "$empty/$host"
for s in $kinds; do
	rrdtool create "$empty/$host/$s.rrd" --template "$dir/$s.rrd" >"$T/create.out" 2>&1 ||
		fail "rrdtool create --template $s.rrd: $(cat "$T/create.out")"
done

# graph OUT ARGS...: renders into OUT, failing the test on any error.
graph() {
	local out=$1
	shift
	"$CTL" graph "$@" -o "$out" >"$T/graph.out" 2>"$T/graph.err" ||
		fail "healthmondctl graph $*: exit $?: $(cat "$T/graph.err")"
}

# check_png FILE WxH
check_png() {
	local size
	size=$(python3 "$T/png.py" size "$1") || fail "$1: $size"
	[ "$size" = "$2" ] || fail "$1: image is $size, not $2"
}

# flat SERIES: all its values are 0 or unknown (no swap, an idle interface):
# its graph is drawn, but there is nothing to see in it.
flat() {
	rrdtool fetch "$dir/$1.rrd" AVERAGE -s $((stopped - 150)) -e "$stopped" 2>/dev/null | awk '
		/^[0-9]+:/ { for (i = 2; i <= NF; i++) if ($i !~ /nan/ && $i + 0 != 0) exit 1 }'
}

# At 10 minutes the 25 s of data are visible at any size, and still are when
# a slow machine draws the last of these graphs minutes after the daemon
# stopped (a graph's span ends now); 1h is the default size.
n=0
for s in $kinds; do
	nothing=''
	if flat "$s"; then
		log "$s: only zeros, nothing to see"
		nothing=$s
	fi
	for size in default 200x100 420x180 640x480 1234x321 1h; do
		args=("$host" "$s" --datadir "$data" --period 10min)
		want=800x250
		if [ "$size" = 1h ]; then
			args=("$host" "$s" --datadir "$data" --period 1h)
		elif [ "$size" != default ]; then
			args+=(--size "$size")
			want=$size
		fi
		graph "$T/$s-$size.png" "${args[@]}"
		check_png "$T/$s-$size.png" "$want"
		args[3]=$empty
		graph "$T/$s-$size-empty.png" "${args[@]}"
		check_png "$T/$s-$size-empty.png" "$want"
		d=$(python3 "$T/png.py" diff "$T/$s-$size.png" "$T/$s-$size-empty.png") ||
			fail "cannot compare $s-$size.png: $d"
		[ "$d" -gt 0 ] || [ "$s" = "$nothing" ] ||
			fail "$s at $size: the same as the graph of an empty file"
		n=$((n + 1))
	done
	c=$(python3 "$T/png.py" colours "$T/$s-default.png")
	[ "$c" -ge 8 ] || fail "$s: only $c colours in the default graph"
	ok "$s: 5 sizes and 2 periods, PNGs exact, data drawn ($c colours)"
done

# The extremes of --size, explicit fields, a title, other periods, stdout.
graph "$T/max.png" "$host" cpu --datadir "$data" --size 4000x3000 --period 1d
check_png "$T/max.png" 4000x3000
graph "$T/fields.png" "$host" memory used cached --datadir "$data" --title "Memory use"
check_png "$T/fields.png" 800x250
graph "$T/year.png" "$host" probe-web --datadir "$data" --period 1y --size 300x150
check_png "$T/year.png" 300x150
"$CTL" graph "$host" load --datadir "$data" --period 6h -o - >"$T/stdout.png" 2>"$T/graph.err" ||
	fail "graph -o -: $(cat "$T/graph.err")"
check_png "$T/stdout.png" 800x250
cmp -s "$T/stdout.png" "$T/load-default.png" && log "(the 6h graph equals the 1h one)"
# The datadir from the config given with -c.
graph "$T/conf.png" "$host" load -c "$T/hm.conf" --size 500x200
check_png "$T/conf.png" 500x200
ok "4000x3000, explicit fields, --title, 1y, 6h to stdout, datadir from -c"

# bad EXIT_STATUS MESSAGE_PATTERN ARGS...: fails with that status and a message.
bad() {
	local want=$1 pattern=$2 rc=0
	shift 2
	"$CTL" "$@" >"$T/bad.out" 2>"$T/bad.err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "healthmondctl $*: exit $rc, not $want: $(cat "$T/bad.err")"
	grep -q -- "$pattern" "$T/bad.err" || fail "healthmondctl $*: no '$pattern' in: $(cat "$T/bad.err")"
	[ ! -s "$T/bad.out" ] || fail "healthmondctl $*: wrote to stdout"
	n=$((n + 1))
}
out=$T/bad.png
bad 64 'bad period' graph "$host" cpu --datadir "$data" --period 2x -o "$out"
bad 64 'bad period' graph "$host" cpu --datadir "$data" --period 0h -o "$out"
bad 64 'bad size' graph "$host" cpu --datadir "$data" --size 10x10 -o "$out"
bad 64 'bad size' graph "$host" cpu --datadir "$data" --size 5000x100 -o "$out"
bad 64 'bad size' graph "$host" cpu --datadir "$data" --size 800 -o "$out"
bad 64 'bad size' graph "$host" cpu --datadir "$data" --size -800x250 -o "$out"
bad 64 'not a valid name' graph .. cpu --datadir "$data" -o "$out"
bad 64 'not a valid name' graph "$host" ../../etc/passwd --datadir "$data" -o "$out"
bad 64 'not a valid name' graph "$host/../$host" cpu --datadir "$data" -o "$out"
bad 64 "no field 'nosuch'" graph "$host" cpu user nosuch --datadir "$data" -o "$out"
bad 64 'needed' graph "$host" cpu --datadir "$data"
bad 64 'needed' graph "$host" -o "$out"
bad 64 'bad option' graph "$host" cpu --datadir "$data" --colour red -o "$out"
bad 69 'no series' graph "$host" nosuch --datadir "$data" -o "$out"
bad 69 'no series' graph otherhost cpu --datadir "$data" -o "$out"
bad 69 'no series' graph "$host" cpu --datadir "$T/nowhere" -o "$out"
bad 69 'cannot write' graph "$host" cpu --datadir "$data" -o "$T/nowhere/x.png"
bad 69 'nowhere.conf' graph "$host" cpu -c "$T/nowhere.conf" -o "$out"
[ ! -e "$out" ] || fail "a failed graph command wrote $out"
ok "bad parameters: exit 64 or 69 with a message"

# availability: up 1 for web, 0 for down, null without a file.
"$CTL" availability --datadir "$data" --period 1h,1d \
	"$host/probe-web" "$host/probe-down" "$host/probe-none" >"$T/avail.json" 2>"$T/avail.err" ||
	fail "availability: exit $?: $(cat "$T/avail.err")"
python3 - "$T/avail.json" "$host" <<'EOF' || fail "availability: $(cat "$T/avail.json")"
import json, sys
a, h = json.load(open(sys.argv[1])), sys.argv[2]
assert list(a) == [h + "/probe-web", h + "/probe-down", h + "/probe-none"], a
for key in a:
    assert list(a[key]) == ["1h", "1d"], a[key]
for p in ("1h", "1d"):
    web, down = a[h + "/probe-web"][p], a[h + "/probe-down"][p]
    assert isinstance(web, float) and 0 <= web <= 1 and web > 0.9, web
    assert isinstance(down, float) and 0 <= down <= 1 and down < 0.1, down
    assert a[h + "/probe-none"][p] is None
EOF
ok "availability: $(cat "$T/avail.json")"
"$CTL" availability -c "$T/hm.conf" "$host/probe-web" >"$T/avail2.json" 2>"$T/avail.err" ||
	fail "availability -c: $(cat "$T/avail.err")"
grep -q '"1d": .*"7d": ' "$T/avail2.json" || fail "availability's default periods: $(cat "$T/avail2.json")"
bad 64 'HOST/SERIES' availability --datadir "$data" "$host"
bad 64 'HOST/SERIES' availability --datadir "$data" "../$host/probe-web"
bad 64 'bad period' availability --datadir "$data" --period 1d,x "$host/probe-web"
bad 64 'needed' availability --datadir "$data"
bad 69 "no field 'up'" availability --datadir "$data" "$host/cpu"
ok "availability: defaults, bad parameters"
ok "$n checks"
exit 0
