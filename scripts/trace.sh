#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make trace`: the journey of one packet. Install what is needed, build
# loopnic for a kernel, boot ONE VM and run scripts/trace-ping-guest.sh
# there: it captures with ftrace's function_graph tracer the kernel call
# path of one ping over lo (localhost), to the port's own address (routed
# over lo), and to the peer in another netns on loopnic's backlog and ring
# paths (the ring path with each of the device's engines), and measures each
# path's RTT. Then, on the host, each capture is
# turned into an indented call tree and a flame graph (scripts/funcgraph.py).
#
# Usage: scripts/trace.sh [-k KVER]... [-n PINGS]
#   -k  kernel version, repeatable (default: newest from scripts/kernels.sh)
#   -n  pings per RTT figure (default 100)
# Results in build/trace/KVER/: NAME.trace (raw function_graph output),
# NAME.tree, NAME.folded (flamegraph.pl's format), NAME.svg, rtt.tsv,
# functions-*.txt (what was traced), summary.txt; NAME is lo, own,
# backlog, ring, ring-softirq. ~2 min of VM time per kernel under TCG.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$top"

usage() {
	sed -n '/^# Usage:/,/^[^#]/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
	exit 2
}

kvers=() pings=100
while getopts "k:n:h" opt; do
	case $opt in
	k) kvers+=("$OPTARG") ;;
	n) pings=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
[[ $pings =~ ^[1-9][0-9]*$ ]] || usage

scripts/setup.sh
[ ${#kvers[@]} -gt 0 ] || kvers=("$(scripts/kernels.sh | tail -n 1)")

NAMES=(lo own backlog ring ring-softirq)

# the RTT table: path, pings, avg, p50, min, max, p50 / lo's p50
rtt_table() { # RTT_TSV KVER
	echo "RTT per path, kernel $2, tracer off, ping -i 0.01 (us):"
	awk -F'\t' '
		{ name[NR] = $1; what[NR] = $2; n[NR] = $3 "/" $4
		  avg[NR] = $5; p50[NR] = $6; lo[NR] = $7; hi[NR] = $8
		  if ($1 == "lo") ref = $6 }
		END {
			printf "%-12s %8s %8s %8s %8s %8s %9s  %s\n", "path", "pings", "avg", "p50",
				"min", "max", "p50/lo", "what"
			for (i = 1; i <= NR; i++)
				printf "%-12s %8s %8.1f %8.1f %8.1f %8.1f %8.2fx  %s\n", name[i], n[i],
					avg[i], p50[i], lo[i], hi[i], ref ? p50[i] / ref : 0, what[i]
		}' "$1"
}

rc=0
for kver in "${kvers[@]}"; do
	# 3: built, with diagnostics; make check reports those, a trace can
	# still run
	scripts/build.sh "$kver" || [ $? -eq 3 ]
	out=build/trace/$kver
	rm -rf "$out"
	mkdir -p "$out"
	echo "trace: $kver: booting the VM (about a minute under TCG)" >&2
	if ! scripts/vm.sh -k "$kver" -t 600 -o "$top/$out" -e "TRACE_PINGS=$pings" \
		-- scripts/trace-ping-guest.sh "$top/build/$kver/loopnic.ko" >"$out/guest.log"; then
		tail -n 30 "$out/guest.log" >&2
		echo "trace: $kver: the guest run failed, log: $out/guest.log" >&2
		rc=1
		continue
	fi
	for name in "${NAMES[@]}"; do
		if [ ! -s "$out/$name.trace" ]; then
			echo "trace: $kver: no capture for $name" >&2
			rc=1
			continue
		fi
		what=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$out/rtt.tsv")
		scripts/funcgraph.py tree "$out/$name.trace" >"$out/$name.tree"
		scripts/funcgraph.py folded "$out/$name.trace" >"$out/$name.folded"
		scripts/funcgraph.py svg "$out/$name.trace" "$what, kernel $kver" >"$out/$name.svg"
		{
			echo "=== $name: $what (kernel $kver)"
			cat "$out/$name.tree"
			echo
		}
	done
	rtt_table "$out/rtt.tsv" "$kver" | tee "$out/summary.txt"
	grep '^# not traceable' "$out/guest.log" | sort -u | tee -a "$out/summary.txt" || true
	echo "trace: $kver: call trees, flame graphs (NAME.svg) and raw captures in $out/" | tee -a "$out/summary.txt"
done
exit "$rc"
