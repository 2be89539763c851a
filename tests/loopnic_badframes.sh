#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Malformed frames injected with an AF_PACKET socket, on both paths: each
# one is refused by the socket, or dropped and counted where a user looks
# (the ports' statistics, the receiver's SNMP MIBs), never delivered as if
# it were good and never a splat. A good datagram is the control that the
# injection and the counters work at all.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

K=5
CASES="short runt ethertype ip-csum ip-trunc udp-trunc tcp-doff udp-csum udp-good oversize"
RAW=$TESTS_DIR/loopnic_rawframe.py

ktap_plan 20
require_module
command -v python3 >/dev/null || skip_all "missing tool python3"
command -v nstat >/dev/null || skip_all "missing tool nstat"

# snap ARRAY: every counter the cases look at, with one command per netns
# (process start-up is what costs under TCG).
snap()
{
	local -n s=$1
	local name value
	read -r "s[A_tx_packets]" "s[A_tx_dropped]" < <(nsx "$NS_A" cat \
		"/sys/class/net/$A/statistics/tx_packets" "/sys/class/net/$A/statistics/tx_dropped" | tr '\n' ' ')
	read -r "s[B_rx_packets]" "s[B_rx_dropped]" < <(nsx "$NS_B" cat \
		"/sys/class/net/$B/statistics/rx_packets" "/sys/class/net/$B/statistics/rx_dropped" | tr '\n' ' ')
	# nstat -a: absolute values, -s: leave its history alone, -z: zeros too
	while read -r name value _; do
		s["$name"]=$value
	done < <(nsx "$NS_B" nstat -asz)
}

# d NAME: growth of counter NAME between the snapshots "before" and "after".
d()
{
	local b=${before[$1]:-missing} a=${after[$1]:-missing}
	if [[ "$b" =~ ^[0-9]+$ && "$a" =~ ^[0-9]+$ ]]; then
		echo $((a - b))
	else
		echo "unreadable($b->$a)"
	fi
}

# expect NAME=DELTA...: every listed counter grew by exactly DELTA.
expect()
{
	local kv bad=0
	for kv in "$@"; do
		is_eq "${kv%%=*}" "${kv#*=}" "$(d "${kv%%=*}")" || bad=1
	done
	return $bad
}

rx_packets_reach()
{
	[ "$(nsx "$NS_B" cat "/sys/class/net/$B/statistics/rx_packets")" -ge "$1" ]
}

# one_case CASE: send K frames of CASE from A and judge what happened.
one_case()
{
	local case=$1 out sent refused want
	declare -gA before after
	snap before
	out=$(nsx "$NS_A" python3 "$RAW" "$A" "$B_MAC" 10.10.0.1 10.10.0.2 "$case" "$K") ||
		{ echo "$RAW failed: $out"; return 1; }
	sent=$(grep -cx sent <<<"$out")
	refused=$(grep -cvx sent <<<"$out")
	# Whatever reaches B gets there through its NAPI poll, maybe later.
	case $case in
	short | oversize) ;;
	*) wait_for 10 rx_packets_reach $((before[B_rx_packets] + K)) ;;
	esac
	snap after
	echo "$case: sent $sent, refused $refused ($(sort -u <<<"$out" | tr '\n' ' '))"
	case $case in
	short)
		# Shorter than the link header: the socket refuses it.
		is_eq "sends refused with EINVAL" "$K" "$(grep -cx EINVAL <<<"$out")" || return 1
		want=(A_tx_packets=0 B_rx_packets=0)
		;;
	runt)
		# Header only, no IP header behind it (a NIC would pad it
		# with zeros, which is no IP header either).
		want=("B_rx_packets=$K" "IpInHdrErrors=$K")
		;;
	ethertype)
		# Delivered; no protocol takes it, which the core counts
		# as a receive drop.
		want=("B_rx_packets=$K" "B_rx_dropped=$K")
		;;
	ip-csum)
		want=("B_rx_packets=$K" "IpExtInCsumErrors=$K" "IpInHdrErrors=$K" UdpNoPorts=0)
		;;
	ip-trunc)
		want=("B_rx_packets=$K" "IpExtInTruncatedPkts=$K" UdpNoPorts=0)
		;;
	udp-trunc)
		want=("B_rx_packets=$K" "UdpInErrors=$K" UdpNoPorts=0)
		;;
	tcp-doff)
		want=("B_rx_packets=$K" "TcpInErrs=$K")
		;;
	udp-csum)
		# The checksum was never computed by anyone: the receiver
		# must verify it rather than trust the device.
		want=("B_rx_packets=$K" "UdpInCsumErrors=$K" UdpNoPorts=0)
		;;
	udp-good)
		want=("B_rx_packets=$K" "UdpNoPorts=$K" UdpInCsumErrors=0 UdpInErrors=0)
		;;
	oversize)
		# Longer than MTU + header: the socket refuses it.
		is_eq "sends refused with EMSGSIZE" "$K" "$(grep -cx EMSGSIZE <<<"$out")" || return 1
		want=(A_tx_packets=0 B_rx_packets=0)
		;;
	esac
	# The frames were fine as far as the link goes: the sender keeps them.
	expect "${want[@]}" A_tx_dropped=0
}

for path in backlog ring; do
	must_load path=$path
	A=loopnic0 B=loopnic1
	pair_netns "$A" "$B" quiet
	B_MAC=$(mac_of "$B" "$NS_B")
	for c in $CASES; do
		check "$path: $c frames refused or dropped and counted" one_case "$c"
	done
	must unload_module
done
