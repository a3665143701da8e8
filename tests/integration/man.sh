#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The manual pages: each generated page is lint-clean for groff (and for
# mandoc when it is installed), and healthmond.conf(5) documents every key
# the daemon's parser accepts. The key list comes from the daemon itself:
# `healthmond -nv` prints every group and key of the effective config, set
# or not ("# key is unset: ..."), so a key added to src/conf_keys.c but not
# to the page fails here.
. "$(dirname "$0")/lib.sh"
need_healthmond

command -v groff >/dev/null || skip "groff is not installed (Debian: groff-base)"

pages=(src/healthmond.8 conf/healthmond.conf.5 src/healthmondctl.1)
for p in "${pages[@]}"; do
	[ -s "$top_builddir/$p" ] || fail "$p was not generated (make builds it)"
done

# (1) Lint: groff's warnings on, output thrown away, stderr must stay empty.
for p in "${pages[@]}"; do
	f=$top_builddir/$p
	grep -q '@[a-zA-Z_]*@' "$f" && fail "$p: placeholder left unexpanded: $(grep -o '@[a-zA-Z_]*@' "$f" | head -n 1)"
	LC_ALL=C.UTF-8 groff -ww -z -man "$f" >"$T/lint" 2>&1 || fail "$p: groff exited $?: $(cat "$T/lint")"
	[ -s "$T/lint" ] && fail "$p: groff warns: $(cat "$T/lint")"
	ok "groff -ww: $p"
done
if command -v mandoc >/dev/null; then
	for p in "${pages[@]}"; do
		mandoc -T lint -W warning "$top_builddir/$p" >"$T/lint" 2>&1 ||
			fail "$p: mandoc -T lint: $(cat "$T/lint")"
		[ -s "$T/lint" ] && fail "$p: mandoc -T lint: $(cat "$T/lint")"
		ok "mandoc -T lint: $p"
	done
else
	log "mandoc is not installed: mandoc -T lint skipped"
fi

# (2) Every key documented. One probe in the config so that the keys of a
# probe are printed too (an empty list prints none).
printf 'probes = ( { name = "p"; url = "http://127.0.0.1/"; } );\n' >"$T/conf"
"$HEALTHMOND" -nv -c "$T/conf" >"$T/effective" 2>"$T/err" </dev/null ||
	fail "healthmond -nv exited $?: $(cat "$T/err")"
HM_LOGS+=("$T/effective")

# Each key with its group path: "cpu.per_core", "probes.N.url" (N: an
# element of a list), "checks.NAME.for" (NAME: a member of the checks map).
awk '
	function path(k,   s, i) {
		s = ""
		for (i = 1; i <= depth; i++)
			s = s stack[i] "."
		return s k
	}
	/^[ \t]*#/ {
		if (match($0, /^[ \t]*# [a-z_]+ is unset/)) {
			k = $0; sub(/^[ \t]*# /, "", k); sub(/ .*/, "", k)
			print path(k)
		}
		next
	}
	/^[ \t]*[a-z_]+ = [{(][ \t]*$/ {
		k = $1
		if (depth == 1 && stack[1] == "checks")
			k = "NAME"
		stack[++depth] = k
		next
	}
	/^[ \t]*\{[ \t]*$/ { stack[++depth] = "N"; next }
	/^[ \t]*[})][;,]?[ \t]*$/ { depth--; next }
	/^[ \t]*[a-z_]+ = / { print path($1) }
' "$T/effective" | sort -u >"$T/keys"
# Groups with keys of their own are not keys themselves; lists and maps are.
printf '%s\n' probes checks >>"$T/keys"
n=$(wc -l <"$T/keys")
[ "$n" -ge 70 ] || fail "only $n keys found in healthmond -nv output"

# The page as text, unhyphenated and on long lines: a key is documented
# when it is the tag of a paragraph (".TP" then ".B key").
LC_ALL=C.UTF-8 groff -man -Tascii -rHY=0 -rLL=250n -P-cbou \
	"$top_builddir/conf/healthmond.conf.5" >"$T/page.txt" 2>/dev/null ||
	fail "groff could not render healthmond.conf.5"
missing=()
while read -r key; do
	case $key in
	probes | checks) re="\\b$key\\b" ;;
	*) re="^ +${key//./\\.}( |\$)" ;;
	esac
	grep -qE "$re" "$T/page.txt" || missing+=("$key")
done <"$T/keys"
[ "${#missing[@]}" -eq 0 ] ||
	fail "healthmond.conf.5 does not document: ${missing[*]}"
ok "healthmond.conf.5 documents all $n keys of healthmond -nv"
