#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ring path with hw_engine=softirq: the NIC's TX engines run as
# tasklets on the CPU that rings the doorbell instead of on a kworker.
# That changes the context of everything the device model does (its locks
# against the driver's process context, the kicks from its timers, the
# waits of a channel disable and of an SQ stop), so the ring path's tests
# where the device does most are run again in that mode, each as one test
# point with its output as diagnostics, one per file to fit the per-test
# timeout on a debug kernel: here, after checking that the parameter
# reaches the device and that an interrupt for the engine's own CPU is
# taken without a self-IPI, exact counters, RX ring exhaustion and rmmod
# under flood (loopnic_ring.sh); PAUSE conservation in
# loopnic_ring_pause_softirq.sh; wire faults, among them the delay that the
# engine's timer ends, in loopnic_faults_softirq.sh; SQ stall recovery in
# loopnic_txrecover_softirq.sh.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# include/loopnic/hw.h
REG_ENGINE=$((0x68))
ENGINE_SOFTIRQ=1
N=100

ktap_plan 3
require_module

engine_reg()
{
	local f rc

	must_load path=ring channels=1 hw_engine=softirq
	f=$(mktemp /tmp/lnt-regs.XXXXXX)
	regs_dump loopnic0 "" "$f" &&
		is_eq "loopnic0 LOOPNIC_REG_ENGINE" $ENGINE_SOFTIRQ "$(regs_word "$f" $REG_ENGINE)"
	rc=$?
	rm -f "$f"
	return $rc
}
check "hw_engine=softirq: the NIC's LOOPNIC_REG_ENGINE says softirq" engine_reg

# cpu0_count NAME: the CPU 0 column of /proc/interrupts' line NAME (an IRQ
# number, or IWI: IRQ work interrupts, the self-IPIs).
cpu0_count()
{
	awk -v n="$1:" '$1 == n { print $2 }' /proc/interrupts
}

# With both vectors and the ping on CPU 0, every interrupt is raised on
# the CPU it targets, by the engine's tasklet or a NAPI poll: the device
# model enters the handler at once instead of sending itself an irq_work
# (src/hw/irq.c, loopnic_hw_irq_here()). Not on PREEMPT_RT, where the
# handlers are threads: every message goes by self-IPI there.
no_self_ipi()
{
	local irqs=() i iwi v0=0 v1=0 vec

	irqs=("$(irq_of loopnic0 0)" "$(irq_of loopnic1 0)")
	for i in "${irqs[@]}"; do
		[[ $i =~ ^[0-9]+$ ]] || { echo "no loopnicN-ch0 in /proc/interrupts"; return 1; }
		echo 0 >"/proc/irq/$i/smp_affinity_list" || return 1
	done
	ping_ok "$NS_A" 10.10.0.2 3 || return 1
	iwi=$(cpu0_count IWI)
	for i in "${irqs[@]}"; do
		v0=$((v0 + $(cpu0_count "$i")))
	done
	ip netns exec "$NS_A" taskset -c 0 ping -q -n -c $N -i 0.01 -w 60 10.10.0.2 >/dev/null ||
		{ echo "$N pings pinned to CPU 0 did not all come back"; return 1; }
	iwi=$(($(cpu0_count IWI) - iwi))
	for i in "${irqs[@]}"; do
		v1=$((v1 + $(cpu0_count "$i")))
	done
	vec=$((v1 - v0))
	diag "$N pings on CPU 0: $vec interrupts of the two vectors there, $iwi self-IPIs (IWI)" >&3
	is_ge "interrupts of the vectors on CPU 0" $N $vec || return 1
	if [ "$(cat /sys/kernel/realtime 2>/dev/null)" = 1 ]; then
		# One self-IPI may carry two messages raised back to back.
		is_ge "self-IPIs on PREEMPT_RT" $((vec / 4)) $iwi
	else
		is_le "self-IPIs" $((vec / 10)) $iwi
	fi
}
exec 3>&1
# Here, not in the check's subshell: the exit trap deletes the namespaces.
pair_netns loopnic0 loopnic1 quiet
check "vectors and ping on CPU 0: interrupts taken without self-IPIs" no_self_ipi
unload_module || die "rmmod loopnic failed"

rerun_softirq loopnic_ring.sh
