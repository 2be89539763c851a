#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The project's test entry point (`make check`, CI), run on the host: set
# up the machine, then for every installed kernel build loopnic.ko out of
# tree with W=1 and run the selftests (tests/run_all.sh) in a QEMU guest
# booted with that kernel.
#
# Usage: scripts/check.sh [-k KVER]... [-t PATTERN]... [-p I/N]
#                         [-T SECONDS] [-e NAME=VALUE]...
#   -k KVER     only this kernel, with the whole suite (repeatable;
#               default: scripts/kernels.sh, plus the debug kernel of
#               scripts/debug-kernel.sh if cached; there, the debug and
#               the PREEMPT_RT lanes run a subset: smoke, rt_subset)
#   -t PATTERN  only tests whose name contains PATTERN (repeatable)
#   -p I/N      only the I-th of N slices (in suite order) of the tests
#               selected, for a lane too long for one sitting: the whole
#               suite on the debug kernel takes over 2 h of VM time
#   -T SECONDS  timeout per test in the guest (default 180; 8 times that
#               on the debug kernel, whose KASAN and lockdep slow TCG down;
#               there the tests also get KSFT_MACHINE_SLOW=yes)
#   -e NAME=VALUE  in the tests' environment (repeatable), e.g.
#               LOOPNIC_RELOADS for loopnic_pairs32.sh
#
# Counting: every selected test on every kernel is one result. A kernel
# whose module does not build counts all its tests as failed; a build that
# prints any warning, a guest that crashes or times out, and a kernel splat
# in the guest's dmesg each count as one more failure, and tests that
# report no result count as failed. On a kernel with kmemleak, a suspected
# leak after the run (and rmmod) is one more failure. Never does a
# problem count as zero.
# Prints a summary per kernel, the number of skipped tests if any, and last
# "N passed, N failed";
# exits 1 on any failure.

set -u
set -o pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$top" || exit 1
# shellcheck source=scripts/kernel-lib.sh
. scripts/kernel-lib.sh

kvers=()
patterns=()
# What `make check` runs on the debug kernel when it adds it by itself:
# KASAN, lockdep and kmemleak make the guest four to six times slower, too
# slow for the whole suite in CI. Load, traffic on both paths and rmmod.
smoke=(ping)
# What it runs on a PREEMPT_RT kernel, where the lane took 1634 s of the
# CI's 5400 (1345 s on 6.1): the tests whose code changes most under RT
# (spinlocks that sleep, threaded interrupts and softirqs, hrtimers):
# both data paths under traffic, the emulated interrupts, reconfiguration,
# fault injection and recovery, the ring path with its engines in softirq
# context (_softirq), path switches and rmmod under load. `make
# check-rt` runs the whole suite there.
rt_subset=(napi rmmod_flood loopnic_ring.sh ring_irq ring_reconfig faults txrecover _softirq
	pathswitch stress)
# What it runs on a stock kernel newer than the oldest one (6.12 beside
# 6.1), whose whole lane took 1555 s here, too much beside the others in
# the CI's 5400: the tests of what the driver does differently there or
# what the kernel does differently under it (page_pool, NAPI and its
# netlink, queue stats, ethtool's ring, channel, coalescing and RSS
# requests, tracepoints, the upstream selftests), and the ring path's
# teardown under load. Left to the oldest kernel's lane: the tests of
# loopnic's own logic (line rate, PAUSE, jumbo frames, injected faults,
# bad frames, 32 pairs, MTU, carrier, backlog overflow).
# `scripts/check.sh -k KVER` runs the whole suite on any kernel.
newer_subset=(loopnic_load loopnic_ping counters stdstats netns napi rmmod_flood
	loopnic_ring.sh ring_channels ring_reconfig ring_rss ring_irq ring_regs
	netdev_nl ring_coalesce ring_tso ring_lro txrecover loopback selftest pathswitch
	stress rxcsum trace)
# KVER -> the test patterns its lane runs, for lanes that run a subset
declare -A subset=()
test_timeout=''
test_env=()
part=''
usage()
{
	sed -n 's/^# \{0,1\}//; /^Usage:/,/^$/p' "${BASH_SOURCE[0]}" >&2
	exit 2
}
while getopts "k:t:p:T:e:h" opt; do
	case $opt in
	k) kvers+=("$OPTARG") ;;
	t) patterns+=("$OPTARG") ;;
	p) part=$OPTARG ;;
	T) test_timeout=$OPTARG ;;
	e)
		[[ $OPTARG =~ ^[A-Z_][A-Z0-9_]*= ]] || usage
		test_env+=(-e "$OPTARG")
		;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || usage
[[ -z $test_timeout || $test_timeout =~ ^[0-9]+$ ]] || usage

# select_tests PATTERN...: the tests to run and the guest command for them
# (quoted for the sh -c of vm.sh; kmemleak.sh does nothing on a kernel
# without kmemleak).
select_tests()
{
	local p run_args=()

	guest_cmd="tests/run_all.sh"
	for p in "$@"; do
		run_args+=(-t "$p")
		guest_cmd+=" -t $(printf '%q' "$p")"
	done
	guest_cmd="scripts/kmemleak.sh clear; $guest_cmd; rc=\$?; scripts/kmemleak.sh report; exit \$rc"
	mapfile -t tests < <(tests/run_all.sh -l "${run_args[@]}")
	ntests=${#tests[@]}
}

# -p I/N: the slice's tests by their whole names (no file name is a part
# of another's), as if given with -t: no subsets, no lint.
if [ -n "$part" ]; then
	if ! [[ $part =~ ^([1-9][0-9]*)/([1-9][0-9]*)$ ]] ||
		((BASH_REMATCH[1] > BASH_REMATCH[2])); then
		usage
	fi
	part_i=${BASH_REMATCH[1]} part_n=${BASH_REMATCH[2]}
	select_tests "${patterns[@]}"
	part_all=("${tests[@]}")
	from=$(((part_i - 1) * ${#part_all[@]} / part_n))
	to=$((part_i * ${#part_all[@]} / part_n))
	patterns=("${part_all[@]:from:to-from}")
	[ ${#patterns[@]} -gt 0 ] || { echo "check: part $part of ${#part_all[@]} test(s) is empty" >&2; exit 2; }
fi

log() { printf 'check: %s\n' "$*"; }

total_pass=0 total_fail=0 total_skip=0
summaries=()
crashes=()

# running_test RESULTS: the test a dead guest was running (a header
# without its result line), if any.
running_test()
{
	[ -f "$1" ] || return 0
	awk '/^# selftests: loopnic: / { t = $NF } /^(not )?ok [0-9]+ / { t = "" }
	     END { print t }' "$1"
}

# crash_excerpt KVER TEST: what the console of a guest that died shows of
# its end (an oops goes to the console whatever the log level), kept for
# the summary: CI may show only the last lines of a long run.
crash_excerpt()
{
	local console=build/vm/$1/console.log lines line

	# From the first splat after the last test header on, without most of
	# the register dump: the splat line, RIP, the stack pointer and the
	# faulting address (a double fault is told apart by them), the chain.
	lines=$(awk '/^# selftests: loopnic: / { n = 0; next } { l[++n] = $0 }
		END { for (i = 1; i <= n; i++) print l[i] }' "$console" 2>/dev/null |
		scripts/dmesg-splat.sh -B 0 -A 60 - | sed 's/^[0-9]*[:-]//' |
		grep -vE '(RAX|RDX|RSI|R1[0-5]|R0[89]|FS|CS|DR[0-7]|Code|Hardware name|PKRU): ' |
		head -n 24)
	[ -n "$lines" ] || lines=$(tail -n 8 "$console" 2>/dev/null)
	crashes+=("guest of $1 died or timed out${2:+ during $2}; end of $console:")
	[ -z "$lines" ] || while IFS= read -r line; do
		crashes+=("  $line")
	done <<<"$lines"
}

finish()
{
	local line
	echo
	for line in "${crashes[@]}"; do
		log "$line"
	done
	log "summary"
	for line in "${summaries[@]}"; do
		printf '  %s\n' "$line"
	done
	# Skips (a kernel without a feature) on a line of their own: the last
	# line stays the plain "N passed, N failed" CI reads.
	[ "$total_skip" -eq 0 ] || echo "$total_skip skipped (not counted as passed; see the SKIP lines above)"
	echo "$total_pass passed, $total_fail failed"
	[ "$total_fail" -eq 0 ]
	exit
}

# A failure that is not a test result (setup, build, VM) but must count.
problem()
{
	summaries+=("$1")
	total_fail=$((total_fail + ${2:-1}))
}

if ! scripts/setup.sh; then
	problem "scripts/setup.sh failed"
	finish
fi

if [ ${#kvers[@]} -eq 0 ]; then
	mapfile -t kvers < <(scripts/kernels.sh)
	if dkver=$(scripts/debug-kernel.sh -n 2>/dev/null); then
		kvers+=("$dkver")
		if [ ${#patterns[@]} -eq 0 ]; then
			subset[$dkver]="${smoke[*]}"
			log "debug kernel $dkver is cached: its lane runs the smoke tests (${smoke[*]}); make check-debug runs the whole suite on it"
		else
			log "debug kernel $dkver is cached: its lane runs too"
		fi
	else
		log "no cached debug kernel: the KASAN/lockdep/kmemleak lane does not run (make check-debug builds it)"
	fi
	if [ ${#patterns[@]} -eq 0 ]; then
		oldest=''
		for k in "${kvers[@]}"; do
			case $k in
			*-rt-*)
				subset[$k]="${rt_subset[*]}"
				log "$k is PREEMPT_RT: its lane runs ${#rt_subset[@]} tests (${rt_subset[*]}); make check-rt runs the whole suite on it"
				;;
			*-loopnic-debug) ;;
			*)
				# kernels.sh lists the oldest first
				if [ -z "$oldest" ]; then
					oldest=$k
					continue
				fi
				subset[$k]="${newer_subset[*]}"
				log "$k is newer than $oldest: its lane runs ${#newer_subset[@]} tests (${newer_subset[*]}); scripts/check.sh -k $k runs the whole suite on it"
				;;
			esac
		done
	fi
fi
if [ ${#kvers[@]} -eq 0 ]; then
	problem "no kernel to test (scripts/kernels.sh lists none)"
	finish
fi

# Every test file must be wired into tests/Makefile (run_all.sh and the
# kselftest runner both use that list), or it would silently never run.
unlisted=$(comm -13 <(tests/run_all.sh -l | sort) <(printf '%s\n' tests/loopnic_*.sh | sed 's|^tests/||' | sort))
if [ -n "$unlisted" ]; then
	problem "test files missing from TEST_PROGS in tests/Makefile: ${unlisted//$'\n'/ }"
fi

# checkpatch, sparse and W=1 for every kernel: one result each.
if [ ${#patterns[@]} -eq 0 ]; then
	lint_args=()
	for k in "${kvers[@]}"; do
		lint_args+=(-k "$k")
	done
	lint_out=$(scripts/lint.sh "${lint_args[@]}" 2>&1)
	printf '%s\n' "$lint_out"
	lint_pass=$(grep -cE '^ok [0-9]+ ' <<<"$lint_out")
	lint_fail=$(grep -cE '^not ok [0-9]+ ' <<<"$lint_out")
	[ $((lint_pass + lint_fail)) -gt 0 ] || lint_fail=1
	total_pass=$((total_pass + lint_pass))
	total_fail=$((total_fail + lint_fail))
	summaries+=("lint: $lint_pass passed, $lint_fail failed")
fi

select_tests "${patterns[@]}"
if [ "$ntests" -eq 0 ]; then
	problem "no test matches ${patterns[*]}"
	finish
fi

cache=${LOOPNIC_CACHE:-/var/cache/loopnic}
ksft=$cache/linux-source-6.1/tools/testing/selftests
if [ ! -r "$ksft/kselftest/runner.sh" ]; then
	log "no kselftest runner in $ksft: the guest uses run_all.sh's built-in one"
	ksft=""
fi

log "${#kvers[@]} kernel(s): ${kvers[*]}; $ntests test(s): ${tests[*]}"

for kver in "${kvers[@]}"; do
	t0=$SECONDS
	if [ -n "${subset[$kver]:-}" ]; then
		# shellcheck disable=SC2086 # a list of patterns without spaces
		select_tests ${subset[$kver]}
	else
		select_tests "${patterns[@]}"
	fi
	# Not build/KVER, which `make demo` rebuilds: a demo must not wipe a check.
	bdir=build/check/$kver
	echo
	log "=== $kver ==="

	mkdir -p build/check
	scripts/build.sh -d "$bdir" "$kver" >"$bdir.build.log" 2>&1
	brc=$?
	cat "$bdir.build.log"
	case $brc in
	0) build_note="build ok" ;;
	3)
		total_fail=$((total_fail + 1))
		build_note="build has diagnostics (1 failure)"
		;;
	*)
		problem "$kver: build FAILED (log $bdir.build.log): $ntests tests not run" "$ntests"
		continue
		;;
	esac

	out=$top/$bdir/out
	# results of an earlier run must not count for a guest that died early
	rm -rf "$out"
	mkdir -p "$out"
	log "$build_note; booting $kver for ${#tests[@]} test(s)"
	tmo=${test_timeout:-180}
	vm_env=(-e "LOOPNIC_KO=$top/$bdir/loopnic.ko")
	if [ -e "$(kernel_registered "$kver")/vmlinuz" ]; then
		[ -n "$test_timeout" ] || tmo=$((tmo * 8))
		# Upstream's name for it: the points that time the guest
		# (check_timing in tests/lib.sh) say so instead of failing.
		vm_env+=(-e KSFT_MACHINE_SLOW=yes)
	fi
	vm_timeout=$((ntests * tmo + 300))
	vm_env+=(-e "LOOPNIC_TEST_TIMEOUT=$tmo")
	[ -z "$ksft" ] || vm_env+=(-e "KSFT_DIR=$ksft")
	vm_env+=("${test_env[@]}")
	scripts/vm.sh -k "$kver" -t "$vm_timeout" -o "$out" "${vm_env[@]}" -- "$guest_cmd" 2>&1 |
		tee "$bdir/vm.log"
	vrc=${PIPESTATUS[0]}

	# Results as the guest recorded them (top-level KTAP lines only).
	pass=0 skip=0 fail=0
	if [ -f "$out/results.tap" ]; then
		pass=$(grep -cE '^ok [0-9]+ ' "$out/results.tap")
		skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$out/results.tap")
		fail=$(grep -cE '^not ok [0-9]+ ' "$out/results.tap")
		pass=$((pass - skip))
	fi
	notes=()
	missing=$((ntests - pass - skip - fail))
	if [ $missing -gt 0 ]; then
		fail=$((fail + missing))
		notes+=("$missing test(s) without result")
	fi
	case $vrc in
	0 | 1 | 124) ;; # 124: splat, counted below
	125)
		fail=$((fail + 1))
		running=$(running_test "$out/results.tap")
		notes+=("VM crashed or timed out${running:+ during $running} (1 failure)")
		crash_excerpt "$kver" "$running"
		;;
	*)
		fail=$((fail + 1))
		notes+=("VM exited $vrc (1 failure)")
		;;
	esac
	if [ "$vrc" = 1 ] && [ "$fail" -eq 0 ]; then
		fail=1
		notes+=("run_all.sh failed without a failing test (1 failure)")
	fi
	# A splat anywhere in the run counts once more, even if no test saw
	# it (e.g. after the last test). The guest's own copy of its log is
	# private to this run (vm.sh's build/vm/KVER is shared by all runs of
	# that kernel); vm.sh's 124 covers what came after run_all.sh ended.
	if [ -s "$out/dmesg.txt" ] && ! scripts/dmesg-splat.sh "$out/dmesg.txt" >"$bdir/splat.txt" 2>&1; then
		fail=$((fail + 1))
		notes+=("kernel splat in the guest dmesg, see $bdir/splat.txt (1 failure)")
	elif [ "$vrc" = 124 ]; then
		fail=$((fail + 1))
		notes+=("kernel splat after the tests, see build/vm/$kver/dmesg.log (1 failure)")
	fi
	if [ -s "$out/kmemleak.txt" ]; then
		fail=$((fail + 1))
		notes+=("kmemleak: suspected leaks, see $bdir/out/kmemleak.txt (1 failure)")
	elif [ -e "$out/kmemleak.txt" ]; then
		notes+=("kmemleak: no leak")
	fi

	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	line="$kver: $build_note; $pass passed, $fail failed"
	[ "$skip" -eq 0 ] || line+=", $skip skipped"
	[ ${#notes[@]} -eq 0 ] || line+=" [$(IFS=';'; echo "${notes[*]}")]"
	line+=" ($((SECONDS - t0)) s)"
	log "$line"
	summaries+=("$line")
done

finish
