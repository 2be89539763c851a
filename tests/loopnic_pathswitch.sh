#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The per-pair path switch: ethtool --set-priv-flags DEV ring-path on|off.
# The flag is listed on both paths; rx_no_refill is refused on the backlog
# path. A switch on either end moves both ends of the pair, down or up.
# Up, back and forth during pings every 10 ms across two netns: every echo
# request answered (both netns' ICMP counters), nothing counted as dropped,
# after each switch the new path carries the frames, and the ip -s link
# totals never go back. Frames the qdisc holds when a switch starts go out
# on the new path once it is done, with nothing more sent behind them.
# rmmod is clean.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
SWITCHES=10
# Pings every 10 ms in runs of this many, until the switches are done.
PING_RUN=200

ktap_plan 11
require_module
command -v nstat >/dev/null || skip_all "missing tool nstat"

# pflag DEV NS NAME: "on" or "off", as ethtool --show-priv-flags prints it.
pflag()
{
	nsx "$2" ethtool --show-priv-flags "$1" | awk -v n="$3" '
		{ name = $1; sub(/:$/, "", name) } name == n { print $NF; f = 1 }
		END { exit !f }'
}
txqs()
{
	nsx "$2" find "/sys/class/net/$1/queues" -name 'tx-*' | wc -l
}
# pair_path PATH [NS_A NS_B]: both ends on PATH (on = ring).
pair_path()
{
	is_eq "$A ring-path" "$1" "$(pflag $A "${2:-}" ring-path)" &&
		is_eq "$B ring-path" "$1" "$(pflag $B "${3:-}" ring-path)"
}

must_load

flags_listed()
{
	is_eq "$A ring-path" off "$(pflag $A "" ring-path)" &&
		is_eq "$A rx_no_refill" off "$(pflag $A "" rx_no_refill)" &&
		is_eq "$A TX queues" 1 "$(txqs $A "")"
}
check "backlog path: ring-path and rx_no_refill listed, both off, one TX queue" flags_listed

refused_refill()
{
	local out
	if out=$(ethtool --set-priv-flags $A rx_no_refill on 2>&1); then
		echo "rx_no_refill accepted on the backlog path"
		return 1
	fi
	diag "refused: $out"
	is_eq "$A rx_no_refill" off "$(pflag $A "" rx_no_refill)"
}
check "rx_no_refill on the backlog path is refused and stays off" refused_refill

switch_down()
{
	ethtool --set-priv-flags $A ring-path on || return 1
	pair_path on || return 1
	is_ge "$A TX queues on ring" 1 "$(txqs $A "")" || return 1
	ethtool -l $A | grep -q '^Combined:' || { echo "no channels on ring"; return 1; }
	diag "on ring: $(txqs $A "") TX queues, rx_no_refill $(pflag $A "" rx_no_refill)"
	ethtool --set-priv-flags $B ring-path off || return 1
	pair_path off && is_eq "$A TX queues on backlog" 1 "$(txqs $A "")"
}
check "down pair: either end switches both, with the queue counts" switch_down

pair_netns $A $B quiet

mtu_refused()
{
	local rc=0
	must ip -n "$NS_B" link set $B mtu 9200
	if nsx "$NS_A" ethtool --set-priv-flags $A ring-path on 2>/dev/null; then
		echo "ring-path on accepted with the peer's MTU 9200"
		rc=1
	fi
	must ip -n "$NS_B" link set $B mtu 1500
	pair_path off "$NS_A" "$NS_B" || rc=1
	return $rc
}
check "ring-path on refused while an end's MTU exceeds the ring path's" mtu_refused

# Whole-port totals, as ip -s link shows them.
declare -A last
IPSTATS="RX_packets RX_dropped TX_packets TX_dropped"
link_snap last "$IPSTATS"
# shellcheck disable=SC2034 # read by balanced()
declare -A first
for k in "${!last[@]}"; do first[$k]=${last[$k]}; done

# ring_rx DEV NS: sum of the per-channel rxN_packets.
ring_rx()
{
	nsx "$2" ethtool -S "$1" | awk '$1 ~ /^rx[0-9]+_packets:$/ { s += $2 } END { print s + 0 }'
}

# counter_of END WHAT: the ring path's frames received through the
# channels' RQs, the backlog path's NAPI polls, or the total received.
counter_of()
{
	local dev=$A ns=$NS_A
	[ "$1" = A ] || { dev=$B; ns=$NS_B; }
	case $2 in
	ring) ring_rx $dev "$ns" ;;
	backlog) ethstat $dev backlog_polls "$ns" ;;
	total) ethstat $dev rx_packets "$ns" ;;
	esac
}

# carried PATH: over 1 s of pings, the frames both ends receive go the
# PATH way: on the ring path all of them through the channels' RQs, on
# the backlog path through the backlog's NAPI (the channels' counters are
# not even listed then, nor the backlog's on the ring path).
carried()
{
	local path=$1 end dev ns rc=0
	declare -A c0 t0 c1 t1
	# The path's counter read first and last: frames may land in between.
	for end in A B; do
		c0[$end]=$(counter_of $end "$path")
		t0[$end]=$(counter_of $end total)
	done
	sleep 1
	for end in A B; do
		t1[$end]=$(counter_of $end total)
		c1[$end]=$(counter_of $end "$path")
	done
	for end in A B; do
		if [ $end = A ]; then dev=$A ns=$NS_A; else dev=$B ns=$NS_B; fi
		is_ge "$end rx_packets delta" 1 $((t1[$end] - t0[$end])) || rc=1
		if [ "$path" = ring ]; then
			is_ge "$end ring rx delta" $((t1[$end] - t0[$end])) \
				$((c1[$end] - c0[$end])) || rc=1
			if nsx "$ns" ethtool -S $dev | grep -q 'backlog_polls'; then
				echo "$end: backlog counters listed on the ring path"
				rc=1
			fi
		else
			is_ge "$end backlog_polls delta" 1 $((c1[$end] - c0[$end])) || rc=1
			if nsx "$ns" ethtool -S $dev | grep -q '^ *rx0_packets'; then
				echo "$end: channel counters listed on the backlog path"
				rc=1
			fi
		fi
	done
	return $rc
}

# monotonic: no ip -s link total went back since the last call.
monotonic()
{
	local k rc=0
	declare -A now
	link_snap now "$IPSTATS"
	for k in "${!now[@]}"; do
		is_ge "$k" "${last[$k]}" "${now[$k]}" || rc=1
		last[$k]=${now[$k]}
	done
	return $rc
}

# icmp_snap ARRAY: the echo counters of both ends' netns, as A_Icmp...
# and B_Icmp...; only the test's pings cross the pair in quiet mode.
ICMP_ECHO="IcmpOutEchos IcmpInEchos IcmpOutEchoReps IcmpInEchoReps"
icmp_snap()
{
	local -n s=$1
	local end ns name value
	for end in A B; do
		if [ $end = A ]; then ns=$NS_A; else ns=$NS_B; fi
		# nstat -a: absolute values, -s: leave its history alone, -z: zeros too
		while read -r name value _; do
			[[ " $ICMP_ECHO " == *" $name "* ]] && s[${end}_$name]=$value
		done < <(nsx "$ns" nstat -asz)
	done
	return 0
}
declare -A icmp0
icmp_snap icmp0

# Where a reply ping never saw went: every IPv4 skb freed as dropped,
# counted by where and why (a hist trigger, which names the function that
# dropped it; the event's own location is a hashed pointer on 6.1).
# The main buffer: on 6.1 a tracefs instance creates a file for every
# event in one go, which under TCG runs long enough for a soft lockup.
DROPS=""
DROP_HIST="hist:keys=location.sym,reason:sort=hitcount.descending if protocol == 2048"
mount_tracefs
if [ -e $TRACEFS/events/skb/kfree_skb/hist ] &&
   echo "$DROP_HIST" >$TRACEFS/events/skb/kfree_skb/trigger; then
	DROPS=$TRACEFS/events/skb/kfree_skb
	on_exit "echo '!$DROP_HIST' >$DROPS/trigger"
fi

PING_OUT=$(mktemp /tmp/lnt-ping.XXXXXX)
PING_STOP=$PING_OUT.stop
SWITCH_LOG=$PING_OUT.switches
on_exit rm -f "$PING_OUT" "$PING_STOP" "$SWITCH_LOG"
# Each reply is printed: a run's missed icmp_seq show where it missed them.
ping_runs()
{
	while [ ! -e "$PING_STOP" ]; do
		ip netns exec "$NS_A" ping -n -i 0.01 -c $PING_RUN 10.10.0.2
	done
}
ping_runs >"$PING_OUT" 2>&1 &
PING_PID=$!
bg_track $PING_PID
sleep 1

switch_all()
{
	local i dev ns want path rc=0 t
	for ((i = 1; i <= SWITCHES; i++)); do
		# Odd switches to ring, from alternating ends.
		if ((i % 2)); then want=on path=ring; else want=off path=backlog; fi
		if (((i - 1) / 2 % 2)); then dev=$B ns=$NS_B; else dev=$A ns=$NS_A; fi
		t=$(date +%s%N)
		nsx "$ns" ethtool --set-priv-flags $dev ring-path $want ||
			{ echo "switch $i ($dev to $path) failed"; rc=1; continue; }
		t=$((($(date +%s%N) - t) / 1000000))
		pair_path $want "$NS_A" "$NS_B" || rc=1
		carried $path || { echo "switch $i: $path path not carrying"; rc=1; }
		monotonic || { echo "switch $i: a total went back"; rc=1; }
		echo "switch $i: $dev to $path in $t ms" >>"$SWITCH_LOG"
	done
	return $rc
}
T0=$SECONDS
check "$SWITCHES live switches from both ends; each time the new path carries, totals only grow" switch_all
diag "$(cat "$SWITCH_LOG" 2>/dev/null)"
diag "$((SECONDS - T0)) s of switches and checks"
touch "$PING_STOP"
wait "$PING_PID"

# ping_sum transmitted|received: over every run.
ping_sum()
{
	sed -n "s/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p" "$PING_OUT" |
		awk -v f="$1" '{ s += (f == "transmitted" ? $1 : $2) } END { print s + 0 }'
}
# ping_holes: the runs that missed a reply before their last one received,
# with the icmp_seq missed.
ping_holes()
{
	awk '/^PING/ { run++; n = 0; top = 0; split("", got) }
		/icmp_seq=/ && !/DUP!/ {
			n++; match($0, /icmp_seq=[0-9]+/)
			seq = substr($0, RSTART + 9, RLENGTH - 9) + 0
			if (seq > top) top = seq
			got[seq] = 1
		}
		/packets transmitted/ && top > n {
			m = ""
			for (i = 1; i < top; i++)
				if (!(i in got))
					m = m " " i
			print "run " run ": icmp_seq" m " missed before " top
		}' "$PING_OUT"
}
SENT=$(ping_sum transmitted)
COUNTED=$(ping_sum received)
echo_replies()
{
	local -A now
	icmp_snap now
	[ $((now[A_IcmpInEchoReps] - icmp0[A_IcmpInEchoReps])) -ge "$SENT" ]
}
# A reply held by the last switch may still be on its way.
wait_for 5 echo_replies
declare -A icmp1
icmp_snap icmp1
diag "$SENT pings in runs of $PING_RUN, $((icmp1[A_IcmpInEchoReps] - icmp0[A_IcmpInEchoReps])) answered, $COUNTED of them in time for ping; highest RTT $(sed -n 's|^rtt [^=]*= [^/]*/[^/]*/\([^/]*\)/.*|\1|p' "$PING_OUT" | sort -n | tail -1) ms"
# Conservation at both ends' ICMP, which counts every request and reply
# whatever ping does: every request A sent reached B, every reply B sent
# reached A, nothing twice. ping itself is no judge of loss: -c stops
# waiting max(interval, twice the highest RTT of its run) after its last
# request (-W only applies before the first reply), so it gives up on a
# reply still held in the qdisc by a switch, or on one that another
# channel's poll delivers late, and its raw socket drops the previous
# run's late replies (its filter) and what comes while it is full. Those
# replies reached A's ICMP and are printed. The verdict is printed last,
# where a truncated log still shows it.
no_loss()
{
	local k rc=0 holes dups verdict=""
	verdict+=$(is_ge "pings sent" $((PING_RUN * 2)) "$SENT")$'\n' || rc=1
	for k in A_IcmpOutEchos B_IcmpInEchos B_IcmpOutEchoReps A_IcmpInEchoReps; do
		verdict+=$(is_eq "$k delta" "$SENT" $((icmp1[$k] - icmp0[$k])))$'\n' || rc=1
	done
	dups=$(grep -c 'DUP!' "$PING_OUT")
	verdict+=$(is_eq "duplicate replies" 0 "$dups") || rc=1
	holes=$(ping_holes)
	[ -z "$holes" ] || diag "replies that reached A but not ping in time: $holes"
	[ $rc -ne 0 ] || return 0
	# The runs that missed a reply, and replies ping got but would not
	# count: a changed payload shows here.
	awk '/packets transmitted/ && $1 != $4' "$PING_OUT"
	grep -E 'BAD CHECKSUM|wrong|DUP' "$PING_OUT" | head -n 10
	[ -z "$DROPS" ] || grep -E '^\{|^Totals|Hits' $DROPS/hist | head -n 12
	printf '%s\n' "$verdict" | sed '/^$/d'
	return 1
}
check "pings every 10 ms throughout the switches: every request answered, none lost" no_loss

wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"

# qdisc_held DEV NS: the frames DEV's qdiscs hold (the root's backlog).
qdisc_held()
{
	nsx "$2" tc -s qdisc show dev "$1" |
		sed -n 's/^ *backlog [0-9]*[a-zA-Z]* \([0-9]*\)p.*/\1/p' | head -n 1
}
qdisc_empty()
{
	[ "$(qdisc_held "$1" "$2")" = 0 ]
}
# A burst from B at 10 Mb/s fills its qdisc (the line rate stops the TX
# queues; a plain FIFO, which drops nothing); the switch to ring starts
# with the burst still held and B sends nothing after it, so only the
# switch can get the rest out. Each send is one UDP GSO frame of 44
# datagrams, charged to the line at once; the burst is 3.2 s of line
# time. Held, they are segmented by the core once the ring path, which
# has no UDP segmentation, is in place; those the qdisc had to requeue,
# which the core does not validate again, by the driver (tx_sw_fallback,
# printed after the point). That anything was held is a timing point of
# its own.
HELD_PORT=9101
HELD_FLOWS=16
HELD_PER_FLOW=4
HELD_SEGS=44
HELD_SIZE=1400
held_frames()
{
	local rc=0 n=$((HELD_FLOWS * HELD_PER_FLOW * HELD_SEGS)) held
	nsx "$NS_B" ethtool -s $B speed 10 || return 1
	# Not fq_codel (the default of the queues a switch adds): its AQM
	# drops what waits over 5 ms, and a 10 Mb/s line makes them wait.
	nsx "$NS_B" tc qdisc replace dev $B root pfifo limit $((2 * n)) || rc=1
	udp_rx_start "$NS_A" loopnic_udpflows.py recv $HELD_PORT $n
	nsx "$NS_B" python3 "$TESTS_DIR/loopnic_udpflows.py" send 10.10.0.1 $HELD_PORT \
		$HELD_FLOWS $HELD_PER_FLOW $HELD_SIZE $HELD_SEGS >/dev/null || rc=1
	held=$(qdisc_held $B "$NS_B")
	echo "$held" > "$HELD_FILE"
	nsx "$NS_A" ethtool --set-priv-flags $A ring-path on || rc=1
	wait_for 30 qdisc_empty $B "$NS_B" ||
		{ echo "B's qdisc still holds $(qdisc_held $B "$NS_B") frames 30 s after the switch"; rc=1; }
	udp_rx_stop $B "$NS_B" $A "$NS_A"
	diag "$held of $((HELD_FLOWS * HELD_PER_FLOW)) GSO frames held in B's qdisc at the switch;" \
		"$RX_GOT of $n datagrams received"
	is_eq "datagrams received" $n "$RX_GOT" || rc=1
	if [ $rc -ne 0 ]; then
		nsx "$NS_B" tc -s qdisc show dev $B | grep -E 'qdisc|dropped'
		nsx "$NS_B" nstat -asz | grep -E 'UdpOutDatagrams|UdpSndbufErrors'
		nsx "$NS_A" nstat -asz | grep -E 'UdpInDatagrams|UdpRcvbufErrors|UdpInErrors'
		nsx "$NS_B" ethtool -S $B | grep -E 'drop|shaped|tx_packets|out_of|fallback' | grep -v ' 0$'
		nsx "$NS_A" ethtool -S $A | grep -E 'drop|rx_packets|out_of|missed' | grep -v ' 0$'
	fi
	nsx "$NS_B" ethtool -s $B speed 100000 || rc=1
	nsx "$NS_B" tc qdisc del dev $B root || rc=1
	return $rc
}
HELD_FILE=$(mktemp /tmp/lnt-held.XXXXXX)
check "frames held in the qdisc at a switch go out once it is done" held_frames
diag "$B tx_sw_fallback: $(ethstat $B tx_sw_fallback "$NS_B")"
# Only a guest that outruns the line fills the qdisc: the debug kernel's
# does not, as the backlog path receives on the sending CPU.
check_timing "B's qdisc held frames when the switch began" \
	is_ge "frames held" 1 "$(cat "$HELD_FILE")"
rm -f "$HELD_FILE"
balanced()
{
	local rc=0
	declare -A now
	link_snap now "$IPSTATS"
	is_eq "A TX dropped delta" 0 $((now[A_TX_dropped] - first[A_TX_dropped])) || rc=1
	is_eq "B TX dropped delta" 0 $((now[B_TX_dropped] - first[B_TX_dropped])) || rc=1
	is_eq "A RX dropped delta" 0 $((now[A_RX_dropped] - first[A_RX_dropped])) || rc=1
	is_eq "B RX dropped delta" 0 $((now[B_RX_dropped] - first[B_RX_dropped])) || rc=1
	is_eq "A sent = B received" $((now[A_TX_packets] - first[A_TX_packets])) \
		$((now[B_RX_packets] - first[B_RX_packets])) || rc=1
	is_eq "B sent = A received" $((now[B_TX_packets] - first[B_TX_packets])) \
		$((now[A_RX_packets] - first[A_RX_packets])) || rc=1
	return $rc
}
check "nothing dropped on either end; every frame sent was received (ip -s link)" balanced

refill_blocks()
{
	local rc=0
	nsx "$NS_B" ethtool --set-priv-flags $B ring-path on || return 1
	nsx "$NS_B" ethtool --set-priv-flags $B rx_no_refill on || return 1
	if nsx "$NS_A" ethtool --set-priv-flags $A ring-path off 2>/dev/null; then
		echo "$A ring-path off accepted with the peer's rx_no_refill on"
		rc=1
	fi
	pair_path on "$NS_A" "$NS_B" || rc=1
	# Both in one go on the end that has it.
	nsx "$NS_B" ethtool --set-priv-flags $B ring-path off rx_no_refill off || rc=1
	pair_path off "$NS_A" "$NS_B" || rc=1
	ping_ok "$NS_A" 10.10.0.2 3 || rc=1
	return $rc
}
check "the peer's rx_no_refill keeps the pair on ring; both off at once works" refill_blocks

rmmod_clean()
{
	nsx "$NS_A" ethtool --set-priv-flags $A ring-path on || return 1
	timeout 60 rmmod loopnic && ! module_loaded
}
check "rmmod after the switches (pair on ring) is clean" rmmod_clean
