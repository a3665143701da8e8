#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The dashboard of a real central with three real agents, one of them with
# a failing probe, in headless Chromium (dashboard_check.py). Screenshots
# are kept as test artifacts in $top_builddir/test-artifacts/.
. "$(dirname "$0")/lib.sh" || { echo "FAIL: cannot read lib.sh" >&2; exit 1; }
. "$(dirname "$0")/central-lib.sh" || fail "cannot read central-lib.sh"
. "$(dirname "$0")/web-lib.sh" || fail "cannot read web-lib.sh"
need_healthmond
[ -x "$HEALTHMONDCTL" ] || skip "healthmondctl was not built"
[ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ] ||
	skip "no chromium or chromedriver (apt-get install chromium chromium-driver)"
/usr/bin/python3 -c 'import selenium' 2>/dev/null ||
	skip "no selenium for /usr/bin/python3 (apt-get install python3-selenium)"

start_web_fleet
ok "fleet up: hub knows web1, web2, db1; web2's probe is critical"
# Availability over 24 h comes from the RRDs, through a healthmondctl run.
avail_shown() { curl -sf "http://127.0.0.1:$WEB_PORT/" | grep -q '<td class="num">100 %</td>'; }
HM_WAIT=$((HM_WAIT * 3)) wait_for avail_shown || fail "no probe availability on the dashboard"
ok "the dashboard shows the probes' availability from the RRDs"
artifacts=$top_builddir/test-artifacts
/usr/bin/python3 "$top_srcdir/tests/integration/dashboard_check.py" \
	"http://127.0.0.1:$WEB_PORT" "$artifacts" || fail "the dashboard failed in Chromium"
is_running "$hub" || fail "the hub died"
