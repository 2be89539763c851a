#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: install what is needed, build loopnic for one kernel, boot
# ONE VM and run scripts/bench-guest.sh there, which measures lo, veth
# (GRO off/on) and loopnic's backlog and ring paths side by side. Under
# TCG only the ratios between paths of the same run mean anything, so they
# are never measured in separate VMs.
#
# Usage: scripts/bench.sh [-k KVER] [-r RUNS]
#   -k  kernel version (default: newest from scripts/kernels.sh)
#   -r  rounds per figure, the median is reported (default 3)
# Env knobs, passed to the guest: BENCH_PINGS (1000), BENCH_SECS (5),
# BENCH_PATHS (all). The Markdown table goes to stdout and to
# bench/results/DATE-KVER.md.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$top"

usage() {
	sed -n '/^# Usage:/,/^[^#]/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
	exit 2
}

kver='' runs=3
while getopts "k:r:h" opt; do
	case $opt in
	k) kver=$OPTARG ;;
	r) runs=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
[[ $runs =~ ^[1-9][0-9]*$ ]] || usage

scripts/setup.sh
[ -n "$kver" ] || kver=$(scripts/kernels.sh | tail -n 1)
# 3: built, with diagnostics; make check reports those, a benchmark can
# still run
scripts/build.sh "$kver" || [ $? -eq 3 ]

# shown in the report's header: what the ratios were measured on
accel=TCG
if [ -c /dev/kvm ] && { : <>/dev/kvm; } 2>/dev/null; then
	accel=KVM
fi
host="$(uname -r), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
host+=", load $(cut -d' ' -f1-3 /proc/loadavg)"
host+=", $(qemu-system-x86_64 --version | head -n 1)"
rev=$(git describe --always --dirty 2>/dev/null || echo unknown)

env=(-e "BENCH_RUNS=$runs" -e "BENCH_ACCEL=$accel" -e "BENCH_HOST=$host"
	-e "BENCH_REV=$rev")
for v in BENCH_PINGS BENCH_SECS BENCH_PATHS; do
	if [ -n "${!v:-}" ]; then
		env+=(-e "$v=${!v}")
	fi
done

mkdir -p bench/results
# ~1.5 min per round on TCG plus boot; the timeout only stops a hung guest
exec scripts/vm.sh -k "$kver" -t $((300 + runs * 300)) -o "$top/bench/results" "${env[@]}" \
	-- scripts/bench-guest.sh "$top/build/$kver/loopnic.ko"
