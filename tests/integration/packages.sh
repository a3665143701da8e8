#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The packages: contrib/build-packages builds the .deb (contrib/debian) and
# the .rpm (contrib/rpm/healthmond.spec) from a clean copy of the source
# tree, as a release would be built. Checked here, because nothing else
# builds them and packaging rots silently:
#  - the .deb passes `lintian --fail-on error,warning` and holds what a host
#    needs: daemon and client, both units, the sysusers.d file, the message
#    catalog, the manual pages, central.conf as a conffile; its maintainer
#    scripts create the user before enabling and starting the agent, leave
#    the central disabled and stopped, and remove the state on purge;
#  - the .rpm holds the same files, central.conf as %config, scriptlets for
#    the units, and rpmlint reports no error but those no build can fix
#    (no-signature: packages are signed when published; no-packager-tag:
#    the packager is the one rebuilding it).
# That the .deb installs, creates its user and starts the agent under a
# booted systemd is the part of tests/integration/systemd.sh.
#
# The .deb and .rpm parts skip on their own when their tools are missing.
# Building takes a minute or two.
. "$(dirname "$0")/lib.sh"

BUILD=$top_srcdir/contrib/build-packages
[ -x "$BUILD" ] || fail "no $BUILD"

deb=yes
deb_why=
for t in dpkg-buildpackage dh dpkg-deb lintian; do
	command -v "$t" >/dev/null && continue
	deb=no
	deb_why="no $t (scripts/install-deps --tests: debhelper lintian)"
	break
done
if [ "$deb" = yes ]; then
	# The build dependencies, as dpkg-buildpackage checks them.
	if ! out=$(dpkg-checkbuilddeps "$top_srcdir/contrib/debian/control" 2>&1); then
		deb=no
		deb_why="${out#*error: }"
	fi
fi
rpm=yes
rpm_why=
for t in rpmbuild rpm rpmlint; do
	command -v "$t" >/dev/null && continue
	rpm=no
	rpm_why="no $t (scripts/install-deps --tests: rpm rpmlint)"
	break
done
[ "$deb" = yes ] || log "SKIP .deb: $deb_why"
[ "$rpm" = yes ] || log "SKIP .rpm: $rpm_why"
[ "$deb" = yes ] || [ "$rpm" = yes ] || skip "$deb_why; $rpm_why"

args=()
[ "$deb" = no ] || args+=(--deb)
[ "$rpm" = no ] || args+=(--rpm)
OUT=$T/out
HM_LOGS+=("$T/build.log" "$OUT/deb.log" "$OUT/rpm.log" "$OUT/dist.log")
t0=$SECONDS
"$BUILD" "${args[@]}" "$OUT" >"$T/build.log" 2>&1 ||
	fail "contrib/build-packages ${args[*]} failed"
ok "contrib/build-packages ${args[*]}: built in $((SECONDS - t0))s"

# lists FILE PATTERN WHAT: FILE has a line matching the grep -E PATTERN.
lists() {
	grep -qE -- "$2" "$1" || fail "$3"
}

# --- The .deb ---------------------------------------------------------------
check_deb() {
	local debs changes pkg list ctl sysusers enable start
	debs=("$OUT"/healthmond_*.deb)
	[ -f "${debs[0]}" ] || fail "no healthmond_*.deb in $OUT: $(ls "$OUT")"
	[ "${#debs[@]}" -eq 1 ] || fail "more than one healthmond_*.deb: ${debs[*]}"
	pkg=${debs[0]}
	changes=("$OUT"/healthmond_*.changes)
	[ -f "${changes[0]}" ] || fail "no .changes next to $pkg"

	lintian --fail-on error,warning "${changes[0]}" >"$T/lintian.out" 2>&1 || {
		HM_LOGS+=("$T/lintian.out")
		fail "lintian --fail-on error,warning complains about the .deb"
	}
	ok "lintian --fail-on error,warning: no error or warning"

	list=$T/deb.list
	dpkg-deb -c "$pkg" | awk '{ print $NF }' | sed 's|^\./|/|' >"$list"
	for f in /usr/sbin/healthmond /usr/bin/healthmondctl \
		'/(usr/)?lib/systemd/system/healthmond.service' \
		'/(usr/)?lib/systemd/system/healthmond-central.service' \
		/usr/lib/sysusers.d/healthmond.conf \
		/usr/lib/systemd/catalog/healthmond.catalog \
		/usr/share/man/man8/healthmond.8.gz /usr/share/man/man5/healthmond.conf.5.gz \
		/usr/share/man/man1/healthmondctl.1.gz \
		/etc/healthmond/central.conf /usr/share/doc/healthmond/copyright; do
		lists "$list" "^$f\$" ".deb lacks $f"
	done
	ok ".deb holds daemon, client, both units, sysusers.d file, catalog, man pages"

	ctl=$T/deb.control
	dpkg-deb -e "$pkg" "$ctl"
	lists "$ctl/conffiles" '^/etc/healthmond/central\.conf$' \
		"central.conf is not a conffile: $(cat "$ctl/conffiles")"
	# The libraries healthmond opens with dlopen(), which dh_shlibdeps
	# cannot see (debian/rules adds them). libcurl is not in the list:
	# healthmondctl links it, so it would be there anyway.
	for lib in libmicrohttpd libgnutls; do
		dpkg-deb -f "$pkg" Depends | grep -q "$lib" ||
			fail ".deb does not depend on $lib: $(dpkg-deb -f "$pkg" Depends)"
	done
	ok ".deb: central.conf is a conffile; depends on the dlopen()ed libraries"

	# postinst: user first, then the agent enabled and started; the
	# central neither (its enable is only the was-enabled upgrade case).
	sysusers=$(grep -n 'systemd-sysusers.*healthmond\.conf' "$ctl/postinst" | cut -d: -f1 | head -n 1)
	enable=$(grep -n "deb-systemd-helper enable 'healthmond\.service'" "$ctl/postinst" |
		cut -d: -f1 | head -n 1)
	start=$(grep -n "deb-systemd-invoke \$_dh_action 'healthmond\.service'" "$ctl/postinst" |
		cut -d: -f1 | head -n 1)
	[ -n "$sysusers" ] || fail "postinst does not run systemd-sysusers"
	[ -n "$enable" ] || fail "postinst does not enable healthmond.service"
	[ -n "$start" ] || fail "postinst does not start healthmond.service"
	if [ "$sysusers" -gt "$enable" ] || [ "$enable" -gt "$start" ]; then
		fail "postinst: user (line $sysusers), enable ($enable), start ($start) out of order"
	fi
	if grep -n "deb-systemd-invoke \(start\|restart\|\$_dh_action\) 'healthmond-central" \
		"$ctl/postinst"; then
		fail "postinst starts healthmond-central.service"
	fi
	awk "/was-enabled 'healthmond-central.service'/ { guarded = 1 }
		/deb-systemd-helper enable 'healthmond-central.service'/ && !guarded { exit 1 }" \
		"$ctl/postinst" || fail "postinst enables healthmond-central.service"
	ok "postinst: user, then agent enabled and started; central neither enabled nor started"

	grep -q "deb-systemd-invoke stop 'healthmond\.service'" "$ctl/prerm" ||
		fail "prerm does not stop the agent on removal"
	grep -q "deb-systemd-invoke stop '\?healthmond-central\.service" "$ctl/prerm" ||
		fail "prerm does not stop the central on removal"
	# The purge branch of postrm, run against a scratch root: it must
	# remove both state directories and nothing else there.
	mkdir -p "$T/root/var/lib/healthmond/x" "$T/root/var/lib/healthmond-central/y" \
		"$T/root/var/lib/private/healthmond" "$T/root/var/lib/other"
	# shellcheck disable=SC2016 # $1 is postrm's, matched literally.
	sed -n '/^if \[ "\$1" = purge \]; then$/,/^fi$/p' "$ctl/postrm" |
		sed "s|\([[:space:]]\)/var/lib/|\1$T/root/var/lib/|g" >"$T/purge.sh"
	grep -q 'rm -rf' "$T/purge.sh" || fail "postrm has no purge branch"
	# Never run it against this host's /var.
	if grep -nE "(^|[[:space:]\"'=])/var/" "$T/purge.sh"; then
		fail "postrm's purge branch names paths this test cannot redirect"
	fi
	sh "$T/purge.sh" purge || fail "postrm's purge branch failed"
	for d in healthmond healthmond-central private/healthmond; do
		[ ! -e "$T/root/var/lib/$d" ] || fail "purge left /var/lib/$d"
	done
	[ -d "$T/root/var/lib/other" ] || fail "purge removed /var/lib/other"
	mkdir -p "$T/root/var/lib/healthmond"
	sh "$T/purge.sh" remove
	[ -d "$T/root/var/lib/healthmond" ] || fail "postrm removes the state on 'remove'"
	ok "prerm stops both units; postrm removes the state on purge only"

	# The check can fail: lintian flags a package without its copyright file.
	dpkg-deb -R "$pkg" "$T/broken"
	rm "$T/broken/usr/share/doc/healthmond/copyright"
	sed -i '/usr\/share\/doc\/healthmond\/copyright$/d' "$T/broken/DEBIAN/md5sums"
	dpkg-deb --root-owner-group -b "$T/broken" "$T/broken.deb" >/dev/null ||
		fail "could not repack the .deb"
	if lintian --fail-on error,warning "$T/broken.deb" >"$T/lintian-broken.out" 2>&1; then
		fail "lintian passed a .deb without copyright file: $(cat "$T/lintian-broken.out")"
	fi
	grep -q 'no-copyright-file' "$T/lintian-broken.out" ||
		fail "lintian failed the broken .deb, but not for its copyright file: $(cat "$T/lintian-broken.out")"
	ok "lintian fails a .deb without copyright file (the check can fail)"
}

# --- The .rpm ---------------------------------------------------------------
# rpmlint errors that no build can fix: packages are signed when published,
# and Packager: names whoever rebuilds it (set in their ~/.rpmmacros).
RPMLINT_ACCEPTED='no-signature|no-packager-tag'

# rpmlint_errors FILE: the errors in rpmlint's output FILE that are not
# accepted, one a line.
rpmlint_errors() {
	grep -E '^[^ ]+: E: ' "$1" | grep -vE ": E: ($RPMLINT_ACCEPTED)( |\$)"
}

check_rpm() {
	local rpms pkg list scripts n
	rpms=("$OUT"/healthmond-[0-9]*.rpm)
	[ -f "${rpms[0]}" ] || fail "no healthmond-*.rpm in $OUT: $(ls "$OUT")"
	pkg=${rpms[0]}

	list=$T/rpm.list
	rpm -qlp "$pkg" >"$list" 2>/dev/null || fail "rpm -qlp $pkg failed"
	for f in /usr/sbin/healthmond /usr/bin/healthmondctl \
		/usr/lib/systemd/system/healthmond.service \
		/usr/lib/systemd/system/healthmond-central.service \
		/usr/lib/sysusers.d/healthmond.conf \
		/usr/lib/systemd/catalog/healthmond.catalog \
		'/usr/share/man/man8/healthmond\.8(\.gz)?' \
		'/usr/share/man/man5/healthmond\.conf\.5(\.gz)?' \
		'/usr/share/man/man1/healthmondctl\.1(\.gz)?' \
		/etc/healthmond/central.conf '/usr/share/licenses/healthmond[^/]*/LICENSE'; do
		lists "$list" "^$f\$" ".rpm lacks $f"
	done
	rpm -qpc "$pkg" 2>/dev/null | grep -qx /etc/healthmond/central.conf ||
		fail "central.conf is not %config in the .rpm"
	rpm -qp --requires "$pkg" 2>/dev/null | grep -q '^libmicrohttpd\.so' ||
		fail ".rpm does not require the dlopen()ed libmicrohttpd"
	ok ".rpm holds daemon, client, both units, sysusers.d file, catalog, man pages, licence; central.conf is %config"

	scripts=$T/rpm.scripts
	rpm -qp --scripts "$pkg" >"$scripts" 2>/dev/null
	lists "$scripts" 'systemd-sysusers|useradd|groupadd' "the .rpm's scriptlets create no user"
	for s in postinstall preuninstall postuninstall; do
		lists "$scripts" "^$s scriptlet" "the .rpm has no $s scriptlet"
	done
	lists "$scripts" 'healthmond\.service.*healthmond-central\.service|systemctl.*preset' \
		"the .rpm's scriptlets do not handle the units"
	ok ".rpm scriptlets: user, units (preset, disable on erase, try-restart on upgrade)"

	# rpmlint's defaults are openSUSE's; the spec targets Fedora, whose
	# configuration compresses manual pages with gzip and knows SPDX MIT.
	printf 'CompressExtension = "gz"\nValidLicenses = ["MIT"]\n' >"$T/rpmlint.toml"
	rpmlint -c "$T/rpmlint.toml" "$pkg" >"$T/rpmlint.out" 2>&1 || :
	HM_LOGS+=("$T/rpmlint.out")
	grep -qE '[0-9]+ packages and [0-9]+ specfiles checked' "$T/rpmlint.out" ||
		fail "rpmlint did not run"
	if rpmlint_errors "$T/rpmlint.out" >"$T/rpmlint.errors"; then
		fail "rpmlint errors: $(cat "$T/rpmlint.errors")"
	fi
	n=$(grep -cE '^[^ ]+: W: ' "$T/rpmlint.out")
	ok "rpmlint: no errors but $(grep -oE ": E: ($RPMLINT_ACCEPTED)" "$T/rpmlint.out" |
		sed 's/: E: //' | paste -sd, -); $n warnings"

	# The check can fail: any other error counts.
	printf 'healthmond.x86_64: E: no-signature\nhealthmond.x86_64: E: invalid-spec-name\n' \
		>"$T/rpmlint-fake.out"
	rpmlint_errors "$T/rpmlint-fake.out" | grep -q invalid-spec-name ||
		fail "the rpmlint filter lets other errors through"
	ok "the rpmlint filter catches other errors (the check can fail)"
}

[ "$deb" = no ] || check_deb
[ "$rpm" = no ] || check_rpm
exit 0
