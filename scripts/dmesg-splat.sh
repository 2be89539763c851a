#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scan a kernel log for splats (WARN, BUG, Oops, KASAN, lockdep, leaks, ...)
# and print each with some context.
# Usage: scripts/dmesg-splat.sh [-B LINES] [-A LINES] FILE|-
#   exit 0: clean, 1: splat found (printed on stdout), 2: usage/read error
set -euo pipefail

before=2 after=20
while getopts "A:B:h" opt; do
	case $opt in
	A) after=$OPTARG ;;
	B) before=$OPTARG ;;
	*)
		sed -n 's/^# \{0,1\}//; /^Usage:/,/exit 0/p' "${BASH_SOURCE[0]}" >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: dmesg-splat.sh [-B N] [-A N] FILE|-" >&2; exit 2; }

# Case-sensitive on purpose: debug kernels print "LOCKDEP", "RCU lockdep
# checking is enabled", "kmemleak: Kernel memory leak detector
# initialized" and "KernelAddressSanitizer initialized" at boot, which are
# not splats. Lockdep's reports all start with "WARNING:" or "BUG:"; when
# it gives up it says it is turning itself off.
patterns=(
	'WARNING:' 'BUG:' 'BUG [a-z0-9_-]+ \(' 'kernel BUG at' 'Oops'
	'Call Trace' 'KASAN' 'UBSAN' 'possible circular locking'
	'turning off the locking correctness validator'
	'DEBUG_LOCKS_WARN_ON' 'suspected memory leak' 'unreferenced object 0x'
	'unregister_netdevice: waiting' 'general protection fault'
	'[Kk]ernel panic' 'refcount_t: ' 'list_(add|del) corruption'
	'ref_tracker: .* has [0-9]+/[0-9]+ users' 'blocked for more than'
	'rcu: INFO: .*detected stalls' 'double fault' 'stack-protector'
	'pagealloc: memory corruption'
)
regex=$(IFS='|'; echo "${patterns[*]}")

file=$1
[ "$file" = - ] || [ -r "$file" ] || { echo "dmesg-splat: cannot read $file" >&2; exit 2; }
rc=0
grep -E -n -B "$before" -A "$after" -e "$regex" -- "$file" || rc=$?
case $rc in
0) exit 1 ;; # matches printed
1) exit 0 ;;
*) exit 2 ;;
esac
