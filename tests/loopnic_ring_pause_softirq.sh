#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# loopnic_ring_pause.sh with hw_engine=softirq, as one test point (see
# loopnic_ring_softirq.sh): PAUSE conservation through a tiny RX ring, whose
# held frames the RQ doorbell restarts.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

ktap_plan 1
require_module
rerun_softirq loopnic_ring_pause.sh
