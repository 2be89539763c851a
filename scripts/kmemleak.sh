#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Guest side of the kmemleak check around a test run (scripts/check.sh).
# On a kernel without kmemleak (the Debian ones) it does nothing.
#   scripts/kmemleak.sh clear    forget what boot left behind
#   scripts/kmemleak.sh report   unload loopnic, scan, and write every
#                                suspected leak to $LOOPNIC_OUT/kmemleak.txt
#                                (an empty file: none); exit 1 on a leak
set -euo pipefail

km=/sys/kernel/debug/kmemleak
[ -e "$km" ] || exit 0

case ${1:-} in
clear)
	echo clear >"$km"
	;;
report)
	if [ -e /sys/module/loopnic ]; then
		rmmod loopnic
	fi
	# An object is reported only when it is older than 5 s and was
	# unreferenced in two scans, so scan, wait, scan again.
	echo scan >"$km"
	sleep 6
	echo scan >"$km"
	report=${LOOPNIC_OUT:-/tmp}/kmemleak.txt
	cat "$km" >"$report"
	if [ -s "$report" ]; then
		echo "kmemleak: $(grep -c '^unreferenced object' "$report") suspected leak(s), see $report"
		exit 1
	fi
	echo "kmemleak: no leak"
	;;
*)
	echo "usage: $0 clear|report" >&2
	exit 2
	;;
esac
