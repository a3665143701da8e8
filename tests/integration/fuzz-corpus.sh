#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Replays the fuzzing seed corpora through the fuzz targets, built with the
# ordinary compiler and tests/fuzz_main.c: tests/data/fuzz/wire/ through the
# wire decoder's round-trip oracle, and tests/data/fuzz/conf/ plus the
# shipped sample config and the golden inputs through the config loader's
# print-and-reload oracle, tests/data/fuzz/basicauth/ through the
# Authorization header and users file decoders, tests/data/fuzz/events/
# through the view's events file loader, and tests/data/fuzz/ctl/ through
# healthmondctl's checks of the daemon's answers. A target that finds a bad
# input aborts, and the sanitizers of an --enable-sanitizers build report it.
. "$(dirname "$0")/lib.sh"

out=$T/out
HM_LOGS+=("$out")

# replay NAME INPUT...: runs tests/fuzz_NAME_replay on the inputs.
replay() {
	local name=$1 bin=$top_builddir/tests/fuzz_$1_replay rc=0
	shift
	[ -x "$bin" ] || fail "$bin not built"
	"$bin" "$@" >"$out" 2>&1 </dev/null || rc=$?
	[ "$rc" -eq 0 ] || fail "fuzz_$name: exited $rc on its corpus"
	ok "fuzz_$name: $(tail -n 1 "$out" | sed 's/^.*: //')"
}

replay wire "$top_srcdir/tests/data/fuzz/wire"
replay conf "$top_srcdir/tests/data/fuzz/conf" "$top_srcdir/conf/healthmond.conf" \
	"$top_srcdir"/tests/data/conf/*.in
replay basicauth "$top_srcdir/tests/data/fuzz/basicauth"
replay events "$top_srcdir/tests/data/fuzz/events"
replay ctl "$top_srcdir/tests/data/fuzz/ctl"
