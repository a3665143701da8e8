#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The built unit systemd/healthmond.service: every template variable
# expanded, `systemd-analyze verify` has nothing to say about it (it exits 0
# even on mistyped settings, so any output is a failure), and its exposure
# score stays at or under 1.5 (`systemd-analyze security --offline`).
. "$(dirname "$0")/lib.sh"
need_healthmond
command -v systemd-analyze >/dev/null || skip "no systemd-analyze (apt-get install systemd)"

unit=$top_builddir/systemd/healthmond.service
[ -f "$unit" ] || fail "no $unit: 'make' builds it from systemd/healthmond.service.in"
if grep -n '@[a-z_]*@' "$unit"; then
	fail "$unit: template variables left unexpanded"
fi
grep -qx 'Type=notify' "$unit" || fail "$unit: not Type=notify"
grep -qE '^ExecStart=/[^ ]*/healthmond -f$' "$unit" || fail "$unit: ExecStart is not '<sbindir>/healthmond -f'"
grep -qE '^WatchdogSec=' "$unit" || fail "$unit: no WatchdogSec="
grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$unit" || fail "$unit: no SIGHUP ExecReload="
ok "$unit: expanded, Type=notify, ExecStart, WatchdogSec, ExecReload"

# verify wants ExecStart's binary to exist: point it at the one just built.
bin=$(cd "$(dirname "$HEALTHMOND")" && pwd)/$(basename "$HEALTHMOND")
mkdir -p "$T/units"
sed "s|^ExecStart=[^ ]*|ExecStart=$bin|" "$unit" >"$T/units/healthmond.service"

# verify UNITFILE: prints systemd-analyze's output; fails when it exits non-zero.
verify() {
	systemd-analyze verify --man=no "$1" 2>&1
}

out=$(verify "$T/units/healthmond.service") ||
	fail "systemd-analyze verify failed: $out"
[ -z "$out" ] || fail "systemd-analyze verify: $out"
ok "systemd-analyze verify: no complaint"

# The check can fail: a mistyped setting must be reported.
mkdir -p "$T/typo"
sed 's/^WatchdogSec=/WatchdogSecs=/' "$T/units/healthmond.service" >"$T/typo/healthmond.service"
[ -n "$(verify "$T/typo/healthmond.service")" ] ||
	fail "systemd-analyze verify did not notice a mistyped setting"
ok "systemd-analyze verify reports a mistyped setting"

# Exposure: --threshold is ten times the printed score.
if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	sec=$(systemd-analyze security --offline=true "$T/units/healthmond.service" 2>&1 | tail -n 1)
	systemd-analyze security --offline=true --threshold=15 \
		"$T/units/healthmond.service" >/dev/null 2>&1 ||
		fail "exposure above 1.5: $sec"
	ok "systemd-analyze security: ${sec#→ }"
else
	log "systemd-analyze has no --offline: exposure not measured"
fi
exit 0
