#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Link settings and the line rate (ethtool DEV, ethtool -s DEV speed N), on
# both paths. A port shows its speed (100000 Mb/s until set), full duplex,
# autoneg off and port Other; it takes the standard speeds and refuses any
# other speed, half duplex and autoneg, leaving the speed as it was.
#
# Then the speed is a real line rate, measured with iperf3 TCP from A (in
# the initial netns, so that its counters can be read from sysfs without a
# fork: the guest is saturated by the stream, and a forked ethtool may
# take a second to run) to B in another netns:
#  - goodput: a 6 s stream at 100 Mb/s, the first second left out
#    (iperf3 -O 1), against the line rate times the share of a full frame
#    on the line that is TCP payload: 1448 bytes (MTU 1500 less IPv4, TCP
#    and timestamp headers) of 1514 + 24 (FCS, preamble and start
#    delimiter, inter-frame gap);
#  - line rate: a 12 s stream whose speed is changed live after 4 s (ring
#    path 100 -> 10 Mb/s, backlog path 10 -> 100 Mb/s), with GSO off on A
#    so that every skb is one frame on the line: (tx_bytes + 24 *
#    tx_packets) * 8 per second of A, over 2.5 s before the change and
#    2.5 s from 1.5 s after it.
# Both within TOL percent. These rates are well within what a TCG guest
# moves (about 550 Mb/s on the ring path, 1500 on the backlog path), but
# not what the debug kernel's does (8 Mb/s with GSO off, and an ethtool
# takes seconds there, so the samples overrun the stream): on a machine
# declared slow (KSFT_MACHINE_SLOW=yes) a rate point that does not hold,
# or the shaper's pause, is reported as a skip, not verified
# (check_timing).
#
# Nothing is dropped by the port: the drop counters of both ends stay at
# 0 and every frame one end sent the other received (the qdisc's own
# drops, when TCP overflows it, are shown). The shaper's counter
# tx_shaped grew. Last, rmmod during a stream at 10 Mb/s, once the shaper
# holds it (a timing point: tx_shaped grows), is clean (the timers are
# cancelled; the dmesg check would show it).

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
# A stays in the initial netns.
NS_A=""
SPEEDS="10 100 1000 2500 5000 10000 25000 40000 50000 100000"
DEFAULT=100000
OVERHEAD=24
MSS=1448 FRAME=1514
TOL=10
GOOD_SPEED=100

ktap_plan 22
require_module
command -v iperf3 >/dev/null || skip_all "no iperf3"
command -v tc >/dev/null || skip_all "no tc"

# link DEV NS: "speed duplex autoneg port" as ethtool DEV prints them.
link()
{
	nsx "$2" ethtool "$1" | awk -F': ' '
		$1 ~ /^\t?Speed$/ { s = $2 } $1 ~ /^\t?Duplex$/ { d = $2 }
		$1 ~ /^\t?Auto-negotiation$/ { a = $2 } $1 ~ /^\t?Port$/ { p = $2 }
		END { print s, d, a, p }'
}

speed_of() { link "$1" "$2" | awk '{ print $1 }'; }

# ---- settings ----------------------------------------------------------

defaults()
{
	is_eq "ethtool $A" "${DEFAULT}Mb/s Full off Other" "$(link $A "$NS_A")" &&
		is_eq "ethtool $B" "${DEFAULT}Mb/s Full off Other" "$(link $B "$NS_B")" &&
		is_eq "sysfs speed" $DEFAULT "$(nsx "$NS_A" cat /sys/class/net/$A/speed)" &&
		is_eq "sysfs duplex" full "$(nsx "$NS_A" cat /sys/class/net/$A/duplex)"
}

all_speeds()
{
	local s
	for s in $SPEEDS; do
		nsx "$NS_A" ethtool -s $A speed "$s" || return 1
		is_eq "after speed $s" "${s}Mb/s" "$(speed_of $A "$NS_A")" || return 1
		if [ "$PATH_NAME" = ring ]; then
			is_eq "LOOPNIC_REG_SPEED after speed $s" "$s" "$(speed_reg)" || return 1
		fi
	done
	# Per port: the peer kept its own.
	is_eq "$B speed" "${DEFAULT}Mb/s" "$(speed_of $B "$NS_B")"
}

# speed_reg: the device's LOOPNIC_REG_SPEED (0x50) of A, from ethtool -d.
speed_reg()
{
	nsx "$NS_A" ethtool -d $A raw on | od -An -v -t u8 -j $((0x50)) -N 8 | tr -d ' '
}

invalid()
{
	local rc=0 args
	must nsx "$NS_A" ethtool -s $A speed 1000
	for args in "speed 1234" "speed 200000" "speed 0" "duplex half" \
		"speed 1000 duplex half" "autoneg on"; do
		# shellcheck disable=SC2086 # one word per argument
		refused nsx "$NS_A" ethtool -s $A $args || rc=1
	done
	is_eq "after refusals" "1000Mb/s Full off Other" "$(link $A "$NS_A")" || rc=1
	if [ "$PATH_NAME" = ring ]; then
		is_eq "LOOPNIC_REG_SPEED after refusals" 1000 "$(speed_reg)" || rc=1
	fi
	return $rc
}

# ---- line rate ---------------------------------------------------------

# sample VAR: A's tx_bytes, tx_packets and the time (us), with builtins only.
sample()
{
	local -n smp=$1
	local b p
	read -r b < /sys/class/net/$A/statistics/tx_bytes
	read -r p < /sys/class/net/$A/statistics/tx_packets
	# shellcheck disable=SC2034 # nameref
	smp=("$b" "$p" "${EPOCHREALTIME/./}")
}

# line_kbps FROM TO: A's line rate between two samples, in kbit/s.
line_kbps()
{
	local -n f=$1 t=$2
	echo $(((t[0] - f[0] + OVERHEAD * (t[1] - f[1])) * 8 * 1000 / (t[2] - f[2])))
}

expect_goodput() { echo $(($1 * 1000 * MSS / (FRAME + OVERHEAD))); }

# within WHAT EXPECTED GOT: GOT within TOL percent of EXPECTED.
within()
{
	local what=$1 exp=$2 got=$3
	[[ "$got" =~ ^[0-9]+$ ]] || { echo "$what: no value ($got)"; return 1; }
	if ((got * 100 < exp * (100 - TOL) || got * 100 > exp * (100 + TOL))); then
		echo "$what: $got kbit/s, expected $exp +- $TOL%"
		return 1
	fi
}

qdisc_drops()
{
	tc -s qdisc show dev $A |
		awk '{ for (i = 1; i < NF; i++) if ($i == "(dropped") { sub(",", "", $(i + 1)); n += $(i + 1) } }
		     END { print n + 0 }'
}

# A here, B in NS_B, quiet: only the test's frames cross.
pair_init()
{
	ns_new NS_B
	must ip link set $B netns "$NS_B"
	must sysctl -qw "net.ipv6.conf.$A.disable_ipv6=1"
	must ip netns exec "$NS_B" sysctl -qw "net.ipv6.conf.$B.disable_ipv6=1"
	must ip addr add 10.10.0.1/24 dev $A
	must ip -n "$NS_B" addr add 10.10.0.2/24 dev $B
	must ip neigh add 10.10.0.2 lladdr "$(mac_of $B "$NS_B")" dev $A nud permanent
	must ip -n "$NS_B" neigh add 10.10.0.1 lladdr "$(mac_of $A)" dev $B nud permanent
	must ip link set $A up
	must ip -n "$NS_B" link set $B up
	wait_for 10 carrier_is $A 1 || die "$A: no carrier"
}

SERVER=""
server()
{
	nsx "$NS_B" iperf3 -s -1 > /dev/null 2>&1 &
	SERVER=$!
	bg_track $SERVER
	sleep 0.5
}

declare -A base now
# shellcheck disable=SC2034 # filled by sample through a nameref
declare -a c1 c2 c3 c4
OUT=/tmp/$TEST_NAME.$$.iperf
on_exit "rm -f $OUT"

# ---- one path ----------------------------------------------------------

run_path()
{
	local s1=$2 s2=$3 drops cli g l1 l2 alive shaped
	PATH_NAME=$1
	shift 3
	drops=$*

	must_load "path=$PATH_NAME"
	pair_init

	check "$PATH_NAME: ethtool shows ${DEFAULT}Mb/s, full duplex, autoneg off, port Other" defaults
	check "$PATH_NAME: ethtool -s takes every standard speed and shows it" all_speeds
	check "$PATH_NAME: other speeds, half duplex and autoneg refused, speed unchanged" invalid

	wait_quiet $A
	wait_quiet $B "$NS_B"
	snap_pair base "tx_packets rx_packets tx_shaped $drops"

	# Goodput, the port's features as they are.
	must ethtool -s $A speed $GOOD_SPEED
	server
	timeout 30 iperf3 -c 10.10.0.2 -t 6 -O 1 -f k > "$OUT" 2>&1
	diag "$PATH_NAME at $GOOD_SPEED Mb/s: $(grep -E 'sender|receiver' "$OUT")"
	g=$(awk '/receiver/ { print int($(NF - 2)) }' "$OUT")
	check_timing "$PATH_NAME: iperf3 goodput at $GOOD_SPEED Mb/s within $TOL% of $(expect_goodput $GOOD_SPEED) kbit/s" \
		within goodput "$(expect_goodput $GOOD_SPEED)" "$g"
	wait $SERVER

	# Line rate, changed live; one skb is one frame.
	ethtool -K $A gso off tso off > /dev/null 2>&1
	must ethtool -s $A speed "$s1"
	server
	timeout 30 iperf3 -c 10.10.0.2 -t 12 -f k > "$OUT" 2>&1 &
	cli=$!
	bg_track $cli
	sleep 1.5
	sample c1
	sleep 2.5
	sample c2
	ethtool -s $A speed "$s2"
	sleep 1.5
	sample c3
	sleep 2.5
	sample c4
	kill -0 $cli 2> /dev/null && alive=1 || alive=0
	wait $cli
	check_timing "$PATH_NAME: iperf3 ran 12 s, the samples within it" is_eq "rc, alive" "0 1" "$? $alive"
	diag "$PATH_NAME at $s1 -> $s2 Mb/s: $(grep -E 'sender|receiver' "$OUT")"
	l1=$(line_kbps c1 c2)
	l2=$(line_kbps c3 c4)
	diag "$PATH_NAME: line $l1 kbit/s at $s1 Mb/s, $l2 kbit/s at $s2 Mb/s"
	check_timing "$PATH_NAME: line rate at $s1 Mb/s within $TOL%" within "line at $s1" $((s1 * 1000)) "$l1"
	check_timing "$PATH_NAME: line rate after the live change to $s2 Mb/s within $TOL%" \
		within "line at $s2" $((s2 * 1000)) "$l2"

	wait_quiet $A
	wait_quiet $B "$NS_B"
	snap_pair now "tx_packets rx_packets tx_shaped $drops"
	diag "$PATH_NAME: tx_shaped +$(delta A tx_shaped) for $(delta A tx_packets) frames; qdisc drops $(qdisc_drops)"
	# Only a guest that outruns the line makes the shaper pause.
	check_timing "$PATH_NAME: the shaper paused transmission (tx_shaped)" \
		is_ge "tx_shaped delta" 1 "$(delta A tx_shaped)"

	no_drops()
	{
		local end s rc=0
		for end in A B; do
			for s in $drops; do
				is_eq "$end.$s delta" 0 "$(delta $end "$s")" || rc=1
			done
		done
		is_eq "A tx_packets vs B rx_packets" "$(delta A tx_packets)" "$(delta B rx_packets)" || rc=1
		is_eq "B tx_packets vs A rx_packets" "$(delta B tx_packets)" "$(delta A rx_packets)" || rc=1
		return $rc
	}
	check "$PATH_NAME: no drop counted, every frame received" no_drops

	# rmmod while a stream is held at 10 Mb/s: the timers must be cancelled.
	must ethtool -s $A speed 10
	shaped=$(ethstat $A tx_shaped)
	server
	timeout 30 iperf3 -c 10.10.0.2 -t 20 > /dev/null 2>&1 &
	bg_track $!
	shaped_more()
	{
		[ "$(ethstat $A tx_shaped)" -gt "$shaped" ]
	}
	# However long the guest takes to start the stream (the debug kernel:
	# more than 1.5 s); only a guest that outruns the line makes the
	# shaper hold it (the debug kernel's ring path does not).
	shaper_holds()
	{
		wait_for 15 shaped_more ||
			{ echo "$A tx_shaped still $shaped 15 s into the stream"; return 1; }
	}
	check_timing "$PATH_NAME: the shaper holds a stream at 10 Mb/s" shaper_holds
	unloaded()
	{
		unload_module && ! module_loaded
	}
	check "$PATH_NAME: rmmod during a stream at 10 Mb/s" unloaded
	ip netns del "$NS_B" 2>/dev/null
}

run_path backlog 10 100 tx_drops backlog_drops
run_path ring 100 10 tx_drops rx_drops rx_out_of_buffer rx_discards_phy tx_discards_phy
