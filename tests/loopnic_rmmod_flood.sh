#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rmmod while a flood ping crosses the pair: frames are in the backlog
# queues, NAPI is scheduled and xmit is running on both CPUs when the ports
# are torn down. rmmod must succeed, every port must go, and the kernel
# must not splat (use-after-free of a queued skb, a NAPI left scheduled, a
# leaked device reference: "unregister_netdevice: waiting for ...").

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# Flood for this long before pulling the module (long enough to fill
# queues under TCG, short enough for the time budget).
FLOOD_S=3

ktap_plan 7
require_module

# Traffic is really flowing right now: loopnic0's counters move and every
# flood is still running.
flowing()
{
	local t0 t1 r0 r1
	t0=$(ethstat loopnic0 tx_packets "$NS_A") && r0=$(ethstat loopnic0 rx_packets "$NS_A") || return 1
	sleep 1
	t1=$(ethstat loopnic0 tx_packets "$NS_A") && r1=$(ethstat loopnic0 rx_packets "$NS_A") || return 1
	echo "loopnic0 in 1 s: +$((t1 - t0)) tx, +$((r1 - r0)) rx"
	floods_running || return 1
	is_ge "loopnic0 tx in 1 s" 20 $((t1 - t0)) && is_ge "loopnic0 rx in 1 s" 20 $((r1 - r0))
}

flow_point()
{
	local out rc
	sleep "$FLOOD_S"
	out=$(flowing 2>&1)
	rc=$?
	diag "$out"
	ktap_result $rc "$1"
}

# Round 1: one IPv4 flood, A -> B.
must_load
pair_netns loopnic0 loopnic1
flood "$NS_A" 10.10.0.2
flow_point "IPv4 flood $NS_A -> $NS_B running"
check "rmmod during the flood succeeds and removes all ports" rmmod_clean
floods_stop

# Round 2: floods both ways at once, IPv4 and IPv6, large frames, with the
# smallest queue (drops happen all the time).
must_load backlog_len=1
pair_netns loopnic0 loopnic1
flood "$NS_A" 10.10.0.2 -s 1400
flood "$NS_B" fd00::1 -s 1400
flow_point "IPv4 and IPv6 floods both ways running (backlog_len=1)"
check "rmmod during both floods succeeds and removes all ports" rmmod_clean
floods_stop

# Round 3: fragmented datagrams in flight (reassembly queues hold skbs
# that came through the driver).
must_load
pair_netns loopnic0 loopnic1
flood "$NS_A" 10.10.0.2 -s 8000
flow_point "flood of fragmented 8000-byte pings running"
check "rmmod during the fragmented flood succeeds and removes all ports" rmmod_clean
floods_stop

# The module comes back and works after being pulled mid-traffic.
must_load
pair_netns loopnic0 loopnic1
check "reloaded module: ping across the pair works" ping_ok "$NS_A" 10.10.0.2 5
