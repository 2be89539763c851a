#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Carrier follows the peer, on both data paths and with the peer in another
# netns: a port has carrier iff it and its peer are both admin-up. Taking
# either end down, or moving it to a third netns (which downs it), drops
# carrier on the other; bringing it up restores both. Checked through
# /sys/class/net/*/carrier and through `ip link` (LOWER_UP / NO-CARRIER).

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

ktap_plan 24
require_module

A=loopnic0
B=loopnic1

# want DEV NS STATE: carrier of DEV in NS reaches STATE (1, 0) within 5 s.
# Carrier changes are synchronous in the driver; the wait absorbs slow TCG.
want()
{
	wait_for 5 carrier_is "$1" "$3" "$2" ||
		{ echo "$1: carrier $(carrier "$1" "$2"), want $3"; return 1; }
}

# Stays at STATE for a while: catches a carrier that comes up late.
stays()
{
	sleep 0.5
	want "$@"
}

# ip -o link flags of DEV in NS, e.g. "NO-CARRIER,BROADCAST,MULTICAST,UP".
ip_flags()
{
	ipn "$2" -o link show dev "$1" | sed -n 's/^[0-9]*: [^<]*<\([^>]*\)>.*/\1/p'
}

has_flag()
{
	[[ ",$(ip_flags "$1" "$2")," == *",$3,"* ]]
}

# ip_link DEV NS on|off: what `ip link` shows for an admin-up DEV. LOWER_UP
# is the carrier itself; NO-CARRIER follows operstate, which linkwatch
# updates asynchronously, hence the wait.
ip_link()
{
	local dev=$1 ns=$2 want=$3
	if [ "$want" = on ]; then
		wait_for 10 eval "has_flag $dev '$ns' LOWER_UP && ! has_flag $dev '$ns' NO-CARRIER"
	else
		wait_for 10 eval "has_flag $dev '$ns' NO-CARRIER && ! has_flag $dev '$ns' LOWER_UP"
	fi || { echo "ip link $dev${ns:+ (netns $ns)}: <$(ip_flags "$dev" "$ns")>, want carrier $want"; return 1; }
}

# both_on NSA NSB: carrier on both ends, by sysfs and by ip link.
both_on()
{
	local rc=0
	want $A "$1" 1 || rc=1
	want $B "$2" 1 || rc=1
	ip_link $A "$1" on || rc=1
	ip_link $B "$2" on || rc=1
	return $rc
}

# operstate follows carrier through linkwatch, asynchronously.
oper_up()
{
	wait_for 10 nsx "$2" grep -qx up "/sys/class/net/$1/operstate" ||
		{ echo "$1: operstate $(nsx "$2" cat "/sys/class/net/$1/operstate"), want up"; return 1; }
}

oper_up_both()
{
	local rc=0
	oper_up $A "$1" || rc=1
	oper_up $B "$2" || rc=1
	return $rc
}

run_path()
{
	local path=$1 nsb nsc

	must_load path="$path"
	ns_new nsb
	ns_new nsc
	must ip link set $B netns "$nsb"

	must ip link set $A up
	check "$path: only $A up: no carrier on $A" stays $A "" 0
	check "$path: only $A up: ip link shows NO-CARRIER on $A" ip_link $A "" off

	must ip -n "$nsb" link set $B up
	check "$path: both up ($B in netns): carrier on both, sysfs and ip link" \
		both_on "" "$nsb"
	check "$path: both up: operstate up on both" oper_up_both "" "$nsb"

	must ip -n "$nsb" link set $B down
	check "$path: $B down: $A loses carrier" want $A "" 0
	check "$path: $B down: ip link shows NO-CARRIER on $A" ip_link $A "" off

	must ip -n "$nsb" link set $B up
	check "$path: $B up again: carrier on both" both_on "" "$nsb"

	must ip link set $A down
	check "$path: $A down: $B (other netns) loses carrier" want $B "$nsb" 0
	check "$path: $A down: ip link shows NO-CARRIER on $B" ip_link $B "$nsb" off

	must ip link set $A up
	check "$path: $A up again: carrier on both" both_on "" "$nsb"

	# Moving a port to another netns takes it down on the way.
	must ip -n "$nsb" link set $B netns "$nsc"
	check "$path: $B moved to a third netns: $A loses carrier" want $A "" 0
	must ip -n "$nsc" link set $B up
	check "$path: $B up in the third netns: carrier on both" both_on "" "$nsc"
}

run_path backlog
run_path ring
