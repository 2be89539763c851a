#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# loopnic_txrecover.sh with hw_engine=softirq, as one test point (see
# loopnic_ring_softirq.sh): an SQ stalled, stopped and reset, a
# lost interrupt, each recovered through the TX watchdog.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

ktap_plan 1
require_module
rerun_softirq loopnic_txrecover.sh
