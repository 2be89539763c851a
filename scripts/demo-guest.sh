#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The `make demo` scenario, run inside the VM: load loopnic, put the two ends
# of a pair in two network namespaces (two "hosts" joined by a cable), ping
# across, show the counters and compare the ping RTT over lo with the peer's,
# as the table in the ping-path article does (local vs peer).
# Usage: scripts/demo-guest.sh LOOPNIC_KO
set -euo pipefail

ko=${1:?usage: $0 path/to/loopnic.ko}
count=${DEMO_PINGS:-200}

cleanup() {
	ip netns del demo-a 2>/dev/null || true
	ip netns del demo-b 2>/dev/null || true
	rmmod loopnic 2>/dev/null || true
}
trap cleanup EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

run insmod "$ko"
run ip -br link show type loopnic
run ip netns add demo-a
run ip netns add demo-b
run ip link set loopnic0 netns demo-a
run ip link set loopnic1 netns demo-b
for side in a:loopnic0:1 b:loopnic1:2; do
	IFS=: read -r ns dev host <<<"$side"
	run ip -n "demo-$ns" addr add "10.0.0.$host/24" dev "$dev"
	run ip -n "demo-$ns" addr add "fd00::$host/64" dev "$dev" nodad
	run ip -n "demo-$ns" link set "$dev" up
	ip -n "demo-$ns" link set lo up
done
run ip netns exec demo-a ping -c 3 -i 0.2 10.0.0.2
run ip netns exec demo-a ping -c 3 -i 0.2 fd00::2

# avg RTT in ms from ping's summary line "rtt min/avg/max/mdev = a/b/c/d ms"
rtt() {
	ip netns exec demo-a ping -q -c "$count" -i 0.01 "$1" |
		awk -F'[/ ]+' '/^rtt|^round-trip/ { print $7 }'
}
say "ping RTT, $count pings each, from namespace demo-a"
local_ms=$(rtt 127.0.0.1)
peer_ms=$(rtt 10.0.0.2)
awk -v l="$local_ms" -v p="$peer_ms" 'BEGIN {
	printf "%-8s %-22s %10s %10s %6s\n", "ping", "path", "avg ms", "delta", "%"
	printf "%-8s %-22s %10.3f %10.3f %5.0f%%\n", "local", "127.0.0.1 over lo", l, 0, 100
	printf "%-8s %-22s %10.3f %10.3f %5.0f%%\n", "peer", "10.0.0.2 over loopnic", p, p - l, 100 * p / l
}'

run ip netns exec demo-a ethtool -i loopnic0
run ip netns exec demo-a ethtool -S loopnic0
run ip netns exec demo-b ethtool -S loopnic1
run ip -n demo-b -s link show loopnic1
