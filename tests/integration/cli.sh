#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The command line without a running daemon: --version, --help, -n on valid
# and invalid configs (every error names FILE:LINE, and the right line),
# -nv round trips, the shipped sample parses, and the golden files
# tests/data/conf/N.in -> N.ok.
. "$(dirname "$0")/lib.sh"
need_healthmond

out=$T/out
err=$T/err
HM_LOGS+=("$out" "$err")

# run ARGS...: runs healthmond, stdout in $out, stderr in $err, status in $rc.
run() {
	rc=0
	"$HEALTHMOND" "$@" >"$out" 2>"$err" </dev/null || rc=$?
}

# --version: "healthmond VERSION", the version configure was given.
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h" 2>/dev/null)
: "${version:=0.1.0}"
run --version
[ "$rc" -eq 0 ] || fail "--version exited $rc"
[ "$(head -n 1 "$out")" = "healthmond $version" ] ||
	fail "--version printed '$(head -n 1 "$out")', expected 'healthmond $version'"
ok "--version: healthmond $version"

# --help: usage on stdout, exit 0, every option named.
run --help
[ "$rc" -eq 0 ] || fail "--help exited $rc"
grep -qi usage "$out" || fail "--help printed no usage on stdout"
for opt in -c -f -n -v --version --help; do
	grep -q -- "$opt" "$out" || fail "--help does not mention $opt"
done
ok "--help"

# An unknown option is a usage error.
run --no-such-option
[ "$rc" -ne 0 ] || fail "--no-such-option exited 0"
[ -s "$err" ] || fail "--no-such-option said nothing on stderr"
ok "unknown option: exit $rc"

# A missing file is an error that names the file.
run -n -c "$T/does-not-exist.conf"
[ "$rc" -ne 0 ] || fail "-n on a missing file exited 0"
grep -qF "$T/does-not-exist.conf" "$err" || fail "missing file: stderr does not name it"
ok "missing config file: exit $rc"

# Valid configs: -n exits 0.
cat >"$T/empty.conf" </dev/null
cat >"$T/valid.conf" <<'EOF'
# Every key, with values other than the defaults where that is possible.
hostname = "hm-cli";
interval = 60;
datadir = "/var/tmp/hm-cli";
root_dir = "/";
log = "syslog";
log_level = "debug";
cpu = { enabled = true; per_core = false; };
memory = { enabled = true; };
swap = { enabled = false; };
load = { enabled = true; };
uptime = { enabled = false; };
disk_space = {
	enabled = true;
	ignore_fstypes = [ "tmpfs", "overlay" ];
	mountpoints = [ "/", "/var" ];
};
disk_io = { enabled = true; devices = [ "sda", "nvme0n1" ]; };
network = {
	enabled = true;
	interfaces = [ ];
	ignore_interfaces = [ "lo", "docker0" ];
};
EOF
for f in empty valid; do
	run -n -c "$T/$f.conf"
	[ "$rc" -eq 0 ] || fail "-n rejected $f.conf (exit $rc): $(cat "$err")"
	ok "-n accepts $f.conf"
done
for v in 1 3600; do
	printf 'interval = %s;\n' "$v" >"$T/bound.conf"
	run -n -c "$T/bound.conf"
	[ "$rc" -eq 0 ] || fail "-n rejected interval = $v (exit $rc): $(cat "$err")"
done
ok "-n accepts interval 1 and 3600"

# expect_error NAME LINE: $T/NAME.conf is invalid and the error is
# "$T/NAME.conf:LINE: ..." on stderr.
expect_error() {
	local f=$T/$1.conf
	run -n -c "$f"
	[ "$rc" -ne 0 ] || fail "-n accepted $1.conf"
	grep -qF -- "$f:$2: " "$err" ||
		fail "$1.conf: no '$f:$2: ' on stderr: $(cat "$err")"
	ok "$1 -> $(grep -F -- "$f:$2: " "$err" | head -n 1 | sed "s|$T/||")"
}

# Syntax errors.
printf '# line 1\nhostname = "x";\ninterval = ;\nlog = "stderr";\n' >"$T/syntax1.conf"
expect_error syntax1 3
printf 'memory = {\n\tenabled = true;\n};\n};\n' >"$T/syntax2.conf"
expect_error syntax2 4

# Unknown keys, at the top and inside a group.
printf 'hostname = "x";\n\ninterval = 5;\nno_such_key = 1;\n' >"$T/unknown1.conf"
expect_error unknown1 4
printf 'interval = 5;\ncpu = {\n\tenabled = true;\n\tfrobnicate = true;\n};\n' >"$T/unknown2.conf"
expect_error unknown2 4
printf 'network = {\n\tenabled = true;\n};\nmemroy = { enabled = true; };\n' >"$T/unknown3.conf"
expect_error unknown3 4

# Wrong types.
printf 'hostname = "x";\ninterval = "ten";\n' >"$T/type1.conf"
expect_error type1 2
printf '\n\ncpu = {\n\tper_core = "yes";\n};\n' >"$T/type2.conf"
expect_error type2 4
printf 'log = 3;\n' >"$T/type3.conf"
expect_error type3 1
printf 'disk_io = {\n\tdevices = [ 1, 2 ];\n};\n' >"$T/type4.conf"
expect_error type4 2
printf 'hostname = "x";\nmemory = true;\n' >"$T/type5.conf"
expect_error type5 2
printf 'interval = 10;\ninterval_x = 1;\ndatadir = 5;\n' >"$T/type6.conf"
run -n -c "$T/type6.conf"
[ "$rc" -ne 0 ] || fail "-n accepted type6.conf"
ok "type6 (two errors) rejected"

# Out of range.
printf 'hostname = "x";\n\ninterval = 0;\n' >"$T/range1.conf"
expect_error range1 3
printf 'interval = 3601;\n' >"$T/range2.conf"
expect_error range2 1
printf 'interval = -5;\n' >"$T/range3.conf"
expect_error range3 1
printf 'interval = 10;\nlog = "file";\n' >"$T/range4.conf"
expect_error range4 2
printf 'interval = 10;\n\n\nlog_level = "verbose";\n' >"$T/range5.conf"
expect_error range5 4

# -nv round trip: print, parse the printout, print again: identical.
for f in empty valid; do
	run -nv -c "$T/$f.conf"
	[ "$rc" -eq 0 ] || fail "-nv $f.conf exited $rc: $(cat "$err")"
	[ -s "$out" ] || fail "-nv $f.conf printed nothing"
	cp "$out" "$T/$f.nv1"
	run -n -c "$T/$f.nv1"
	[ "$rc" -eq 0 ] || fail "-n rejects the -nv output of $f.conf: $(cat "$err")"
	run -nv -c "$T/$f.nv1"
	[ "$rc" -eq 0 ] || fail "-nv on the -nv output of $f.conf exited $rc"
	diff -u "$T/$f.nv1" "$out" >"$T/diff" ||
		fail "-nv of $f.conf is not stable: $(cat "$T/diff")"
	ok "-nv round trip of $f.conf"
done
# The values of valid.conf survive the trip.
for want in 'interval = 60;' '"docker0"' '"nvme0n1"' '"/var"' 'per_core = false;'; do
	grep -qF -- "$want" "$T/valid.nv1" || fail "-nv of valid.conf lost '$want'"
done
ok "-nv keeps the values"

# Without -c and without a system config file, the embedded default is the
# same as an empty file.
eval "$(sed -n -e 's/^prefix = /prefix=/p' -e 's/^sysconfdir = /sysconfdir=/p' \
	"$top_builddir/Makefile")"
eval "sysconfdir=\"${sysconfdir:-}\""
if [ -n "${sysconfdir:-}" ] && [ ! -e "$sysconfdir/healthmond/healthmond.conf" ]; then
	run -nv
	[ "$rc" -eq 0 ] || fail "-nv with no config file exited $rc: $(cat "$err")"
	diff -u "$T/empty.nv1" "$out" >"$T/diff" ||
		fail "embedded default differs from an empty file: $(cat "$T/diff")"
	ok "embedded default == empty file"
else
	log "$sysconfdir/healthmond/healthmond.conf exists: embedded default not compared"
fi

# The shipped sample parses, and round-trips.
sample=$top_srcdir/conf/healthmond.conf
if [ -f "$sample" ]; then
	run -n -c "$sample"
	[ "$rc" -eq 0 ] || fail "shipped sample $sample is rejected: $(cat "$err")"
	run -nv -c "$sample"
	[ "$rc" -eq 0 ] || fail "-nv of the shipped sample exited $rc"
	ok "shipped sample parses"
else
	log "no $sample yet: sample check not run"
fi

# Golden files: healthmond -nv -c N.in must print N.ok exactly.
n=0
for in in "$top_srcdir"/tests/data/conf/*.in; do
	[ -e "$in" ] || break
	name=$(basename "$in" .in)
	run -nv -c "$in"
	[ "$rc" -eq 0 ] || fail "golden $name.in: -nv exited $rc: $(cat "$err")"
	diff -u "${in%.in}.ok" "$out" >"$T/diff" ||
		fail "golden $name: -nv differs from $name.ok: $(cat "$T/diff")"
	# The golden output is itself a config that prints as itself.
	run -nv -c "${in%.in}.ok"
	[ "$rc" -eq 0 ] || fail "golden $name.ok: -nv exited $rc: $(cat "$err")"
	diff -u "${in%.in}.ok" "$out" >"$T/diff" ||
		fail "golden $name.ok does not print as itself: $(cat "$T/diff")"
	n=$((n + 1))
done
[ "$n" -ge 3 ] || fail "only $n golden config files in tests/data/conf"
ok "$n golden config files"

exit 0
