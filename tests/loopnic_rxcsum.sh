#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ethtool -K DEV rx-checksumming (NETIF_F_RXCSUM). On the ring path the
# device sums every frame it receives and the driver hands that sum up as
# CHECKSUM_COMPLETE: what the core sees (tracepoint
# net:napi_gro_receive_entry, ip_summed=2) for every frame, and the stack
# still catches a UDP datagram sent with a wrong checksum. With
# rx-checksumming off the frames arrive as CHECKSUM_NONE (ip_summed=0),
# the stack sums them itself, and still catches the bad one; the device
# stops summing then (LOOPNIC_REG_RX_CSUM 0, as ethtool -d shows). Toggled
# under a flood, no frame goes up with a sum the device did not compute
# (the core would report "hw csum failure"). On the backlog path, the lo
# model, the feature is on and fixed.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
PINGS=20
RAW=$TESTS_DIR/loopnic_rawframe.py
EVENT=$TRACEFS/events/net/napi_gro_receive_entry

ktap_plan 5
require_module
command -v python3 >/dev/null || skip_all "missing tool python3"
command -v nstat >/dev/null || skip_all "missing tool nstat"
mount_tracefs
[ -d "$EVENT" ] || skip_all "no tracefs event net/napi_gro_receive_entry"
on_exit "echo 0 > $EVENT/enable; echo > $EVENT/filter; echo > $TRACEFS/trace"

# rxcsum_shown DEV NS: the rx-checksumming line of ethtool -k.
rxcsum_shown()
{
	nsx "$2" ethtool -k "$1" | sed -n 's/^rx-checksumming: //p'
}

# csum_reg DEV NS: LOOPNIC_REG_RX_CSUM (0x60), from the register dump.
csum_reg()
{
	nsx "$2" ethtool -d "$1" raw on | od -An -v -t u8 -j $((0x60)) -N 8 | tr -d ' '
}

# summed_as WANT: over $PINGS pings from A, every IPv4 frame B's NAPI
# hands to GRO has ip_summed=WANT, and every ping is answered.
summed_as()
{
	local want=$1 trace n bad
	echo >"$TRACEFS/trace"
	echo "name == \"$B\"" >"$EVENT/filter" || return 1
	echo 1 >"$EVENT/enable" || return 1
	nsx "$NS_A" ping -q -n -c $PINGS -i 0.05 -W 2 10.10.0.2 >/dev/null
	local rc=$?
	echo 0 >"$EVENT/enable"
	[ $rc -eq 0 ] || { echo "pings lost"; return 1; }
	trace=$(grep "dev=$B .*protocol=0x0800" "$TRACEFS/trace")
	n=$(grep -c . <<<"$trace")
	is_ge "IPv4 frames B received" $PINGS "$n" || return 1
	bad=$(grep -v "ip_summed=$want " <<<"$trace" | head -n 3)
	[ -z "$bad" ] || { echo "not ip_summed=$want: $bad"; return 1; }
	diag "$n frames, all ip_summed=$want"
}

# udp_csum_caught: one UDP datagram with a wrong checksum and one with a
# right one, sent raw from A: B's stack counts the first in
# UdpInCsumErrors and the second in UdpNoPorts (nobody listens).
declare -A s0 s1
udp_snap()
{
	local -n s=$1
	local name value
	while read -r name value _; do
		s["$name"]=$value
	done < <(nsx "$NS_B" nstat -asz)
}
udp_csum_caught()
{
	local mac out c
	mac=$(mac_of $B "$NS_B")
	udp_snap s0
	for c in udp-csum udp-good; do
		out=$(nsx "$NS_A" python3 "$RAW" $A "$mac" 10.10.0.1 10.10.0.2 $c 1) || return 1
		[ "$out" = sent ] || { echo "$c: $out"; return 1; }
	done
	wait_quiet $B "$NS_B"
	udp_snap s1
	is_eq "UdpInCsumErrors delta" 1 $((s1[UdpInCsumErrors] - s0[UdpInCsumErrors])) &&
		is_eq "UdpNoPorts delta" 1 $((s1[UdpNoPorts] - s0[UdpNoPorts]))
}

must_load path=ring
pair_netns $A $B quiet

ring_on()
{
	is_eq "ethtool -k $B" on "$(rxcsum_shown $B "$NS_B")" &&
		is_eq "LOOPNIC_REG_RX_CSUM" 1 "$(csum_reg $B "$NS_B")" &&
		summed_as 2 && udp_csum_caught
}
check "ring, rx-checksumming on: every frame CHECKSUM_COMPLETE, a bad UDP checksum still caught" ring_on

ring_off()
{
	nsx "$NS_B" ethtool -K $B rx off || return 1
	is_eq "ethtool -k $B" off "$(rxcsum_shown $B "$NS_B")" &&
		is_eq "LOOPNIC_REG_RX_CSUM" 0 "$(csum_reg $B "$NS_B")" &&
		summed_as 0 && udp_csum_caught
}
check "ring, rx-checksumming off: every frame CHECKSUM_NONE, a bad UDP checksum caught" ring_off

ring_back()
{
	nsx "$NS_B" ethtool -K $B rx on || return 1
	is_eq "LOOPNIC_REG_RX_CSUM" 1 "$(csum_reg $B "$NS_B")" &&
		summed_as 2
}
check "ring, rx-checksumming on again: CHECKSUM_COMPLETE again" ring_back

# Off, then a path switch there and back: the backlog path has it on and
# fixed, so the ring path comes back with it on, and the device is told.
toggled()
{
	local i rc=0
	flood "$NS_A" 10.10.0.2
	for ((i = 0; i < 10; i++)); do
		nsx "$NS_B" ethtool -K $B rx off || rc=1
		nsx "$NS_B" ethtool -K $B rx on || rc=1
	done
	nsx "$NS_B" ethtool -K $B rx off || rc=1
	nsx "$NS_B" ethtool --set-priv-flags $B ring-path off || rc=1
	nsx "$NS_B" ethtool --set-priv-flags $B ring-path on || rc=1
	floods_stop
	is_eq "ethtool -k $B after the switches" on "$(rxcsum_shown $B "$NS_B")" || rc=1
	is_eq "LOOPNIC_REG_RX_CSUM after the switches" 1 "$(csum_reg $B "$NS_B")" || rc=1
	dmesg_since_mark | grep -i "csum failure" && rc=1
	if ! ping_ok "$NS_A" 10.10.0.2 3; then
		rc=1
		echo "A: $(nsx "$NS_A" ethtool -S $A | grep -v ': 0$' | tr -s ' ' | tr '\n' ' ')"
		echo "B: $(nsx "$NS_B" ethtool -S $B | grep -v ': 0$' | tr -s ' ' | tr '\n' ' ')"
		echo "A: $(nsx "$NS_A" nstat -asz | awk '$2 != 0 && /^(Icmp|Ip)/ { printf "%s=%s ", $1, $2 }')"
		echo "B: $(nsx "$NS_B" nstat -asz | awk '$2 != 0 && /^(Icmp|Ip)/ { printf "%s=%s ", $1, $2 }')"
		dmesg_since_mark | tail -n 5
	fi
	return $rc
}
dmesg_mark
check "ring: rx-checksumming toggled 10x under a flood, then on after a path switch there and back; no hw csum failure" toggled

must unload_module
must_load path=backlog
pair_netns $A $B quiet

backlog_fixed()
{
	nsx "$NS_B" ethtool -K $B rx off >/dev/null 2>&1
	is_eq "ethtool -k $B" "on [fixed]" "$(rxcsum_shown $B "$NS_B")" &&
		udp_csum_caught
}
check "backlog: rx-checksumming on and fixed, a bad UDP checksum caught" backlog_fixed

must unload_module
