# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers for the tests that install the Debian package into Debian 12
# containers booted with systemd as PID 1 (systemd.sh, systemd-fleet.sh;
# shared/TESTING-RECIPES.md, "systemd as PID 1"). Sourced after lib.sh.
#
# - ns_need: skips, saying why, unless this machine can do it (root,
#   debootstrap, systemd-nspawn, namespaces).
# - ns_build_deb: the package, built by contrib/build-packages from
#   $top_srcdir into $T (or $HM_DEB, a package built already).
# - ns_prepare_tree: a debootstrapped bookworm tree holding systemd, curl
#   and every package the .deb depends on or recommends: a container has no
#   network, so apt cannot fetch them later. debootstrap runs once per
#   package list; the tree is kept as KEY.tar.zst (what CI caches) and
#   unpacked as KEY/ in $HM_NSPAWN_CACHE (/var/cache/healthmond-tests),
#   KEY a hash of the list. Containers boot it with --volatile=overlay: their
#   writes go to a tmpfs and the tree stays as debootstrap left it, so
#   containers can share it, at once too.
# - ns_boot NAME [NSPAWN_ARGS...], ns_wait_running NAME, ns_exec NAME CMD...,
#   ns_poweroff NAME: a container's life. Every container this test boots is
#   powered off at exit (ns_exit, which the caller's EXIT trap runs), and
#   its systemd-nspawn is stopped by lib.sh's cleanup if it lingers.
#
# Every wait is bounded by HM_WAIT (debootstrap by HM_DEBOOTSTRAP_WAIT).

NS_SUITE=bookworm
NS_MIRROR=${HM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
NS_CACHE=${HM_NSPAWN_CACHE:-/var/cache/healthmond-tests}
# Changing what ns_debootstrap does to a tree changes this, and so the key.
NS_TREE_FORMAT=1
# Besides the package's own dependencies: an init to boot, and curl to ask
# the daemons' HTTP faces on their UNIX sockets.
NS_BASE_PACKAGES=(systemd systemd-sysv dbus curl)
NS_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

declare -A NS_PID=()    # NAME -> pid of its systemd-nspawn
declare -A NS_LEADER=() # NAME -> pid of its PID 1 (systemd), as the host sees it
NS_SHARE=$T/share       # bind-mounted read-only at /mnt/hm in every container

# The time since START (date +%s.%N), for the figures the tests print.
ns_since() {
	awk -v s="$1" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }'
}

ns_need() {
	local c
	[ "$(id -u)" -eq 0 ] || skip "needs root to debootstrap and boot containers"
	for c in debootstrap systemd-nspawn nsenter dpkg-deb zstd tar flock pgrep \
		unshare sha256sum timeout; do
		command -v "$c" >/dev/null ||
			skip "no $c (apt-get install debootstrap systemd-container zstd)"
	done
	timeout 20 unshare -m -p -f --mount-proc true 2>"$T/unshare.err" ||
		skip "cannot create mount and PID namespaces here: $(head -n 1 "$T/unshare.err")"
	mkdir -p "$NS_SHARE"
}

# ns_build_deb: sets NS_DEB to the package: $HM_DEB when set, else what
# `contrib/build-packages --deb` builds from the source tree (into $T: the
# source tree may be read-only, as under make distcheck).
ns_build_deb() {
	local start debs
	if [ -n "${HM_DEB:-}" ]; then
		[ -f "$HM_DEB" ] || fail "HM_DEB=$HM_DEB is not a file"
		NS_DEB=$HM_DEB
		log "package: $NS_DEB (HM_DEB)"
	else
		# shellcheck disable=SC2154 # lib.sh sets top_srcdir
		[ -x "$top_srcdir/contrib/build-packages" ] ||
			fail "no $top_srcdir/contrib/build-packages to build the .deb"
		command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
			skip "no dpkg-buildpackage or dh to build the .deb (apt-get install debhelper)"
		start=$(date +%s.%N)
		HM_LOGS+=("$T/build-packages.log")
		timeout -k 10 900 "$top_srcdir/contrib/build-packages" --deb "$T/deb" \
			</dev/null >"$T/build-packages.log" 2>&1 ||
			fail "contrib/build-packages --deb failed"
		unset 'HM_LOGS[-1]'
		debs=("$T"/deb/healthmond_*.deb)
		[ -f "${debs[0]}" ] || fail "contrib/build-packages made no $T/deb/healthmond_*.deb"
		[ "${#debs[@]}" -eq 1 ] || fail "several packages: ${debs[*]}"
		NS_DEB=${debs[0]}
		log "package: ${NS_DEB##*/}, built by contrib/build-packages in $(ns_since "$start") s"
	fi
	cp "$NS_DEB" "$NS_SHARE/" || fail "cannot copy $NS_DEB"
	NS_DEB_IN=/mnt/hm/${NS_DEB##*/}
}

# ns_deb_packages DEB: the packages DEB depends on or recommends, one a
# line: of alternatives the first, without versions or architectures.
ns_deb_packages() {
	local f
	for f in Pre-Depends Depends Recommends; do
		dpkg-deb -f "$1" "$f"
		echo
	done | tr ',' '\n' | sed -e 's/|.*//' -e 's/(.*)//' -e 's/:[a-z0-9]*//' \
		-e 's/[[:space:]]//g' | grep -v '^$'
}

# ns_debootstrap DIR PACKAGES...: a minimal bookworm in DIR with PACKAGES;
# returns 77 when the mirror cannot be reached.
ns_debootstrap() {
	local dir=$1 include
	shift
	include=$(printf '%s,' "$@")
	timeout -k 10 "${HM_DEBOOTSTRAP_WAIT:-900}" debootstrap --variant=minbase \
		--include="${include%,}" "$NS_SUITE" "$dir" "$NS_MIRROR" \
		</dev/null >"$T/debootstrap.log" 2>&1 || {
		if grep -qE 'Failed getting release file|Temporary failure resolving|Could not resolve|Connection refused|Network is unreachable|Couldn.t download' \
			"$T/debootstrap.log"; then
			return 77
		fi
		return 1
	}
	# A tree any number of containers can boot at once: no machine id (each
	# boot gets its own, from systemd-nspawn --uuid), no host name (the
	# machine name is used), no downloaded packages or package lists.
	: >"$dir/etc/machine-id"
	rm -f "$dir/var/lib/dbus/machine-id" "$dir/etc/hostname"
	ln -s /etc/machine-id "$dir/var/lib/dbus/machine-id"
	rm -f "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin
	rm -rf "$dir"/var/lib/apt/lists/*
}

# ns_prepare_tree: sets NS_TREE to a tree holding NS_BASE_PACKAGES and
# NS_DEB's dependencies: the cached one, else made now (under a lock, so
# that tests running at once debootstrap once).
ns_prepare_tree() {
	local pkgs key tar start rc=0
	mapfile -t pkgs < <({
		printf '%s\n' "${NS_BASE_PACKAGES[@]}"
		ns_deb_packages "$NS_DEB"
	} | sort -u)
	key=$(printf 'format %s suite %s arch %s packages %s\n' "$NS_TREE_FORMAT" \
		"$NS_SUITE" "$(dpkg --print-architecture)" "${pkgs[*]}" | sha256sum | cut -c1-16)
	key=$NS_SUITE-$key
	tar=$NS_CACHE/$key.tar.zst
	NS_TREE=$NS_CACHE/$key
	mkdir -p "$NS_CACHE" || fail "cannot create $NS_CACHE"
	exec {lockfd}>"$NS_CACHE/$key.lock" || fail "cannot open $NS_CACHE/$key.lock"
	flock -w "${HM_DEBOOTSTRAP_WAIT:-900}" "$lockfd" ||
		fail "another test holds $NS_CACHE/$key.lock"
	if [ -f "$NS_TREE.ok" ] && [ -d "$NS_TREE" ]; then
		log "tree: $NS_TREE (cached; packages: ${pkgs[*]})"
	elif [ -f "$tar" ]; then
		start=$(date +%s.%N)
		rm -rf "$NS_TREE"
		mkdir "$NS_TREE" || fail "cannot create $NS_TREE"
		(set -o pipefail; zstd -dc "$tar" | tar -C "$NS_TREE" --numeric-owner --xattrs -xf -) || {
			rm -f "$tar" # damaged: the next run debootstraps again
			fail "cannot unpack $tar"
		}
		touch "$NS_TREE.ok"
		log "tree: unpacked $tar in $(ns_since "$start") s"
	else
		log "tree: debootstrap $NS_SUITE from $NS_MIRROR with: ${pkgs[*]}"
		start=$(date +%s.%N)
		rm -rf "$NS_TREE.new"
		HM_LOGS+=("$T/debootstrap.log")
		ns_debootstrap "$NS_TREE.new" "${pkgs[@]}" || rc=$?
		if [ "$rc" -ne 0 ]; then
			rm -rf "$NS_TREE.new"
			[ "$rc" -ne 77 ] || skip "cannot debootstrap: $NS_MIRROR is out of reach ($(grep -m1 -E '^E:|Failed|resolv' "$T/debootstrap.log"))"
			fail "debootstrap failed"
		fi
		log "tree: debootstrap took $(ns_since "$start") s"
		start=$(date +%s.%N)
		(set -o pipefail; tar -C "$NS_TREE.new" --numeric-owner --xattrs -cf - . |
			zstd -q -T0 -3 -o "$tar.new" -f) || { rm -f "$tar.new"; fail "cannot write $tar"; }
		mv -f "$tar.new" "$tar" || fail "cannot write $tar"
		rm -rf "$NS_TREE"
		mv "$NS_TREE.new" "$NS_TREE" || fail "cannot move the tree into $NS_TREE"
		touch "$NS_TREE.ok"
		log "tree: cached as $tar ($(du -h "$tar" | cut -f1)) in $(ns_since "$start") s"
	fi
	touch "$NS_CACHE/$key.lock"
	exec {lockfd}>&-
	ns_prune_cache
}

# ns_prune_cache: trees of other package lists, unused for 14 days, go
# (unless a test holds their lock).
ns_prune_cache() {
	local lock k fd
	while IFS= read -r lock; do
		k=${lock%.lock}
		exec {fd}>"$lock" || continue
		if flock -n "$fd"; then
			rm -rf "$k" "$k.new" "$k.ok" "$k.tar.zst" "$k.tar.zst.new" "$lock"
			log "tree: removed ${k##*/}, unused for 14 days"
		fi
		exec {fd}>&-
	done < <(find "$NS_CACHE" -maxdepth 1 -name "$NS_SUITE-*.lock" -mtime +14)
}

# ns_leader NAME: prints the host pid of the container's PID 1.
ns_leader() {
	local l
	l=$(pgrep -P "${NS_PID[$1]}" -x systemd) || return 1
	[ -n "$l" ] && echo "$l"
}

# ns_boot NAME [NSPAWN_ARGS...]: boots a container (--private-network
# unless NSPAWN_ARGS give a network) named NAME, its host name too; returns
# once its systemd runs (not yet its units: ns_wait_running).
ns_boot() {
	local name=$1 pid leader
	shift
	local net=(--private-network)
	[[ " $* " != *" --network-"* ]] || net=()
	start_bg pid systemd-nspawn -D "$NS_TREE" -b --volatile=overlay \
		--register=no --keep-unit --console=pipe --machine="$name" \
		--uuid="$(cat /proc/sys/kernel/random/uuid)" \
		--bind-ro="$NS_SHARE:/mnt/hm" "${net[@]}" "$@" \
		</dev/null >"$T/$name.boot.log" 2>&1
	NS_PID[$name]=$pid
	# Its console output is only worth showing when booting fails.
	HM_LOGS+=("$T/$name.boot.log")
	wait_for eval "ns_leader $name >/dev/null || ! is_running $pid" ||
		fail "$name: no systemd inside systemd-nspawn within ${HM_WAIT}s"
	is_running "$pid" || fail "$name: systemd-nspawn exited while booting"
	leader=$(ns_leader "$name")
	NS_LEADER[$name]=$leader
	wait_for nsenter -t "$leader" -a test -S /run/systemd/private ||
		fail "$name: systemd did not create its private socket within ${HM_WAIT}s"
	unset 'HM_LOGS[-1]'
}

# ns_exec NAME COMMAND...: runs COMMAND in the container, as root, with a
# clean environment and bounded by HM_WAIT (NS_EXEC_WAIT when set: dpkg
# starts units and runs triggers, slow on a loaded machine); stdin is
# passed on.
ns_exec() {
	local name=$1
	shift
	timeout -k 5 "${NS_EXEC_WAIT:-$HM_WAIT}" nsenter -t "${NS_LEADER[$name]}" -a \
		env -i PATH="$NS_PATH" LANG=C.UTF-8 SYSTEMD_COLORS=0 SYSTEMD_PAGER= \
		"$@"
}

# ns_wait_running NAME: the container finished booting: its
# is-system-running says "running" (failed units are logged and fail it).
ns_wait_running() {
	local state
	state=$(NS_EXEC_WAIT=${HM_DPKG_WAIT:-180} ns_exec "$1" systemctl is-system-running --wait 2>&1)
	[ "$state" = running ] || {
		ns_exec "$1" systemctl --failed --no-legend >"$T/$1.failed" 2>&1
		HM_LOGS+=("$T/$1.boot.log")
		fail "$1: system is '$state' after booting; failed units: $(cat "$T/$1.failed")"
	}
}

# ns_put NAME PATH MODE OWNER: writes stdin to PATH in the container.
ns_put() {
	ns_exec "$1" sh -c 'cat >"$1.tmp" && chmod "$2" "$1.tmp" && chown "$3" "$1.tmp" &&
		mv -f "$1.tmp" "$1"' sh "$2" "$3" "$4" || fail "$1: cannot write $2"
}

# ns_unit_prop NAME UNIT PROPERTY: the value of a unit's property.
ns_unit_prop() {
	ns_exec "$1" systemctl show -p "$3" --value "$2"
}

# ns_install_deb NAME: installs the package in the container, with dpkg as
# apt would (the dependencies are in the tree already).
ns_install_deb() {
	NS_EXEC_WAIT=${HM_DPKG_WAIT:-180} ns_exec "$1" dpkg -i "$NS_DEB_IN" >"$T/$1.dpkg.log" 2>&1 || {
		HM_LOGS+=("$T/$1.dpkg.log")
		fail "$1: dpkg -i ${NS_DEB_IN##*/} failed"
	}
}

# ns_journal NAME [JOURNALCTL_ARGS...]: the container's journal.
ns_journal() {
	local name=$1
	shift
	ns_exec "$name" journalctl --no-pager -q "$@"
}

# ns_poweroff NAME: an orderly shutdown; fails unless systemd-nspawn exits 0.
ns_poweroff() {
	local name=$1 pid=${NS_PID[$1]} rc=0
	ns_exec "$name" systemctl poweroff --no-block >/dev/null 2>&1
	wait_exit "$pid" || fail "$name: still running ${HM_WAIT}s after poweroff"
	wait "$pid" 2>/dev/null || rc=$?
	forget_pid "$pid"
	unset "NS_PID[$name]" "NS_LEADER[$name]"
	[ "$rc" -eq 0 ] || fail "$name: systemd-nspawn exited $rc after poweroff"
}

# ns_exit: the EXIT trap's part: every container still up is powered off
# (bounded; lib.sh's cleanup then stops a systemd-nspawn that lingers).
# shellcheck disable=SC2317 # called by the EXIT trap
ns_exit() {
	local rc=$? name
	for name in "${!NS_PID[@]}"; do
		timeout 10 nsenter -t "${NS_LEADER[$name]:-0}" -a systemctl poweroff \
			--no-block >/dev/null 2>&1
	done
	for name in "${!NS_PID[@]}"; do
		wait_exit "${NS_PID[$name]}" 20
	done
	return "$rc"
}

# ns_dump_journals: on failure, the last lines of every container's journal
# go with the logs lib.sh's fail shows.
ns_dump_journals() {
	local name
	for name in "${!NS_LEADER[@]}"; do
		ns_journal "$name" -u 'healthmond*' -n 40 -o short-monotonic \
			>"$T/$name.journal" 2>&1
		HM_LOGS+=("$T/$name.journal")
	done
}
# fail, as lib.sh has it, after saving the containers' journals (a copy of
# lib.sh's function under another name, since bash cannot wrap a function).
eval "ns_lib_$(declare -f fail)"
fail() {
	ns_dump_journals
	ns_lib_fail "$@"
}
