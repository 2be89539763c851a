#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The standard statistics (ethtool -S DEV --groups eth-mac rmon) on both
# paths: the IEEE 802.3 MAC counters and the RMON frame size histogram. On
# the ring path the emulated device counts them in its own registers, apart
# from the driver's counters; the backlog path counts them itself.
#
# With IPv6 off and static neighbours nothing crosses the pair but the
# test's frames: one DF ping per size at both edges of every histogram
# bucket a 9000-byte MTU reaches (the buckets are read from ethtool's own
# names, so a device out of step with the ranges the driver reports
# fails), then broadcast, multicast and runt frames from an AF_PACKET
# socket. Each counter must move by exactly what was sent, A's TX must
# equal B's RX, and the MAC's frames and octets must equal the driver's
# rx_packets/rx_bytes.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
MTU=9000
RAW=$TESTS_DIR/loopnic_rawframe.py
K=3
# ICMP payload sizes: frames of size + 42 bytes, from the 60-byte minimum
# to the MTU, at the edges of each bucket.
SIZES="18 22 23 85 86 213 214 469 470 981 982 1476 1477 2005 2006 4053 4054 $((MTU - 28))"

ktap_plan 17
require_module

# std_snap ARRAY DEV NS: the standard counters of DEV as ARRAY[name]=value.
std_snap()
{
	local -n std_arr=$1
	local name val
	std_arr=()
	while read -r name val; do
		# shellcheck disable=SC2034 # std_arr is a nameref
		std_arr[${name%:}]=$val
	done < <(nsx "$3" ethtool -S "$2" --groups eth-mac rmon | grep -E '^[[:space:]]*[a-zA-Z-]+[0-9A-Za-z-]*: [0-9]+$')
	[ ${#std_arr[@]} -gt 0 ]
}

# bucket_of DIR LEN: the name of the histogram bucket (DIR rx or tx) that
# ethtool says holds frames of LEN bytes.
bucket_of()
{
	local name lo hi
	for name in "${!a1[@]}"; do
		# ethtool names a range from 0 by its upper end alone.
		if [[ $name =~ ^$1-rmon-etherStatsPkts([0-9]+)to([0-9]+)Octets$ ]]; then
			lo=${BASH_REMATCH[1]} hi=${BASH_REMATCH[2]}
		elif [[ $name =~ ^$1-rmon-etherStatsPkts([0-9]+)Octets$ ]]; then
			lo=0 hi=${BASH_REMATCH[1]}
		else
			continue
		fi
		if [ "$2" -ge "$lo" ] && [ "$2" -le "$hi" ]; then
			echo "$name"
			return
		fi
	done
	echo "no-bucket-for-$2"
}

# names_listed DEV NS: the eth-mac counters and a 10-bucket histogram each way.
names_listed()
{
	local -A s
	local n rc=0
	std_snap s "$1" "$2" || { echo "no standard stats for $1"; return 1; }
	for n in FramesTransmittedOK FramesReceivedOK OctetsTransmittedOK OctetsReceivedOK \
		MulticastFramesXmittedOK BroadcastFramesXmittedOK \
		MulticastFramesReceivedOK BroadcastFramesReceivedOK; do
		[ -n "${s[eth-mac-$n]:-}" ] || { echo "eth-mac-$n missing"; rc=1; }
	done
	[ -n "${s[rmon-etherStatsUndersizePkts]:-}" ] || { echo "rmon-etherStatsUndersizePkts missing"; rc=1; }
	is_eq "rx histogram buckets" 10 "$(printf '%s\n' "${!s[@]}" | grep -c '^rx-rmon-etherStatsPkts')" || rc=1
	is_eq "tx histogram buckets" 10 "$(printf '%s\n' "${!s[@]}" | grep -c '^tx-rmon-etherStatsPkts')" || rc=1
	[ $rc -eq 0 ] || nsx "$2" ethtool -S "$1" --groups eth-mac rmon
	return $rc
}

# d ARRAY_BEFORE ARRAY_AFTER NAME: how much NAME grew.
d()
{
	local -n x0=$1 x1=$2
	echo $((${x1[$3]:-0} - ${x0[$3]:-0}))
}

# shellcheck disable=SC2034 # filled and read through namerefs
declare -A a0 a1 b0 b1

# pings: one DF ping per size; every frame (request A -> B and reply
# B -> A) counted in the expected buckets.
pings()
{
	local s len
	for s in $SIZES; do
		ping_ok "$NS_A" 10.10.0.2 1 -s "$s" -M "do" || return 1
	done
	wait_quiet $A "$NS_A"
	wait_quiet $B "$NS_B"
}

# hist_exact: each bucket of B's rx and A's tx histograms moved by the
# number of sizes in it, as did A's rx and B's tx (the replies).
hist_exact()
{
	local s len bucket rc=0 name
	local -A want=()
	for s in $SIZES; do
		len=$((s + 42))
		for bucket in "$(bucket_of rx $len)" "$(bucket_of tx $len)"; do
			[[ $bucket != no-bucket-* ]] || { echo "$bucket"; rc=1; }
			want[$bucket]=$((${want[$bucket]:-0} + 1))
		done
	done
	for name in "${!a1[@]}"; do
		[[ $name =~ ^(rx|tx)-rmon-etherStatsPkts ]] || continue
		is_eq "A $name" "${want[$name]:-0}" "$(d a0 a1 "$name")" || rc=1
		is_eq "B $name" "${want[$name]:-0}" "$(d b0 b1 "$name")" || rc=1
	done
	return $rc
}

# mac_exact END TXF TXO RXF RXO: the eth-mac frame and octet deltas.
mac_exact()
{
	local x0=${1,,}0 x1=${1,,}1 rc=0
	is_eq "$1 FramesTransmittedOK" "$2" "$(d "$x0" "$x1" eth-mac-FramesTransmittedOK)" || rc=1
	is_eq "$1 OctetsTransmittedOK" "$3" "$(d "$x0" "$x1" eth-mac-OctetsTransmittedOK)" || rc=1
	is_eq "$1 FramesReceivedOK" "$4" "$(d "$x0" "$x1" eth-mac-FramesReceivedOK)" || rc=1
	is_eq "$1 OctetsReceivedOK" "$5" "$(d "$x0" "$x1" eth-mac-OctetsReceivedOK)" || rc=1
	return $rc
}

# mac_both FRAMES OCTETS: as many each way, at both ends.
mac_both()
{
	mac_exact A "$1" "$2" "$1" "$2" && mac_exact B "$1" "$2" "$1" "$2"
}

# rawframes DST CASE: K frames of loopnic_rawframe.py's CASE from A to DST.
rawframes()
{
	local out
	out=$(nsx "$NS_A" python3 "$RAW" $A "$1" 10.10.0.1 10.10.0.2 "$2" $K) || return 1
	is_eq "$2 frames to $1 sent" $K "$(grep -cx sent <<<"$out")" || return 1
	wait_quiet $A "$NS_A"
	wait_quiet $B "$NS_B"
}

# cast_exact KIND: K 60-byte frames of KIND (Broadcast or Multicast) sent
# by A, received by B, in the 60-64 bucket, and nothing else counted.
cast_exact()
{
	local kind=$1 rc=0
	is_eq "A ${kind}FramesXmittedOK" $K "$(d a0 a1 "eth-mac-${kind}FramesXmittedOK")" || rc=1
	is_eq "B ${kind}FramesReceivedOK" $K "$(d b0 b1 "eth-mac-${kind}FramesReceivedOK")" || rc=1
	is_eq "B FramesReceivedOK" $K "$(d b0 b1 eth-mac-FramesReceivedOK)" || rc=1
	is_eq "B OctetsReceivedOK" $((K * 60)) "$(d b0 b1 eth-mac-OctetsReceivedOK)" || rc=1
	is_eq "B $(bucket_of rx 60)" $K "$(d b0 b1 "$(bucket_of rx 60)")" || rc=1
	is_eq "A $(bucket_of tx 60)" $K "$(d a0 a1 "$(bucket_of tx 60)")" || rc=1
	return $rc
}

# undersize: K 14-byte runts reach B as undersize, outside the histogram.
undersize()
{
	local rc=0 name
	is_eq "B rmon-etherStatsUndersizePkts" $K "$(d b0 b1 rmon-etherStatsUndersizePkts)" || rc=1
	is_eq "B FramesReceivedOK" $K "$(d b0 b1 eth-mac-FramesReceivedOK)" || rc=1
	for name in "${!b1[@]}"; do
		[[ $name =~ ^rx-rmon-etherStatsPkts ]] || continue
		is_eq "B $name" 0 "$(d b0 b1 "$name")" || rc=1
	done
	is_eq "A $(bucket_of tx 14)" $K "$(d a0 a1 "$(bucket_of tx 14)")" || rc=1
	return $rc
}

# agree_with_driver: B's MAC frames/octets received == its rx_packets/rx_bytes.
agree_with_driver()
{
	is_eq "B FramesReceivedOK vs rx_packets" "$(ethstat $B rx_packets "$NS_B")" \
		"${b1[eth-mac-FramesReceivedOK]}" &&
		is_eq "B OctetsReceivedOK vs rx_bytes" "$(ethstat $B rx_bytes "$NS_B")" \
			"${b1[eth-mac-OctetsReceivedOK]}" &&
		is_eq "A FramesTransmittedOK vs B FramesReceivedOK" \
			"${b1[eth-mac-FramesReceivedOK]}" "${a1[eth-mac-FramesTransmittedOK]}"
}

snap_both()
{
	std_snap "$1" $A "$NS_A" && std_snap "$2" $B "$NS_B"
}

for path in backlog ring; do
	must_load path=$path
	pair_netns $A $B quiet
	must ip -n "$NS_A" link set dev $A mtu $MTU
	must ip -n "$NS_B" link set dev $B mtu $MTU

	check "$path: eth-mac and rmon groups listed, 10 buckets each way" names_listed $B "$NS_B"

	n=$(wc -w <<<"$SIZES")
	octets=0
	for s in $SIZES; do octets=$((octets + s + 42)); done
	snap_both a0 b0 || die "no standard stats"
	check "$path: $n DF pings of sizes 60..$MTU answered" pings
	snap_both a1 b1 || die "no standard stats"
	check "$path: A and B count $n frames, $octets octets each way" \
		mac_both "$n" "$octets"
	check "$path: each size in its RMON bucket, both ends and directions" hist_exact

	for kind in Broadcast Multicast; do
		snap_both a0 b0 || die "no standard stats"
		dst=ff:ff:ff:ff:ff:ff
		[ $kind = Broadcast ] || dst=01:00:5e:00:00:fb
		must rawframes $dst ethertype
		snap_both a1 b1 || die "no standard stats"
		check "$path: $K ${kind,,} frames counted as such" cast_exact $kind
	done

	snap_both a0 b0 || die "no standard stats"
	must rawframes "$(mac_of $B "$NS_B")" runt
	snap_both a1 b1 || die "no standard stats"
	check "$path: $K runts of 14 bytes counted undersize" undersize
	check "$path: MAC counters agree with the driver's, A's TX with B's RX" agree_with_driver
	ns_del "$NS_A"
	ns_del "$NS_B"
done
check "rmmod" unload_module
