#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ring path (path=ring): the emulated NIC with SQ/RQ, CQs, doorbells,
# MSI-X and NAPI, here with one channel (channels=1; several are tested in
# loopnic_ring_channels.sh). Pings cross a pair without loss and are counted exactly
# in the per-channel counters (rx0_*, tx0_*), in the totals and in
# ip -s link alike; the device interrupted and the driver re-armed; frames
# up to the ring path's largest MTU cross unfragmented; TCP works; a
# receiver with no posted RX buffer drops and counts rx_out_of_buffer
# (ip -s link: RX missed); rmmod during a flood (default channels) is clean.
#
# Exhausting the RX ring deterministically: with rq_size=16 and the
# receiver's private flag rx_no_refill on, its NAPI consumes completions but
# posts no new buffers, so of N > 16 frames sent to it exactly 16 are
# received and N - 16 are counted in rx_out_of_buffer.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
# Exact counting: N1 echo requests A -> B of S1 bytes, answered.
N1=20 S1=100
# Ring path limit: LOOPNIC_RING_MAX_MTU (9216-byte frames minus a VLAN header).
MAX_MTU=9198
BIG_MTU=3500 BIG_S=3000
# RX ring exhaustion.
RQ_SMALL=16 N_OOB=30

RING_STATS="rx_packets rx_bytes tx_packets tx_bytes tx_drops rx_drops
rx_out_of_buffer rx_discards_phy tx_discards_phy tx_shaped tx_tso_packets tx_tso_bytes
tx_sw_fallback rx_lro_packets rx_lro_bytes fault_wire_drop fault_wire_corrupt
fault_wire_dup fault_wire_reorder fault_wire_delay fault_rx_alloc fault_tx_dma_map
fault_ch_activate
tx_timeout tx_timeout_recover_eq tx_timeout_held tx_recover fault_sq_stall fault_lost_irq
rx0_packets rx0_bytes
rx0_frags tx0_packets tx0_bytes tx0_stopped tx0_wake tx0_doorbells ch0_events ch0_poll
ch0_budget_exhausted ch0_arm ch0_irqs"

ktap_plan 18
require_module

frame() { echo $(($1 + 8 + 20 + 14)); }

# ---- part 1: a pair on the ring path, exact counters -------------------

if ! load_module path=ring channels=1; then
	diag "$LOAD_ERR"
	die "insmod loopnic path=ring channels=1 failed"
fi
check_eq "path=ring is the module's path" ring "$(cat /sys/module/loopnic/parameters/path)"
pair_netns $A $B quiet

check "ethtool -S $A lists the ring path's (mlx5) counters" counter_names_are $A "$NS_A" "$RING_STATS"

declare -A base now


wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"
snap_pair base "$RING_STATS"

PING_OUT=$(nsx "$NS_A" ping -n -c $N1 -i 0.1 -W 2 -s $S1 10.10.0.2 2>&1)
loss_free()
{
	grep -q " $N1 received, 0% packet loss" <<<"$PING_OUT" || { echo "$PING_OUT"; return 1; }
}
check "$N1 IPv4 pings $NS_A -> $NS_B over the ring path, no loss" loss_free
diag "ring path RTT: $(grep rtt <<<"$PING_OUT")"

wait_quiet $A "$NS_A" || diag "$A counters still moving"
wait_quiet $B "$NS_B" || diag "$B counters still moving"
snap_pair now "$RING_STATS"
diag "after: $(ethstats_all $A "$NS_A")| $(ethstats_all $B "$NS_B")"

BYTES=$((N1 * $(frame $S1)))
# exact END: both directions carried N1 frames of the same size.
exact()
{
	local end=$1 rc=0 s
	for s in rx0_packets tx0_packets rx_packets tx_packets; do
		is_eq "$end.$s delta" $N1 "$(delta "$end" $s)" || rc=1
	done
	for s in rx0_bytes tx0_bytes rx_bytes tx_bytes; do
		is_eq "$end.$s delta" $BYTES "$(delta "$end" $s)" || rc=1
	done
	for s in tx_drops rx_drops rx_out_of_buffer rx_discards_phy tx_discards_phy; do
		is_eq "$end.$s" 0 "${now[${end}_$s]}" || rc=1
	done
	return $rc
}
check "$A: rx0/tx0 and totals exactly $N1 frames / $BYTES bytes, no drops" exact A
check "$B: rx0/tx0 and totals exactly $N1 frames / $BYTES bytes, no drops" exact B

agree()
{
	local end=$1 dev=$2 ns=$3 rc=0 s d f v
	for s in rx_packets rx_bytes tx_packets tx_bytes; do
		d=${s%%_*} f=${s#*_}
		v=$(ipstat "$dev" "${d^^}" "$f" "$ns")
		is_eq "$dev ip -s link ${d^^} $f vs ethtool $s" "${now[${end}_$s]}" "$v" || rc=1
		v=$(sysstat "$dev" "$s" "$ns")
		is_eq "$dev sysfs $s vs ethtool" "${now[${end}_$s]}" "$v" || rc=1
	done
	return $rc
}
agree_both()
{
	agree A $A "$NS_A" && agree B $B "$NS_B"
}
check "$A and $B: ip -s link and sysfs agree with ethtool -S" agree_both

# The device raised MSI-X, the handler ran, NAPI polled and re-armed, and
# the SQ doorbell rang: on both ends, during these pings.
irq_path()
{
	local end s rc=0
	for end in A B; do
		for s in ch0_irqs ch0_events ch0_poll ch0_arm tx0_doorbells; do
			is_ge "$end.$s delta" 1 "$(delta $end $s)" || rc=1
		done
		# A handler call is a delivered interrupt; an arm follows a completed poll.
		is_le "$end.ch0_events delta vs ch0_irqs" "$(delta $end ch0_irqs)" \
			"$(delta $end ch0_events)" || rc=1
	done
	return $rc
}
check "interrupt path: ch0_irqs, ch0_events, ch0_poll, ch0_arm, tx0_doorbells move on both ends" irq_path

mtu_of()
{
	ip -n "$2" -o link show dev "$1" | sed -n 's/.* mtu \([0-9]*\) .*/\1/p'
}
refuse_big_mtu()
{
	if ip -n "$NS_A" link set dev $A mtu $((MAX_MTU + 1)) 2>/dev/null; then
		echo "mtu $((MAX_MTU + 1)) accepted"
		return 1
	fi
	ip -n "$NS_A" link set dev $A mtu $MAX_MTU || return 1
	is_eq "$A mtu" $MAX_MTU "$(mtu_of $A "$NS_A")"
}
check "MTU $MAX_MTU (the MAC's largest frame) accepted, $((MAX_MTU + 1)) refused" refuse_big_mtu

big_ping()
{
	ip -n "$NS_A" link set dev $A mtu $BIG_MTU && ip -n "$NS_B" link set dev $B mtu $BIG_MTU || return 1
	ping_ok "$NS_A" 10.10.0.2 5 -M "do" -s $BIG_S || return 1
	# Largest unfragmented frame the ring path carries.
	ip -n "$NS_A" link set dev $A mtu $MAX_MTU && ip -n "$NS_B" link set dev $B mtu $MAX_MTU || return 1
	ping_ok "$NS_A" 10.10.0.2 3 -M "do" -s $((MAX_MTU - 28))
}
check "unfragmented pings of $BIG_S bytes (MTU $BIG_MTU) and $((MAX_MTU - 28)) bytes (MTU $MAX_MTU)" big_ping

tcp_transfer()
{
	local out
	ip netns exec "$NS_B" iperf3 -s -1 -D >/dev/null 2>&1 || return 1
	sleep 0.5
	out=$(ip netns exec "$NS_A" timeout 30 iperf3 -c 10.10.0.2 -t 2 2>&1) || { echo "$out"; return 1; }
	diag "$(grep -E 'sender|receiver' <<<"$out")"
	grep -q receiver <<<"$out"
}
if command -v iperf3 >/dev/null; then
	check "TCP: iperf3 for 2 s across the pair" tcp_transfer
else
	ktap_skip "TCP: iperf3 for 2 s across the pair" "no iperf3"
fi
diag "after TCP: $(ethstats_all $A "$NS_A")"

# ---- part 2: RX ring exhaustion ----------------------------------------

if ! load_module path=ring channels=1 rq_size=$RQ_SMALL; then
	diag "$LOAD_ERR"
	die "insmod loopnic path=ring channels=1 rq_size=$RQ_SMALL failed"
fi
pair_netns $A $B quiet
must ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=0
# Frames for a host that does not exist, sent to B's MAC: one way only.
must ip -n "$NS_A" neigh add 10.10.0.3 lladdr "$(mac_of $B "$NS_B")" dev $A nud permanent
check "ping over a $RQ_SMALL-entry RX ring" ping_ok "$NS_A" 10.10.0.2 3
# burst: $N_OOB frames A -> B while B's driver posts no new RX buffers;
# the counters before and after go into base and now.
burst()
{
	wait_quiet $A "$NS_A"
	wait_quiet $B "$NS_B"
	must ip netns exec "$NS_B" ethtool --set-priv-flags $B rx_no_refill on
	snap_pair base "$RING_STATS"
	nsx "$NS_A" ping -q -n -c $N_OOB -i 0.02 -W 1 10.10.0.3 >/dev/null 2>&1
	wait_quiet $A "$NS_A" || diag "$A counters still moving"
	wait_quiet $B "$NS_B" || diag "$B counters still moving"
	snap_pair now "$RING_STATS"
	diag "after: $(ethstats_all $A "$NS_A")| $(ethstats_all $B "$NS_B")"
}
burst

oob()
{
	local rc=0
	is_eq "A.tx0_packets delta" $N_OOB "$(delta A tx0_packets)" || rc=1
	is_eq "B.rx0_packets delta" $RQ_SMALL "$(delta B rx0_packets)" || rc=1
	is_eq "B.rx_out_of_buffer delta" $((N_OOB - RQ_SMALL)) "$(delta B rx_out_of_buffer)" || rc=1
	is_eq "B ip -s link RX missed" "${now[B_rx_out_of_buffer]}" \
		"$(ipstat $B RX missed "$NS_B")" || rc=1
	is_eq "B ip -s link RX dropped" 0 "$(ipstat $B RX dropped "$NS_B")" || rc=1
	# /proc/net/dev's "drop" is rx_dropped + rx_missed_errors.
	is_eq "B /proc/net/dev RX drop" "${now[B_rx_out_of_buffer]}" "$(proc_rx_drop $B "$NS_B")" || rc=1
	return $rc
}
check "$N_OOB frames into $RQ_SMALL RX buffers: $RQ_SMALL received, $((N_OOB - RQ_SMALL)) rx_out_of_buffer (RX missed)" oob

must ip netns exec "$NS_B" ethtool --set-priv-flags $B rx_no_refill off
check "RX ring refilled once rx_no_refill is off: pings answered" ping_ok "$NS_A" 10.10.0.2 3

# The cure (seed 003): a ring that holds the whole burst while the driver
# does not refill. ethtool -G applies while the port is up.
must ip netns exec "$NS_B" ethtool -G $B rx 4096
check "ethtool -G $B rx 4096 applied live" is_eq "$B RX ring" 4096 "$(ring_of $B "$NS_B" RX)"
burst
must ip netns exec "$NS_B" ethtool --set-priv-flags $B rx_no_refill off
cured()
{
	local rc=0
	is_eq "B.rx0_packets delta" $N_OOB "$(delta B rx0_packets)" || rc=1
	is_eq "B.rx_out_of_buffer delta" 0 "$(delta B rx_out_of_buffer)" || rc=1
	return $rc
}
check "the same $N_OOB frames into 4096 RX buffers: all received, none missed" cured

# ---- part 3: rmmod under a flood ---------------------------------------

must_load path=ring
pair_netns $A $B
flood "$NS_A" 10.10.0.2
flood "$NS_B" fd00::1 -s 1400
sleep 3

flowing()
{
	local t0 t1
	t0=$(ethstat $A tx_packets "$NS_A") || return 1
	sleep 1
	t1=$(ethstat $A tx_packets "$NS_A") || return 1
	echo "$A in 1 s: +$((t1 - t0)) tx"
	floods_running || return 1
	is_ge "$A tx in 1 s" 20 $((t1 - t0))
}
check "IPv4 and IPv6 floods both ways over the ring path" flowing

check "rmmod during the floods succeeds and removes all ports" rmmod_clean
floods_stop

must_load path=ring
pair_netns $A $B
check "reloaded module: ping over the ring path works" ping_ok "$NS_A" 10.10.0.2 5
