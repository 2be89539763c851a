#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Large receive offload on the ring path (ethtool -K DEV lro on). B's
# device merges the TCP segments A's device cut (LSO) back into frames of
# several, and B's driver hands each to the stack as one GSO skb. Each
# stream carries known bytes, and B must get exactly them. B counts a
# merged frame as its segments, so ip -s link still shows A TX = B RX.
# A segment LRO must not take: one whose checksum is wrong (a corrupted
# one would else reach the socket, as the merged frame's checksum is not
# checked again). Also: LRO off by default, off without rx-checksumming,
# live on/off under a stream, IPv6, a small MSS (the segment limit), and
# off again after a path switch.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
TCP_PORT=9300
BYTES=$((4 << 20))
SMALL_MSS=88
SMALL_BYTES=$((1 << 20))
DBG=/sys/kernel/debug/loopnic
CORRUPT_N=20
# LOOPNIC_REG_LRO and its limit (include/loopnic/hw.h).
REG_LRO=$((0x70))
HW_LRO_MAX_BUFS=64

ktap_plan 12
require_module
command -v python3 >/dev/null || skip_all "no python3"

declare -A base now

REGS=/tmp/$TEST_NAME.$$.regs
on_exit "rm -f $REGS"
# lro_reg DEV NS: the device's LOOPNIC_REG_LRO, from ethtool -d.
lro_reg()
{
	regs_dump "$1" "$2" "$REGS" || return 1
	regs_word "$REGS" $REG_LRO
}

# shellcheck disable=SC2034 # s_arr is a nameref
snap()
{
	local -n s_arr=$1
	link_snap "$1"
	s_arr["B_lro_packets"]=$(ethstat $B rx_lro_packets "$NS_B")
	s_arr["B_lro_bytes"]=$(ethstat $B rx_lro_bytes "$NS_B")
	s_arr["B_csum_err"]=$(tcp_in_csum_errors "$NS_B")
	s_arr["A_corrupt"]=$(ethstat $A fault_wire_corrupt "$NS_A")
}

# quiet_stream DST BYTES [MSS]: a stream between two snapshots of quiet ports.
quiet_stream()
{
	pair_quiet
	snap base
	tcp_stream "$@"
	pair_quiet
	snap now
	diag "sent $SENT, received $GOT; B rx_lro_packets +$(delta B lro_packets), rx_lro_bytes +$(delta B lro_bytes), A TX +$(delta A TX_packets) B RX +$(delta B RX_packets)"
}

# merged: stream_intact, B counting merged frames as their segments.
merged()
{
	stream_intact && is_ge "B rx_lro_packets delta" 1 "$(delta B lro_packets)"
}

must_load path=ring
pair_netns $A $B quiet

lro_default()
{
	is_eq "$B large-receive-offload" off "$(feature_of "$NS_B" $B large-receive-offload)" &&
		is_eq "$B LOOPNIC_REG_LRO" 0 "$(lro_reg $B "$NS_B")"
}
check "ring path: LRO offered and off by default (device register 0)" lro_default

must nsx "$NS_B" ethtool -K $B lro on
lro_on()
{
	local reg
	reg=$(lro_reg $B "$NS_B")
	is_eq "$B large-receive-offload" on "$(feature_of "$NS_B" $B large-receive-offload)" &&
		is_ge "$B LOOPNIC_REG_LRO" 2 "$reg" && is_le "$B LOOPNIC_REG_LRO" $HW_LRO_MAX_BUFS "$reg"
}
check "ethtool -K lro on: the device gets a buffer limit" lro_on

quiet_stream 10.10.0.2 $BYTES
check "LRO: $BYTES bytes arrive intact, merged frames count as their segments (A TX = B RX)" merged
# Most of the stream comes in LSO frames of tens of segments, each on the
# wire in one engine run; only TCP's first, short frames do not merge.
check_timing "LRO: at least half the stream's bytes arrived in merged frames" \
	is_ge "B rx_lro_bytes delta" $((BYTES / 2)) "$(delta B lro_bytes)"

# ---- a small MSS: more segments than a frame may have ------------------
# 88-byte segments: the buffer limit would take ~340, the device stops at
# LOOPNIC_HW_LRO_MAX_SEGS (255), which lro_segs (8 bits) must carry.
quiet_stream 10.10.0.2 $SMALL_BYTES $SMALL_MSS
check "LRO, MSS $SMALL_MSS: the stream arrives intact, merged" merged

# ---- corrupted segments: LRO must not take them ------------------------
if [ -d $DBG/$A/faults ]; then
	echo $CORRUPT_N > $DBG/$A/faults/corrupt || die "could not set the corrupt fault"
	on_exit "echo 0 > $DBG/$A/faults/corrupt"
	quiet_stream 10.10.0.2 $((BYTES / 4))
	echo 0 > $DBG/$A/faults/corrupt
	corrupt_caught()
	{
		# Each corrupted segment reached B's stack alone, which found its
		# checksum wrong and dropped it; TCP sent it again.
		is_eq "bytes and sha256 received" "$SENT" "$GOT" &&
			is_ge "$A fault_wire_corrupt delta" 1 "$(delta A corrupt)" &&
			is_eq "B TCP InCsumErrors delta = corrupted segments" \
				"$(delta A corrupt)" "$(delta B csum_err)" &&
			is_ge "B rx_lro_packets delta" 1 "$(delta B lro_packets)"
	}
	check "LRO, 1 in $CORRUPT_N segments corrupted: none merged, each caught by TCP, intact" \
		corrupt_caught
else
	ktap_skip "LRO, 1 in $CORRUPT_N segments corrupted: none merged" \
		"no debugfs (CONFIG_DEBUG_FS)"
fi

# ---- on and off under a stream -----------------------------------------
toggle()
{
	local i
	for ((i = 0; i < 20; i++)); do
		nsx "$NS_B" ethtool -K $B lro off || return 1
		sleep 0.1
		nsx "$NS_B" ethtool -K $B lro on || return 1
		sleep 0.1
	done
}
toggled_stream()
{
	local pid rc=0
	pair_quiet
	snap base
	toggle &
	pid=$!
	bg_track $pid
	tcp_stream 10.10.0.2 $BYTES
	wait $pid || rc=$?
	pair_quiet
	snap now
	is_eq "ethtool -K lro off/on 20 times (status)" 0 "$rc" && stream_intact
}
check "LRO switched off and on 20 times under a stream: intact" toggled_stream

# ---- off: no frame merged ------------------------------------------------
must nsx "$NS_B" ethtool -K $B lro off
quiet_stream 10.10.0.2 $((BYTES / 4))
unmerged()
{
	stream_intact && is_eq "B rx_lro_packets delta" 0 "$(delta B lro_packets)"
}
check "LRO off: intact, no frame merged" unmerged

# ---- LRO needs the device's checksum -------------------------------------
no_rxcsum()
{
	nsx "$NS_B" ethtool -K $B lro on rx off >/dev/null 2>&1
	is_eq "$B rx-checksumming" off "$(feature_of "$NS_B" $B rx-checksumming)" &&
		is_eq "$B large-receive-offload" "off [requested on]" \
			"$(feature_of "$NS_B" $B large-receive-offload)" &&
		is_eq "$B LOOPNIC_REG_LRO" 0 "$(lro_reg $B "$NS_B")" &&
		nsx "$NS_B" ethtool -K $B rx on >/dev/null &&
		is_eq "$B large-receive-offload after rx on" on \
			"$(feature_of "$NS_B" $B large-receive-offload)" &&
		is_ge "$B LOOPNIC_REG_LRO" 2 "$(lro_reg $B "$NS_B")"
}
check "rx-checksumming off turns LRO off (requested on), rx on turns it back on" no_rxcsum

# ---- IPv6 ------------------------------------------------------------------
pair_ipv6 $A $B
snap base
tcp_stream fd00::2 $BYTES
snap now
diag "IPv6: sent $SENT, received $GOT; B rx_lro_packets +$(delta B lro_packets)"
merged6()
{
	is_eq "bytes and sha256 received" "$SENT" "$GOT" &&
		is_eq "B TCP InCsumErrors delta" 0 "$(delta B csum_err)" &&
		is_ge "B rx_lro_packets delta" 1 "$(delta B lro_packets)"
}
check "LRO over IPv6: intact, merged" merged6

# ---- a path switch ---------------------------------------------------------
switched()
{
	nsx "$NS_B" ethtool --set-priv-flags $B ring-path off || return 1
	is_eq "$B large-receive-offload on the backlog path" "off [fixed]" \
		"$(feature_of "$NS_B" $B large-receive-offload)" || return 1
	nsx "$NS_B" ethtool --set-priv-flags $B ring-path on || return 1
	is_eq "$B large-receive-offload back on the ring path" off \
		"$(feature_of "$NS_B" $B large-receive-offload)" &&
		is_eq "$B LOOPNIC_REG_LRO" 0 "$(lro_reg $B "$NS_B")"
}
check "a path switch leaves LRO off, fixed on the backlog path" switched

check "rmmod" rmmod_clean
