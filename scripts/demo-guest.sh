#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The `make demo` scenario, run inside the VM: load loopnic, put the two ends
# of a pair in two network namespaces (two "hosts" joined by a cable), ping
# across, show the counters and compare the ping RTT over lo with the peer's
# on both data paths, as the ping-path article's table does (local vs peer).
# Usage: scripts/demo-guest.sh LOOPNIC_KO
set -euo pipefail

ko=${1:?usage: $0 path/to/loopnic.ko}
count=${DEMO_PINGS:-200}

teardown() {
	ip netns del demo-a 2>/dev/null || true
	ip netns del demo-b 2>/dev/null || true
	rmmod loopnic 2>/dev/null || true
}
trap teardown EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

# setup PATH: a pair on that data path, one end in each namespace.
setup() {
	run insmod "$ko" path="$1"
	run ip netns add demo-a
	run ip netns add demo-b
	run ip link set loopnic0 netns demo-a
	run ip link set loopnic1 netns demo-b
	local side ns dev host
	for side in a:loopnic0:1 b:loopnic1:2; do
		IFS=: read -r ns dev host <<<"$side"
		run ip -n "demo-$ns" addr add "10.0.0.$host/24" dev "$dev"
		run ip -n "demo-$ns" addr add "fd00::$host/64" dev "$dev" nodad
		run ip -n "demo-$ns" link set "$dev" up
		ip -n "demo-$ns" link set lo up
	done
}

# avg RTT in ms from ping's summary line "rtt min/avg/max/mdev = a/b/c/d ms"
rtt() {
	ip netns exec demo-a ping -q -c "$count" -i 0.01 "$1" |
		awk -F'[/ ]+' '/^rtt|^round-trip/ { print $7 }'
}

setup backlog
run ip -br link show type loopnic
run ip netns exec demo-a ping -c 3 -i 0.2 10.0.0.2
run ip netns exec demo-a ping -c 3 -i 0.2 fd00::2
local_ms=$(rtt 127.0.0.1)
backlog_ms=$(rtt 10.0.0.2)
run ip netns exec demo-a ethtool -i loopnic0
run ip netns exec demo-a ethtool -S loopnic0
run ip netns exec demo-b ethtool -S loopnic1
run ip -n demo-b -s link show loopnic1

say "the same pair on the ring path: an emulated NIC with rings, DMA and interrupts"
teardown
setup ring
run ip netns exec demo-a ping -c 3 -i 0.2 10.0.0.2
ring_ms=$(rtt 10.0.0.2)
run ip netns exec demo-a ethtool -S loopnic0

say "ping RTT, $count pings each, from namespace demo-a (kernel $(uname -r), under QEMU)"
awk -v l="$local_ms" -v b="$backlog_ms" -v r="$ring_ms" '
function row(name, path, ms) {
	printf "%-13s %-26s %8.3f %8.3f %5.0f%%\n", name, path, ms, ms - l, 100 * ms / l
}
BEGIN {
	printf "%-13s %-26s %8s %8s %6s\n", "ping", "path", "avg ms", "delta", "%"
	row("local", "127.0.0.1 over lo", l)
	row("peer", "loopnic, backlog path", b)
	row("peer", "loopnic, ring path", r)
}'
