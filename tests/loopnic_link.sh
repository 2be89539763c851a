#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Link state of a pair, veth-like: each end has carrier iff both ends are
# admin-up; taking either end down drops carrier on the other, bringing it
# back restores both. Also: ethtool -i reports the driver as loopnic.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

ktap_plan 11
require_module
must_load

A=loopnic0
B=loopnic1

check_eq "ethtool -i $A: driver" loopnic "$(driver_of $A)"
check_eq "ethtool -i $B: driver" loopnic "$(driver_of $B)"

# want DEV STATE: carrier of DEV reaches STATE (1, 0) within 5 s. Carrier
# changes are synchronous in the driver; the wait only absorbs slow TCG.
want()
{
	wait_for 5 carrier_is "$1" "$2" ||
		{ echo "$1: carrier $(carrier "$1"), want $2"; return 1; }
}

# Stays at STATE for a while: catches a carrier that comes up late.
stays()
{
	sleep 0.5
	want "$@"
}

# operstate is derived from carrier by linkwatch, asynchronously.
oper()
{
	wait_for 10 grep -qx "$2" "/sys/class/net/$1/operstate" ||
		{ echo "$1: operstate $(cat "/sys/class/net/$1/operstate"), want $2"; return 1; }
}

# Down or lowerlayerdown (the latter if the driver reports the peer as
# iflink, as veth does); the spec does not require either.
oper_down()
{
	wait_for 10 grep -qxE 'down|lowerlayerdown' "/sys/class/net/$1/operstate" ||
		{ echo "$1: operstate $(cat "/sys/class/net/$1/operstate"), want down"; return 1; }
}

both()
{
	local rc=0
	"$1" $A "$2" || rc=1
	"$1" $B "$2" || rc=1
	return $rc
}

must ip link set $A up
check "only $A up: $A has no carrier" stays $A 0

must ip link set $B up
check "both up: carrier on both ends" both want 1
check "both up: operstate up on both ends" both oper up

must ip link set $B down
check "$B down: $A loses carrier" want $A 0
check "$B down: $A operstate no longer up" oper_down $A

must ip link set $B up
check "$B up again: carrier on both ends" both want 1

must ip link set $A down
check "$A down: $B loses carrier" want $B 0

must ip link set $A up
check "$A up again: carrier on both ends" both want 1

# Both down, then only B up: B must not see a carrier either (the state
# must not depend on which end went up first).
must ip link set $A down
must ip link set $B down
must ip link set $B up
check "only $B up: $B has no carrier" stays $B 0
