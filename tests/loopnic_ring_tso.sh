#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Large send offload on the ring path (TSO, TSO6). The driver hands TCP
# GSO skbs to the device whole; the device cuts them into MSS-sized
# segments on the wire. Each stream below carries known bytes, and B must
# get exactly them: a segment with a wrong sequence number, length or
# checksum would break the stream or count in B's TCP InCsumErrors. The
# wire must carry nothing longer than the MTU, and ip -s link must count
# segments on both ends (A TX = B RX). Then: TSO off, the line rate
# stopping an SQ between two segments of a frame, PAUSE holding one, an
# SQ torn down (ethtool -G) while PAUSE holds one, and IPv6.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
TCP_PORT=9100
BYTES=$((4 << 20))
MTU=1500
# 64 kB frames take 52 ms each at this rate, and the MAC runs 10 ms ahead
# at most: an SQ stops inside a frame however slow the guest (at 100 Mb/s
# the debug kernel's never got that far ahead).
SLOW_SPEED=10
RING=64

ktap_plan 13
require_module
command -v python3 >/dev/null || skip_all "no python3"

declare -A base now

tso_shown()
{
	feature_of "$NS_A" $A "$1"
}

# tx_oversize DEV NS: frames DEV's MAC sent in the RMON buckets that start
# above MTU + Ethernet header.
tx_oversize()
{
	nsx "$2" ethtool -S "$1" --groups rmon | awk -v max=$((MTU + 14)) '
		$1 ~ /^tx-rmon-etherStatsPkts[0-9]+to[0-9]+Octets:$/ {
			split($1, r, /Pkts|to|Octets/); if (r[2] + 0 > max) n += $2 }
		END { print n + 0 }'
}

# shellcheck disable=SC2034 # s_arr is a nameref
snap()
{
	local -n s_arr=$1
	link_snap "$1"
	s_arr["A_tso_packets"]=$(ethstat $A tx_tso_packets "$NS_A")
	s_arr["A_tso_bytes"]=$(ethstat $A tx_tso_bytes "$NS_A")
	s_arr["A_shaped"]=$(ethstat $A tx_shaped "$NS_A")
	s_arr["B_oob"]=$(ethstat $B rx_out_of_buffer "$NS_B")
	s_arr["B_csum_err"]=$(tcp_in_csum_errors "$NS_B")
	s_arr["A_oversize"]=$(tx_oversize $A "$NS_A")
	s_arr["A_tx_drops"]=$(ethstat $A tx_drops "$NS_A")
}

d()
{
	echo $((now[$1] - base[$1]))
}

# snap_quiet ARRAY: snap once both ports are quiet (or say they are not).
snap_quiet()
{
	pair_quiet
	snap "$1"
}

# quiet_stream DST BYTES: a stream between two snapshots of quiet ports.
quiet_stream()
{
	snap_quiet base
	tcp_stream "$@"
	snap_quiet now
	diag "sent $SENT, received $GOT; tx_tso_packets +$(d A_tso_packets), tx_tso_bytes +$(d A_tso_bytes), A TX +$(d A_TX_packets) B RX +$(d B_RX_packets)"
}

# intact: B got what A sent, no segment failed its checksum, none was
# longer than the MTU, and ip -s link counted segments on both ends.
intact()
{
	local rc=0
	stream_intact || rc=1
	is_eq "frames over $((MTU + 14)) bytes sent by $A's MAC" 0 "$(d A_oversize)" || rc=1
	return $rc
}

# lso_used: the stream went through LSO: at least half its bytes.
lso_used()
{
	is_ge "tx_tso_packets delta" 1 "$(d A_tso_packets)" &&
		is_ge "tx_tso_bytes delta" $((BYTES / 2)) "$(d A_tso_bytes)"
}

must_load path=ring
pair_netns $A $B quiet

features_on()
{
	is_eq "tcp-segmentation-offload" on "$(tso_shown tcp-segmentation-offload)" &&
		is_eq "tx-tcp-segmentation" on "$(tso_shown tx-tcp-segmentation)" &&
		is_eq "tx-tcp6-segmentation" on "$(tso_shown tx-tcp6-segmentation)"
}
check "ring path: ethtool -k shows TSO and TSO6 on, not fixed" features_on

quiet_stream 10.10.0.2 $BYTES
check "TSO: $BYTES bytes A -> B arrive intact, segments counted on both ends" intact
check "TSO: the stream's GSO skbs went to the device whole (tx_tso_*)" lso_used

# ---- TSO off: the stack segments, the device sees frames ---------------
must nsx "$NS_A" ethtool -K $A tso off
quiet_stream 10.10.0.2 $BYTES
tso_off()
{
	intact && is_eq "tx_tso_packets delta" 0 "$(d A_tso_packets)"
}
check "TSO off: the stream arrives intact, no frame goes to the device as LSO" tso_off
# "Actual changes": tso on also asks for ECN segmentation, which the device lacks.
must nsx "$NS_A" ethtool -K $A tso on >/dev/null

# ---- a small MSS: frames of hundreds of segments ------------------------
# With TCP's smallest MSS an LSO frame is cut into up to 745 segments. The
# engine puts at most LOOPNIC_HW_TX_BATCH_SEGS (256, src/hw/device.h) on
# the wire in one run and goes on in its next from the segment it got to:
# the trace shows each frame of more segments fetched again (nothing else
# holds a frame here).
SMALL_MSS=88
SMALL_BYTES=$((2 << 20))
RUN_SEGS=256
# Ethernet, IPv4 and TCP with timestamps.
SMALL_HDR=$((14 + 20 + 32))
# fetched_again: "FRAMES_OVER_RUN_SEGS OF_THEM_FETCHED_AGAIN" in the
# trace, each frame's segments from its first fetch's len.
fetched_again()
{
	awk -v hdr=$SMALL_HDR -v mss=$SMALL_MSS -v run=$RUN_SEGS '
		/ loopnic_hw_wqe_fetch: / && / queue=sq / {
			k = ""; len = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^(dev|ch|ctr)=/)
					k = k $i
				if ($i ~ /^len=/)
					len = substr($i, 5) + 0
			}
			if (!(k in seen)) {
				seen[k] = 1
				if (int((len - hdr + mss - 1) / mss) > run) {
					big[k] = 1
					nbig++
				}
			} else if (k in big && !(k in again)) {
				again[k] = 1
				nagain++
			}
		}
		END { print nbig + 0, nagain + 0 }' "$TRACE_OUT"
}
if have_tracefs; then
	FILTER=$TRACEFS/events/loopnic/loopnic_hw_wqe_fetch/filter
	# SQ fetches only (LOOPNIC_Q_SQ): one per frame and run, not per segment.
	echo 'queue == 0' > "$FILTER" || die "could not filter loopnic_hw_wqe_fetch"
	on_exit "echo 0 > $FILTER"
	TRACED_LOG=/tmp/$TEST_NAME.$$.traced
	on_exit "rm -f $TRACED_LOG"
	# Not in $(...): the stream's results and snapshots must stay set here.
	TRACED_RC=0
	TRACE_EVENTS=loopnic_hw_wqe_fetch traced quiet_stream 10.10.0.2 $SMALL_BYTES $SMALL_MSS \
		> "$TRACED_LOG" 2>&1 || TRACED_RC=$?
	echo 0 > "$FILTER"
	read -r SMALL_BIG SMALL_AGAIN < <(fetched_again)
	diag "MSS $SMALL_MSS: $(sed 's/^# //' "$TRACED_LOG" | tr '\n' ' '); $SMALL_BIG LSO frames of over $RUN_SEGS segments, $SMALL_AGAIN of them fetched again"
	small_mss()
	{
		is_eq "traced stream" 0 "$TRACED_RC" && intact &&
			is_eq "LSO frames of over $RUN_SEGS segments fetched again" "$SMALL_BIG" "$SMALL_AGAIN"
	}
	check "TSO, MSS $SMALL_MSS: a frame of over $RUN_SEGS segments takes more than one engine run, the stream arrives intact" \
		small_mss
	# TCP builds frames that long only once its rate is up (tcp_tso_autosize()).
	check_timing "TSO, MSS $SMALL_MSS: the stream had frames of over $RUN_SEGS segments" \
		is_ge "LSO frames of over $RUN_SEGS segments" 1 "$SMALL_BIG"
else
	ktap_skip "TSO, MSS $SMALL_MSS: a frame of over $RUN_SEGS segments takes more than one engine run" \
		"no tracefs"
	ktap_skip "TSO, MSS $SMALL_MSS: the stream had frames of over $RUN_SEGS segments" "no tracefs"
fi

# ---- line rate: an SQ stops between two segments -----------------------
must nsx "$NS_A" ethtool -s $A speed $SLOW_SPEED
quiet_stream 10.10.0.2 $((BYTES / 2))
shaped()
{
	intact && is_ge "tx_shaped delta" 1 "$(d A_shaped)" &&
		is_ge "tx_tso_packets delta" 1 "$(d A_tso_packets)"
}
check "TSO at $SLOW_SPEED Mb/s: frames wait for the line mid-frame, the stream arrives intact" shaped
must nsx "$NS_A" ethtool -s $A speed 100000

# ---- PAUSE: the receiver runs dry while an LSO frame is on the wire -----
must nsx "$NS_A" ethtool -A $A rx on tx on
must nsx "$NS_B" ethtool -A $B rx on tx on
must nsx "$NS_B" ethtool -G $B rx $RING
wait_for 10 carrier_is $B 1 "$NS_B" || die "$B: no carrier after ethtool -G"

# dry_stream CMD...: a stream A -> B that starts with B posting no RX
# buffers; CMD runs beside it, and B refills once CMD ended. DRY_RC is
# CMD's exit status, or 3 if B could not refill. With DRY_SHIFT=N, N
# pings take N of B's buffers first, so that they run out N segments
# earlier in the stream.
DRY_RC=""
DRY_SHIFT=0
dry_stream()
{
	local pid
	must nsx "$NS_B" ethtool --set-priv-flags $B rx_no_refill on
	[ "$DRY_SHIFT" -eq 0 ] ||
		must nsx "$NS_A" ping -q -c "$DRY_SHIFT" -i 0.01 -W 2 10.10.0.2
	(
		rc=0
		"$@" || rc=$?
		nsx "$NS_B" ethtool --set-priv-flags $B rx_no_refill off || rc=3
		exit $rc
	) &
	pid=$!
	bg_track $pid
	tcp_stream 10.10.0.2 $BYTES
	wait $pid
	DRY_RC=$?
}

# paused_stream: a stream that starts with B posting no RX buffers: B's
# 64 buffers take one LSO frame and part of the next, which the wire then
# holds, mid-frame, until B refills. B stays dry until A has honoured a
# PAUSE and 1 s more, not for a fixed time: a slow guest's sender may not
# even have started within one.
paused_stream()
{
	snap_quiet base
	base[A_paused]=$(pause_stat $A rx_pause_frames "$NS_A")
	dry_stream pause_held
	snap_quiet now
	now[A_paused]=$(pause_stat $A rx_pause_frames "$NS_A")
	diag "sent $SENT, received $GOT; $A honoured $(d A_paused) PAUSE, B rx_out_of_buffer +$(d B_oob)"
}

# pause_stat DEV NAME NS: tx_pause_frames or rx_pause_frames of ethtool -I -a.
pause_stat()
{
	nsx "$3" ethtool -I -a "$1" |
		awk -v n="$2:" '$1 == n { print $2; f = 1 } END { exit !f }'
}

a_paused()
{
	[ "$(pause_stat $A rx_pause_frames "$NS_A")" -gt "${base[A_paused]}" ]
}

# pause_held: wait (120 s at most) until A has honoured a PAUSE of B's,
# then hold B dry for 1 s more.
pause_held()
{
	wait_for 120 a_paused || return 1
	sleep 1
}

paused()
{
	local rc=0
	is_eq "B ran dry, A honoured a PAUSE, B refilled (status)" 0 "$DRY_RC" || rc=1
	intact || rc=1
	is_eq "B rx_out_of_buffer delta" 0 "$(d B_oob)" || rc=1
	is_ge "PAUSE $A honoured" 1 "$(d A_paused)" || rc=1
	return $rc
}
paused_stream
check "TSO with PAUSE, B out of RX buffers mid-frame: held, nothing dropped, intact" paused

# sq_regs N: of A's first N channels, the segments sent of the LSO frame
# at the head of an SQ, added up (LOOPNIC_CH_SQ_HEAD_SEGS), into
# HELD_SEGS, and whether an SQ is held (LOOPNIC_SQ_ST_HELD of
# LOOPNIC_CH_SQ_STATUS), into SQ_HELD.
REGS=/tmp/$TEST_NAME.$$.regs
on_exit "rm -f $REGS $REGS.held"
sq_regs()
{
	local ch st
	regs_dump $A "$NS_A" "$REGS" || return 1
	HELD_SEGS=0 SQ_HELD=0
	for ((ch = 0; ch < $1; ch++)); do
		HELD_SEGS=$((HELD_SEGS + $(regs_word "$REGS" $((0x1000 + ch * 0x100 + 0xf0)))))
		st=$(regs_word "$REGS" $((0x1000 + ch * 0x100 + 0xe8)))
		[ $((st & 4)) -eq 0 ] || SQ_HELD=1
	done
}

# held_mid_frame: wait until the wire holds an LSO frame of A that it sent
# part of. Fails with 1 if it holds one on a frame boundary (held, no
# segment sent, for 10 looks: nothing moves until B refills), with 4 if
# none after 200 looks.
held_mid_frame()
{
	local i n boundary=0
	n=$(combined_of $A "$NS_A")
	for ((i = 0; i < 200; i++)); do
		sq_regs "$n" || return 4
		[ "$HELD_SEGS" -eq 0 ] || return 0
		if [ "$SQ_HELD" -eq 1 ]; then
			boundary=$((boundary + 1))
			[ $boundary -lt 10 ] || return 1
		else
			boundary=0
		fi
		sleep 0.1
	done
	return 4
}

# cut_held: once an LSO frame is held mid-way, ethtool -G changes A's TX
# ring size (512 <-> 1024, so that it rebuilds); the segments sent of the
# frame in $REGS.held.
cut_held()
{
	local cur
	held_mid_frame || return
	echo "$HELD_SEGS" >"$REGS.held"
	cur=$(ring_of $A "$NS_A" TX)
	nsx "$NS_A" ethtool -G $A tx $((cur == 512 ? 1024 : 512)) || return 2
}

# cut_stream: as paused_stream, but while the wire holds an LSO frame
# mid-way, ethtool -G rebuilds A's channels: the old SQ's drain times out
# and the rest of that frame is never sent; TCP sends it again later.
# Pings leave B a few buffers, so that they run out early in the stream,
# where TCP's LSO frames are several segments long; should they still run
# out on a frame boundary, the stream just goes on once B refills, and is
# tried again with two more left (a 6.12 guest once needed 8).
HELD_SEGS=0 CUTS=0
cut_stream()
{
	local try left
	snap_quiet base
	for try in 1 2 3 4 5; do
		rm -f "$REGS.held"
		left=$((4 + 2 * try))
		DRY_SHIFT=$((RING - left))
		dry_stream cut_held
		[ "$SENT" = "$GOT" ] || break
		case $DRY_RC in
		0)
			HELD_SEGS=$(cat "$REGS.held")
			CUTS=1
			break
			;;
		1) diag "try $try: B ran dry on a frame boundary ($left buffers left to the stream)" ;;
		4) diag "try $try: no LSO frame held after 200 looks ($left buffers left, or no register dump)" ;;
		*)
			diag "try $try: ethtool -G or B's refill failed ($DRY_RC)"
			break
			;;
		esac
	done
	DRY_SHIFT=0
	snap_quiet now
	diag "sent $SENT, received $GOT; $HELD_SEGS segments of the held frame sent, $A tx_drops +$(d A_tx_drops)"
}
cut()
{
	local rc=0
	is_eq "SQs torn down while an LSO frame was held mid-way" 1 "$CUTS" || rc=1
	is_ge "segments of the held frame sent" 1 "$HELD_SEGS" || rc=1
	is_ge "$A tx_drops delta (the rest of the frame)" 1 "$(d A_tx_drops)" || rc=1
	# A TX = B RX: the segments sent of the cut frame count as sent.
	intact || rc=1
	return $rc
}
cut_stream
check "TSO with PAUSE, SQ torn down mid-frame: the segments sent count as sent, the rest as drops" cut
must nsx "$NS_A" ethtool -A $A rx off tx off
must nsx "$NS_B" ethtool -A $B rx off tx off

# ---- IPv6 (TSO6) -----------------------------------------------------
# Last: IPv6 brings its own frames (MLD, ND) onto the pair.
pair_ipv6 $A $B
snap base
tcp_stream fd00::2 $BYTES
snap now
diag "IPv6: sent $SENT, received $GOT; tx_tso_packets +$(d A_tso_packets), tx_tso_bytes +$(d A_tso_bytes)"
intact6()
{
	is_eq "bytes and sha256 received" "$SENT" "$GOT" &&
		is_eq "B TCP InCsumErrors delta" 0 "$(d B_csum_err)" &&
		is_eq "frames over $((MTU + 14)) bytes sent by $A's MAC" 0 "$(d A_oversize)"
}
check "TSO6: $BYTES bytes over IPv6 arrive intact, no frame over the MTU" intact6
check "TSO6: the stream went through LSO" lso_used

# ---- VLAN on top: ndo_features_check leaves the segmenting to the stack --
# vlan_supported: A gets its VLAN, or the kernel has no 802.1Q.
vlan_supported()
{
	local err
	err=$(ip -n "$NS_A" link add link $A name $A.5 type vlan id 5 2>&1) && return 0
	[[ $err == *"Unknown device type"* ]] || die "ip link add type vlan: $err"
	return 1
}

vlan_stream()
{
	must ip -n "$NS_B" link add link $B name $B.5 type vlan id 5
	must ip -n "$NS_A" addr add 10.10.5.1/24 dev $A.5
	must ip -n "$NS_B" addr add 10.10.5.2/24 dev $B.5
	must ip -n "$NS_A" link set $A.5 up
	must ip -n "$NS_B" link set $B.5 up
	snap base
	tcp_stream 10.10.5.2 $((BYTES / 4))
	snap now
}
vlan_intact()
{
	is_eq "bytes and sha256 received" "$SENT" "$GOT" &&
		is_eq "$A tx_drops delta" 0 "$(d A_tx_drops)" &&
		is_eq "B TCP InCsumErrors delta" 0 "$(d B_csum_err)"
}
VLAN_DESC="over a VLAN (tag in the frame, which LSO does not parse): the stack segments, intact"
if vlan_supported; then
	vlan_stream
	check "$VLAN_DESC" vlan_intact
else
	ktap_skip "$VLAN_DESC" "no 802.1Q VLAN in this kernel (CONFIG_VLAN_8021Q)"
fi

check "rmmod" rmmod_clean
