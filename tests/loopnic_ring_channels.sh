#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Ring path with several combined channels: ethtool -l reports the NIC's
# maximum and the port's count (one per online CPU by default, or the
# channels= module parameter; loopnic_load.sh tests bad values); ethtool -S lists
# mlx5's per-channel counters for each channel; UDP flows across a pair
# are spread by the device's RSS as the reference Toeplitz hash spreads
# them under the key set with ethtool -X hkey, every datagram is
# accounted for, and the per-channel counters sum to the totals that
# ip -s link shows.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
MAX_CH=8
FLOWS=8 PER_FLOW=40 SIZE=200 PORT=9000
N=$((FLOWS * PER_FLOW))
# UDP datagram of SIZE bytes as a frame: Ethernet + IPv4 + UDP headers.
FRAME=$((SIZE + 8 + 20 + 14))
# The flows differ only in the low bits of their source port
# (loopnic_udpflows.py binds 20001 + i), so under the random key of each
# boot all of them share one queue about once in 64. Microsoft's RSS
# verification key makes the spread deterministic, and checkable.
KEY=6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa
SPORT=20001

ktap_plan 8
require_module

# channel_names N: the ring path's counter names with N channels.
channel_names()
{
	local i
	echo "rx_packets rx_bytes tx_packets tx_bytes tx_drops rx_drops"
	echo "rx_out_of_buffer rx_discards_phy tx_discards_phy tx_shaped tx_tso_packets tx_tso_bytes"
	echo "tx_sw_fallback rx_lro_packets rx_lro_bytes"
	echo "fault_wire_drop fault_wire_corrupt fault_wire_dup fault_wire_reorder"
	echo "fault_wire_delay fault_rx_alloc fault_tx_dma_map fault_ch_activate"
	echo "tx_timeout tx_timeout_recover_eq tx_timeout_held tx_recover fault_sq_stall fault_lost_irq"
	for ((i = 0; i < $1; i++)); do
		echo "rx${i}_packets rx${i}_bytes rx${i}_frags tx${i}_packets tx${i}_bytes"
		echo "tx${i}_stopped tx${i}_wake tx${i}_doorbells ch${i}_events"
		echo "ch${i}_poll ch${i}_budget_exhausted ch${i}_arm ch${i}_irqs"
	done
}

# ---- default channel count ---------------------------------------------

must_load path=ring
NCPU=$(nproc)
DEF=$((NCPU < MAX_CH ? NCPU : MAX_CH))
default_count()
{
	is_eq "ethtool -l $A maximum combined" $MAX_CH "$(combined_of $A '' max)" &&
		is_eq "ethtool -l $A current combined (min(CPUs=$NCPU, $MAX_CH))" $DEF \
			"$(combined_of $A '' cur)" &&
		is_eq "$A real TX queues" $DEF "$(find /sys/class/net/$A/queues -name 'tx-*' | wc -l)" &&
		is_eq "$A real RX queues" $DEF "$(find /sys/class/net/$A/queues -name 'rx-*' | wc -l)"
}
check "default: $DEF channels of $MAX_CH, as many TX and RX queues" default_count

# ---- eight channels: RSS over UDP flows --------------------------------

if ! load_module path=ring channels=$MAX_CH; then
	diag "$LOAD_ERR"
	die "insmod loopnic path=ring channels=$MAX_CH failed"
fi
check_eq "channels=$MAX_CH: ethtool -l current combined" $MAX_CH "$(combined_of $A '' cur)"
check "ethtool -S lists the counters of $MAX_CH channels" counter_names_are $A "" "$(channel_names $MAX_CH)"

pair_netns $A $B quiet

set_key()
{
	nsx "$NS_B" ethtool -X $B hkey $KEY || return 1
	is_eq "$B RSS hash key (ethtool -x)" $KEY \
		"$(nsx "$NS_B" ethtool -x $B | sed -n '/^RSS hash key:/{n;p;}')"
}
check "ethtool -X $B hkey: Microsoft's verification key set" set_key

STATS="rx_packets rx_bytes tx_packets tx_bytes rx_out_of_buffer rx_discards_phy rx_drops tx_drops"
for ((i = 0; i < MAX_CH; i++)); do
	STATS+=" rx${i}_packets rx${i}_bytes tx${i}_packets tx${i}_bytes"
done
declare -A base now
wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"
snap_pair base "$STATS"

udp_rx_start "$NS_B" loopnic_udpflows.py recv $PORT $N
SENT=$(ip netns exec "$NS_A" python3 "$TESTS_DIR/loopnic_udpflows.py" send 10.10.0.2 $PORT $FLOWS $PER_FLOW $SIZE)
udp_rx_stop $A "$NS_A" $B "$NS_B"
GOT=$RX_GOT
snap_pair now "$STATS"
diag "B: $(ethstats_all $B "$NS_B")"

all_accounted()
{
	is_eq "datagrams sent" $N "$SENT" &&
		is_eq "datagrams received" $N "$GOT" &&
		is_eq "A.tx_packets delta" $N "$(delta A tx_packets)" &&
		is_eq "B.rx_packets delta" $N "$(delta B rx_packets)" &&
		is_eq "B.rx_bytes delta" $((N * FRAME)) "$(delta B rx_bytes)" &&
		is_eq "B.rx_out_of_buffer" 0 "${now[B_rx_out_of_buffer]}" &&
		is_eq "B.rx_discards_phy" 0 "${now[B_rx_discards_phy]}" &&
		is_eq "B.rx_drops" 0 "${now[B_rx_drops]}" &&
		is_eq "A.tx_drops" 0 "${now[A_tx_drops]}"
}
check "$FLOWS UDP flows x $PER_FLOW datagrams: all $N sent, received and counted, no drops" all_accounted

# ref_spread: each RX queue's datagrams by the reference Toeplitz hash
# (Microsoft's RSS spec, checked against its published vector) of each
# flow's addresses and ports, through the default table (entry j -> j % N).
ref_spread()
{
	python3 - "$KEY" $FLOWS $PER_FLOW $SPORT $PORT $MAX_CH <<'PY'
import socket, struct, sys
key = int(sys.argv[1].replace(':', ''), 16)
flows, per_flow, sport, dport, nq = (int(a) for a in sys.argv[2:])

def toeplitz(data):
    h = 0
    for pos in range(len(data) * 8):
        if data[pos // 8] & (0x80 >> pos % 8):
            h ^= key >> (320 - 32 - pos) & 0xffffffff
    return h

vector = (socket.inet_aton('66.9.149.187') + socket.inet_aton('161.142.100.80') +
          struct.pack('>HH', 2794, 1766))
assert toeplitz(vector) == 0x51ccc178
q = [0] * nq
for i in range(flows):
    h = toeplitz(socket.inet_aton('10.10.0.1') + socket.inet_aton('10.10.0.2') +
                 struct.pack('>HH', sport + i, dport))
    q[h % 128 % nq] += per_flow
print(' '.join('rx%d=%d' % (i, n) for i, n in enumerate(q)))
PY
}
spread()
{
	local i ref got=""
	ref=$(ref_spread) || return 1
	for ((i = 0; i < MAX_CH; i++)); do
		got+=" rx$i=$(delta B rx${i}_packets)"
	done
	is_eq "B datagrams per RX queue" "$ref" "${got# }" &&
		is_ge "RX queues that got datagrams" 2 "$(grep -o '=[1-9]' <<<"$ref" | wc -l)"
}
check "RSS spread the $FLOWS flows over $B's RX queues as the reference Toeplitz hash does" spread

# sums END: per-channel counters add up to the totals, for the whole life
# of the port (not just this test's deltas).
sums()
{
	local end=$1 s i sum rc=0
	for s in rx_packets rx_bytes tx_packets tx_bytes; do
		sum=0
		for ((i = 0; i < MAX_CH; i++)); do
			sum=$((sum + now[${end}_${s%%_*}${i}_${s#*_}]))
		done
		is_eq "$end: sum of ${s%%_*}N_${s#*_}" "${now[${end}_$s]}" $sum || rc=1
	done
	return $rc
}
ip_agrees()
{
	local end=$1 dev=$2 ns=$3 s d f rc=0
	for s in rx_packets rx_bytes tx_packets tx_bytes; do
		d=${s%%_*} f=${s#*_}
		is_eq "$dev ip -s link ${d^^} $f" "${now[${end}_$s]}" \
			"$(ipstat "$dev" "${d^^}" "$f" "$ns")" || rc=1
	done
	return $rc
}
both_sum()
{
	sums A && sums B && ip_agrees A $A "$NS_A" && ip_agrees B $B "$NS_B"
}
check "per-channel counters sum to the totals; ip -s link agrees" both_sum

rmmod_clean()
{
	timeout 60 rmmod loopnic && ! module_loaded
}
check "rmmod with $MAX_CH channels per port is clean" rmmod_clean
