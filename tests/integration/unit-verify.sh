#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The built units systemd/healthmond.service and healthmond-central.service:
# every template variable expanded, `systemd-analyze verify` has nothing to
# say about them (it exits 0 even on mistyped settings, so any output is a
# failure), and their exposure scores stay at or under 1.5 (`systemd-analyze
# security --offline`). The central's installed config and the sysusers.d
# file the units rely on are valid.
. "$(dirname "$0")/lib.sh"
need_healthmond
command -v systemd-analyze >/dev/null || skip "no systemd-analyze (apt-get install systemd)"

# check_unit NAME EXECSTART_ARGS: the built unit NAME.service, checked.
check_unit() {
	local name=$1 args=$2 unit=$top_builddir/systemd/$1.service bin sec out
	[ -f "$unit" ] || fail "no $unit: 'make' builds it from systemd/$name.service.in"
	if grep -n '@[a-z_]*@' "$unit"; then
		fail "$unit: template variables left unexpanded"
	fi
	grep -qx 'Type=notify' "$unit" || fail "$unit: not Type=notify"
	grep -qE "^ExecStart=/[^ ]*/healthmond $args\$" "$unit" ||
		fail "$unit: ExecStart is not '<sbindir>/healthmond $args'"
	grep -qE '^WatchdogSec=' "$unit" || fail "$unit: no WatchdogSec="
	grep -qE "^ExecReload=/[^ ]*/healthmond -n${args#-f}\$" "$unit" ||
		fail "$unit: no ExecReload= that checks the config first"
	grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "$unit: no SIGHUP ExecReload="
	grep -qx 'Restart=on-failure' "$unit" || fail "$unit: no Restart=on-failure"
	grep -qx 'User=healthmond' "$unit" || fail "$unit: not User=healthmond"
	for d in State Runtime Configuration; do
		grep -qE "^${d}Directory=healthmond" "$unit" || fail "$unit: no ${d}Directory="
	done
	ok "$name.service: expanded, Type=notify, ExecStart, WatchdogSec, ExecReload, Restart, User, directories"

	# verify wants ExecStart's binary to exist: point it at the one just built.
	bin=$(cd "$(dirname "$HEALTHMOND")" && pwd)/$(basename "$HEALTHMOND")
	mkdir -p "$T/units"
	sed -E "s#^(ExecStart|ExecReload)=[^ ]*/healthmond( |\$)#\1=$bin\2#" "$unit" >"$T/units/$name.service"
	out=$(verify "$T/units/$name.service") ||
		fail "systemd-analyze verify $name.service failed: $out"
	[ -z "$out" ] || fail "systemd-analyze verify $name.service: $out"
	ok "systemd-analyze verify $name.service: no complaint"

	# The check can fail: a mistyped setting must be reported.
	mkdir -p "$T/typo"
	sed 's/^WatchdogSec=/WatchdogSecs=/' "$T/units/$name.service" >"$T/typo/$name.service"
	[ -n "$(verify "$T/typo/$name.service")" ] ||
		fail "systemd-analyze verify did not notice a mistyped setting in $name.service"

	# Exposure: --threshold is ten times the printed score.
	if [ "$have_offline" = yes ]; then
		sec=$(systemd-analyze security --offline=true "$T/units/$name.service" 2>&1 | tail -n 1)
		systemd-analyze security --offline=true --threshold=15 \
			"$T/units/$name.service" >/dev/null 2>&1 ||
			fail "$name.service: exposure above 1.5: $sec"
		ok "systemd-analyze security: ${sec#→ }"
	fi
}

# verify UNITFILE: prints systemd-analyze's output; fails when it exits non-zero.
verify() {
	systemd-analyze verify --man=no "$1" 2>&1
}

have_offline=no
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	have_offline=yes
else
	log "systemd-analyze has no --offline: exposure not measured"
fi
check_unit healthmond '-f'
check_unit healthmond-central '-f -c /[^ ]*/healthmond/central.conf'

# The central's unit reads the installed central.conf: it must be valid and
# enable the central (its tokens_file is the administrator's to write).
conf=$top_builddir/conf/central.conf
[ -f "$conf" ] || fail "no $conf: 'make' builds it from conf/central.conf.in"
! grep -n '@[a-z_]*@' "$conf" || fail "$conf: template variables left unexpanded"
printf 'hm %s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$T/tokens"
chmod 600 "$T/tokens"
sed "s|^\(\s*tokens_file = \).*|\1\"$T/tokens\";|" "$conf" >"$T/central.conf"
out=$("$HEALTHMOND" -nv -c "$T/central.conf" 2>&1) || fail "central.conf is not valid: $out"
grep -A1 '^central = {' <<<"$out" | grep -q 'enabled = true;' ||
	fail "central.conf does not enable the central: $out"
ok "central.conf: valid, central enabled"

# The user both units name comes from the sysusers.d file.
sysusers=$top_srcdir/sysusers.d/healthmond.conf
grep -qE '^u healthmond ' "$sysusers" || fail "$sysusers: no 'u healthmond' line"
if command -v systemd-sysusers >/dev/null; then
	mkdir -p "$T/root/etc"
	out=$(systemd-sysusers --root="$T/root" "$sysusers" 2>&1) ||
		fail "systemd-sysusers refused $sysusers: $out"
	grep -q '^healthmond:' "$T/root/etc/passwd" ||
		fail "systemd-sysusers made no user healthmond: $(cat "$T/root/etc/passwd")"
	ok "sysusers.d/healthmond.conf: creates user healthmond ($(grep '^healthmond:' "$T/root/etc/passwd"))"
fi
exit 0
