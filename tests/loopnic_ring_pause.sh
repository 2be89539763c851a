#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Link-level flow control on the ring path (ethtool -a/-A): with pause on
# both ends, a receiver out of RX buffers makes the wire hold frames in the
# sender's SQ instead of dropping them; the SQ fills, the TX queue stops,
# and everything arrives once the receiver posts buffers again.
#
# The receiver is made to run dry deterministically, as in loopnic_ring.sh:
# a 64-entry RX ring (the smallest ethtool -G takes) and its private flag
# rx_no_refill on. N UDP datagrams are sent; without pause exactly 64 are
# received and N - 64 counted in rx_out_of_buffer; with pause all N reach
# the socket, none is missed, and the pause counters (ethtool -I -a) and
# tx0_stopped prove that the sender was held. BQL is kept out of the way on
# the sender (limit_min) so that it is the SQ that fills, not the byte
# budget. Held past the core's TX watchdog, the SQ times out and is left
# alone (tx_timeout_held, no reset), and still delivers everything. Then:
# ethtool -A toggled under a ping flood loses nothing, and a held sender
# survives its receiver going down, and rmmod.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
RING=64
N=200 SIZE=200 PORT=9000
TOGGLES=6

STATS="rx_packets tx_packets tx_drops rx_drops rx_out_of_buffer
rx_discards_phy tx_discards_phy rx0_packets tx0_packets tx0_stopped tx0_wake
tx_timeout tx_timeout_held tx_recover"
# LOOPNIC_WATCHDOG_TIMEO is 5 s and the core looks every 5 s: a queue
# stopped is reported 5 to 10 s after its last frame.
WATCHDOG_WAIT=30

ktap_plan 13
require_module
command -v python3 >/dev/null || skip_all "no python3"

declare -A base now

# pause_show DEV NS: "autoneg rx tx" as ethtool -a prints them.
pause_show()
{
	nsx "$2" ethtool -a "$1" |
		awk '$1 == "Autonegotiate:" { a = $2 } $1 == "RX:" { r = $2 }
		     $1 == "TX:" { t = $2 } END { print a, r, t }'
}

# pause_stat DEV NAME NS: tx_pause_frames or rx_pause_frames of ethtool -I -a.
pause_stat()
{
	nsx "$3" ethtool -I -a "$1" |
		awk -v n="$2:" '$1 == n { print $2; f = 1 } END { exit !f }'
}

# snap_pause VAR: the PAUSE counters that matter, of the receiver (sent) and
# the sender (honoured), as VAR[B_tx_pause] and VAR[A_rx_pause].
snap_pause()
{
	local rx tx
	rx=$(pause_stat $A rx_pause_frames "$NS_A") || rx=missing
	tx=$(pause_stat $B tx_pause_frames "$NS_B") || tx=missing
	if [ "$1" = base ]; then
		base[A_rx_pause]=$rx base[B_tx_pause]=$tx
	else
		now[A_rx_pause]=$rx now[B_tx_pause]=$tx
	fi
}

set_pause()
{
	nsx "$NS_A" ethtool -A $A rx "$1" tx "$1" &&
		nsx "$NS_B" ethtool -A $B rx "$1" tx "$1"
}

# The test's own stdout, for diagnostics from inside check.
exec 3>&1
must_load path=ring channels=1
pair_netns $A $B quiet

check_eq "ethtool -a: pause off by default" "off off off" "$(pause_show $A "$NS_A")"

autoneg_refused()
{
	if nsx "$NS_A" ethtool -A $A autoneg on 2>/dev/null; then
		echo "autoneg on accepted"
		return 1
	fi
	is_eq "$A pause after a refused autoneg" "off off off" "$(pause_show $A "$NS_A")"
}
check "ethtool -A autoneg on is refused, nothing changes" autoneg_refused

# B's RX ring and A's SQ as small as they go; A's BQL out of the way.
small_rings()
{
	must nsx "$NS_B" ethtool -G $B rx $RING
	must nsx "$NS_A" ethtool -G $A tx $RING
	must nsx "$NS_A" sh -c "echo 1000000 > /sys/class/net/$A/queues/tx-0/byte_queue_limits/limit_min"
}
small_rings
check "ping over a $RING-entry RX ring" ping_ok "$NS_A" 10.10.0.2 3

SENDER_PID=""
sender_gone()
{
	! kill -0 "$SENDER_PID" 2>/dev/null
}
sender_settled()
{
	! kill -0 "$SENDER_PID" 2>/dev/null ||
		[ "$(ethstat $A tx0_stopped "$NS_A")" -gt "${base[A_tx0_stopped]}" ]
}

# udp_burst [CMD...]: N datagrams A -> B while B posts no RX buffers,
# until the sender is done or held with its TX queue stopped; then after
# CMD (default: a second) B refills. B's socket reads until the sender is
# done and both ports are quiet (udp_rx_start). What it got goes into GOT,
# the counters into base and now.
GOT="" SENT=""
udp_burst()
{
	local sout
	wait_quiet $A "$NS_A"
	wait_quiet $B "$NS_B"
	must nsx "$NS_B" ethtool --set-priv-flags $B rx_no_refill on
	snap_pair base "$STATS"
	snap_pause base
	sout=$(mktemp /tmp/lnt-send.XXXXXX)
	udp_rx_start "$NS_B" loopnic_udpflows.py recv $PORT $N
	nsx "$NS_A" python3 "$TESTS_DIR/loopnic_udpflows.py" send 10.10.0.2 $PORT 1 $N $SIZE >"$sout" &
	SENDER_PID=$!
	bg_track $SENDER_PID
	wait_for 60 sender_settled || diag "sender neither done nor held after 60 s"
	diag "before refill: $A tx0_stopped=$(ethstat $A tx0_stopped "$NS_A") $B rx0_packets=$(ethstat $B rx0_packets "$NS_B")"
	if [ $# -gt 0 ]; then
		"$@" || diag "before refill: $* failed"
	else
		# Held long enough for the pause to be more than a blip.
		sleep 1
	fi
	must nsx "$NS_B" ethtool --set-priv-flags $B rx_no_refill off
	wait "$SENDER_PID"
	udp_rx_stop $A "$NS_A" $B "$NS_B"
	SENT=$(cat "$sout")
	GOT=$RX_GOT
	rm -f "$sout"
	snap_pair now "$STATS"
	snap_pause now
	diag "sent $SENT, received $GOT; $A: $(ethstats_all $A "$NS_A")| $B: $(ethstats_all $B "$NS_B")"
	diag "pause frames: $B sent $((now[B_tx_pause] - base[B_tx_pause])), $A honoured $((now[A_rx_pause] - base[A_rx_pause]))"
}

# conserved: every frame A sent is received by B or counted as dropped.
conserved()
{
	local tx rx oob disc drops
	tx=$(delta A tx_packets)
	rx=$(delta B rx_packets)
	oob=$(delta B rx_out_of_buffer)
	disc=$(delta B rx_discards_phy)
	drops=$(($(delta B rx_drops) + $(delta A tx_discards_phy)))
	echo "A tx $tx = B rx $rx + rx_out_of_buffer $oob + rx_discards_phy $disc + drops $drops"
	is_eq "A.tx_packets delta vs B received and dropped" "$tx" $((rx + oob + disc + drops))
}

# ---- without pause: the RX ring overflows ------------------------------

udp_burst
no_pause()
{
	local rc=0
	is_eq "datagrams sent" $N "$SENT" || rc=1
	is_eq "A.tx_packets delta" $N "$(delta A tx_packets)" || rc=1
	is_eq "B.rx_packets delta" $RING "$(delta B rx_packets)" || rc=1
	is_eq "datagrams received" $RING "$GOT" || rc=1
	is_eq "B.rx_out_of_buffer delta" $((N - RING)) "$(delta B rx_out_of_buffer)" || rc=1
	conserved || rc=1
	return $rc
}
check "pause off: $N datagrams into $RING RX buffers: $RING received, $((N - RING)) rx_out_of_buffer" no_pause

# ---- with pause: the sender is held, nothing is lost --------------------

check "ethtool -A rx on tx on, both ends" set_pause on
check_eq "ethtool -a shows pause on" "off on on" "$(pause_show $B "$NS_B")"

udp_burst
with_pause()
{
	local rc=0
	is_eq "datagrams sent" $N "$SENT" || rc=1
	is_eq "datagrams received" $N "$GOT" || rc=1
	is_eq "A.tx_packets delta" $N "$(delta A tx_packets)" || rc=1
	is_eq "B.rx_packets delta" $N "$(delta B rx_packets)" || rc=1
	is_eq "B.rx_out_of_buffer delta" 0 "$(delta B rx_out_of_buffer)" || rc=1
	conserved || rc=1
	return $rc
}
check "pause on: the same $N datagrams all received, none missed" with_pause

held()
{
	local rc=0
	is_ge "$B tx_pause_frames delta" 1 $((now[B_tx_pause] - base[B_tx_pause])) || rc=1
	is_ge "$A rx_pause_frames delta" 1 $((now[A_rx_pause] - base[A_rx_pause])) || rc=1
	is_ge "A.tx0_stopped delta" 1 "$(delta A tx0_stopped)" || rc=1
	is_ge "A.tx0_wake delta" 1 "$(delta A tx0_wake)" || rc=1
	return $rc
}
check "the sender was held: PAUSE sent and honoured, its TX queue stopped and woke" held

# ---- held past the TX watchdog ------------------------------------------

timeout_held()
{
	[ "$(ethstat $A tx_timeout_held "$NS_A")" -gt "${base[A_tx_timeout_held]}" ]
}
udp_burst wait_for $WATCHDOG_WAIT timeout_held
held_watchdog()
{
	local rc=0
	is_ge "A.tx_timeout delta" 1 "$(delta A tx_timeout)" || rc=1
	is_ge "A.tx_timeout_held delta" 1 "$(delta A tx_timeout_held)" || rc=1
	is_eq "A.tx_recover delta (no SQ reset)" 0 "$(delta A tx_recover)" || rc=1
	is_eq "A.tx_drops delta" 0 "$(delta A tx_drops)" || rc=1
	is_eq "datagrams received" $N "$GOT" || rc=1
	is_eq "B.rx_out_of_buffer delta" 0 "$(delta B rx_out_of_buffer)" || rc=1
	conserved || rc=1
	return $rc
}
check "held past the TX watchdog: timed out, left alone (tx_timeout_held), all $N received" held_watchdog

# ---- ethtool -A live, under a ping flood --------------------------------

# The flood must outlast the toggles, and an ethtool -A takes seconds on a
# debug kernel under TCG: a pair of toggles and a 100-ping flood are timed
# first, and the flood sized to last twice as long as the toggles (at least
# 1500 pings). Paced, so that it outlasts them on a fast guest too. A
# flood ping's cost is from ping's own run time, without the program's
# start: on a debug kernel that is most of a 100-ping run, and counting it
# made the flood three times too short.
PACE=0.002
T0=$EPOCHREALTIME
must set_pause off
must set_pause on
T1=$EPOCHREALTIME
CAL=$(nsx "$NS_A" ping -q -n -f -i $PACE -c 100 -w 60 10.10.0.2 2>&1) ||
	die "a 100-ping flood failed before the toggles: $CAL"
CAL_MS=$(sed -n 's/.* received, .* time \([0-9]*\)ms.*/\1/p' <<<"$CAL")
[ -n "$CAL_MS" ] || die "no run time in ping's summary: $CAL"
TOGGLE_US=$(((10#${T1/./} - 10#${T0/./}) / 2 + 100000))
PING_US=$((CAL_MS * 1000 / 100 + 1))
FLOOD=$((2 * TOGGLES * TOGGLE_US / PING_US))
FLOOD=$((FLOOD < 1500 ? 1500 : FLOOD > 50000 ? 50000 : FLOOD))
diag "a toggle takes $((TOGGLE_US / 1000)) ms, a flood ping $PING_US us: $FLOOD pings"
wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"
snap_pair base "$STATS"
nsx "$NS_A" ping -q -n -f -i $PACE -c $FLOOD -w $((3 * FLOOD * PING_US / 1000000 + 30)) \
	10.10.0.2 >/tmp/lnt-flood.$$ 2>&1 &
FLOOD_PID=$!
bg_track $FLOOD_PID
# Toggles that happened while the flood ran (before the test checks it).
toggled=0
for ((i = 0; i < TOGGLES; i++)); do
	if [ $((i % 2)) -eq 0 ]; then set_pause off; else set_pause on; fi
	kill -0 $FLOOD_PID 2>/dev/null && toggled=$((toggled + 1))
	sleep 0.1
done
wait $FLOOD_PID
FLOOD_OUT=$(cat /tmp/lnt-flood.$$)
rm -f /tmp/lnt-flood.$$
wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"
snap_pair now "$STATS"
diag "flood: pause toggled $toggled of $TOGGLES times while it ran; $(grep -E 'transmitted|rtt' <<<"$FLOOD_OUT" | tr '\n' ' ')"
flood_clean()
{
	local rc=0 end s
	echo "pause toggled $toggled of $TOGGLES times during the flood"
	grep -q " $FLOOD received, 0% packet loss" <<<"$FLOOD_OUT" || { echo "$FLOOD_OUT"; rc=1; }
	for end in A B; do
		for s in tx_drops rx_drops rx_out_of_buffer rx_discards_phy tx_discards_phy; do
			is_eq "$end.$s delta" 0 "$(delta $end $s)" || rc=1
		done
	done
	is_ge "pause toggles during the flood" $((TOGGLES / 2)) $toggled || rc=1
	return $rc
}
check "ethtool -A toggled under a ping flood: no loss, no drop" flood_clean
must set_pause on

# ---- teardown while held -----------------------------------------------

# hold: start N datagrams A -> B with B out of buffers; returns once A's
# TX queue stopped on the held SQ.
hold()
{
	wait_quiet $A "$NS_A"
	wait_quiet $B "$NS_B"
	must nsx "$NS_B" ethtool --set-priv-flags $B rx_no_refill on
	snap_pair base "$STATS"
	# Its sends fail once the ports are gone: no traceback in the KTAP output.
	nsx "$NS_A" python3 "$TESTS_DIR/loopnic_udpflows.py" send 10.10.0.2 $PORT 1 $N $SIZE >/dev/null 2>&1 &
	SENDER_PID=$!
	bg_track $SENDER_PID
	wait_for 60 sender_settled
	# The sender may be done: its last datagrams then wait in the qdisc.
	is_ge "A.tx0_stopped delta (SQ full of held frames)" 1 \
		$(($(ethstat $A tx0_stopped "$NS_A") - base[A_tx0_stopped]))
}

held_then_down()
{
	hold || return 1
	timeout 30 ip -n "$NS_B" link set $B down || { echo "ip link set $B down failed"; return 1; }
	wait_for 30 sender_gone || { echo "sender still blocked 30 s after $B went down"; return 1; }
	wait_quiet $A "$NS_A"
	snap_pair now "$STATS"
	# check shows its command's output only on failure: the numbers go to fd 3.
	diag "$B down: $(conserved)" >&3
	is_ge "B.rx_discards_phy delta (held frames dropped)" 1 "$(delta B rx_discards_phy)" &&
		conserved
}
check "receiver down while the sender is held: held frames dropped and counted" held_then_down

rmmod_clean()
{
	timeout 60 rmmod loopnic || { echo "rmmod failed"; return 1; }
	! module_loaded || { echo "module still loaded"; return 1; }
}
check "rmmod after that completes" rmmod_clean

must_load path=ring channels=1
pair_netns $A $B quiet
small_rings
must set_pause on
held_rmmod()
{
	hold || return 1
	rmmod_clean
}
check "rmmod while the sender is held completes" held_rmmod
