#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TX timeout recovery on the ring path (Documentation/ring-path.rst,
# "Recovery"). Three faults are injected through debugfs, each while A
# sends a one-way stream of pings (to an address B's stack ignores, so no
# reply ever schedules A's NAPI):
#  - a stalled SQ: the device stops fetching. The TX queue stops (BQL), the
#    core's watchdog reports it ("transmit queue 0 timed out"), the driver
#    resets the SQ: tx_timeout and tx_recover grow, the frames the SQ held
#    are counted in tx_drops, and every frame A counted as sent was
#    received by B;
#  - a lost interrupt: the TX CQEs are written but no interrupt comes. The
#    watchdog fires the same way, the driver finds completions nobody polled
#    and only schedules NAPI (tx_timeout_recover_eq): nothing is dropped;
#  - a bad doorbell, which the driver rings: the device stalls the SQ,
#    logs why, and the watchdog recovers it as a stall.
# After each, pings are answered again. A port taken down as soon as the
# watchdog fired, with the reset queued or done, goes down at once and
# loses no frame uncounted. Then rmmod with a stalled SQ full of frames is clean
# (the watchdog never got to it). With two channels, one stalls and
# recovers while the other carries a ping flood: the flood loses nothing and
# only the stalled queue times out. Last, rmmod as soon as the watchdog
# fired.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
# LOOPNIC_WATCHDOG_TIMEO is 5 s; the core looks every 5 s: reported within
# 10 s of the queue's last frame, plus the time BQL takes to stop it.
RECOVER_WAIT=30

ktap_plan 21
require_module
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null

must_load path=ring channels=1
pair_netns $A $B quiet
# One-way: B's stack takes these in and drops them (it does not forward).
must ip -n "$NS_A" neigh add 10.10.0.3 lladdr "$(mac_of $B "$NS_B")" dev $A nud permanent

DBG=/sys/kernel/debug/loopnic/$A
[ -d "$DBG" ] || skip_all "no debugfs (CONFIG_DEBUG_FS) at /sys/kernel/debug"

knobs()
{
	local f rc=0
	for f in fault_sq_stall fault_lost_irq; do
		is_eq "$f mode" 600 "$(stat -c %a "$DBG/$f")" || rc=1
		is_eq "$f reads 0" 0 "$(cat "$DBG/$f")" || rc=1
	done
	is_eq "fault_sq_bad_db mode" 200 "$(stat -c %a "$DBG/fault_sq_bad_db")" || rc=1
	return $rc
}
check "debugfs: fault_sq_stall, fault_lost_irq (root only, nothing injected), fault_sq_bad_db" knobs
bad_ch_refused()
{
	refused sh -c "echo 1 > $DBG/fault_sq_stall" &&
		refused sh -c "echo 1 > $DBG/fault_sq_bad_db"
}
check "a fault for a channel the port does not have is refused" bad_ch_refused

STATS="rx_packets tx_packets tx_drops rx_drops rx_out_of_buffer rx_discards_phy
tx_discards_phy tx_timeout tx_timeout_recover_eq tx_timeout_held tx_recover fault_sq_stall
fault_lost_irq"
declare -A base now
listed()
{
	local s rc=0
	for s in tx_timeout tx_timeout_recover_eq tx_timeout_held tx_recover fault_sq_stall \
		fault_lost_irq; do
		is_eq "$A $s" 0 "$(ethstat $A $s "$NS_A")" || rc=1
	done
	return $rc
}
check "ethtool -S lists the recovery and fault counters, all 0" listed

# stream: one-way pings A -> 10.10.0.3 in the background, 1 KB every 50 ms
# (ip netns exec execs ping: $! is ping's pid, to stop it by).
stream()
{
	ip netns exec "$NS_A" ping -q -n -i 0.05 -s 1000 -w 60 10.10.0.3 >/dev/null 2>&1 &
	STREAM_PID=$!
	bg_track $STREAM_PID
}
# Killed, ping's status says nothing.
stream_stop()
{
	kill "$STREAM_PID" 2>/dev/null
	wait "$STREAM_PID" 2>/dev/null
	return 0
}

# grown NAME: A's counter NAME went past base.
grown()
{
	[ "$(ethstat $A "$1" "$NS_A")" -gt "${base[A_$1]}" ]
}

quiet_snap()
{
	wait_quiet $A "$NS_A" || diag "$A counters still moving"
	wait_quiet $B "$NS_B" || diag "$B counters still moving"
	snap_pair "$1" "$STATS"
}

# recovery KNOB COUNTER: with A's counters in base, inject the fault of
# debugfs KNOB on channel 0 while the stream runs, until A's COUNTER grows
# (RECOVER_WAIT s at most); the seconds it took in T_REC.
T_REC=0
recovery()
{
	local t0
	quiet_snap base
	dmesg_mark
	echo 0 > "$DBG/$1" || die "could not inject $1"
	t0=$SECONDS
	stream
	wait_for $RECOVER_WAIT grown "$2"
	T_REC=$((SECONDS - t0))
	stream_stop
}

timed_out_in_dmesg()
{
	dmesg_since_mark | grep -E "$A.*transmit queue 0 timed out" ||
		{ echo "no 'transmit queue 0 timed out' for $A in dmesg"; return 1; }
}

# conserved: every frame A counted as sent reached B (the frames a reset
# dropped count in tx_drops alone), and B's replies all reached A.
conserved()
{
	local rc=0 s
	is_eq "A.tx_packets delta vs B.rx_packets delta" \
		"$(delta A tx_packets)" "$(delta B rx_packets)" || rc=1
	is_eq "B.tx_packets delta vs A.rx_packets delta" \
		"$(delta B tx_packets)" "$(delta A rx_packets)" || rc=1
	for s in rx_drops rx_out_of_buffer rx_discards_phy tx_discards_phy; do
		is_eq "A.$s delta" 0 "$(delta A $s)" || rc=1
		is_eq "B.$s delta" 0 "$(delta B $s)" || rc=1
	done
	return $rc
}

# ---- stalled SQ --------------------------------------------------------

recovery fault_sq_stall tx_recover
diag "SQ stall: recovered after ${T_REC} s; $(dmesg_since_mark | grep -E "$A" | tr '\n' ' ')"

stall_recovered()
{
	local rc=0
	is_ge "A.tx_timeout delta" 1 $(($(ethstat $A tx_timeout "$NS_A") - base[A_tx_timeout])) || rc=1
	is_ge "A.tx_recover delta" 1 $(($(ethstat $A tx_recover "$NS_A") - base[A_tx_recover])) || rc=1
	is_eq "A.fault_sq_stall" 1 "$(ethstat $A fault_sq_stall "$NS_A")" || rc=1
	is_eq "debugfs fault_sq_stall" 1 "$(cat "$DBG/fault_sq_stall")" || rc=1
	return $rc
}
check "stalled SQ: watchdog timeout, SQ reset (tx_timeout, tx_recover) within $RECOVER_WAIT s" stall_recovered
check "stalled SQ: the core logged the timeout" timed_out_in_dmesg
check "stalled SQ: pings answered after the reset" ping_ok "$NS_A" 10.10.0.2 5

quiet_snap now
diag "after the stall: $(ethstats_all $A "$NS_A")"
stall_conserved()
{
	is_ge "A.tx_drops delta (frames the stalled SQ held)" 1 "$(delta A tx_drops)" &&
		is_eq "A.tx_timeout_recover_eq delta" 0 "$(delta A tx_timeout_recover_eq)" &&
		conserved
}
check "stalled SQ: frames it held counted in tx_drops alone, A tx = B rx" stall_conserved

# ---- lost interrupt ------------------------------------------------------

recovery fault_lost_irq tx_timeout_recover_eq
diag "lost interrupt: recovered after ${T_REC} s; $(dmesg_since_mark | grep -E "$A" | tr '\n' ' ')"

quiet_snap now
irq_recovered()
{
	local rc=0
	is_ge "A.tx_timeout delta" 1 "$(delta A tx_timeout)" || rc=1
	is_ge "A.tx_timeout_recover_eq delta" 1 "$(delta A tx_timeout_recover_eq)" || rc=1
	is_eq "A.tx_recover delta (no SQ reset)" 0 "$(delta A tx_recover)" || rc=1
	is_eq "A.fault_lost_irq delta" 1 "$(delta A fault_lost_irq)" || rc=1
	is_eq "A.tx_drops delta" 0 "$(delta A tx_drops)" || rc=1
	conserved || rc=1
	return $rc
}
check "lost interrupt: watchdog timeout, NAPI rescheduled (tx_timeout_recover_eq), nothing dropped, A tx = B rx" irq_recovered
check "lost interrupt: the core logged the timeout" timed_out_in_dmesg
check "lost interrupt: pings answered after" ping_ok "$NS_A" 10.10.0.2 5

# ---- a driver's bad doorbell ------------------------------------------------

# fault_sq_bad_db makes the driver ring SQ 0's doorbell with a counter a
# ring ahead of its own, as a driver with a corrupt counter would. The
# device must not fetch the stale WQEs that counter would cover: it stalls
# the SQ and says why; the watchdog then recovers it as any stall. BQL
# is capped, as below, so that the queue stops and the watchdog fires.
BQL=/sys/class/net/$A/queues/tx-0/byte_queue_limits
BQL_MAX=$(nsx "$NS_A" cat $BQL/limit_max) || die "no BQL limit_max"
nsx "$NS_A" sh -c "echo 0 > $BQL/limit_max" || die "could not cap BQL"
ping_ok "$NS_A" 10.10.0.2 2 >/dev/null || die "no pings with BQL capped"
recovery fault_sq_bad_db tx_recover
nsx "$NS_A" sh -c "echo $BQL_MAX > $BQL/limit_max" || die "could not restore BQL"
diag "bad doorbell: recovered after ${T_REC} s; $(dmesg_since_mark | grep -E "$A|loopnic_hw" | tr '\n' ' ')"
quiet_snap now
bad_db_recovered()
{
	local rc=0
	dmesg_since_mark | grep -E "ch0: SQ doorbell [0-9]+ is [0-9]+ entries past WQE [0-9]+, the ring has [0-9]+: SQ stalled" ||
		{ echo "no 'SQ doorbell ... SQ stalled' in dmesg"; rc=1; }
	is_ge "A.tx_recover delta" 1 "$(delta A tx_recover)" || rc=1
	is_eq "A.fault_sq_stall delta (not an injected stall)" 0 "$(delta A fault_sq_stall)" || rc=1
	conserved || rc=1
	return $rc
}
check "bad SQ doorbell: the device stalls the SQ and says so, the watchdog resets it, A tx = B rx" \
	bad_db_recovered
check "bad SQ doorbell: pings answered after" ping_ok "$NS_A" 10.10.0.2 5

# ---- link down as soon as the watchdog fired -----------------------------

# The core reported the timeout, so the reset is queued or done (it waits
# for RTNL, which ethtool -S just had): A goes down at once. Whichever came
# first, the down must not wait on the reset, a reset still queued must
# give up on a port that is down, and the frames the stalled SQ held are
# accounted for, dropped by the reset or the down. Up again, the rebuilt
# SQ is not stalled. The diag line says which it was (tx_recover +0: the
# down came first).
#
# BQL learnt a limit of several frames from the traffic so far, more than
# ping's socket buffer lets it have in flight: the queue would never stop,
# and the watchdog never fire. Capped, BQL stops it at the first frame;
# the cap takes effect at the next completion, hence the pings.
nsx "$NS_A" sh -c "echo 0 > $BQL/limit_max" || die "could not cap BQL"
ping_ok "$NS_A" 10.10.0.2 2 >/dev/null || die "no pings with BQL capped"
quiet_snap base
echo 0 > "$DBG/fault_sq_stall" || die "could not inject an SQ stall"
stream
WAIT_RC=0
wait_for $RECOVER_WAIT grown tx_timeout || WAIT_RC=$?
SQ_AT_DOWN=$(awk '$1 == "sq"' "$DBG/queues")
DOWN_RC=0
timeout 30 ip -n "$NS_A" link set $A down || DOWN_RC=$?
stream_stop
nsx "$NS_A" sh -c "echo $BQL_MAX > $BQL/limit_max" || die "could not restore BQL"
quiet_snap now
diag "down as soon as the watchdog fired: tx_timeout +$(delta A tx_timeout), tx_recover +$(delta A tx_recover), tx_drops +$(delta A tx_drops); SQ before the down: $SQ_AT_DOWN"

down_after_timeout()
{
	is_eq "the watchdog fired within $RECOVER_WAIT s" 0 "$WAIT_RC" || return 1
	is_eq "ip link set down (in 30 s)" 0 "$DOWN_RC" || return 1
	is_ge "A.tx_timeout delta" 1 "$(delta A tx_timeout)" || return 1
	is_ge "A.tx_drops delta (frames the stalled SQ held)" 1 "$(delta A tx_drops)" || return 1
	conserved
}
check "link down as soon as the watchdog fired: done at once, A tx = B rx, the rest in tx_drops" \
	down_after_timeout
up_after_reset()
{
	ip -n "$NS_A" link set $A up || return 1
	wait_for 10 carrier_is $A 1 "$NS_A" || { echo "no carrier"; return 1; }
	quiet_neigh $A $B || return 1
	ip -n "$NS_A" neigh replace 10.10.0.3 lladdr "$(mac_of $B "$NS_B")" dev $A nud permanent ||
		return 1
	ping_ok "$NS_A" 10.10.0.2 5
}
check "up again: pings answered (the new SQ is not stalled)" up_after_reset

# ---- down with a stalled SQ, then the backlog path -------------------------

# stall_with_frames: stall A's SQ 0 and send it 20 frames, which stay posted.
stall_with_frames()
{
	local posted
	echo 0 > "$DBG/fault_sq_stall" || return 1
	nsx "$NS_A" ping -q -n -i 0.02 -c 20 -W 1 -s 1000 10.10.0.3 >/dev/null 2>&1
	posted=$(awk '$1 == "sq" { print $6 - $13 }' "$DBG/queues")
	is_ge "WQEs posted and not fetched" 1 "$posted"
}

# bql_inflight: the bytes BQL counts in flight on all of A's TX queues.
bql_inflight()
{
	nsx "$NS_A" sh -c "cat /sys/class/net/$A/queues/tx-*/byte_queue_limits/inflight" |
		awk '{ n += $1 } END { if (NR) print n; else exit 1 }'
}

# The frames a stalled SQ holds when the port goes down are dropped, never
# completed: BQL must not count them in flight afterwards. The backlog
# path does not use BQL, so there nothing else would clear it, and a queue
# BQL had stopped would stay stopped.
down_to_backlog()
{
	stall_with_frames || return 1
	is_ge "BQL bytes in flight before the down" 1000 "$(bql_inflight)" || return 1
	ip -n "$NS_A" link set $A down || return 1
	ip netns exec "$NS_A" ethtool --set-priv-flags $A ring-path off || return 1
	ip -n "$NS_A" link set $A up || return 1
	is_eq "BQL bytes in flight after the down" 0 "$(bql_inflight)" || return 1
	wait_for 10 carrier_is $A 1 "$NS_A" || { echo "no carrier"; return 1; }
	quiet_neigh $A $B || return 1
	ping_ok "$NS_A" 10.10.0.2 5
}
check "down with a stalled SQ, up on the backlog path: nothing left in flight for BQL, pings answered" \
	down_to_backlog
must ip netns exec "$NS_A" ethtool --set-priv-flags $A ring-path on

# ---- rmmod with a stalled SQ ---------------------------------------------

stalled_rmmod()
{
	stall_with_frames || return 1
	timeout 60 rmmod loopnic || { echo "rmmod failed"; return 1; }
	! module_loaded || { echo "module still loaded"; return 1; }
}
check "rmmod while the SQ is stalled with frames posted is clean" stalled_rmmod

# ---- one channel recovers, the other carries traffic --------------------

# XPS sends a CPU's frames through the TX queue of the channel whose
# vector is on that CPU (which CPU that is depends on the port's ifindex):
# the one-way stream, pinned to channel 0's CPU, fills the stalled SQ 0
# while a flood pinned to channel 1's CPU goes through SQ 1. The flood is
# over well before the watchdog (5 s) fires, so all of it crossed while
# channel 0 was stalled: it is sized from a timed flood of 100 pings, to
# last 2.5 s (at most 1000 pings), also on a debug kernel five times
# slower than a stock one.
must_load path=ring channels=2
pair_netns $A $B quiet
must ip -n "$NS_A" neigh add 10.10.0.3 lladdr "$(mac_of $B "$NS_B")" dev $A nud permanent

# txq_cpu Q: the one CPU in TX queue Q's xps_cpus.
txq_cpu()
{
	local mask cpu=0
	mask=$(nsx "$NS_A" cat "/sys/class/net/$A/queues/tx-$1/xps_cpus") || return 1
	mask=$((16#${mask//,/}))
	[ "$mask" -gt 0 ] || return 1
	while ((!(mask & 1))); do
		mask=$((mask >> 1)) cpu=$((cpu + 1))
	done
	echo $cpu
}
CPU0=$(txq_cpu 0) || die "XPS: no CPU for TX queue 0"
CPU1=$(txq_cpu 1) || die "XPS: no CPU for TX queue 1"
[ "$CPU0" != "$CPU1" ] || die "XPS: TX queues 0 and 1 both on CPU $CPU0"
T0=$EPOCHREALTIME
ip netns exec "$NS_A" taskset -c "$CPU1" ping -q -n -f -c 100 -w 30 10.10.0.2 >/dev/null 2>&1 ||
	die "a 100-ping flood through channel 1 failed before any stall"
T1=$EPOCHREALTIME
FLOOD_N=$((100 * 2500000 / (10#${T1/./} - 10#${T0/./})))
FLOOD_N=$((FLOOD_N > 1000 ? 1000 : FLOOD_N < 100 ? 100 : FLOOD_N))
wait_quiet $A "$NS_A"
base[A_tx_recover]=$(ethstat $A tx_recover "$NS_A")
base[A_tx1_packets]=$(ethstat $A tx1_packets "$NS_A")
dmesg_mark
echo 0 > "$DBG/fault_sq_stall" || die "could not inject an SQ stall"
ip netns exec "$NS_A" taskset -c "$CPU0" ping -q -n -i 0.05 -s 1000 -w 60 10.10.0.3 >/dev/null 2>&1 &
STREAM_PID=$!
bg_track $STREAM_PID
FLOOD_OUT=$(ip netns exec "$NS_A" taskset -c "$CPU1" ping -q -n -f -c $FLOOD_N -w 30 10.10.0.2 2>&1)
RECOVERED_DURING=$(($(ethstat $A tx_recover "$NS_A") - base[A_tx_recover]))
TX1=$(($(ethstat $A tx1_packets "$NS_A") - base[A_tx1_packets]))
wait_for $RECOVER_WAIT grown tx_recover
stream_stop
diag "stream on CPU $CPU0, flood on CPU $CPU1: $(grep -E 'transmitted' <<<"$FLOOD_OUT"), tx1_packets +$TX1; $(dmesg_since_mark | grep -E "$A" | tr '\n' ' ')"

flood_during_stall()
{
	local rc=0
	grep -q "^$FLOOD_N packets transmitted, $FLOOD_N received" <<<"$FLOOD_OUT" ||
		{ echo "flood: $FLOOD_OUT"; rc=1; }
	is_ge "A.tx1_packets delta" $FLOOD_N "$TX1" || rc=1
	is_eq "A.tx_recover delta when the flood ended" 0 "$RECOVERED_DURING" || rc=1
	return $rc
}
check "2 channels, SQ 0 stalled: a $FLOOD_N-ping flood through channel 1 loses nothing" flood_during_stall
check "2 channels: SQ 0 reset within $RECOVER_WAIT s of its stall (tx_recover)" grown tx_recover

only_queue0()
{
	timed_out_in_dmesg || return 1
	! dmesg_since_mark | grep -E "$A.*transmit queue [1-9]" ||
		{ echo "another queue timed out"; return 1; }
}
check "2 channels: only transmit queue 0 timed out" only_queue0
after_reset()
{
	ping_ok "$NS_A" 10.10.0.2 5 && rmmod_clean
}
check "2 channels: pings answered after the reset, and rmmod" after_reset

# ---- rmmod as soon as the watchdog fired ----------------------------------

# As for the down above, but the module goes: a reset work still queued
# must be cancelled or give up, not run on freed channels.
must_load path=ring channels=1
pair_netns $A $B quiet
must ip -n "$NS_A" neigh add 10.10.0.3 lladdr "$(mac_of $B "$NS_B")" dev $A nud permanent
base[A_tx_timeout]=$(ethstat $A tx_timeout "$NS_A")
echo 0 > "$DBG/fault_sq_stall" || die "could not inject an SQ stall"
stream
wait_for $RECOVER_WAIT grown tx_timeout
TIMED_OUT=$(($(ethstat $A tx_timeout "$NS_A") - base[A_tx_timeout]))
rmmod_after_timeout()
{
	is_ge "A.tx_timeout delta before rmmod" 1 "$TIMED_OUT" || return 1
	rmmod_clean
}
check "rmmod as soon as the watchdog fired is clean" rmmod_after_timeout
stream_stop
