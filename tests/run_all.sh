#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the loopnic selftests (as root, on a kernel that may load modules:
# normally inside the VM of scripts/vm.sh, see scripts/check.sh).
#
# Usage: tests/run_all.sh [-l] [-t PATTERN]... [TEST...]
#   -t PATTERN  only tests whose file name contains PATTERN (a glob also
#               works); repeatable. TEST names select tests explicitly.
#   -l          list the selected tests and exit
# Environment:
#   LOOPNIC_KO            module to test (default: ../loopnic.ko, else modprobe)
#   KSFT_DIR              a kernel's tools/testing/selftests: run through its
#                         kselftest runner (run_many), proving compatibility;
#                         without it an equivalent built-in loop is used
#   LOOPNIC_TEST_TIMEOUT  seconds per test (default 180)
#   LOOPNIC_OUT           if set, results.tap (the whole KTAP stream, written
#                         as the tests run), the kernel log (dmesg.txt) and
#                         the dmesg of any test that splatted
#                         (dmesg-TEST.txt) are written there
#
# Each test runs between two dmesg markers; a kernel splat between them
# fails that test, and so does state a test leaves behind (module still
# loaded, a test netns). Ends with "N passed, N failed[, N skipped]" and
# exits 1 if any test failed.
#
# (Internal: run_all.sh --one TEST runs one test with those checks; the
# kselftest runner calls it through a generated wrapper.)

set -u
set -o pipefail

RUN_ALL=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
TESTS_DIR=$(dirname "$RUN_ALL")
# shellcheck source=lib.sh
source "$TESTS_DIR/lib.sh"

TIMEOUT=${LOOPNIC_TEST_TIMEOUT:-180}
OUT=${LOOPNIC_OUT:-}
[ -z "$OUT" ] || mkdir -p "$OUT"

# ---- one test ----------------------------------------------------------

# Unload loopnic and delete test netns; print what was there.
clean_state()
{
	local ns
	if module_loaded; then
		printf ' module-loaded'
		unload_module >/dev/null 2>&1
	fi
	for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$NS_PREFIX-"); do
		printf ' netns:%s' "$ns"
		ip netns del "$ns"
	done
}

# A test that passed or skipped but broke the rules fails; a failing test
# keeps its own status (timeout, exit code).
fail_unless_failed()
{
	case $rc in
	0 | "$KSFT_SKIP") rc=$KSFT_FAIL ;;
	esac
}

# Runs as the child of the runner's timeout; output goes through its
# "# " prefixer, so plain lines are fine here.
run_one()
{
	local test=$1 rc t0 t1 log leftover=""
	t0=${EPOCHREALTIME/./}
	# A test killed by the timeout may not have finished its cleanup.
	if module_loaded || ip netns list 2>/dev/null | grep -q "^$NS_PREFIX-"; then
		echo "run_all: removing state left by an earlier test"
		clean_state >/dev/null
	fi
	dmesg_mark
	(cd "$TESTS_DIR" && exec "./$test")
	rc=$?

	# State left behind would change what the next test sees.
	leftover=$(clean_state)
	if [ -n "$leftover" ]; then
		echo "run_all: $test left state behind:$leftover"
		fail_unless_failed
	fi

	log=/tmp/run_all.$$.dmesg
	dmesg_since_mark >"$log"
	if ! splat_check "$log" >/tmp/run_all.$$.splat; then
		cat /tmp/run_all.$$.splat
		echo "run_all: kernel splat during $test"
		if [ -n "$OUT" ]; then
			cp "$log" "$OUT/dmesg-${test%.sh}.txt" &&
				echo "run_all: its dmesg: $OUT/dmesg-${test%.sh}.txt"
		fi
		fail_unless_failed
	fi
	rm -f "$log" /tmp/run_all.$$.splat
	t1=${EPOCHREALTIME/./}
	printf 'run_all: %s: rc=%d, %d.%d s\n' "$test" "$rc" $(((t1 - t0) / 1000000)) \
		$(((t1 - t0) / 100000 % 10))
	return "$rc"
}

if [ "${1:-}" = --one ]; then
	run_one "$2"
	exit $?
fi

# ---- test selection ----------------------------------------------------

patterns=()
list=0
while getopts "lt:h" opt; do
	case $opt in
	l) list=1 ;;
	t) patterns+=("$OPTARG") ;;
	*)
		sed -n 's/^# \{0,1\}//; /^Usage:/,/^$/p' "$RUN_ALL" >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))

# The order is the Makefile's TEST_PROGS (cheap, basic tests first); an
# installed copy without the Makefile runs them in name order.
if [ -f "$TESTS_DIR/Makefile" ]; then
	mapfile -t all < <(awk '/^TEST_PROGS/ { f = 1 } f { print } f && !/\\$/ { exit }' \
		"$TESTS_DIR/Makefile" | grep -o 'loopnic_[A-Za-z0-9_]*\.sh')
else
	mapfile -t all < <(cd "$TESTS_DIR" && ls loopnic_*.sh)
fi

selected=()
for t in "${all[@]}"; do
	if [ $# -gt 0 ]; then
		for a in "$@"; do
			[ "$(basename "$a")" = "$t" ] && selected+=("$t")
		done
	elif [ ${#patterns[@]} -gt 0 ]; then
		for p in "${patterns[@]}"; do
			# shellcheck disable=SC2053 # $p is a glob on purpose
			if [[ $t == *$p* ]]; then
				selected+=("$t")
				break
			fi
		done
	else
		selected+=("$t")
	fi
done
if [ $list -eq 1 ]; then
	[ ${#selected[@]} -eq 0 ] || printf '%s\n' "${selected[@]}"
	exit 0
fi
if [ ${#selected[@]} -eq 0 ]; then
	echo "run_all: no test matches" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

# ---- run ---------------------------------------------------------------

work=$(mktemp -d /tmp/loopnic-run.XXXXXX)
trap 'rm -rf "$work"' EXIT
results=$work/results.tap

# Same output as the kselftest runner's run_many, for the built-in loop.
builtin_run_many()
{
	local n=0 t rc
	echo "TAP version 13"
	echo "1..$#"
	for t in "$@"; do
		n=$((n + 1))
		echo "# selftests: loopnic: $t"
		timeout -k 10 "$TIMEOUT" "$RUN_ALL" --one "$t" >"$work/$t.log" 2>&1
		rc=$?
		sed 's/^/# /' "$work/$t.log"
		case $rc in
		0) echo "ok $n selftests: loopnic: $t" ;;
		"$KSFT_SKIP") echo "ok $n selftests: loopnic: $t # SKIP" ;;
		124) echo "#"; echo "not ok $n selftests: loopnic: $t # TIMEOUT $TIMEOUT seconds" ;;
		*) echo "not ok $n selftests: loopnic: $t # exit=$rc" ;;
		esac
	done
}

# The runner's output goes to a file that we follow, not through a pipe:
# a process stuck in the kernel (say rmmod waiting for a leaked device
# reference) keeps the descriptors it inherited, and a pipe reader would
# then wait for EOF forever although every test has ended. Append mode:
# the runner reopens its stdout (logfile) and both must add at the end.
: >"$results"
if [ -n "${KSFT_DIR:-}" ] && [ -r "$KSFT_DIR/kselftest/runner.sh" ]; then
	# The upstream runner derives the suite name from the directory the
	# tests are in, relative to BASE_DIR, and reads its per-test timeout
	# from a "settings" file there: give it a private BASE_DIR (the real
	# one is read-only in the VM) with a loopnic/ dir of wrappers that run
	# each test through run_all.sh --one.
	mkdir -p "$work/ksft/loopnic"
	cp -r "$KSFT_DIR/kselftest" "$work/ksft/"
	echo "timeout=$TIMEOUT" >"$work/ksft/loopnic/settings"
	wrappers=()
	for t in "${selected[@]}"; do
		printf '#!/bin/sh\nexec %q --one %q\n' "$RUN_ALL" "$t" >"$work/ksft/loopnic/$t"
		chmod +x "$work/ksft/loopnic/$t"
		wrappers+=("$work/ksft/loopnic/$t")
	done
	echo "# run_all: kselftest runner from $KSFT_DIR, timeout $TIMEOUT s per test"
	# The runner is POSIX sh (it is sourced by sh in lib.mk). It appends
	# test output to $logfile=/dev/stdout, a symlink udev makes but a bare
	# devtmpfs (our VM) lacks: there it would create a regular file.
	(cd "$work/ksft/loopnic" && BASE_DIR=$work/ksft exec sh -c '
		. "$BASE_DIR/kselftest/runner.sh" || exit 1
		[ -e /dev/stdout ] || logfile=/proc/self/fd/1
		run_many "$@"' sh "${wrappers[@]}") >>"$results" 2>&1 </dev/null &
else
	echo "# run_all: built-in runner (KSFT_DIR not set or has no kselftest/runner.sh), timeout $TIMEOUT s per test"
	builtin_run_many "${selected[@]}" >>"$results" 2>&1 </dev/null &
fi
runner=$!
if [ -n "$OUT" ]; then
	# Also into OUT as it comes: if the guest dies, the host still learns
	# which tests had ended and which one was running.
	tail -n +1 --pid=$runner -f "$results" | tee "$OUT/results.tap"
else
	tail -n +1 --pid=$runner -f "$results"
fi
wait $runner

# ---- summary -----------------------------------------------------------

pass=$(grep -cE '^ok [0-9]+ ' "$results")
skip=$(grep -cE '^ok [0-9]+ .*# SKIP' "$results")
fail=$(grep -cE '^not ok [0-9]+ ' "$results")
pass=$((pass - skip))
# A test that produced no result line at all (runner died) is a failure.
missing=$((${#selected[@]} - pass - skip - fail))
if [ $missing -gt 0 ]; then
	echo "# run_all: $missing test(s) reported no result"
	fail=$((fail + missing))
fi

summary="$pass passed, $fail failed"
[ "$skip" -eq 0 ] || summary+=", $skip skipped"
{
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
	echo "$summary"
} | tee -a "$results"
if [ -n "$OUT" ]; then
	cp "$results" "$OUT/results.tap"
	# The whole kernel log of the run, for the host to scan and keep.
	dmesg >"$OUT/dmesg.txt"
fi
[ "$fail" -eq 0 ]
