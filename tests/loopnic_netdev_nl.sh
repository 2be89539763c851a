#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The netdev netlink family (6.9 and later kernels): a ring-path port with
# two channels names each queue's NAPI instance (queue-get) and each NAPI's
# IRQ (napi-get), the same IRQs /proc/interrupts lists for its channels,
# and reports per-queue statistics (qstats-get) equal to its ethtool -S
# per-channel counters; the device totals stay equal to ip -s link when
# ethtool -L removes a channel (the base keeps what it counted), and on the
# backlog path, whose per-CPU NAPIs are no queue's. Then the upstream
# driver selftests of linux-source-6.12, drivers/net/queues.py and
# stats.py, run against the port (NETIF) and must pass without skips.
# Older kernels have no such family: the test is skipped there.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
KSRC=${LOOPNIC_KSRC612:-/var/cache/loopnic/linux-source-6.12}
DRV_TESTS=$KSRC/tools/testing/selftests/drivers/net
export KSRC PYTHONDONTWRITEBYTECODE=1

nl()
{
	nsx "$NS_A" python3 "$TESTS_DIR/loopnic_netdev_nl.py" "$@"
}

ktap_plan 8
require_module
[ -f "$KSRC/Documentation/netlink/specs/netdev.yaml" ] ||
	die "no netlink specs in $KSRC (scripts/setup.sh caches them)"
must_load path=ring channels=2
pair_netns $A $B quiet
probe=$(nl probe) || {
	[ $? -eq 4 ] && skip_all "kernel without netdev netlink qstats-get (6.9+): $probe"
	die "netdev netlink probe failed: $probe"
}
IFX=$(nsx "$NS_A" cat /sys/class/net/$A/ifindex)

# queues: 2 RX and 2 TX queues; RX i and TX i share a NAPI, the two differ.
queues()
{
	local out
	out=$(nl queues "$IFX") || return 1
	diag "$out"
	is_eq "queues" "rx 0 rx 1 tx 0 tx 1" "$(awk '{ print $1, $2 }' <<<"$out" | sort | tr '\n' ' ' | sed 's/ $//')" || return 1
	local r0 r1 t0 t1
	r0=$(awk '$1 == "rx" && $2 == 0 { print $3 }' <<<"$out")
	r1=$(awk '$1 == "rx" && $2 == 1 { print $3 }' <<<"$out")
	t0=$(awk '$1 == "tx" && $2 == 0 { print $3 }' <<<"$out")
	t1=$(awk '$1 == "tx" && $2 == 1 { print $3 }' <<<"$out")
	is_ge "rx 0 napi-id" 1 "$r0" && is_ge "rx 1 napi-id" 1 "$r1" &&
		is_eq "tx 0 napi-id" "$r0" "$t0" && is_eq "tx 1 napi-id" "$r1" "$t1" &&
		[ "$r0" != "$r1" ]
}
check "queue-get: RX/TX queue i on channel i's NAPI, one NAPI per channel" queues

# napis: each queue's NAPI is on the IRQ of the channel in /proc/interrupts.
napis()
{
	local out q i napi irq want
	out=$(nl napis "$IFX") || return 1
	q=$(nl queues "$IFX") || return 1
	diag "$out"
	for i in 0 1; do
		napi=$(awk -v i=$i '$1 == "rx" && $2 == i { print $3 }' <<<"$q")
		irq=$(awk -v n="$napi" '$1 == n { print $2 }' <<<"$out")
		want=$(irq_of $A $i)
		is_eq "channel $i NAPI $napi irq" "$want" "$irq" || return 1
	done
}
check "napi-get: each channel's NAPI on its IRQ (/proc/interrupts $A-chN)" napis

# qstat_queues: after traffic, per-queue packets and bytes == ethtool -S.
qstat_queues()
{
	local out i d rc=0
	ping_ok "$NS_A" 10.10.0.2 10 -s 300 || return 1
	wait_quiet $A "$NS_A"
	out=$(nl qstats "$IFX" queue) || return 1
	for i in 0 1; do
		for d in rx tx; do
			is_eq "$d $i packets" "$(ethstat $A ${d}${i}_packets "$NS_A")" \
				"$(awk -v d=$d -v i=$i '$1 == d && $2 == i && $3 == d "-packets" { print $4 }' <<<"$out")" || rc=1
			is_eq "$d $i bytes" "$(ethstat $A ${d}${i}_bytes "$NS_A")" \
				"$(awk -v d=$d -v i=$i '$1 == d && $2 == i && $3 == d "-bytes" { print $4 }' <<<"$out")" || rc=1
		done
	done
	return $rc
}
check "qstats-get per queue: packets and bytes equal ethtool -S rxN/txN_*" qstat_queues

# dev_totals: device-scope qstats == ip -s link (quiet port).
dev_totals()
{
	local out k d rc=0
	wait_quiet $A "$NS_A"
	out=$(nl qstats "$IFX") || return 1
	for k in rx-packets rx-bytes tx-packets tx-bytes; do
		d=${k%%-*}
		is_eq "$k" "$(ipstat $A "${d^^}" "${k#*-}" "$NS_A")" \
			"$(awk -v k=$k '$1 == k { print $2 }' <<<"$out")" || rc=1
	done
	return $rc
}
channel_removed()
{
	nsx "$NS_A" ethtool -L $A combined 1 && ping_ok "$NS_A" 10.10.0.2 5 && dev_totals
}
check "qstats-get device totals equal ip -s link after ethtool -L combined 1" channel_removed
must nsx "$NS_A" ethtool -L $A combined 2

# upstream TEST: its cases pass on $A, none skipped (FEC may XFAIL).
upstream()
{
	local out rc=0
	out=$(cd "$DRV_TESTS" && nsx "$NS_A" env NETIF=$A timeout 60 python3 "$1" 2>&1) || rc=$?
	diag "$out"
	is_eq "$1 exit code" 0 $rc && ! grep -q '# SKIP' <<<"$out" &&
		grep -Eq '^# Totals: pass:[1-9][0-9]* fail:0 ' <<<"$out"
}
check "upstream drivers/net/queues.py on $A" upstream queues.py
check "upstream drivers/net/stats.py on $A" upstream stats.py

ns_del "$NS_A"
ns_del "$NS_B"
must_load path=backlog
pair_netns $A $B quiet
IFX=$(nsx "$NS_A" cat /sys/class/net/$A/ifindex)
backlog_totals()
{
	ping_ok "$NS_A" 10.10.0.2 5 && dev_totals &&
		is_eq "backlog per-queue qstats entries" 0 "$(nl qstats "$IFX" queue | wc -l)"
}
check "backlog: qstats-get device totals equal ip -s link, no queue entries" backlog_totals
check "rmmod" unload_module
