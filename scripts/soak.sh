#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make soak`: many load/unload cycles of 32 pairs in one guest, far more
# than a CI lane has time for (loopnic_pairs32.sh with LOOPNIC_RELOADS).
# Each cycle loads on one path (backlog and ring in turn), brings all 64
# ports up, checks their carrier and unloads; at the end the guest's
# per-CPU and slab memory must be where it was after the first two. A
# cycle takes about 3.5 s under TCG: the default 1000 take about an hour.
#
# Usage: scripts/soak.sh [-k KVER]... [-n CYCLES]
#   -k KVER    kernel (repeatable; default: the first of scripts/kernels.sh)
#   -n CYCLES  load/unload cycles, at least 3 (default 1000)
# Output and exit status are those of scripts/check.sh.

set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

kvers=() cycles=1000
usage()
{
	sed -n 's/^# \{0,1\}//; /^Usage:/,/^Output/p' "${BASH_SOURCE[0]}" >&2
	exit 2
}
while getopts "k:n:h" opt; do
	case $opt in
	k) kvers+=(-k "$OPTARG") ;;
	n) cycles=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
[[ $cycles =~ ^[0-9]+$ && $cycles -ge 3 ]] || usage
[ ${#kvers[@]} -gt 0 ] || kvers=(-k "$(scripts/kernels.sh | head -n 1)")

# Ten seconds a cycle is three times what one takes: room for a slow host.
exec scripts/check.sh "${kvers[@]}" -t loopnic_pairs32 -T $((cycles * 10 + 300)) \
	-e "LOOPNIC_RELOADS=$cycles"
