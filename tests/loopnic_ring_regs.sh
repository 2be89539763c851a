#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The emulated device seen from outside: ethtool -d dumps its register
# space (Documentation/ring-path.rst), whose values must match what the
# driver set up (ring sizes, channel enable) and follow a live ethtool -G;
# debugfs shows both sides of every queue, and they agree at rest.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
HW_ID=4c4f4f504e494331
REG_SPACE=$((0x1000 + 8 * 0x100))
DBG=/sys/kernel/debug/loopnic

ktap_plan 11
require_module
must_load path=ring channels=1
pair_netns $A $B quiet

REGS=/tmp/$TEST_NAME.$$.regs
on_exit "rm -f $REGS"

# dump DEV NS: the register words, one per line, in hex.
dump() { regs_dump "$1" "$2" "$REGS"; }
# reg OFFSET: the word at OFFSET in the last dump, in decimal.
reg() { regs_word "$REGS" "$1"; }
# q_reg CH QUEUE REG: QUEUE 0 sq, 1 rq, 2 txcq, 3 rxcq; REG 0 base, 8
# log_sz, 16 doorbell, 24 device counter.
q_reg()
{
	reg $((0x1000 + $1 * 0x100 + 0x20 + $2 * 0x20 + $3))
}
log2() { local n=$1 l=0; while ((n > 1)); do n=$((n / 2)); l=$((l + 1)); done; echo $l; }

layout()
{
	dump $B "$NS_B" || return 1
	is_eq "registers dumped" $((REG_SPACE / 8)) "$(wc -l < "$REGS")" &&
		is_eq "ID register" "$HW_ID" "$(sed -n 1p "$REGS")" &&
		is_eq "NUM_CH register" 8 "$(reg 8)" &&
		is_eq "ch0 CTRL (enabled)" 1 "$(reg 0x1000)" &&
		is_eq "ch1 CTRL (disabled, one channel)" 0 "$(reg 0x1100)"
}
check "ethtool -d: the register space, ID, channel count, ch0 on" layout

sizes_match()
{
	dump $B "$NS_B" || return 1
	is_eq "SQ log size" "$(log2 "$(ring_of $B "$NS_B" TX)")" "$(q_reg 0 0 8)" &&
		is_eq "RQ log size" "$(log2 "$(ring_of $B "$NS_B" RX)")" "$(q_reg 0 1 8)"
}
check "ethtool -d: SQ and RQ sizes as ethtool -g says" sizes_match
must nsx "$NS_B" ethtool -G $B rx 512
rq_is_512() { dump $B "$NS_B" && is_eq "RQ log size" 9 "$(q_reg 0 1 8)"; }
check "ethtool -d: RQ size follows ethtool -G rx 512 (log 9)" rq_is_512

check "pings answered" ping_ok "$NS_A" 10.10.0.2 10
wait_quiet $B "$NS_B"
at_rest()
{
	local db ctr
	dump $B "$NS_B" || return 1
	db=$(q_reg 0 0 16)
	ctr=$(q_reg 0 0 24)
	is_ge "SQ doorbell (frames posted)" 10 "$db" &&
		is_eq "SQ: device consumed all posted" "$db" "$ctr" &&
		is_eq "TXCQ armed" 1 $(($(q_reg 0 2 24) >> 32)) &&
		is_eq "RXCQ armed" 1 $(($(q_reg 0 3 24) >> 32))
}
check "ethtool -d at rest: SQ drained, both CQs armed" at_rest

# ---- debugfs -----------------------------------------------------------

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
if [ ! -d $DBG ]; then
	for ((i = 0; i < 6; i++)); do
		ktap_skip "no debugfs (CONFIG_DEBUG_FS) at /sys/kernel/debug"
	done
	exit
fi
Q=$DBG/$B/queues
check "debugfs: $Q, root only" is_eq "mode" 400 "$(stat -c %a "$Q")"
diag "$(cat "$Q")"

irq_line()
{
	local irq
	irq=$(awk -v n="$B-ch0" '$NF == n { sub(":", "", $1); print $1 }' /proc/interrupts)
	[ -n "$irq" ] || { echo "no $B-ch0 in /proc/interrupts"; return 1; }
	grep -qx "ch0 irq $irq cpu $(cat "/proc/irq/$irq/effective_affinity_list") napi_id [0-9]*" "$Q" ||
		{ echo "no line 'ch0 irq $irq cpu ...' in $Q"; return 1; }
}
check "debugfs: ch0's IRQ and CPU are /proc/interrupts' and its affinity" irq_line

# field QUEUE NAME: the value after NAME on QUEUE's line.
field()
{
	awk -v q="$1" -v k="$2" '$1 == q { for (i = 2; i < NF; i++) if ($i == k) print $(i + 1) }' "$Q"
}
dbg_agrees()
{
	is_eq "sq: driver pc = device doorbell" "$(field sq pc)" "$(field sq db)" &&
		is_eq "sq: driver cc = device ctr" "$(field sq cc)" "$(field sq ctr)" &&
		is_eq "rxcq: driver cc = device ctr" "$(field rxcq cc)" "$(field rxcq ctr)" &&
		is_eq "rq: driver pc = device doorbell" "$(field rq pc)" "$(field rq db)" &&
		is_eq "rq size" 512 "$(field rq size)" &&
		grep -q '^  rxcq .* armed$' "$Q"
}
check "debugfs at rest: driver and device agree, RX CQ armed" dbg_agrees
check "debugfs: the RX CQ counted the 10 pings" is_ge "rxcq ctr" 10 "$(field rxcq ctr)"

must ip -n "$NS_B" link set $B down
check "debugfs: no rings while down" grep -q "^$B: no rings (down)" "$Q"
removed() { unload_module && [ ! -e $DBG ]; }
check "rmmod removes $DBG" removed
