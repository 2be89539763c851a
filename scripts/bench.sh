#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: install what is needed, build loopnic for one kernel, boot
# ONE VM and run scripts/bench-guest.sh there, which measures lo, veth
# (GRO off/on) and loopnic's backlog (GRO on/off) and ring paths side by
# side. Under TCG only the ratios between paths of the same run mean
# anything, so they are never measured in separate VMs.
#
# Usage: scripts/bench.sh [-k KVER] [-r RUNS]
#   -k  kernel version (default: newest from scripts/kernels.sh)
#   -r  rounds per figure, the median is reported (default 3)
# Env knobs, passed to the guest: BENCH_PINGS (1000), BENCH_SECS (5),
# BENCH_PKT_SECS (3), BENCH_PATHS (all). The Markdown table goes to stdout
# and to bench/results/DATE-KVER.md, the figures to DATE-KVER.tsv and a
# chart of them (gnuplot) to DATE-KVER.png. scripts/afpacket-tx.c is built
# here, in build/, with gcc: the guest runs it from the shared root.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$top"
# shellcheck source=scripts/kernel-lib.sh
. scripts/kernel-lib.sh

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
accel=$(vm_accel)
accel=${accel^^}
host="$(uname -r), $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
host+=", load $(cut -d' ' -f1-3 /proc/loadavg)"
host+=", $(qemu-system-x86_64 --version | head -n 1)"
rev=$(git describe --always --dirty 2>/dev/null || echo unknown)

mkdir -p build
gcc -O2 -Wall -Wextra -Werror -o build/afpacket-tx scripts/afpacket-tx.c

name=$(date -u +%Y-%m-%d)-$kver
env=(-e "BENCH_RUNS=$runs" -e "BENCH_ACCEL=$accel" -e "BENCH_HOST=$host"
	-e "BENCH_REV=$rev" -e "BENCH_NAME=$name" -e "BENCH_AFPACKET_TX=$top/build/afpacket-tx")
for v in BENCH_PINGS BENCH_SECS BENCH_PKT_SECS BENCH_PATHS; do
	if [ -n "${!v:-}" ]; then
		env+=(-e "$v=${!v}")
	fi
done

# chart TSV PNG: one panel per metric, a bar per path (median), min-max
# whiskers
chart() {
	local tsv=$1 png=$2 dir metrics n i m title rows=3 cols
	mapfile -t metrics < <(cut -f1 "$tsv" | awk '!seen[$0]++')
	n=${#metrics[@]}
	[ "$n" -gt 0 ] || return 0
	cols=$(((n + rows - 1) / rows))
	dir=$(mktemp -d)
	for m in "${metrics[@]}"; do
		awk -F'\t' -v m="$m" '$1 == m' "$tsv" >"$dir/$m.tsv"
	done
	{
		echo "set terminal pngcairo noenhanced size $((cols * 520)),$((rows * 330)) font 'sans,9'"
		echo "set output '$png'"
		printf "set datafile separator '\\t'\n"
		echo "set multiplot layout $rows,$cols title 'loopnic benchmark, $kver ($accel): median of $runs, min-max whiskers'"
		echo "set style fill solid 0.6 border -1"
		echo "set boxwidth 0.6"
		echo "set grid ytics"
		echo "set xtics rotate by -20 nomirror"
		echo "set yrange [0:*]"
		echo "unset key"
		for ((i = 0; i < n; i++)); do
			m=${metrics[i]}
			title=$(cut -f2 "$dir/$m.tsv" | head -n 1)
			echo "set title '$title'"
			echo "set xrange [-0.5:$(($(wc -l <"$dir/$m.tsv") - 1)).5]"
			echo "plot '$dir/$m.tsv' using 0:4:xtic(3) with boxes lc rgb '#4a7ebb', '' using 0:4:5:6 with yerrorbars lc rgb 'black' pt 0"
		done
		echo "unset multiplot"
	} | gnuplot
	rm -rf "$dir"
}

mkdir -p bench/results
# ~3 min per round on TCG plus boot; the timeout only stops a hung guest
rc=0
scripts/vm.sh -k "$kver" -t $((300 + runs * 600)) -o "$top/bench/results" "${env[@]}" \
	-- scripts/bench-guest.sh "$top/build/$kver/loopnic.ko" || rc=$?
if [ -s "bench/results/$name.tsv" ]; then
	chart "bench/results/$name.tsv" "bench/results/$name.png"
	echo "bench: chart in bench/results/$name.png" >&2
fi
exit "$rc"
