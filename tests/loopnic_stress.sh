#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Abuse under floods, on each path. While flood pings cross the pair both
# ways: either end's link flaps, the ring path's -L/-G/-C change on both
# ends, and the path flag goes back and forth. Once quiet, every frame
# is accounted for by ip -s link alone: A's TX packets = B's RX packets +
# dropped + missed, and the other way (Documentation/ring-path.rst,
# "Counters"). Then one end's netns is deleted under a flood, which takes
# both ports, as for veth, and rmmod is clean.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
FLAPS=4

ktap_plan 13
require_module

both_carriers()
{
	carrier_is $A 1 "$NS_A" && carrier_is $B 1 "$NS_B"
}

# flaps: down and up, A and B in turn; the pair gets its carrier back each time.
flaps()
{
	local i dev ns
	for ((i = 1; i <= FLAPS; i++)); do
		if ((i % 2)); then dev=$A ns=$NS_A; else dev=$B ns=$NS_B; fi
		ipn "$ns" link set "$dev" down || return 1
		sleep 0.3
		ipn "$ns" link set "$dev" up || return 1
		wait_for 10 both_carriers || { echo "flap $i ($dev): no carrier"; return 1; }
	done
	# Quiet again for the count: no ARP probe may cross after it.
	quiet_neigh $A $B
}

# reconfig: live channel, ring and moderation changes on both ends.
reconfig()
{
	local i dev ns ch rx usecs
	for ((i = 1; i <= 6; i++)); do
		if ((i % 2)); then dev=$A ns=$NS_A; else dev=$B ns=$NS_B; fi
		ch=$((1 + i % 2))
		rx=$((256 << (i % 3)))
		usecs=$((25 * (i % 3)))
		nsx "$ns" ethtool -L "$dev" combined $ch || return 1
		nsx "$ns" ethtool -G "$dev" rx $rx || return 1
		nsx "$ns" ethtool -C "$dev" rx-usecs $usecs || return 1
	done
}

# path_trips PATH: two round trips of the pair's path flag, from alternating
# ends, ending on PATH.
path_trips()
{
	local other=on cur=off i dev ns
	[ "$1" = backlog ] || { other=off cur=on; }
	for ((i = 1; i <= 4; i++)); do
		if ((i % 2)); then dev=$A ns=$NS_A; else dev=$B ns=$NS_B; fi
		if ((i % 2)); then
			nsx "$ns" ethtool --set-priv-flags "$dev" ring-path $other || return 1
		else
			nsx "$ns" ethtool --set-priv-flags "$dev" ring-path $cur || return 1
		fi
	done
	both_carriers || { echo "no carrier after the switches"; return 1; }
}

ports_gone()
{
	! link_exists $A "$NS_A"
}

for path in backlog ring; do
	must_load path=$path
	pair_netns $A $B quiet
	declare -A base=() now=()
	link_snap base

	flood "$NS_A" 10.10.0.2
	flood "$NS_B" 10.10.0.1
	sleep 1
	check "$path: $FLAPS link flaps of either end under floods both ways" flaps
	if [ $path = ring ]; then
		check "$path: -L/-G/-C changed 6 times on both ends under the floods" reconfig
	fi
	check "$path: the path flag there and back twice under the floods" path_trips $path
	floods_stop

	wait_quiet $A "$NS_A" || diag "$A counters still moving"
	wait_quiet $B "$NS_B" || diag "$B counters still moving"
	link_snap now
	diag "$path: $A TX $((now[A_TX_packets] - base[A_TX_packets])), $B RX $((now[B_RX_packets] - base[B_RX_packets])) + dropped $((now[B_RX_dropped] - base[B_RX_dropped])) + missed $((now[B_RX_missed] - base[B_RX_missed]))"
	check "$path: every frame accounted for by ip -s link, both ways" link_conserved base now
	check "$path: pings answered afterwards" ping_ok "$NS_A" 10.10.0.2 5

	# The flood runs in A's netns: nothing holds B's once its name is gone.
	flood "$NS_A" 10.10.0.2
	sleep 1
	ns_del "$NS_B"
	check "$path: $B's netns deleted under a flood: both ports removed" wait_for 20 ports_gone
	floods_stop
	check "$path: rmmod after that is clean" rmmod_clean
done
