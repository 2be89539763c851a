#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-wired ports made with `ip link add NAME type loopnic`: what such a
# port transmits comes back on its own receive side. We ping a neighbour
# that does not exist but whose static ARP entry holds the port's own MAC:
# every echo request leaves, comes back, is received (and dropped by IP:
# not our address, no forwarding), so rx == tx == N frames exactly, and no
# reply ever comes. A second self-wired port and the module's pair must see
# none of it. ip link del removes only the named port; rmmod removes ports
# created this way too.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

X=lnself0
Y=lnself1
N=8
S=64

ktap_plan 11
require_module
must_load
ns_new NS

check "ip link add $X type loopnic" ip -n "$NS" link add $X type loopnic
check_eq "$X: ethtool -i driver" loopnic "$(driver_of $X "$NS")"
must ip -n "$NS" link add $Y type loopnic

for dev in $X $Y; do
	must ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
done
must ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=0
must ip -n "$NS" addr add 10.20.0.1/24 dev $X
must ip -n "$NS" neigh add 10.20.0.2 lladdr "$(mac_of $X "$NS")" dev $X nud permanent
must ip -n "$NS" link set $X up
must ip -n "$NS" link set $Y up

# A self-wired port is its own peer: up means carrier.
check "$X up: carrier on" wait_for 5 carrier_is $X 1 "$NS"

wait_quiet $X "$NS"
x_tx0=$(ethstat $X tx_packets "$NS") x_rx0=$(ethstat $X rx_packets "$NS")
x_txb0=$(ethstat $X tx_bytes "$NS") x_rxb0=$(ethstat $X rx_bytes "$NS")

check_eq "$N pings to a MAC-only neighbour get no reply" 0 "$(ping_count "$NS" 10.20.0.2 $N -s $S)"
wait_quiet $X "$NS"

looped()
{
	local fb=$((N * (S + 8 + 20 + 14)))
	is_eq "$X tx_packets delta" $N $(($(ethstat $X tx_packets "$NS") - x_tx0)) &&
		is_eq "$X rx_packets delta" $N $(($(ethstat $X rx_packets "$NS") - x_rx0)) &&
		is_eq "$X tx_bytes delta" $fb $(($(ethstat $X tx_bytes "$NS") - x_txb0)) &&
		is_eq "$X rx_bytes delta" $fb $(($(ethstat $X rx_bytes "$NS") - x_rxb0))
}
check "$X: the $N frames sent came back: rx == tx == $N frames, same bytes" looped

untouched()
{
	local rc=0 dev ns s
	for dev in $Y loopnic0 loopnic1; do
		ns=""
		[ "$dev" = $Y ] && ns=$NS
		for s in rx_packets tx_packets; do
			is_eq "$dev $s" 0 "$(ethstat "$dev" $s "$ns")" || rc=1
		done
	done
	return $rc
}
check "$Y, loopnic0 and loopnic1 saw none of it" untouched

check "ip link del $X" ip -n "$NS" link del $X
check "$X is gone" eval "! link_exists $X $NS"
others_remain()
{
	if ! { link_exists $Y "$NS" && link_exists loopnic0 && link_exists loopnic1; }; then
		echo "a port other than $X disappeared"
		ip -n "$NS" -br link
		ip -br link
		return 1
	fi
}
check "$Y, loopnic0 and loopnic1 still exist" others_remain
check "ip link del $Y removes it" eval "ip -n $NS link del $Y && ! link_exists $Y $NS"

# rmmod also removes ports made with ip link add, in any netns.
must ip -n "$NS" link add $X type loopnic
must ip link add $Y type loopnic
rmmod_removes()
{
	timeout 60 rmmod loopnic || return 1
	if link_exists $X "$NS" || link_exists $Y || module_loaded; then
		echo "left after rmmod:"
		ip -n "$NS" -br link
		ip -br link
		return 1
	fi
}
check "rmmod removes ip-link-added ports (init netns and $NS)" rmmod_removes
