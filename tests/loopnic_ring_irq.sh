#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interrupt affinity (seeds 001 and 003): each ring channel's MSI-X vector
# is a Linux interrupt, listed in /proc/interrupts as "<dev>-ch<N>". It
# starts on the channel's CPU, /proc/irq/IRQ/smp_affinity_list moves it,
# and then the interrupts, and so the channel's NAPI polls, happen on the
# chosen CPU: the per-CPU columns of /proc/interrupts and the CPU of the
# loopnic_napi_poll events show it. XPS starts on the same CPU: TX queue N
# is the one a frame sent from channel N's CPU takes. The device counts the same interrupts
# (chN_irqs) as the kernel does.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
NCH=2
N=10

ktap_plan 11
require_module
require_tracefs
[ "$(nproc)" -ge 2 ] || skip_all "needs 2 CPUs"

must_load path=ring channels=$NCH
pair_netns $A $B quiet

# irq_counts IRQ: its per-CPU counts, space separated.
irq_counts()
{
	awk -v i="$1:" -v n="$(nproc)" '$1 == i {
		for (c = 2; c <= n + 1; c++)
			printf "%s%s", $c, c <= n ? " " : "\n"
	}' /proc/interrupts
}

declare -a IRQ
vectors_listed()
{
	local ch
	for ((ch = 0; ch < NCH; ch++)); do
		IRQ[ch]=$(irq_of $B $ch)
		[[ ${IRQ[ch]} =~ ^[0-9]+$ ]] || { echo "no $B-ch$ch in /proc/interrupts"; return 1; }
	done
}
check "/proc/interrupts lists $B-ch0..$((NCH - 1))" vectors_listed
vectors_listed >/dev/null || die "no vectors to test"
diag "$B vectors: ${IRQ[*]}"

# The starting point: one CPU, the same one the device targets.
starts_on_one_cpu()
{
	local ch aff eff
	for ((ch = 0; ch < NCH; ch++)); do
		aff=$(cat "/proc/irq/${IRQ[ch]}/smp_affinity_list")
		eff=$(cat "/proc/irq/${IRQ[ch]}/effective_affinity_list")
		[[ $aff =~ ^[0-9]+$ ]] || { echo "ch$ch affinity '$aff' is not one CPU"; return 1; }
		is_eq "ch$ch effective affinity" "$aff" "$eff" || return 1
	done
}
check "each vector starts on one CPU, and takes effect" starts_on_one_cpu

xps_follows()
{
	local ch aff mask
	for ((ch = 0; ch < NCH; ch++)); do
		aff=$(cat "/proc/irq/${IRQ[ch]}/smp_affinity_list")
		mask=$(nsx "$NS_B" cat "/sys/class/net/$B/queues/tx-$ch/xps_cpus") || return 1
		mask=${mask//,/}
		is_eq "tx-$ch xps_cpus (hex $mask)" $((1 << aff)) $((16#$mask)) || return 1
	done
}
check "XPS: TX queue N's CPU is channel N's vector's" xps_follows

# irqs_sum DEV: chN_irqs of every channel, summed.
irqs_sum()
{
	local ch n=0
	for ((ch = 0; ch < NCH; ch++)); do
		n=$((n + $(ethstat "$1" "ch${ch}_irqs" "$2")))
	done
	echo $n
}

# steered_to CPU: with every vector of B on CPU, pings make interrupts on
# CPU alone, counted alike by the kernel and the device, and B's polls run
# there.
steered_to()
{
	local cpu=$1 ch c before=() after=() kdelta=0 dbefore dafter d
	for ((ch = 0; ch < NCH; ch++)); do
		echo "$cpu" > "/proc/irq/${IRQ[ch]}/smp_affinity_list" || return 1
		is_eq "ch$ch effective affinity" "$cpu" \
			"$(cat "/proc/irq/${IRQ[ch]}/effective_affinity_list")" || return 1
	done
	wait_quiet $B "$NS_B"
	dbefore=$(irqs_sum $B "$NS_B")
	for ((ch = 0; ch < NCH; ch++)); do
		before[ch]=$(irq_counts "${IRQ[ch]}")
	done
	TRACE_EVENTS=loopnic_napi_poll traced ping_ok "$NS_A" 10.10.0.2 $N || return 1
	wait_quiet $B "$NS_B"
	dafter=$(irqs_sum $B "$NS_B")
	for ((ch = 0; ch < NCH; ch++)); do
		after[ch]=$(irq_counts "${IRQ[ch]}")
		read -ra b <<<"${before[ch]}"
		read -ra a <<<"${after[ch]}"
		for c in "${!a[@]}"; do
			d=$((a[c] - b[c]))
			kdelta=$((kdelta + d))
			if [ "$c" != "$cpu" ] && [ $d -ne 0 ]; then
				echo "ch$ch: $d interrupts on CPU $c, steered to $cpu"
				return 1
			fi
		done
	done
	is_ge "interrupts on CPU $cpu" 1 $kdelta || return 1
	is_eq "chN_irqs delta (device) = /proc/interrupts delta (kernel)" $kdelta $((dafter - dbefore)) || return 1
	is_ge "$B polls" 1 "$(ev_count loopnic_napi_poll dev=$B)" || return 1
	is_eq "$B polls on CPU $cpu" "$(ev_count loopnic_napi_poll dev=$B)" \
		"$(ev_count loopnic_napi_poll dev=$B "on_cpu=$cpu")"
}
for cpu in 1 0 1; do
	check "vectors moved to CPU $cpu: interrupts and polls follow" steered_to $cpu
done

check "pings still answered" ping_ok "$NS_A" 10.10.0.2 5

# Down and up again: the vectors are requested anew and keep their names.
must ip -n "$NS_B" link set $B down
gone_when_down()
{
	local ch
	for ((ch = 0; ch < NCH; ch++)); do
		[ -z "$(irq_of $B $ch)" ] || { echo "$B-ch$ch still has a handler while down"; return 1; }
	done
}
check "no handlers while $B is down" gone_when_down
must ip -n "$NS_B" link set $B up
wait_for 10 carrier_is $B 1 "$NS_B" || die "$B: no carrier after up"
check "vectors back after up" vectors_listed
check "pings answered after down/up" ping_ok "$NS_A" 10.10.0.2 5
check "rmmod with the vectors requested" unload_module
