#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv4 and IPv6 ping across a pair whose ends sit in two netns, like two
# hosts joined by a cable: no loss, in both directions. Address resolution
# (ARP, neighbour discovery) crosses the pair too, so it is exercised.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

COUNT=20

ktap_plan 5
require_module
must_load
pair_netns loopnic0 loopnic1

check "IPv4 $NS_A -> $NS_B: $COUNT/$COUNT replies" ping_ok "$NS_A" 10.10.0.2 $COUNT
check "IPv4 $NS_B -> $NS_A: $COUNT/$COUNT replies" ping_ok "$NS_B" 10.10.0.1 $COUNT
check "IPv6 $NS_A -> $NS_B: $COUNT/$COUNT replies" ping_ok "$NS_A" fd00::2 $COUNT
check "IPv6 $NS_B -> $NS_A: $COUNT/$COUNT replies" ping_ok "$NS_B" fd00::1 $COUNT

# The link-local address came up by itself (IPv6 autoconf over the pair's
# MAC); a link-local ping needs the right scope and ND across the pair.
ll_ping()
{
	local ll
	# Wait for DAD to finish on both ends (tentative addresses are unusable).
	wait_for 15 no_tentative ||
		{ echo "link-local addresses still tentative"; ip -n "$NS_A" -6 addr; ip -n "$NS_B" -6 addr; return 1; }
	ll=$(ip -n "$NS_B" -6 -o addr show dev loopnic1 scope link | awk '{ sub(/\/.*/, "", $4); print $4 }')
	[ -n "$ll" ] || { echo "loopnic1 has no IPv6 link-local address"; return 1; }
	ping_ok "$NS_A" "$ll%loopnic0" 5
}
no_tentative()
{
	[ -z "$(ip -n "$NS_A" -6 addr show dev loopnic0 tentative)" ] &&
		[ -z "$(ip -n "$NS_B" -6 addr show dev loopnic1 tentative)" ]
}
check "IPv6 link-local $NS_A -> $NS_B: 5/5 replies" ll_ping
