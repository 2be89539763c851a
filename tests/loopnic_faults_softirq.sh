#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# loopnic_faults.sh with hw_engine=softirq, as one test point (see
# loopnic_ring_softirq.sh): the wire faults, among them the delay
# that the engine's timer ends, and reordering's timer.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

ktap_plan 1
require_module
rerun_softirq loopnic_faults.sh
