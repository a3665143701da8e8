# SPDX-License-Identifier: MIT
#
# Hosts on one machine (shared/TESTING-RECIPES.md, "Several hosts on one
# machine"), for tests sourced after lib.sh: network namespaces named
# $P-* joined by veth pairs to the bridge br0 in the namespace $SW. The
# caller's EXIT trap runs netns_exit, which deletes every namespace made.
P=hm$$
SW=$P-sw
NETNS=()

# shellcheck disable=SC2317 # called by the EXIT trap
netns_exit() {
	local rc=$? n
	for n in "${NETNS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	return "$rc"
}

# netns_add NAME: a namespace with its loopback up, deleted at exit.
netns_add() {
	ip netns add "$1" 2>"$T/netns.err" || return 1
	NETNS+=("$1")
	ip -n "$1" link set lo up
}

# netns_switch: the namespace $SW and its bridge; skips the test when
# namespaces cannot be made here.
netns_switch() {
	netns_add "$SW" || skip "cannot create a network namespace: $(cat "$T/netns.err")"
	ip -n "$SW" link add br0 type bridge || fail "cannot create a bridge"
	ip -n "$SW" link set br0 up || fail "cannot bring the bridge up"
}

# host NAME PORT ADDRESS: a namespace $P-NAME with eth0 at ADDRESS/24, its
# peer PORT on the bridge.
host() {
	netns_add "$P-$1" || fail "cannot create namespace $P-$1: $(cat "$T/netns.err")"
	ip link add eth0 netns "$P-$1" type veth peer name "$2" netns "$SW" ||
		fail "cannot create the veth pair of $1"
	{ ip -n "$SW" link set "$2" master br0 && ip -n "$SW" link set "$2" up &&
		ip -n "$P-$1" addr add "$3/24" dev eth0 && ip -n "$P-$1" link set eth0 up; } ||
		fail "cannot set up the network of $1"
}
