#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interrupt moderation on the ring path: ethtool -c/-C rx-usecs, rx-frames,
# tx-usecs, tx-frames, adaptive-rx/-tx (DIM). The defaults mean no moderation; a lone ping is
# still answered when the frame count alone would never be reached (the
# device's timer ends the period); under the same one-way UDP burst,
# rx-frames 32 cuts the receiver's interrupts (ch0_events) per received
# frame well below what rx-frames 1 gives; -C changed on both ends over
# and over during a ping flood, adaptive on and off among the changes,
# loses no ping and drops nothing; with adaptive-rx on, a UDP burst is
# received and DIM reprograms the device (loopnic_dim events), with it off
# nothing does; values the device cannot hold, both zero, or any -C on the
# backlog path are refused; rmmod during a flood with long periods pending
# is clean.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
# One-way UDP burst A -> B (to a host B does not forward to).
BURST=4000
FLOOD=3000
MOD_USECS=65535

ktap_plan 10
require_module
command -v python3 >/dev/null || skip_all "missing tool python3"

# coal_of DEV NS FIELD: a value ethtool -c shows, e.g. coal_of $A "$NS_A" rx-usecs.
coal_of()
{
	nsx "$2" ethtool -c "$1" | awk -v f="$3:" '$1 == f { print $2 }'
}
coal_all()
{
	local f out=""
	for f in rx-usecs rx-frames tx-usecs tx-frames; do
		out+="$f=$(coal_of "$1" "$2" $f) "
	done
	echo "${out% }"
}

must_load path=ring channels=1
pair_netns $A $B quiet
must ip netns exec "$NS_B" sysctl -qw net.ipv4.ip_forward=0
must ip -n "$NS_A" neigh add 10.10.0.3 lladdr "$(mac_of $B "$NS_B")" dev $A nud permanent

check "ethtool -c: no moderation by default (usecs 0, frames 1)" is_eq "$A coalesce" \
	"rx-usecs=0 rx-frames=1 tx-usecs=0 tx-frames=1" "$(coal_all $A "$NS_A")"

# Requests wait for 64 frames that never come: only the timer delivers them.
timer_fires()
{
	local end dev ns
	for end in A B; do
		if [ $end = A ]; then dev=$A ns=$NS_A; else dev=$B ns=$NS_B; fi
		nsx "$ns" ethtool -C $dev rx-frames 64 rx-usecs 100 tx-frames 64 tx-usecs 100 ||
			return 1
	done
	is_eq "$B coalesce" "rx-usecs=100 rx-frames=64 tx-usecs=100 tx-frames=64" \
		"$(coal_all $B "$NS_B")" || return 1
	ping_ok "$NS_A" 10.10.0.2 3
}
check "rx/tx-frames 64, usecs 100 on both ends: single pings answered (the timer fires)" timer_fires

# burst: BURST datagrams in groups of 4, 1 ms apart; prints "events rx ms"
# of B's channel 0 over the burst, ms being how long it took from the
# sender's start until B was quiet. Paced: unpaced, the sender outruns the
# device's engine, whose batches (up to 64 frames, one event each) already
# moderate and would leave rx-frames little to show.
burst()
{
	local e0 r0 e1 r1 t0
	wait_quiet $B "$NS_B"
	e0=$(ethstat $B ch0_events "$NS_B") && r0=$(ethstat $B rx0_packets "$NS_B") || return 1
	t0=${EPOCHREALTIME/./}
	ip netns exec "$NS_A" python3 -c '
import socket, sys
import time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[2])):
    try:
        s.sendto(b"x" * 64, (sys.argv[1], 9))
    except OSError:
        pass
    if i % 4 == 3:
        time.sleep(0.001)
' 10.10.0.3 $BURST || return 1
	wait_quiet $B "$NS_B"
	e1=$(ethstat $B ch0_events "$NS_B") && r1=$(ethstat $B rx0_packets "$NS_B") || return 1
	echo "$((e1 - e0)) $((r1 - r0)) $(((${EPOCHREALTIME/./} - t0) / 1000))"
}
# Interrupts per 1000 received frames.
permille()
{
	echo $(($1 * 1000 / ($2 > 0 ? $2 : 1)))
}
fewer_irqs()
{
	local out e1 r1 e32 r32 ms pb pm limit
	nsx "$NS_B" ethtool -C $B rx-frames 1 rx-usecs 0 || return 1
	out=$(burst) || return 1
	read -r e1 r1 _ <<<"$out"
	# The longest period the device holds: the count should end most.
	nsx "$NS_B" ethtool -C $B rx-frames 32 rx-usecs $MOD_USECS || return 1
	out=$(burst) || return 1
	read -r e32 r32 ms <<<"$out"
	pb=$(permille "$e1" "$r1") pm=$(permille "$e32" "$r32")
	echo "rx-frames 1: $e1 events / $r1 frames ($pb per 1000);" \
		"rx-frames 32, rx-usecs $MOD_USECS: $e32 events / $r32 frames ($pm per 1000) in $ms ms"
	is_ge "frames received at rx-frames 1" $((BURST / 2)) "$r1" || return 1
	is_ge "frames received at rx-frames 32" $((BURST / 2)) "$r32" || return 1
	# A period ends on its 32nd frame or at the end of rx-usecs, whichever
	# comes first: at most one event per 32 frames plus one per rx-usecs
	# the burst lasted, however slow the guest (+2: periods cut at either
	# end).
	limit=$((r32 / 32 + ms * 1000 / MOD_USECS + 2))
	is_le "events at rx-frames 32 (frames / 32 + $ms ms / rx-usecs + 2)" $limit "$e32" || return 1
	is_le "2 x events per 1000 frames at rx-frames 32" "$pb" $((2 * pm))
}
out=$(fewer_irqs 2>&1)
rc=$?
diag "$out"
must nsx "$NS_B" ethtool -C $B rx-frames 1 rx-usecs 0
ktap_result $rc "the same UDP burst: rx-frames 32 gives under half the interrupts per frame of rx-frames 1"

adaptive()
{
	local out events rx
	nsx "$NS_B" ethtool -C $B adaptive-rx on || return 1
	nsx "$NS_B" ethtool -c $B | grep -q '^Adaptive RX: on' || { echo "-c: adaptive RX not on"; return 1; }
	out=$(burst) || return 1
	read -r events rx _ <<<"$out"
	echo "adaptive-rx on: $events events / $rx frames ($(permille "$events" "$rx") per 1000)"
	is_ge "frames received with adaptive-rx on" $((BURST / 2)) "$rx" || return 1
	nsx "$NS_B" ethtool -C $B adaptive-rx off || return 1
	ping_ok "$NS_A" 10.10.0.2 2
}
out=$(adaptive 2>&1)
rc=$?
diag "$out"
ktap_result $rc "adaptive-rx on (DIM): shown by -c, a UDP burst received; off again: pings answered"

# DIM decides after every 64 interrupts (DIM_NEVENTS) and leaves its
# starting profile at the first decision that sees traffic change, so a
# burst of some 2000 interrupts makes it program the device; nobody does
# with adaptive-rx off, nor for TX, which stays off throughout.
dim_moves()
{
	local r on
	nsx "$NS_B" ethtool -C $B adaptive-rx on || return 1
	r=$(TRACE_EVENTS=loopnic_dim traced burst) || { echo "$r"; return 1; }
	on=$(ev_count loopnic_dim dev=$B dir=rx)
	echo "adaptive-rx on: ${r%% *} events, $on profile changes:"
	grep -m 5 'loopnic_dim:' "$TRACE_OUT"
	is_ge "$B rx profile changes with adaptive-rx on" 1 "$on" || return 1
	is_eq "$B tx profile changes, adaptive-tx off" 0 "$(ev_count loopnic_dim dev=$B dir=tx)" ||
		return 1
	nsx "$NS_B" ethtool -C $B adaptive-rx off || return 1
	r=$(TRACE_EVENTS=loopnic_dim traced burst) || { echo "$r"; return 1; }
	is_eq "$B profile changes with adaptive-rx off (${r%% *} events)" 0 \
		"$(ev_count loopnic_dim dev=$B)"
}
if have_tracefs; then
	check "adaptive-rx: DIM reprograms the device during a burst (loopnic_dim); off, nothing does" \
		dim_moves
else
	ktap_skip "adaptive-rx: DIM reprograms the device during a burst" "no tracefs"
fi

# ---- -C during a ping flood ----------------------------------------------

STATS="rx_packets tx_packets rx_drops tx_drops rx_out_of_buffer rx_discards_phy tx_discards_phy"
declare -A base now
wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"
snap_pair base "$STATS"

PING_OUT=$(mktemp /tmp/lnt-ping.XXXXXX)
on_exit rm -f "$PING_OUT"
ip netns exec "$NS_A" ping -q -n -f -c $FLOOD -W 5 10.10.0.2 >"$PING_OUT" 2>&1 &
PING_PID=$!
bg_track $PING_PID

SETTINGS=(
	"rx-usecs 0 rx-frames 1" "rx-usecs 50 rx-frames 8" "tx-usecs 1000 tx-frames 0"
	"rx-usecs 1000 rx-frames 64" "rx-usecs 3 rx-frames 0" "tx-usecs 0 tx-frames 1"
	"adaptive-rx on adaptive-tx on" "rx-usecs 200 rx-frames 32 tx-usecs 200 tx-frames 32"
	"adaptive-rx off" "rx-usecs 0 rx-frames 1 adaptive-tx off"
)
change_all()
{
	local i s dev ns rc=0
	for ((i = 0; i < 2 * ${#SETTINGS[@]}; i++)); do
		s=${SETTINGS[$((i % ${#SETTINGS[@]}))]}
		if ((i % 2)); then dev=$A ns=$NS_A; else dev=$B ns=$NS_B; fi
		# shellcheck disable=SC2086 # the setting is split on purpose
		nsx "$ns" ethtool -C $dev $s || { echo "failed: $dev $s"; rc=1; }
		sleep 0.1
	done
	return $rc
}
T0=$SECONDS
change_all_ok()
{
	change_all || return 1
	# The last changes must land while the flood still runs.
	kill -0 $PING_PID 2>/dev/null || echo "note: the flood ended before the last change"
}
check "$((2 * ${#SETTINGS[@]})) live -C changes on both ends during a ping flood" change_all_ok
wait "$PING_PID"
diag "changes took $((SECONDS - T0)) s; $(grep -E 'transmitted|rtt' "$PING_OUT" | tr '\n' ' ')"
wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"
snap_pair now "$STATS"
no_loss()
{
	local end s rc=0
	grep -q " $FLOOD received, 0% packet loss" "$PING_OUT" || { cat "$PING_OUT"; rc=1; }
	for end in A B; do
		for s in rx_drops tx_drops rx_out_of_buffer rx_discards_phy tx_discards_phy; do
			is_eq "$end.$s delta" 0 "$(delta $end $s)" || rc=1
		done
	done
	return $rc
}
check "$FLOOD flood pings during the changes: none lost, nothing dropped" no_loss

# ---- refused values --------------------------------------------------------

invalid()
{
	local rc=0 cur
	nsx "$NS_A" ethtool -C $A rx-usecs 20 rx-frames 16 tx-usecs 30 tx-frames 8 || return 1
	cur=$(coal_all $A "$NS_A")
	refused nsx "$NS_A" ethtool -C $A rx-usecs 65536 || rc=1
	refused nsx "$NS_A" ethtool -C $A rx-frames 65536 || rc=1
	refused nsx "$NS_A" ethtool -C $A tx-usecs 100000 || rc=1
	refused nsx "$NS_A" ethtool -C $A tx-frames 65536 || rc=1
	refused nsx "$NS_A" ethtool -C $A rx-usecs 0 rx-frames 0 || rc=1
	refused nsx "$NS_A" ethtool -C $A tx-usecs 0 tx-frames 0 || rc=1
	is_eq "$A coalesce unchanged" "$cur" "$(coal_all $A "$NS_A")" || rc=1
	nsx "$NS_A" ethtool -C $A rx-usecs 65535 rx-frames 65535 || rc=1
	is_eq "$A rx at the limit" 65535/65535 \
		"$(coal_of $A "$NS_A" rx-usecs)/$(coal_of $A "$NS_A" rx-frames)" || rc=1
	return $rc
}
check "out-of-range and all-zero -C refused with a message, nothing changed" invalid
diag "$(invalid 2>&1 | grep -i 'usecs\|frames' | head -3)"

# ---- rmmod with periods pending ------------------------------------------

rmmod_flood()
{
	local p
	nsx "$NS_A" ethtool -C $A rx-usecs 5000 rx-frames 64 tx-usecs 5000 tx-frames 64 || return 1
	nsx "$NS_B" ethtool -C $B rx-usecs 5000 rx-frames 64 tx-usecs 5000 tx-frames 64 || return 1
	ip netns exec "$NS_A" ping -q -f -l 16 -w 30 10.10.0.2 >/dev/null 2>&1 &
	p=$!
	bg_track $p
	sleep 2
	timeout 60 rmmod loopnic || { echo "rmmod failed"; return 1; }
	! module_loaded || { echo "module still loaded"; return 1; }
	kill $p 2>/dev/null
	wait $p 2>/dev/null
	return 0
}
check "rmmod during a flood with 5 ms periods pending is clean" rmmod_flood

must_load path=backlog
backlog_refused()
{
	refused ethtool -C $A rx-usecs 10 && refused ethtool -c $A
}
check "backlog path: -c and -C not supported" backlog_refused
