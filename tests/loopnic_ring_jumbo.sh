#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Jumbo frames on the ring path (path=ring, one channel): a frame longer
# than one RX buffer (half a page, 1664 bytes of it) is spread by the
# device over several posted buffers, one RX CQE each (LOOPNIC_CQE_F_MORE
# on all but the last), and the driver builds one skb from them: the first
# buffer as head, the others as page fragments (counted in rx0_frags).
#
# - The largest MTU (9198: 9216-byte frames less a VLAN header) is
#   accepted, one more refused; MTU changes apply live.
# - At MTU 9000, DF pings of 8972 bytes (9014-byte frames, six buffers)
#   are answered and counted exactly: packets, bytes (the whole frame) and
#   five fragments per frame; the device's trace shows the six-WQE RQ
#   fetches and the F_MORE CQEs. Frames of one buffer add no fragment.
# - TCP (iperf3) at MTU 9000 and 1500, with the throughput of both.
# - A 64-entry RX ring that is not refilled (rx_no_refill) takes N jumbo
#   datagrams: 10 fit (60 buffers), the rest are dropped whole into
#   rx_out_of_buffer and the four buffers left stay posted: of six small
#   frames sent next, four still land in them. With pause on, all N jumbo
#   frames arrive once the ring is refilled.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
MAX_MTU=9198
MTU=9000
COUNT=5
# 9014-byte frames (MTU 9000) take six RX buffers of 1664 bytes (the
# driver's LOOPNIC_RX_BUF_LEN with 4 KiB pages).
BUFS=6
RING=64
FIT=$((RING / BUFS))
N=40 PORT=9000

STATS="rx_packets rx_bytes tx_packets tx_bytes tx_drops rx_drops
rx_out_of_buffer rx_discards_phy tx_discards_phy rx0_packets rx0_bytes
rx0_frags tx0_packets"

ktap_plan 13
require_module
require_tracefs
command -v python3 >/dev/null || skip_all "no python3"

declare -A base now

mtu_of()
{
	ip -n "$2" -o link show dev "$1" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'
}
bus_info()
{
	nsx "$2" ethtool -i "$1" | awk '$1 == "bus-info:" { print $2 }'
}
# set_mtu MTU: on both ends, while they are up.
set_mtu()
{
	ip -n "$NS_A" link set dev $A mtu "$1" && ip -n "$NS_B" link set dev $B mtu "$1" &&
		is_eq "$A mtu" "$1" "$(mtu_of $A "$NS_A")" && is_eq "$B mtu" "$1" "$(mtu_of $B "$NS_B")"
}
# snap ARRAY: the counters in STATS of both ends, as snap_pair does, but
# with one ethtool -S per end (each call is slow in an emulated guest).
snap()
{
	local -n snap_to=$1
	local end dev ns s all
	# shellcheck disable=SC2034 # snap_to is a nameref
	for end in A B; do
		if [ $end = A ]; then dev=$A ns=$NS_A; else dev=$B ns=$NS_B; fi
		all=" $(ethstats_all "$dev" "$ns")"
		for s in $STATS; do
			if [[ "$all" =~ \ $s=([0-9]+) ]]; then
				snap_to[${end}_$s]=${BASH_REMATCH[1]}
			else
				snap_to[${end}_$s]=missing
			fi
		done
	done
}
settle()
{
	wait_quiet $A "$NS_A" || diag "$A counters still moving"
	wait_quiet $B "$NS_B" || diag "$B counters still moving"
}

# The test's own stdout, for diagnostics from inside check.
exec 3>&1
must_load path=ring channels=1
pair_netns $A $B quiet
HA=$(bus_info $A "$NS_A")
HB=$(bus_info $B "$NS_B")

check "ethtool -S lists rx0_frags" ethstat $A rx0_frags "$NS_A"

max_mtu()
{
	refused ip -n "$NS_A" link set dev $A mtu $((MAX_MTU + 1)) || return 1
	is_eq "$A mtu after the refused change" 1500 "$(mtu_of $A "$NS_A")" || return 1
	set_mtu $MAX_MTU
}
check "MTU $MAX_MTU accepted on both ends (while up), $((MAX_MTU + 1)) refused" max_mtu

# full_ping SIZE FRAME FRAGS: COUNT DF pings of SIZE bytes, answered; each
# end receives COUNT frames of FRAME bytes, with FRAGS fragments each, and
# nothing is dropped. The loopnic events go into TRACE_OUT.
full_ping()
{
	local size=$1 len=$2 frags=$3 end rc=0 s
	settle
	snap base
	TRACE_EVENTS="loopnic_hw_wqe_fetch loopnic_hw_cqe" \
		traced ping_ok "$NS_A" 10.10.0.2 $COUNT -s "$size" -M "do" || return 1
	settle
	snap now
	for end in A B; do
		is_eq "$end.rx0_packets delta" $COUNT "$(delta $end rx0_packets)" || rc=1
		is_eq "$end.rx_bytes delta" $((COUNT * len)) "$(delta $end rx_bytes)" || rc=1
		is_eq "$end.rx0_bytes delta" $((COUNT * len)) "$(delta $end rx0_bytes)" || rc=1
		is_eq "$end.tx_bytes delta" $((COUNT * len)) "$(delta $end tx_bytes)" || rc=1
		is_eq "$end.rx0_frags delta" $((COUNT * frags)) "$(delta $end rx0_frags)" || rc=1
		for s in tx_drops rx_drops rx_out_of_buffer rx_discards_phy tx_discards_phy; do
			is_eq "$end.$s delta" 0 "$(delta $end $s)" || rc=1
		done
	done
	return $rc
}

check "MTU $MAX_MTU: $COUNT DF pings of $((MAX_MTU - 28)) bytes answered, $((MAX_MTU + 14))-byte frames in $BUFS buffers" \
	full_ping $((MAX_MTU - 28)) $((MAX_MTU + 14)) $((BUFS - 1))

check "MTU $MTU on both ends, live" set_mtu $MTU
LEN=$((MTU + 14))
check "MTU $MTU: $COUNT DF pings of $((MTU - 28)) bytes answered, exact counters, $((BUFS - 1)) frags per frame" \
	full_ping $((MTU - 28)) $LEN $((BUFS - 1))

# The device's view of the same pings: every frame fetched BUFS RX WQEs and
# completed BUFS - 1 CQEs with F_MORE (0x2) and a last one without, whose
# byte counts add up to the frame.
device_view()
{
	local rc=0 dev more last first
	diag "$(grep -m 1 'loopnic_hw_wqe_fetch: .* queue=rq' "$TRACE_OUT" | sed 's/.*loopnic_hw_wqe_fetch: //')" >&3
	for dev in "$HA" "$HB"; do
		is_eq "$dev RQ fetches of $BUFS WQEs" $COUNT \
			"$(ev_count loopnic_hw_wqe_fetch dev="$dev" queue=rq nwqe=$BUFS)" || rc=1
		is_eq "$dev RQ fetches in all" $COUNT \
			"$(ev_count loopnic_hw_wqe_fetch dev="$dev" queue=rq)" || rc=1
		more=$(ev_count loopnic_hw_cqe dev="$dev" queue=rxcq flags=0x2)
		is_eq "$dev RX CQEs with F_MORE" $((COUNT * (BUFS - 1))) "$more" || rc=1
		last=$(ev_count loopnic_hw_cqe dev="$dev" queue=rxcq flags=0x0)
		is_eq "$dev RX CQEs ending a frame" $COUNT "$last" || rc=1
	done
	# Bytes of the receiver's RX CQEs, summed per frame.
	first=$(awk -v d="dev=$HB" '$0 ~ / loopnic_hw_cqe: / && index($0, d) && / queue=rxcq / {
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^byte_cnt=/) { split($i, b, "="); sum += b[2] }
				if ($i ~ /^flags=/) f = $i
			}
			if (f == "flags=0x0") { print sum; sum = 0 }
		}' "$TRACE_OUT" | sort -u | tr '\n' ' ')
	is_eq "$HB frame lengths from the RX CQEs" "$LEN " "$first" || rc=1
	return $rc
}
check "device: $BUFS RX WQEs and CQEs per frame, $((BUFS - 1)) with F_MORE, bytes add up" device_view

check "MTU $MTU: $COUNT pings of 1400 bytes, one buffer each (no frags)" \
	full_ping 1400 $((1400 + 28 + 14)) 0

# ---- TCP ---------------------------------------------------------------

# iperf_run MTU: 2 s of TCP A -> B at MTU on both ends; iperf3's summary
# in IPERF_OUT, the receiver's Mbit/s in MBITS, the counters in base and now.
MBITS="" IPERF_OUT=""
iperf_run()
{
	MBITS="" IPERF_OUT=""
	set_mtu "$1" >/dev/null || { IPERF_OUT="MTU $1 not set"; return 1; }
	settle
	snap base
	ip netns exec "$NS_B" iperf3 -s -1 -D >/dev/null 2>&1 || { IPERF_OUT="no iperf3 server"; return 1; }
	sleep 0.5
	IPERF_OUT=$(ip netns exec "$NS_A" timeout 40 iperf3 -c 10.10.0.2 -t 2 -f m 2>&1)
	settle
	snap now
	MBITS=$(awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }' <<<"$IPERF_OUT")
	diag "TCP at MTU $1: $(grep -E 'sender|receiver' <<<"$IPERF_OUT" | tr -s ' ' | tr '\n' ' ')"
	diag "TCP at MTU $1: B rx0_packets +$(delta B rx0_packets) rx0_bytes +$(delta B rx0_bytes) rx0_frags +$(delta B rx0_frags), A tx0_packets +$(delta A tx0_packets)"
}

# tcp_ok: data arrived, and every frame either end sent is received or
# counted dropped; the totals are the channel's.
tcp_ok()
{
	local rc=0 tx rx
	[ -n "$MBITS" ] || { echo "$IPERF_OUT"; return 1; }
	tx=$(delta A tx_packets)
	rx=$(($(delta B rx_packets) + $(delta B rx_out_of_buffer) + $(delta B rx_discards_phy) +
	      $(delta B rx_drops) + $(delta A tx_discards_phy)))
	is_eq "A tx_packets vs B received + dropped" "$tx" "$rx" || rc=1
	tx=$(delta B tx_packets)
	rx=$(($(delta A rx_packets) + $(delta A rx_out_of_buffer) + $(delta A rx_discards_phy) +
	      $(delta A rx_drops) + $(delta B tx_discards_phy)))
	is_eq "B tx_packets vs A received + dropped" "$tx" "$rx" || rc=1
	is_eq "B rx_packets vs rx0_packets" "$(delta B rx0_packets)" "$(delta B rx_packets)" || rc=1
	is_eq "B rx_bytes vs rx0_bytes" "$(delta B rx0_bytes)" "$(delta B rx_bytes)" || rc=1
	return $rc
}
tcp_jumbo()
{
	tcp_ok || return 1
	# Mostly full-size segments: frames of six buffers.
	is_ge "B rx0_frags delta" "$(delta B rx0_packets)" "$(delta B rx0_frags)" &&
		is_ge "B rx_bytes / rx_packets" 8000 $(($(delta B rx_bytes) / $(delta B rx_packets)))
}
tcp_std()
{
	tcp_ok && is_eq "B rx0_frags delta at MTU 1500" 0 "$(delta B rx0_frags)"
}

if command -v iperf3 >/dev/null; then
	iperf_run $MTU
	check "TCP at MTU $MTU: data transferred, multi-buffer frames, counters consistent" tcp_jumbo
	MBITS_JUMBO=$MBITS
	iperf_run 1500
	check "TCP at MTU 1500: data transferred, single-buffer frames, counters consistent" tcp_std
	diag "iperf3 TCP over the ring path: MTU $MTU ${MBITS_JUMBO:-?} Mbit/s, MTU 1500 ${MBITS:-?} Mbit/s"
else
	ktap_skip "TCP at MTU $MTU" "no iperf3"
	ktap_skip "TCP at MTU 1500" "no iperf3"
fi

# ---- a small RX ring that runs dry --------------------------------------

must set_mtu $MTU
must nsx "$NS_B" ethtool -G $B rx $RING
# udp_burst COUNT SIZE [COUNT2 SIZE2]: COUNT datagrams A -> B while B posts
# no RX buffers (then COUNT2 more of SIZE2, the counters in between going
# into "mid"); then B refills. Received datagrams in GOT, counters before
# and after (before the refill) in base and now.
GOT=""
declare -A mid
udp_burst()
{
	local count=$1 size=$2 count2=${3:-0} size2=${4:-0} spid
	settle
	must nsx "$NS_B" ethtool --set-priv-flags $B rx_no_refill on
	snap base
	udp_rx_start "$NS_B" loopnic_udpflows.py recv $PORT $((count + count2))
	# In the background: with pause on, the sender blocks on its send
	# buffer until B refills its ring.
	nsx "$NS_A" python3 "$TESTS_DIR/loopnic_udpflows.py" send 10.10.0.2 $PORT 1 "$count" "$size" >/dev/null &
	spid=$!
	bg_track $spid
	wait_for 5 eval "! kill -0 $spid 2>/dev/null"
	settle
	if [ "$count2" -gt 0 ]; then
		snap mid
		nsx "$NS_A" python3 "$TESTS_DIR/loopnic_udpflows.py" send 10.10.0.2 $PORT 1 "$count2" "$size2" >/dev/null
		settle
	fi
	snap now
	must nsx "$NS_B" ethtool --set-priv-flags $B rx_no_refill off
	wait "$spid"
	udp_rx_stop $A "$NS_A" $B "$NS_B"
	GOT=$RX_GOT
	diag "burst of $count x $size (then $count2 x $size2): received $GOT; $B: $(ethstats_all $B "$NS_B")"
}

# first/second COUNTER: B's COUNTER's growth over the first burst (base to mid), and over
# the second (mid to now).
first()
{
	local k=B_$1
	echo $((mid[$k] - base[$k]))
}
second()
{
	local k=B_$1
	echo $((now[$k] - mid[$k]))
}

LEFT=$((RING - FIT * BUFS))
SMALL=$((LEFT + 2)) SMALL_S=100
udp_burst $N $((MTU - 28)) $SMALL $SMALL_S
overflow()
{
	local rc=0 tx rx oob
	tx=$((mid[A_tx_packets] - base[A_tx_packets])) rx=$(first rx_packets) oob=$(first rx_out_of_buffer)
	is_eq "A.tx_packets delta" $N "$tx" || rc=1
	is_eq "B.rx_packets delta" $FIT "$rx" || rc=1
	is_eq "B.rx_bytes delta" $((FIT * LEN)) "$(first rx_bytes)" || rc=1
	is_eq "B.rx0_frags delta" $((FIT * (BUFS - 1))) "$(first rx0_frags)" || rc=1
	is_eq "B.rx_out_of_buffer delta" $((N - FIT)) "$oob" || rc=1
	is_eq "B.rx_drops + rx_discards_phy delta" 0 \
		$(($(first rx_drops) + $(first rx_discards_phy))) || rc=1
	is_eq "sent vs received + dropped" "$tx" $((rx + oob)) || rc=1
	return $rc
}
check "$N jumbo frames into $RING RX buffers: $FIT received, $((N - FIT)) dropped whole (rx_out_of_buffer)" overflow

# The buffer(s) left over were not used by a dropped frame: with still no
# refill, exactly that many small frames arrive.
leftover()
{
	local rc=0
	is_eq "B.rx_packets delta" $LEFT "$(second rx_packets)" || rc=1
	is_eq "B.rx_bytes delta" $((LEFT * (SMALL_S + 42))) "$(second rx_bytes)" || rc=1
	is_eq "B.rx_out_of_buffer delta" $((SMALL - LEFT)) "$(second rx_out_of_buffer)" || rc=1
	is_eq "datagrams received in all" $((FIT + LEFT)) "$GOT" || rc=1
	return $rc
}
check "no partial frame left behind: the $LEFT spare buffer(s) then take $LEFT of $SMALL small frames" leftover

check "RX ring refilled: MTU $MTU DF pings answered" ping_ok "$NS_A" 10.10.0.2 3 -s $((MTU - 28)) -M "do"

with_pause()
{
	local rc=0
	nsx "$NS_A" ethtool -A $A rx on tx on && nsx "$NS_B" ethtool -A $B rx on tx on || return 1
	udp_burst $N $((MTU - 28))
	# The counters were read before the refill: now, after it.
	settle
	snap now
	is_eq "datagrams received" $N "$GOT" || rc=1
	is_eq "B.rx_packets delta" $N "$(delta B rx_packets)" || rc=1
	is_eq "B.rx_bytes delta" $((N * LEN)) "$(delta B rx_bytes)" || rc=1
	is_eq "B.rx0_frags delta" $((N * (BUFS - 1))) "$(delta B rx0_frags)" || rc=1
	is_eq "B.rx_out_of_buffer delta" 0 "$(delta B rx_out_of_buffer)" || rc=1
	return $rc
}
check "pause on: the same $N jumbo frames all arrive once the ring is refilled" with_pause
