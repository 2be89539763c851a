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
# reaches the device, exact counters, RX ring exhaustion and rmmod under
# flood (loopnic_ring.sh); PAUSE conservation in
# loopnic_ring_pause_softirq.sh; wire faults, among them the delay that the
# engine's timer ends, in loopnic_faults_softirq.sh; SQ stall recovery in
# loopnic_txrecover_softirq.sh.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# include/loopnic/hw.h
REG_ENGINE=$((0x68))
ENGINE_SOFTIRQ=1

ktap_plan 2
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
unload_module || die "rmmod loopnic failed"

rerun_softirq loopnic_ring.sh
