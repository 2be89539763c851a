#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# RSS of the ring path as ethtool shows and sets it: ethtool -x lists the
# 128-entry indirection table (spread over the channels) and the 40-byte
# Toeplitz key; -X equal 1 steers every flow to RX queue 0, -X weight to
# the queues asked for; the device's hash reaches the skb (tracepoint
# net:napi_gro_receive_entry: hash non-zero, l4_hash=1 for UDP) and
# -K rxhash off stops it (hash=0x00000000 l4_hash=0).

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
CH=4
FLOWS=8 PER_FLOW=10 SIZE=100 PORT=9000
N=$((FLOWS * PER_FLOW))
EVENT=$TRACEFS/events/net/napi_gro_receive_entry

ktap_plan 6
require_module

must_load path=ring channels=$CH
pair_netns $A $B quiet

STATS=""
for ((i = 0; i < CH; i++)); do
	STATS+=" rx${i}_packets"
done
declare -A base now

# flows: N datagrams on FLOWS UDP flows A -> B; all must arrive.
flows()
{
	local sent
	udp_rx_start "$NS_B" loopnic_udpflows.py recv $PORT $N
	sent=$(ip netns exec "$NS_A" python3 "$TESTS_DIR/loopnic_udpflows.py" send 10.10.0.2 $PORT $FLOWS $PER_FLOW $SIZE)
	udp_rx_stop $B "$NS_B"
	is_eq "datagrams sent" $N "$sent" && is_eq "datagrams received" $N "$RX_GOT"
}

# steered_to "Q...": with the flows sent between snapshots, only queues Q got datagrams, N in all.
steered_to()
{
	local i d sum=0 rc=0 list=""
	for ((i = 0; i < CH; i++)); do
		d=$(delta B rx${i}_packets)
		list+=" rx$i=$d"
		sum=$((sum + d))
		if [[ " $1 " != *" $i "* ]]; then
			is_eq "B.rx${i}_packets delta" 0 "$d" || rc=1
		fi
	done
	echo "B per RX queue:$list"
	is_eq "datagrams over queues $1" $N $sum || rc=1
	return $rc
}

show_table()
{
	local out rows
	out=$(nsx "$NS_B" ethtool -x $B) || return 1
	echo "$out"
	grep -q "with $CH RX ring(s)" <<<"$out" || { echo "no ring count $CH"; return 1; }
	# 128 entries, 8 per row, default spread i % CH.
	rows=$(awk '/^ *[0-9]+: / { for (i = 2; i <= NF; i++) { if ($i != (n % '"$CH"')) bad = 1; n++ } }
		END { print n, bad + 0 }' <<<"$out")
	is_eq "table entries, non-default ones" "128 0" "$rows" || return 1
	grep -A1 'RSS hash key' <<<"$out" | tail -n 1 | grep -Eq '^([0-9a-f]{2}:){39}[0-9a-f]{2}$' ||
		{ echo "no 40-byte key"; return 1; }
	grep -q 'toeplitz: on' <<<"$out" || { echo "Toeplitz not reported on"; return 1; }
}
check "ethtool -x: 128 entries spread over $CH queues, a 40-byte key, Toeplitz" show_table

equal1()
{
	nsx "$NS_B" ethtool -X $B equal 1 || return 1
	snap_pair base "$STATS"
	flows || return 1
	snap_pair now "$STATS"
	steered_to "0"
}
check "-X equal 1: all $FLOWS flows on RX queue 0" equal1

weight()
{
	nsx "$NS_B" ethtool -X $B weight 0 0 1 1 || return 1
	snap_pair base "$STATS"
	flows || return 1
	snap_pair now "$STATS"
	steered_to "2 3"
}
check "-X weight 0 0 1 1: all flows on RX queues 2 and 3 only" weight

# ---- the hash reaches the skb -------------------------------------------

mount_tracefs
if [ ! -d "$EVENT" ]; then
	ktap_skip "hash on the skb, l4_hash=1" "no tracefs event net/napi_gro_receive_entry"
	ktap_skip "-K rxhash off: no hash on the skb" "no tracefs event net/napi_gro_receive_entry"
else
	on_exit "echo 0 > $EVENT/enable; echo > $EVENT/filter; echo > $TRACEFS/trace"
	echo "name == \"$B\"" >"$EVENT/filter" 2>/dev/null || true
	trace_flows()
	{
		echo >"$TRACEFS/trace"
		echo 1 >"$EVENT/enable" || return 1
		flows || return 1
		echo 0 >"$EVENT/enable"
		TRACE=$(grep "dev=$B " "$TRACEFS/trace")
		[ -n "$TRACE" ] || { echo "no napi_gro_receive_entry for $B"; return 1; }
		echo "$(grep -c . <<<"$TRACE") events for $B; first: $(head -n 1 <<<"$TRACE")"
	}
	hashed()
	{
		local bad
		nsx "$NS_B" ethtool -X $B default || return 1
		trace_flows || return 1
		is_ge "events" $N "$(grep -c 'protocol=0x0800' <<<"$TRACE")" || return 1
		bad=$(grep 'protocol=0x0800' <<<"$TRACE" | grep -Ev 'hash=0x[0-9a-f]{8} l4_hash=1' | head -n 3)
		[ -z "$bad" ] || { echo "without l4_hash=1: $bad"; return 1; }
		bad=$(grep 'protocol=0x0800' <<<"$TRACE" | grep 'hash=0x00000000' | head -n 3)
		[ -z "$bad" ] || { echo "zero hash: $bad"; return 1; }
		# Eight flows, eight different hashes (a constant would not do).
		is_eq "distinct hashes" $FLOWS \
			"$(grep -o 'hash=0x[0-9a-f]*' <<<"$TRACE" | sort -u | wc -l)"
	}
	check "UDP flows: the device's hash on the skb, non-zero, l4_hash=1, one per flow" hashed
	unhashed()
	{
		local bad
		nsx "$NS_B" ethtool -K $B rxhash off || return 1
		nsx "$NS_B" ethtool -k $B | grep -q 'receive-hashing: off' || return 1
		trace_flows || return 1
		bad=$(grep 'protocol=0x0800' <<<"$TRACE" | grep -v 'hash=0x00000000 l4_hash=0' | head -n 3)
		[ -z "$bad" ] || { echo "hashed anyway: $bad"; return 1; }
		nsx "$NS_B" ethtool -K $B rxhash on
	}
	check "-K rxhash off: hash=0x00000000 l4_hash=0 on the skb" unhashed
fi

reset_default()
{
	nsx "$NS_B" ethtool -X $B default || return 1
	nsx "$NS_B" ethtool -L $B combined 2 || return 1
	local show_table_2
	show_table_2=$(nsx "$NS_B" ethtool -x $B)
	grep -q "with 2 RX ring(s)" <<<"$show_table_2"
}
check "-X default then -L combined 2: the table follows the channel count" reset_default
