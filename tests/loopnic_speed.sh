#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Link settings and the line rate (ethtool DEV, ethtool -s DEV speed N), on
# both paths. A port shows its speed (100000 Mb/s until set), full duplex,
# autoneg off and port Other; it takes the standard speeds and refuses any
# other speed, half duplex and autoneg, leaving the speed as it was.
#
# Then the speed is a real line rate: an iperf3 TCP stream across the pair
# (peer in another netns) runs at it, and follows a change made live in
# the middle of the stream, with the TX queue (backlog path) or the SQ
# (ring path) held rather than anything dropped. What is measured, per
# phase of the stream, on a window that leaves out the first second and
# the second after the change:
#  - goodput: what the iperf3 server received per second, against the
#    line rate times the share of a full frame on the line that is TCP
#    payload: 1448 bytes (MTU 1500 less IPv4, TCP and timestamps headers)
#    of 1514 + 24 (FCS, preamble and start delimiter, inter-frame gap);
#  - ring path only, which sends every frame as it is (no TSO): the line
#    rate itself, (tx_bytes + 24 * tx_packets) * 8 of the sender per
#    second, from ethtool -S.
# Both within TOL percent. The rates are those a TCG guest reaches with
# room to spare: 100 Mb/s then 10 Mb/s on the ring path, 1000 Mb/s then
# 100 Mb/s on the backlog path.
#
# Nothing is dropped: the drop counters of both ends and the sender's
# qdisc stay at 0, and every frame one end sent the other received. The
# shaper's counter tx_shaped grew. Last, rmmod during a stream at 10 Mb/s
# is clean (the timers are cancelled; the dmesg check would show it).

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
SPEEDS="10 100 1000 2500 5000 10000 25000 40000 50000 100000"
DEFAULT=100000
OVERHEAD=24
MSS=1448 FRAME=1514
TOL=10
RUN=10

ktap_plan 20
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

# snap_tx VAR: A's tx_bytes, tx_packets and the time (ns).
snap_tx()
{
	local -n snap=$1
	# shellcheck disable=SC2034 # nameref
	snap=("$(ethstat $A tx_bytes "$NS_A")" "$(ethstat $A tx_packets "$NS_A")" "$(date +%s%N)")
}

# line_kbps FROM TO: A's line rate between two snap_tx, in kbit/s.
line_kbps()
{
	local -n f=$1 t=$2
	echo $(((t[0] - f[0] + OVERHEAD * (t[1] - f[1])) * 8 * 1000000 / (t[2] - f[2])))
}

# goodput_kbps FILE FROM TO: the iperf3 server's mean rate over its
# one-second intervals starting at FROM..TO-1.
goodput_kbps()
{
	awk -v a="$2" -v b="$3" '
		/receiver|sender/ { next }
		$3 ~ /^[0-9.]+-[0-9.]+$/ && $(NF) == "Kbits/sec" {
			split($3, t, "-")
			if (t[1] + 0 >= a && t[1] + 0 < b) { sum += $(NF - 1); n++ }
		}
		END { if (n) printf "%d\n", sum / n; else print "none" }' "$1"
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
	echo "$what: $got kbit/s (expected $exp)"
}

qdisc_drops()
{
	nsx "$NS_A" tc -s qdisc show dev $A |
		awk '{ for (i = 1; i < NF; i++) if ($i == "(dropped") { sub(",", "", $(i + 1)); n += $(i + 1) } }
		     END { print n + 0 }'
}

# stream S1 S2: iperf3 A -> B for RUN s at S1 Mb/s, S2 from 4 s on.
# shellcheck disable=SC2034 # filled by snap_tx through a nameref
declare -a c1 c2 c3 c4
SRV_OUT=""
stream()
{
	local s1=$1 s2=$2 cli
	SRV_OUT=/tmp/$TEST_NAME.$$.$PATH_NAME.srv
	on_exit "rm -f $SRV_OUT"
	must nsx "$NS_A" ethtool -s $A speed "$s1"
	nsx "$NS_B" iperf3 -s -1 -i 1 -f k > "$SRV_OUT" 2>&1 &
	bg_track $!
	sleep 0.5
	nsx "$NS_A" timeout $((RUN + 20)) iperf3 -c 10.10.0.2 -t $RUN -i 0 -f k > "$SRV_OUT.cli" 2>&1 &
	cli=$!
	bg_track $cli
	on_exit "rm -f $SRV_OUT.cli"
	sleep 1
	snap_tx c1
	sleep 2.5
	snap_tx c2
	nsx "$NS_A" ethtool -s $A speed "$s2"
	sleep 1.5
	snap_tx c3
	sleep 3
	snap_tx c4
	wait $cli
	STREAM_RC=$?
	wait_quiet $A "$NS_A"
	wait_quiet $B "$NS_B"
	diag "$(grep -E 'sender|receiver' "$SRV_OUT.cli")"
	diag "server: $(awk '$3 ~ /-/ && $NF == "Kbits/sec" { printf "%s ", $(NF - 1) }' "$SRV_OUT")"
}

# ---- one path ----------------------------------------------------------

declare -A base now
STREAM_RC=1

run_path()
{
	local s1=$1 s2=$2 drops g1 g2 l1 l2 shaped
	PATH_NAME=$3
	shift 3
	drops=$*

	must_load "path=$PATH_NAME"
	pair_netns $A $B quiet

	check "$PATH_NAME: ethtool shows ${DEFAULT}Mb/s, full duplex, autoneg off, port Other" defaults
	check "$PATH_NAME: ethtool -s takes every standard speed and shows it" all_speeds
	check "$PATH_NAME: other speeds, half duplex and autoneg refused, speed unchanged" invalid

	wait_quiet $A "$NS_A"
	wait_quiet $B "$NS_B"
	snap_pair base "tx_packets rx_packets tx_shaped $drops"
	stream "$s1" "$s2"
	snap_pair now "tx_packets rx_packets tx_shaped $drops"
	check "$PATH_NAME: iperf3 ran ${RUN}s" is_eq "iperf3 rc" 0 "$STREAM_RC"

	g1=$(goodput_kbps "$SRV_OUT" 1 3)
	g2=$(goodput_kbps "$SRV_OUT" 6 9)
	l1=$(line_kbps c1 c2)
	l2=$(line_kbps c3 c4)
	diag "$PATH_NAME: at $s1 Mb/s goodput $g1 kbit/s (expected $(expect_goodput "$s1")), line $l1 kbit/s"
	diag "$PATH_NAME: at $s2 Mb/s goodput $g2 kbit/s (expected $(expect_goodput "$s2")), line $l2 kbit/s"
	check "$PATH_NAME: goodput at $s1 Mb/s within $TOL%" within "goodput at $s1" \
		"$(expect_goodput "$s1")" "$g1"
	check "$PATH_NAME: goodput after the live change to $s2 Mb/s within $TOL%" within \
		"goodput at $s2" "$(expect_goodput "$s2")" "$g2"
	if [ "$PATH_NAME" = ring ]; then
		check "ring: line rate at $s1 Mb/s (tx_bytes, tx_packets) within $TOL%" within \
			"line at $s1" $((s1 * 1000)) "$l1"
		check "ring: line rate at $s2 Mb/s within $TOL%" within \
			"line at $s2" $((s2 * 1000)) "$l2"
	fi
	check "$PATH_NAME: the shaper paused transmission (tx_shaped)" \
		is_ge "tx_shaped delta" 1 "$(delta A tx_shaped)"
	diag "$PATH_NAME: tx_shaped +$(delta A tx_shaped), frames A -> B $(delta A tx_packets)"

	no_drops()
	{
		local end s rc=0
		for end in A B; do
			for s in $drops; do
				is_eq "$end.$s delta" 0 "$(delta $end "$s")" || rc=1
			done
		done
		is_eq "$A qdisc drops" 0 "$(qdisc_drops)" || rc=1
		is_eq "A tx_packets vs B rx_packets" "$(delta A tx_packets)" "$(delta B rx_packets)" || rc=1
		is_eq "B tx_packets vs A rx_packets" "$(delta B tx_packets)" "$(delta A rx_packets)" || rc=1
		return $rc
	}
	check "$PATH_NAME: no drop counted, none in the qdisc, every frame received" no_drops

	# rmmod while a stream is held at 10 Mb/s: the timers must be cancelled.
	must nsx "$NS_A" ethtool -s $A speed 10
	shaped=$(ethstat $A tx_shaped "$NS_A")
	nsx "$NS_B" iperf3 -s -1 > /dev/null 2>&1 &
	bg_track $!
	sleep 0.5
	nsx "$NS_A" timeout 30 iperf3 -c 10.10.0.2 -t 20 > /dev/null 2>&1 &
	bg_track $!
	sleep 1.5
	rmmod_held()
	{
		is_ge "$A tx_shaped while held" $((shaped + 1)) "$(ethstat $A tx_shaped "$NS_A")" &&
			unload_module && ! module_loaded
	}
	check "$PATH_NAME: rmmod during a stream at 10 Mb/s" rmmod_held
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
}

run_path 1000 100 backlog tx_drops backlog_drops
run_path 100 10 ring tx_drops rx_drops rx_out_of_buffer rx_discards_phy tx_discards_phy
