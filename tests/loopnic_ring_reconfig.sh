#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Live reconfiguration of the ring path: ethtool -L combined N and
# ethtool -G rx/tx N, on both ends of a pair, repeatedly, while pings
# cross it every 10 ms: no ping may be lost and nothing counted as dropped
# (the old rings drain, the wire holds frames while a port's receive side
# is rebuilt). Ring sizes round up to a power of two; values out of range
# are refused with a non-zero exit and a message; rmmod afterwards is clean.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
MAX_CH=8
# 15 s of pings: longer than the changes take.
PINGS=1500

ktap_plan 7
require_module

must_load path=ring
pair_netns $A $B quiet

invalid()
{
	local rc=0 rx cur
	rx=$(ring_of $A "$NS_A" RX) cur=$(combined_of $A "$NS_A")
	refused nsx "$NS_A" ethtool -G $A rx 32 || rc=1
	refused nsx "$NS_A" ethtool -G $A tx 16 || rc=1
	refused nsx "$NS_A" ethtool -G $A rx 16384 || rc=1
	refused nsx "$NS_A" ethtool -L $A combined 0 || rc=1
	refused nsx "$NS_A" ethtool -L $A combined $((MAX_CH + 1)) || rc=1
	refused nsx "$NS_A" ethtool -L $A rx 1 || rc=1
	is_eq "RX ring unchanged" "$rx" "$(ring_of $A "$NS_A" RX)" || rc=1
	is_eq "channels unchanged" "$cur" "$(combined_of $A "$NS_A")" || rc=1
	return $rc
}
check "out-of-range -G and -L refused with an error, nothing changed" invalid
diag "$(invalid 2>&1 | grep -i 'ring\|channel\|invalid' | head -4)"

rounded()
{
	nsx "$NS_A" ethtool -G $A rx 100 tx 1000 || return 1
	is_eq "rx 100 rounded up" 128 "$(ring_of $A "$NS_A" RX)" &&
		is_eq "tx 1000 rounded up" 1024 "$(ring_of $A "$NS_A" TX)"
}
check "-G rx 100 tx 1000 becomes 128/1024 (next power of two)" rounded

STATS="rx_packets tx_packets rx_drops tx_drops rx_out_of_buffer rx_discards_phy tx_discards_phy"
declare -A base now
snap_pair base "$STATS"

PING_OUT=$(mktemp /tmp/lnt-ping.XXXXXX)
on_exit rm -f "$PING_OUT"
ip netns exec "$NS_A" ping -q -n -i 0.01 -c $PINGS -W 5 10.10.0.2 >"$PING_OUT" 2>&1 &
PING_PID=$!
bg_track $PING_PID
sleep 1

# Both ends, every kind of change, while the pings fly.
STEPS=(
	"B -L combined 1" "A -L combined $MAX_CH" "B -G rx 64 tx 64"
	"A -G rx 4096 tx 256" "B -L combined 4" "A -L combined 2"
	"B -G rx 1024 tx 1024" "A -G rx 512 tx 512" "B -L combined $MAX_CH"
	"A -L combined 1" "B -L combined 3" "A -G rx 1024 tx 1024"
)
reconfig_all()
{
	local step end dev ns rc=0
	for step in "${STEPS[@]}"; do
		end=${step%% *}
		if [ "$end" = A ]; then dev=$A ns=$NS_A; else dev=$B ns=$NS_B; fi
		# shellcheck disable=SC2086 # the step is split on purpose
		set -- ${step#* }
		nsx "$ns" ethtool "$1" "$dev" "${@:2}" || { echo "failed: $step"; rc=1; }
		sleep 0.2
	done
	return $rc
}
T0=$SECONDS
check "${#STEPS[@]} live -L/-G changes on both ends during the pings" reconfig_all
# ping -q prints its statistics only when done.
if grep -q 'packets transmitted' "$PING_OUT"; then
	diag "the pings ended before the last change ($((SECONDS - T0)) s of changes)"
else
	diag "all changes made within $((SECONDS - T0)) s, the pings still running"
fi
wait "$PING_PID"
diag "$(cat "$PING_OUT")"

no_loss()
{
	grep -q " $PINGS received, 0% packet loss" "$PING_OUT" || { cat "$PING_OUT"; return 1; }
}
check "$PINGS pings at 10 ms during the changes: none lost" no_loss

wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"
snap_pair now "$STATS"
nothing_dropped()
{
	local end s rc=0
	for end in A B; do
		for s in rx_drops tx_drops rx_out_of_buffer rx_discards_phy tx_discards_phy; do
			is_eq "$end.$s delta" 0 "$(delta $end $s)" || rc=1
		done
	done
	is_eq "A.tx_packets delta = B.rx_packets delta" "$(delta A tx_packets)" "$(delta B rx_packets)" || rc=1
	is_eq "B.tx_packets delta = A.rx_packets delta" "$(delta B tx_packets)" "$(delta A rx_packets)" || rc=1
	return $rc
}
check "no frame dropped on either end; every frame sent was received" nothing_dropped

final_state()
{
	is_eq "$A channels" 1 "$(combined_of $A "$NS_A")" &&
		is_eq "$B channels" 3 "$(combined_of $B "$NS_B")" &&
		is_eq "$B RX ring" 1024 "$(ring_of $B "$NS_B" RX)" &&
		is_eq "$A real TX queues" 1 \
			"$(ip netns exec "$NS_A" find /sys/class/net/$A/queues -name 'tx-*' | wc -l)" &&
		ping_ok "$NS_A" 10.10.0.2 3
}
check "the last settings are in effect, and the pair still works" final_state

rmmod_clean()
{
	timeout 60 rmmod loopnic && ! module_loaded
}
check "rmmod after the changes is clean" rmmod_clean
