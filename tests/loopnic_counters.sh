#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Exact counters. With IPv6 off and static neighbours nothing crosses the
# pair but our pings, so after a known number of pings of known sizes each
# counter has one right value, computed below (an Ethernet frame carrying
# an ICMP echo with S bytes of payload is S + 8 + 20 + 14 bytes: the driver
# counts the Ethernet header, as ip -s link does). ethtool -S, sysfs and
# ip -s link must agree, and frames must be conserved across the pair.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
# A -> B echo requests (answered), B -> A (answered), and A -> a host that
# does not exist but whose neighbour entry points at B: B receives and
# drops those, so they cross the pair one way only and make the two
# directions' counts differ.
N1=10 S1=100
N2=5 S2=1000
N3=3 S3=200
STATS="rx_packets rx_bytes tx_packets tx_bytes backlog_polls backlog_drops tx_drops
backlog_budget_exhausted tx_shaped"

ktap_plan 13
require_module
must_load pairs=2
pair_netns $A $B quiet
must ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=0
must ip -n "$NS_A" neigh add 10.10.0.3 lladdr "$(mac_of $B "$NS_B")" dev $A nud permanent

frame() { echo $(($1 + 8 + 20 + 14)); }

# ethtool -S must list exactly these counters, no more, no fewer.
check "ethtool -S $A lists exactly: $STATS" counter_names_are $A "$NS_A" "$STATS"
check "ethtool -S $B lists exactly: $STATS" counter_names_are $B "$NS_B" "$STATS"

declare -A base now

wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"
snap_pair base "$STATS"
diag "before: $(ethstats_all $A "$NS_A")| $(ethstats_all $B "$NS_B")"

check "$N1 pings of $S1 bytes $NS_A -> $NS_B answered" ping_ok "$NS_A" 10.10.0.2 $N1 -s $S1
check "$N2 pings of $S2 bytes $NS_B -> $NS_A answered" ping_ok "$NS_B" 10.10.0.1 $N2 -s $S2
check_eq "$N3 one-way pings of $S3 bytes $NS_A -> $B unanswered" 0 \
	"$(ping_count "$NS_A" 10.10.0.3 $N3 -s $S3)"

wait_quiet $A "$NS_A" || diag "$A counters still moving"
wait_quiet $B "$NS_B" || diag "$B counters still moving"
snap_pair now "$STATS"
diag "after: $(ethstats_all $A "$NS_A")| $(ethstats_all $B "$NS_B")"

# Traffic A sent / B received, and B sent / A received.
AB_PKTS=$((N1 + N2 + N3))
AB_BYTES=$((N1 * $(frame $S1) + N2 * $(frame $S2) + N3 * $(frame $S3)))
BA_PKTS=$((N1 + N2))
BA_BYTES=$((N1 * $(frame $S1) + N2 * $(frame $S2)))

# val END NAME: counter now; delta END NAME: its increase during the test.
val()
{
	echo "${now[${1}_$2]}"
}


# delta_is END NAME EXPECTED
delta_is()
{
	is_eq "$1.$2 delta" "$3" "$(delta "$1" "$2")"
}

exact()
{
	local end=$1 tp=$2 tb=$3 rp=$4 rb=$5 rc=0
	delta_is "$end" tx_packets "$tp" || rc=1
	delta_is "$end" tx_bytes "$tb" || rc=1
	delta_is "$end" rx_packets "$rp" || rc=1
	delta_is "$end" rx_bytes "$rb" || rc=1
	return $rc
}
check "$A: tx $AB_PKTS/$AB_BYTES rx $BA_PKTS/$BA_BYTES packets/bytes exactly" \
	exact A $AB_PKTS $AB_BYTES $BA_PKTS $BA_BYTES
check "$B: tx $BA_PKTS/$BA_BYTES rx $AB_PKTS/$AB_BYTES packets/bytes exactly" \
	exact B $BA_PKTS $BA_BYTES $AB_PKTS $AB_BYTES

no_drops()
{
	local rc=0 c
	for c in A_backlog_drops A_tx_drops B_backlog_drops B_tx_drops; do
		is_eq "$c" 0 "${now[$c]}" || rc=1
	done
	return $rc
}
check "no drops at this rate (backlog_drops, tx_drops = 0)" no_drops

# Each receiving port's NAPI ran.
polled()
{
	is_ge "A.backlog_polls delta" 1 "$(delta A backlog_polls)" &&
		is_ge "B.backlog_polls delta" 1 "$(delta B backlog_polls)"
}
check "backlog_polls counted on both receiving ports" polled

# sysfs and ip -s link report the same four counters as ethtool -S.
agree()
{
	local end=$1 dev=$2 ns=$3 rc=0 s d f v
	for s in rx_packets rx_bytes tx_packets tx_bytes; do
		v=$(sysstat "$dev" "$s" "$ns")
		is_eq "$dev sysfs $s vs ethtool" "$(val "$end" "$s")" "$v" || rc=1
		d=${s%%_*} f=${s#*_}
		v=$(ipstat "$dev" "${d^^}" "$f" "$ns")
		is_eq "$dev ip -s link ${d^^} $f vs ethtool" "$(val "$end" "$s")" "$v" || rc=1
	done
	return $rc
}
check "$A: sysfs and ip -s link agree with ethtool -S" agree A $A "$NS_A"
check "$B: sysfs and ip -s link agree with ethtool -S" agree B $B "$NS_B"

conserved()
{
	is_eq "A.tx_packets vs B.rx_packets + B.backlog_drops" "$(val A tx_packets)" \
		"$(($(val B rx_packets) + $(val B backlog_drops)))" &&
		is_eq "B.tx_packets vs A.rx_packets + A.backlog_drops" "$(val B tx_packets)" \
			"$(($(val A rx_packets) + $(val A backlog_drops)))"
}
check "conservation: tx of one end = rx + backlog_drops of the other" conserved

# Counters are per device, not global: a second pair saw nothing. (Catches
# stats kept in module-wide or per-CPU storage shared by all ports.)
other_pair_zero()
{
	local s rc=0
	for s in rx_packets tx_packets; do
		is_eq "loopnic2 $s" 0 "$(ethstat loopnic2 $s)" || rc=1
		is_eq "loopnic3 $s" 0 "$(ethstat loopnic3 $s)" || rc=1
	done
	return $rc
}
check "idle second pair (loopnic2/3) counts nothing" other_pair_zero
