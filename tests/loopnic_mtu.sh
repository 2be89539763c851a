#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Jumbo MTUs: with 9000 and 65535 on both ends, unfragmented (DF) pings that
# fill the MTU exactly cross the pair without loss, and each such frame is
# counted with its full size, exactly (IPv6 is kept off until the IPv6 part
# at the end, so nothing else crosses the pair). MTUs outside 68..65535 are
# refused and leave the MTU unchanged; both limits themselves are accepted.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
COUNT=10

ktap_plan 12
require_module
must_load
pair_netns $A $B quiet

mtu_of()
{
	ip -n "$2" -o link show dev "$1" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'
}

check_eq "default MTU is 1500" 1500 "$(mtu_of $A "$NS_A")"

# set_mtu MTU: on both ends; ok iff both accept it and report it back.
set_mtu()
{
	ip -n "$NS_A" link set dev $A mtu "$1" && ip -n "$NS_B" link set dev $B mtu "$1" &&
		is_eq "$A mtu" "$1" "$(mtu_of $A "$NS_A")" && is_eq "$B mtu" "$1" "$(mtu_of $B "$NS_B")"
}

# full_ping MTU: COUNT DF pings whose IPv4 packets are exactly MTU bytes
# (payload MTU - 20 IP - 8 ICMP), answered; B receives COUNT frames of
# MTU + 14 bytes and A as many replies of the same size.
full_ping()
{
	local mtu=$1 b0 a0 b1 a1
	b0=$(ethstat $B rx_bytes "$NS_B") && a0=$(ethstat $A rx_bytes "$NS_A") || return 1
	ping_ok "$NS_A" 10.10.0.2 $COUNT -s $((mtu - 28)) -M "do" || return 1
	wait_quiet $A "$NS_A"
	wait_quiet $B "$NS_B"
	b1=$(ethstat $B rx_bytes "$NS_B") && a1=$(ethstat $A rx_bytes "$NS_A") || return 1
	is_eq "$B rx_bytes delta" $((COUNT * (mtu + 14))) $((b1 - b0)) &&
		is_eq "$A rx_bytes delta" $((COUNT * (mtu + 14))) $((a1 - a0))
}

for mtu in 9000 65535; do
	check "MTU $mtu accepted on both ends" set_mtu $mtu
	check "MTU $mtu: $COUNT DF pings of $((mtu - 28)) bytes answered, full-size frames" full_ping $mtu
done

# IPv6 at MTU 65535: payload 65535 - 40 IPv6 - 8 ICMPv6. Turn IPv6 on now
# (the exact byte counts are done).
ipv6_on()
{
	ip netns exec "$NS_A" sysctl -qw "net.ipv6.conf.$A.disable_ipv6=0" &&
		ip netns exec "$NS_B" sysctl -qw "net.ipv6.conf.$B.disable_ipv6=0" &&
		ip -n "$NS_A" addr add fd00::1/64 dev $A nodad &&
		ip -n "$NS_B" addr add fd00::2/64 dev $B nodad &&
		ping_ok "$NS_A" fd00::2 $COUNT -s 65487 -M "do"
}
check "MTU 65535: $COUNT IPv6 DF pings of 65487 bytes answered" ipv6_on

# mtu_refused MTU: ip link set must fail and the MTU must stay what it was.
mtu_refused()
{
	local old
	old=$(mtu_of $A "$NS_A")
	if ip -n "$NS_A" link set dev $A mtu "$1" 2>/dev/null; then
		echo "ip link set mtu $1 succeeded (mtu now $(mtu_of $A "$NS_A"))"
		return 1
	fi
	is_eq "$A mtu after refused change" "$old" "$(mtu_of $A "$NS_A")"
}
check "MTU 65536 refused" mtu_refused 65536
check "MTU 67 refused" mtu_refused 67

accepted()
{
	ip -n "$NS_A" link set dev $A mtu "$1" && is_eq "$A mtu" "$1" "$(mtu_of $A "$NS_A")"
}
check "MTU 68 (minimum) accepted" accepted 68
check "MTU 65535 (maximum) accepted" accepted 65535

# Back to a small MTU on both ends: traffic still flows (a driver that
# sized something at the old MTU would show here).
check "MTU 1500 again on both ends" set_mtu 1500
check "MTU 1500: $COUNT DF pings of 1472 bytes answered" ping_ok "$NS_A" 10.10.0.2 $COUNT -s 1472 -M "do"
