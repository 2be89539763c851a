#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The softirq budget and threaded NAPI (seeds 001 and 003).
#
# Ring path, one channel: pktgen floods loopnic0 -> loopnic1, whose
# interrupts are moderated (128 frames or 2 ms), so each brings more CQEs
# than a poll may take and polls return the whole budget. Each such poll is
# counted in ch0_budget_exhausted, exactly as many as the loopnic_napi_poll
# events with work == budget; with net.core.netdev_budget lowered to one
# NAPI weight, each of them ends a net_rx_action() round (time_squeeze in
# /proc/net/softnet_stat) and the core hands the rest to ksoftirqd, which
# the events' task names show.
#
# Threaded NAPI (/sys/class/net/DEV/threaded), on both paths: polls run in
# the napi/DEV-N kernel threads instead, pings are answered, and switching
# it on and off under a ping flood loses nothing. On the backlog path a
# flood into a threaded port backs its queue up too: backlog_budget_exhausted.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
SECS=3
FLIPS=6

ktap_plan 13
require_module
require_tracefs
modprobe -q pktgen 2>/dev/null
[ -d /proc/net/pktgen ] || skip_all "no pktgen (CONFIG_NET_PKTGEN)"

old_budget=$(sysctl -n net.core.netdev_budget)
on_exit "sysctl -qw net.core.netdev_budget=$old_budget"
# Room for every poll event of a flood, so that they can be counted.
# It reads "7 (expanded: 1408)" until the buffer was first used.
old_kb=$(sed 's/.*expanded: \([0-9]*\)).*/\1/' $TRACEFS/buffer_size_kb)
on_exit "echo $old_kb > $TRACEFS/buffer_size_kb"
must sh -c "echo 16384 > $TRACEFS/buffer_size_kb"

# pktgen in NS_A: 60-byte UDP frames to B's address and MAC, from the
# pktgen thread of CPU 1, for SECS seconds.
pg()
{
	nsx "$NS_A" sh -c "echo '$2' > /proc/net/pktgen/$1"
}
pktgen_flood()
{
	pg kpktgend_1 rem_device_all || return 1
	pg kpktgend_1 "add_device $A" || return 1
	pg $A "count 0"
	pg $A "pkt_size 60"
	pg $A "delay 0"
	pg $A "dst 10.10.0.2"
	pg $A "dst_mac $(mac_of $B "$NS_B")"
	# "start" returns once the run is stopped.
	nsx "$NS_A" sh -c 'echo start > /proc/net/pktgen/pgctrl' &
	local run=$! i
	sleep $SECS
	pg pgctrl stop
	# A run that does not stop is a failure to look into, not a timeout.
	for ((i = 0; i < 100; i++)); do
		kill -0 $run 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 $run 2>/dev/null; then
		diag "pktgen did not stop within 20 s: $(nsx "$NS_A" cat /proc/net/pktgen/$A)"
		echo w > /proc/sysrq-trigger
		kill $run
		wait $run
		return 1
	fi
	wait $run || return 1
	pg kpktgend_1 rem_device_all
	wait_quiet $B "$NS_B"
}

# Sum of the time_squeeze column over every CPU.
time_squeeze()
{
	local n=0 sq _
	while read -r _ _ sq _; do
		n=$((n + 16#$sq))
	done < /proc/net/softnet_stat
	echo $n
}

set_threaded()
{
	nsx "$2" sh -c "echo $3 > /sys/class/net/$1/threaded"
}

# ping_flood_flipping NS DST: a ping flood while B's threaded flag flips.
ping_flood_flipping()
{
	local out i
	out=/tmp/$TEST_NAME.$$.ping
	nsx "$NS_A" ping -q -n -c 300 -i 0.01 -W 2 "$2" > "$out" 2>&1 &
	for ((i = 0; i < FLIPS; i++)); do
		sleep 0.3
		set_threaded $B "$NS_B" $((i % 2 == 0 ? 0 : 1)) || { wait; return 1; }
	done
	wait $!
	grep -q ' 300 received' "$out" || { cat "$out"; rm -f "$out"; return 1; }
	rm -f "$out"
}

# budget_exhausted_traced EVENT COUNTER: a flood, and the polls that used
# their whole budget: counted, and traced as many times.
budget_exhausted_traced()
{
	local ev=$1 ctr=$2 before after full
	before=$(ethstat $B "$ctr" "$NS_B")
	TRACE_EVENTS=$ev traced pktgen_flood || return 1
	after=$(ethstat $B "$ctr" "$NS_B")
	full=$(ev_count "$ev" dev=$B "work>=budget")
	diag "$ctr: $before -> $after; $ev events with work>=budget: $full of $(ev_count "$ev" dev=$B)"
	is_ge "$ctr delta" 1 $((after - before)) &&
		is_eq "$ctr delta = full-budget poll events" "$full" $((after - before))
}

# ---- ring path ---------------------------------------------------------

must_load path=ring channels=1
pair_netns $A $B quiet

# One full poll uses up net_rx_action()'s round.
must sysctl -qw net.core.netdev_budget=64
# Whether the RX CQ outruns the polls by itself depends on the host's
# timing; moderation makes each interrupt bring more than a budget.
must nsx "$NS_B" ethtool -C $B rx-usecs 2000 rx-frames 128
squeeze0=$(time_squeeze)
check "ring: a flood makes polls use their whole budget (ch0_budget_exhausted)" \
	budget_exhausted_traced loopnic_napi_poll ch0_budget_exhausted
cp "$TRACE_OUT" "$TRACE_OUT.ring"
on_exit "rm -f $TRACE_OUT.ring"
check "ring: softnet_stat time_squeeze rose" is_ge "time_squeeze" $((squeeze0 + 1)) "$(time_squeeze)"
in_ksoftirqd()
{
	local n
	n=$(TRACE_OUT=$TRACE_OUT.ring ev_count loopnic_napi_poll dev=$B "work>=budget" "task~^ksoftirqd/")
	is_ge "full-budget polls run by ksoftirqd" 1 "$n"
}
check "ring: the full-budget polls moved to ksoftirqd" in_ksoftirqd
must sysctl -qw "net.core.netdev_budget=$old_budget"
must nsx "$NS_B" ethtool -C $B rx-usecs 0 rx-frames 1

check "ring: threaded NAPI on" set_threaded $B "$NS_B" 1
# pinged_in_napi_thread EVENT: pings answered, and B's polls (EVENT) ran
# in its napi/DEV-N threads.
pinged_in_napi_thread()
{
	TRACE_EVENTS=$1 traced ping_ok "$NS_A" 10.10.0.2 5 || return 1
	is_ge "$1 events of $B run by napi/$B-N threads" 1 \
		"$(ev_count "$1" dev=$B "task~^napi/$B-")"
}
check "ring: pings answered, polled by napi/$B-N" pinged_in_napi_thread loopnic_napi_poll
check "ring: threaded flipped ${FLIPS}x under a ping flood, none lost" ping_flood_flipping "$NS_A" 10.10.0.2

# ---- backlog path ------------------------------------------------------

ns_del "$NS_A"
ns_del "$NS_B"
must_load path=backlog
pair_netns $A $B quiet

check "backlog: threaded NAPI on" set_threaded $B "$NS_B" 1
check "backlog: pings answered, polled by napi/$B-N" pinged_in_napi_thread loopnic_backlog_poll
check "backlog: a flood into a threaded port exhausts the budget" \
	budget_exhausted_traced loopnic_backlog_poll backlog_budget_exhausted
check "backlog: threaded flipped ${FLIPS}x under a ping flood, none lost" ping_flood_flipping "$NS_A" 10.10.0.2
check "backlog: threaded NAPI off" set_threaded $B "$NS_B" 0
check "backlog: pings answered in softirq again" ping_ok "$NS_A" 10.10.0.2 5
check "rmmod with threaded NAPI used" unload_module
