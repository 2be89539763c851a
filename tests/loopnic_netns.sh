#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Lifetime of pairs across network namespaces, veth-like: removing one end
# (ip link del, or deleting the netns it lives in) removes its peer too,
# wherever that is; rmmod removes ports in every netns. Each removal must
# complete (no stuck unregister_netdevice, which dmesg would show) and leave
# the module unloadable.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# Set by ns_new.
NSA="" NSB="" NSC="" NSD=""

ktap_plan 11
require_module

# gone_everywhere NS...: no loopnicN in the initial netns nor in these.
gone_everywhere()
{
	local ns left
	left=$(loopnic_ports)
	for ns in "$@"; do
		left+=$(loopnic_ports "$ns")
	done
	[ -z "$left" ] || { echo "ports left: $left"; return 1; }
}

rmmod_clean()
{
	timeout 60 rmmod loopnic || return 1
	! module_loaded || { echo "module still loaded"; return 1; }
	gone_everywhere "$@"
}

# 1. Delete the netns holding one end: the other end, in the initial
#    netns, goes too. Netns teardown is asynchronous (cleanup_net), so wait.
must_load
ns_new NSB
must ip link set loopnic1 netns "$NSB"
must ip netns del "$NSB"
check "netns with loopnic1 deleted: loopnic0 (initial netns) removed too" \
	wait_for 30 eval '! link_exists loopnic0'
check "rmmod after netns deletion is clean" rmmod_clean

# 2. Both ends in two other netns: deleting one netns removes the peer
#    from the other.
must_load
ns_new NSA
ns_new NSB
must ip link set loopnic0 netns "$NSA"
must ip link set loopnic1 netns "$NSB"
must ip netns del "$NSA"
check "netns with loopnic0 deleted: loopnic1 removed from the other netns" \
	wait_for 30 eval "! link_exists loopnic1 $NSB"
check "rmmod clean" rmmod_clean "$NSB"

# 3. rmmod with ports spread over two netns plus the initial one, after
#    traffic (so neighbour entries, routes and sockets referenced them).
must_load pairs=2
pair_netns loopnic0 loopnic1
must ip link set loopnic2 netns "$NS_A"
check "traffic across the pair in two netns" ping_ok "$NS_A" 10.10.0.2 5
check "rmmod with ports in two netns and the initial one removes them all" \
	rmmod_clean "$NS_A" "$NS_B"

# 4. ip link del of one end removes both; in the same netns and across.
must_load pairs=2
check "ip link del loopnic0" ip link del loopnic0
check "loopnic0 and its peer loopnic1 are gone, loopnic2/3 remain" \
	is_eq "ports" "loopnic2 loopnic3" "$(loopnic_ports)"
ns_new NSC
ns_new NSD
must ip link set loopnic2 netns "$NSC"
must ip link set loopnic3 netns "$NSD"
check "ip link del loopnic3 (in $NSD) removes loopnic2 (in $NSC)" \
	eval "ip -n $NSD link del loopnic3 && gone_everywhere $NSC $NSD"
check "rmmod with no ports left is clean" rmmod_clean

# 5. A new instance can reuse the names: nothing of the old ones lingers.
must_load
check "reload after all that: loopnic0 loopnic1 exist again" \
	is_eq "ports" "loopnic0 loopnic1" "$(loopnic_ports)"
