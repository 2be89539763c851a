#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Tracepoints (Documentation/tracing.rst): with the loopnic events enabled
# through tracefs, N pings across a backlog pair and then a ring pair must
# leave every event of each path's stages, with fields that match the
# frames sent (ICMP echo of 98 bytes on the wire, the right devices, NAPI
# work within budget); once disabled, traffic must leave none.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

ktap_plan 29
require_module

require_tracefs
T=$TRACEFS

N=5
# An ICMP echo with ping's 56 bytes of data: 14 + 20 + 8 + 56 on the wire.
LEN=98
OUT=$TRACE_OUT

EVENTS="loopnic_xmit loopnic_backlog_enqueue loopnic_backlog_poll loopnic_napi_poll loopnic_dim
	loopnic_rx loopnic_hw_doorbell loopnic_hw_wqe_fetch loopnic_hw_wire
	loopnic_hw_cqe loopnic_hw_irq"

# at_least MIN EVENT [KEY=VALUE...]
at_least()
{
	local min=$1
	shift
	is_ge "events $*" "$min" "$(ev_count "$@")" || { diag_trace "$1"; return 1; }
}

# all_match EVENT FILTER...: every EVENT (and at least one) matches FILTER.
all_match()
{
	local ev=$1 all some
	shift
	all=$(ev_count "$ev")
	some=$(ev_count "$ev" "$@")
	if [ "$all" -eq 0 ] || [ "$all" != "$some" ]; then
		echo "$ev: $some of $all events match $*"
		diag_trace "$ev"
		return 1
	fi
}

none_of()
{
	local n
	n=$(ev_count "$@")
	is_eq "events $*" 0 "$n" || { diag_trace "$1"; return 1; }
}

diag_trace()
{
	echo "trace of $1 (first lines):"
	grep " $1: " "$OUT" | head -n 8
}

events_listed()
{
	local e rc=0
	for e in $EVENTS; do
		[ -f "$T/events/loopnic/$e/format" ] || { echo "no event $e"; rc=1; }
	done
	return $rc
}

no_enum_symbols()
{
	local f rc=0
	for f in "$T"/events/loopnic/*/format; do
		none_in "$f" 'LOOPNIC_' || rc=1
	done
	return $rc
}

# no_events REGEX: no event in $OUT has a name matching REGEX.
no_events()
{
	none_in "$OUT" " ($1): "
}

# none_in FILE REGEX: no line of FILE matches REGEX (else show a few).
none_in()
{
	local m
	m=$(grep -E "$2" "$1" | head -n 8)
	[ -z "$m" ] || { echo "unexpected: $m"; return 1; }
}

# irqs_to_online_cpu HW: HW raised interrupts, each to a CPU that exists.
irqs_to_online_cpu()
{
	at_least 1 loopnic_hw_irq dev="$1" || return 1
	all_match loopnic_hw_irq "cpu<=$(($(nproc) - 1))"
}

trace_has_none()
{
	none_in $T/trace ' loopnic_[a-z_]+: '
}

untraced_pings()
{
	ping_ok "$NS_A" 10.10.0.2 2 && trace_has_none
}

bus_info()
{
	nsx "$2" ethtool -i "$1" | awk '$1 == "bus-info:" { print $2 }'
}

# ---- the events exist and are self-describing -------------------------

must_load
check "tracefs lists the loopnic events" events_listed
# Enum symbols left unresolved in a print fmt leave perf and trace-cmd
# printing raw numbers or failing to parse it.
check "print formats name no unresolved enum" no_enum_symbols

# ---- backlog path ------------------------------------------------------

A=loopnic0
B=loopnic1
pair_netns $A $B quiet
check "backlog: $N pings answered with the events on" traced ping_ok "$NS_A" 10.10.0.2 $N
diag "$(wc -l < "$OUT") loopnic events captured"

check "backlog: >= $N xmit on $A" at_least $N loopnic_xmit dev=$A path=backlog len=$LEN
check "backlog: >= $N xmit on $B (replies)" at_least $N loopnic_xmit dev=$B path=backlog len=$LEN
check "backlog: >= $N enqueued to $B's backlog" \
	at_least $N loopnic_backlog_enqueue dev=$B result=queued
check "backlog: >= $N rx on $B, ICMP echo length" \
	at_least $N loopnic_rx dev=$B path=backlog len=$LEN protocol=0x0800
check "backlog: >= $N rx on $A (replies)" at_least $N loopnic_rx dev=$A path=backlog len=$LEN
check "backlog: polls of $B within budget and did work" \
	all_match loopnic_backlog_poll 'work<=budget' 'budget>=1'
check "backlog: polls on $B seen" at_least 1 loopnic_backlog_poll dev=$B 'work>=1'
check "backlog: no device-model or ring events" no_events 'loopnic_hw_[a-z_]+|loopnic_napi_poll'

# ---- ring path ---------------------------------------------------------

# One channel: RSS would pick the queue of the ICMP flow, and ch=0 below
# names it.
must_load path=ring channels=1
pair_netns $A $B quiet
HA=$(bus_info $A "$NS_A")
HB=$(bus_info $B "$NS_B")
diag "ring: $A is $HA, $B is $HB"
check "ring: $N pings answered with the events on" traced ping_ok "$NS_A" 10.10.0.2 $N
diag "$(wc -l < "$OUT") loopnic events captured"

check "ring: >= $N xmit on $A" at_least $N loopnic_xmit dev=$A path=ring len=$LEN
check "ring: >= $N SQ doorbells on $HA" at_least $N loopnic_hw_doorbell dev="$HA" queue=sq
check "ring: >= $N SQ WQE fetches on $HA, one WQE per ping" \
	at_least $N loopnic_hw_wqe_fetch dev="$HA" queue=sq nwqe=1 len=$LEN
check "ring: >= $N frames delivered into $HB" \
	at_least $N loopnic_hw_wire dev="$HB" len=$LEN result=delivered
check "ring: every frame on the wire delivered" all_match loopnic_hw_wire result=delivered
check "ring: >= $N RQ WQE fetches on $HB" at_least $N loopnic_hw_wqe_fetch dev="$HB" queue=rq
check "ring: >= $N TX CQEs on $HA" at_least $N loopnic_hw_cqe dev="$HA" queue=txcq byte_cnt=$LEN
check "ring: >= $N RX CQEs on $HB" at_least $N loopnic_hw_cqe dev="$HB" queue=rxcq byte_cnt=$LEN
check "ring: no error CQE" all_match loopnic_hw_cqe flags=0x0
check "ring: interrupts from $HA, to a CPU that exists" irqs_to_online_cpu "$HA"
check "ring: interrupts from $HB" at_least 1 loopnic_hw_irq dev="$HB"
check "ring: CQ re-arms (CQ doorbells) on $HB" at_least 1 loopnic_hw_doorbell dev="$HB" queue=rxcq
check "ring: NAPI polls on $B, work within budget" \
	all_match loopnic_napi_poll 'work<=budget' 'budget>=1'
check "ring: >= $N rx on $B, ICMP echo length" \
	at_least $N loopnic_rx dev=$B path=ring ch=0 len=$LEN protocol=0x0800
check "ring: >= $N rx on $A (replies)" at_least $N loopnic_rx dev=$A path=ring len=$LEN
check "ring: no backlog events" no_events 'loopnic_backlog_[a-z]+'

# ---- disabled ----------------------------------------------------------

echo 0 > $T/events/loopnic/enable
echo > $T/trace
check "disabled: 2 pings answered, and leave no loopnic event" untraced_pings
