#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fault injection (debugfs loopnic/<port>/faults/, Documentation/faults.rst)
# on a ring-path pair, one fault at a time at a deterministic 1-in-N rate:
# K numbered UDP datagrams go from A to B in another netns, and each
# fault's ethtool -S counter must be exactly what N makes of K, with every
# frame accounted for (A's tx == B's rx + what the faults dropped):
#  - drop: B gets K - K/N; corrupt: B's NIC gets all K, its UDP stack
#    counts K/N checksum errors (InCsumErrors) and delivers the rest;
#    duplicate: B gets K + K/N; reorder: B gets all K, some out of order;
#  - delay: every echo request held 20 ms, the ping RTT grows by as much;
#  - rx_alloc (B's page_pool refill fails): traffic goes on, none lost,
#    the RQ is full again after; tx_dma_map: A drops K/N, counted;
#  - a random rate (P%) keeps the accounting exact too; all off, no loss.
# And the files: root only (0600, not readable by another user), bad
# values refused with an error and the old value kept, refused on a
# backlog-path port (EOPNOTSUPP).

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
DBG=/sys/kernel/debug/loopnic
K=100 N=10 SIZE=100 PORT=9000 GAP_MS=2
DELAY_US=20000 PINGS=5
KNOBS="ch_activate corrupt delay delay_us drop duplicate reorder rx_alloc tx_dma_map"

ktap_plan 25
require_module
command -v python3 >/dev/null || skip_all "no python3"

declare -A base now
exec 3>&1

must_load path=ring channels=1
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
[ -d $DBG ] || skip_all "no debugfs (CONFIG_DEBUG_FS) at /sys/kernel/debug"
FA=$DBG/$A/faults
FB=$DBG/$B/faults
pair_netns $A $B quiet
wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"

# ---- the files ---------------------------------------------------------

files_root_only()
{
	local f got="" want=""
	for f in "$FA"/*; do
		got+="$(basename "$f"):$(stat -c %a "$f") "
	done
	for f in $KNOBS; do
		want+="$f:600 "
	done
	is_eq "files and modes" "$want" "$got"
}
check "faults/ has every knob, mode 0600" files_root_only

not_for_others()
{
	if setpriv --reuid=65534 --regid=65534 --clear-groups cat "$FA/drop" 2>/dev/null; then
		echo "user 65534 read $FA/drop"
		return 1
	fi
	if setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c "echo 3 > $FA/drop" 2>/dev/null; then
		echo "user 65534 wrote $FA/drop"
		return 1
	fi
	is_eq "drop after another user's write" 0 "$(cat "$FA/drop")"
}
check "another user can neither read nor write a knob" not_for_others

# set_knob FILE VALUE: fails with the kernel's error (bash names it; dash
# says "I/O error" whatever it was).
set_knob()
{
	bash -c "echo '$2' > '$1'"
}

bad_values_refused()
{
	local v
	for v in abc -1 "" 4294967296 101% 12.34567% 1.% "5 %" 0x10; do
		refused set_knob "$FA/drop" "$v" || return 1
	done
	refused set_knob "$FA/delay_us" 100001 || return 1
	refused set_knob "$FB/rx_alloc" 1 || return 1
	refused set_knob "$FB/rx_alloc" 100% || return 1
	is_eq "drop after refused writes" 0 "$(cat "$FA/drop")" &&
		is_eq "delay_us after refused writes" 0 "$(cat "$FA/delay_us")" &&
		is_eq "rx_alloc after refused writes" 0 "$(cat "$FB/rx_alloc")"
}
check "bad values are refused with an error, nothing changes" bad_values_refused

round_trip()
{
	local v got
	for v in 7 12.5% 0.0001% 100% 0% 0; do
		set_knob "$FA/reorder" "$v" || return 1
		got=$(cat "$FA/reorder")
		case $v in
		12.5%) v=12.5000% ;;
		0%) v=0 ;;
		esac
		is_eq "reorder after writing it" "$v" "$got" || return 1
	done
}
check "a knob reads back what was written (N or P%)" round_trip

# ---- traffic -----------------------------------------------------------

# snap ARRAY: every ethtool -S counter of both ends into ARRAY[A_name] and
# ARRAY[B_name], one ethtool call per end (TCG makes each cost).
snap()
{
	local -n snap_to=$1
	local end dev ns name val
	# shellcheck disable=SC2034 # snap_to is a nameref
	for end in A B; do
		if [ $end = A ]; then dev=$A ns=$NS_A; else dev=$B ns=$NS_B; fi
		while read -r name val; do
			snap_to[${end}_${name%:}]=$val
		done < <(nsx "$ns" ethtool -S "$dev" | tail -n +2)
	done
}

GOT="" INV=""
# flow COUNT [GAP_MS]: COUNT datagrams A -> B; what B's socket got in GOT
# (and how many came late in INV), the counters before and after in base
# and now.
flow()
{
	local count=$1 gap=${2:-$GAP_MS}
	# Quiet already: the last flow (or the setup) waited for it.
	snap base
	udp_rx_start "$NS_B" loopnic_seqflow.py recv $PORT
	nsx "$NS_A" python3 "$TESTS_DIR/loopnic_seqflow.py" send 10.10.0.2 $PORT \
		"$count" $SIZE "$gap" >/dev/null || die "UDP sender failed"
	udp_rx_stop $A "$NS_A" $B "$NS_B"
	read -r GOT INV <<<"$RX_GOT"
	snap now
}

# expect END=COUNTER=VALUE...: counter deltas over the last flow.
expect()
{
	local e end ctr val rc=0
	for e in "$@"; do
		IFS='=' read -r end ctr val <<<"$e"
		is_eq "$end $ctr delta" "$val" "$(delta "$end" "$ctr")" || rc=1
	done
	[ $rc -eq 0 ] || echo "A: $(ethstats_all $A "$NS_A")"
	return $rc
}

# conserved: every frame A sent reached B's NIC, or a fault accounts for it.
conserved()
{
	local tx rx lost
	tx=$(delta A tx_packets)
	rx=$(delta B rx_packets)
	lost=$(($(delta A fault_wire_drop) + $(delta B rx_out_of_buffer) +
		$(delta B rx_discards_phy) + $(delta A tx_discards_phy)))
	is_eq "A tx + dups == B rx + drops" $((tx + $(delta A fault_wire_dup))) $((rx + lost))
}

# snmp NS PROTO FIELD: a counter of /proc/net/snmp in NS.
snmp()
{
	nsx "$1" cat /proc/net/snmp | awk -v p="$2:" -v f="$3" '
		$1 == p && !h { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		$1 == p && h { print $col[f]; found = 1 }
		END { exit !found }'
}

fault_on()
{
	must set_knob "$1/$2" "$3"
	on_exit "echo 0 > $1/$2"
}

fault_off()
{
	must set_knob "$1/$2" 0
}

all_counters()
{
	expect "$@" && conserved
}

# drop
fault_on "$FA" drop $N
flow $K
check "drop 1-in-$N: $((K / N)) of $K lost, counted, accounted for" \
	all_counters A=tx_packets=$K A=fault_wire_drop=$((K / N)) \
	B=rx_packets=$((K - K / N))
check_eq "drop: B's socket got $((K - K / N))" $((K - K / N)) "$GOT"
fault_off "$FA" drop

# corrupt: the NIC delivers, the stack's checksum check catches it.
csum0=$(snmp "$NS_B" Udp InCsumErrors) || die "no Udp InCsumErrors in /proc/net/snmp"
fault_on "$FA" corrupt $N
flow $K
csum1=$(snmp "$NS_B" Udp InCsumErrors)
check "corrupt 1-in-$N: $((K / N)) counted, all $K reach B's NIC" \
	all_counters A=tx_packets=$K A=fault_wire_corrupt=$((K / N)) B=rx_packets=$K
check_eq "corrupt: B's UDP InCsumErrors grew by $((K / N))" $((K / N)) $((csum1 - csum0))
check_eq "corrupt: B's socket got $((K - K / N))" $((K - K / N)) "$GOT"
fault_off "$FA" corrupt

# duplicate
fault_on "$FA" duplicate 5
flow $K
check "duplicate 1-in-5: $((K / 5)) copies counted, B's NIC got $((K + K / 5))" \
	all_counters A=tx_packets=$K A=fault_wire_dup=$((K / 5)) B=rx_packets=$((K + K / 5))
check_eq "duplicate: B's socket got $((K + K / 5))" $((K + K / 5)) "$GOT"
fault_off "$FA" duplicate

# reorder: a held frame goes after the next one, or alone after 10 ms.
fault_on "$FA" reorder $N
flow $K
check "reorder 1-in-$N: $((K / N)) held, none lost" \
	all_counters A=tx_packets=$K A=fault_wire_reorder=$((K / N)) B=rx_packets=$K
reordered()
{
	is_eq "datagrams B's socket got" $K "$GOT" && is_ge "came out of order" 1 "$INV" &&
		is_le "came out of order" $((K / N)) "$INV"
}
# The last one held has nothing behind it: it goes alone, in order.
check "reorder: B's socket got all $K, 1..$((K / N)) out of order (got $INV)" reordered
fault_off "$FA" reorder

# delay: on A only, so the echo requests wait and the replies do not.
# The smallest of the RTTs: every echo request is delayed, and under TCG an
# average of a few pings moves by more than the margin (5.5 ms once).
rtt_min()
{
	nsx "$NS_A" ping -q -n -c $PINGS -i 0.2 -W 2 10.10.0.2 |
		sed -n 's|^rtt [^=]*= \([0-9.]*\)/.*|\1|p'
}
wait_quiet $A "$NS_A"
rtt0=$(rtt_min)
fault_on "$FA" delay_us $DELAY_US
fault_on "$FA" delay 1
wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"
snap base
rtt1=$(rtt_min)
wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"
snap now
fault_off "$FA" delay
diag "ping RTT min without delay ${rtt0:-?} ms, with ${DELAY_US} us delay ${rtt1:-?} ms"
check "delay 1-in-1: $PINGS echo requests delayed, none lost" \
	all_counters A=tx_packets=$PINGS A=fault_wire_delay=$PINGS B=rx_packets=$PINGS
rtt_grew()
{
	if [ -z "$rtt0" ] || [ -z "$rtt1" ]; then
		echo "no RTT: '$rtt0' '$rtt1'"
		return 1
	fi
	# Every request waits the whole delay: no RTT can be shorter. The
	# growth is compared for an upper bound only: a baseline that came out
	# high (3.2 ms once on PREEMPT_RT, against 0.9 ms usually) would make
	# a lower one fail with nothing wrong.
	awk -v a="$rtt0" -v b="$rtt1" -v d=$((DELAY_US / 1000)) \
		'BEGIN { exit !(b >= d && b - a <= d * 1.5 + 5) }' ||
		{ echo "RTT $rtt0 -> $rtt1 ms, expected at least $((DELAY_US / 1000)) ms, at most +$((DELAY_US * 3 / 2000 + 5)) ms"; return 1; }
}
check "delay: every RTT at least $((DELAY_US / 1000)) ms, and not much more" rtt_grew

# rx_alloc on B: every Nth buffer allocation of the refill fails. The RQ
# starts full and ends full (NAPI retries), so S buffers used make S
# allocations that worked and F = (S + F) / N that failed.
fault_on "$FB" rx_alloc $N
flow $K
fault_off "$FB" rx_alloc
rx_alloc_counted()
{
	local s f=0 g
	s=$(delta B rx_packets)
	while :; do
		g=$(((s + f) / N))
		[ "$g" -eq "$f" ] && break
		f=$g
	done
	is_ge "failed allocations" 1 "$f" &&
		all_counters A=tx_packets=$K B=rx_packets=$K B=fault_rx_alloc=$f \
			B=rx_out_of_buffer=0
}
check "rx_alloc 1-in-$N: failures counted exactly, nothing lost" rx_alloc_counted
rq_full()
{
	local line
	line=$(awk '$1 == "rq"' "$DBG/$B/queues")
	awk '{ exit !($6 - $8 == $3) }' <<<"$line" || { echo "RQ not full: $line"; return 1; }
}
rx_alloc_after()
{
	is_eq "datagrams" $K "$GOT" && rq_full
}
check "rx_alloc: B's socket got all $K, its RQ is full again" rx_alloc_after

# tx_dma_map on A: the frame is dropped by the driver, counted twice.
fault_on "$FA" tx_dma_map $N
flow $K
fault_off "$FA" tx_dma_map
check "tx_dma_map 1-in-$N: $((K / N)) dropped and counted" \
	all_counters A=tx_packets=$((K - K / N)) A=tx_drops=$((K / N)) \
	A=fault_tx_dma_map=$((K / N)) B=rx_packets=$((K - K / N))
check_eq "tx_dma_map: B's socket got $((K - K / N))" $((K - K / N)) "$GOT"

# A random rate: the count is whatever it is, the accounting still exact.
fault_on "$FA" drop 30%
flow $K 1
fault_off "$FA" drop
random_drop()
{
	local d
	d=$(delta A fault_wire_drop)
	is_ge "dropped at 30%" 1 "$d" && is_le "dropped at 30%" $((K - 1)) "$d" &&
		all_counters A=tx_packets=$K B=rx_packets=$((K - d)) &&
		is_eq "datagrams" $((K - d)) "$GOT"
}
check "drop 30%: some lost, each counted" random_drop

flow $K
check "all faults off: no loss, no fault counted" \
	all_counters A=tx_packets=$K B=rx_packets=$K A=fault_wire_drop=0 \
	A=fault_wire_corrupt=0 A=fault_wire_dup=0 A=fault_wire_reorder=0 \
	A=fault_wire_delay=0 A=fault_tx_dma_map=0 B=fault_rx_alloc=0
check_eq "all faults off: B's socket got all $K" $K "$GOT"

# ch_activate 2: of ethtool -L 1 -> 2, the second channel's activation
# fails; the port must be back on one channel, on new rings (the old ones'
# counters are past the 0 the device restarts at), and work both ways.
activate_rollback()
{
	local out c0 c1
	c0=$(ethstat $A fault_ch_activate "$NS_A") || return 1
	fault_on "$FA" ch_activate 2
	if out=$(nsx "$NS_A" ethtool -L $A combined 2 2>&1); then
		echo "ethtool -L $A combined 2 succeeded with ch_activate 2"
		return 1
	fi
	fault_off "$FA" ch_activate
	grep -q "Cannot allocate memory" <<<"$out" || { echo "wrong error: $out"; return 1; }
	c1=$(ethstat $A fault_ch_activate "$NS_A") || return 1
	is_eq "fault_ch_activate delta" 1 $((c1 - c0)) &&
		is_eq "$A channels" 1 "$(combined_of $A "$NS_A")" &&
		is_eq "$A real TX queues" 1 \
			"$(nsx "$NS_A" find /sys/class/net/$A/queues -name 'tx-*' | wc -l)" &&
		ping_ok "$NS_A" 10.10.0.2 5
}
check "ch_activate 2: -L combined 2 fails with ENOMEM, $A stays on 1 channel and answers pings" \
	activate_rollback
wait_quiet $A "$NS_A"
wait_quiet $B "$NS_B"
flow $K
check "after the failed -L: $K datagrams A -> B, none lost" \
	all_counters A=tx_packets=$K B=rx_packets=$K A=fault_ch_activate=0

# ---- the backlog path has no device to misbehave -----------------------

must_load path=backlog
backlog_refused()
{
	local out
	out=$(set_knob "$FA/drop" 3 2>&1) && { echo "accepted on the backlog path"; return 1; }
	grep -q "not supported" <<<"$out" || { echo "wrong error: $out"; return 1; }
	is_eq "drop on the backlog path" 0 "$(cat "$FA/drop")"
}
check "backlog path: a write is refused with EOPNOTSUPP" backlog_refused
