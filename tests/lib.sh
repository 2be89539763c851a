#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for the loopnic selftests. Source it, don't run it.
#
# Every test prints KTAP: ktap_plan N announces N test points of its own;
# lib.sh adds one more, "no kernel splat in dmesg", checked at exit after
# the cleanup ran (teardown is where refcount leaks and use-after-free
# show up). The exit trap also
#  - undoes everything the test set up (background jobs, netns, module), so
#    a failing test never leaves state behind for the next one,
#  - reports every planned point the test never reached as "not ok", so an
#    early abort cannot look like a shorter, passing run,
#  - exits 1 if any point failed, else 4 (KSFT_SKIP) if any was skipped,
#    else 0. A skip is never reported as a pass.
#
# We use set -u but not set -e: a failed assertion must be reported and the
# test must go on to the next one; setup steps that cannot fail without
# invalidating the rest use `must`, which aborts through the exit trap.

set -u
set -o pipefail

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4

# The guest's PATH comes from a minimal init; the tools live in sbin.
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
export LC_ALL=C

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC_ROOT=$(dirname "$TESTS_DIR")
TEST_NAME=$(basename "$0" .sh)

# Module to test: $LOOPNIC_KO, else the one built in the checkout, else
# whatever modprobe finds (installed with modules_install).
if [ -z "${LOOPNIC_KO:-}" ] && [ -f "$SRC_ROOT/loopnic.ko" ]; then
	LOOPNIC_KO=$SRC_ROOT/loopnic.ko
fi
LOOPNIC_KO=${LOOPNIC_KO:-}

# Names of netns created by tests start with this, so run_all.sh can spot
# leftovers. The pid keeps concurrent or stale runs apart.
NS_PREFIX=lnt
NS_SEQ=0

_ktap_planned=0
_ktap_num=0
_ktap_fail=0
_ktap_skip=0
_ktap_pass=0
_cleanup_cmds=()
_bg_pids=()
_netns_list=()
_dmesg_mark=""
_dmesg_lines=0
_splat_mark=""
_splat_lines=0

diag()
{
	local line
	# One "# " per line so multi-line tool output stays valid KTAP.
	printf '%s\n' "$*" | while IFS= read -r line; do
		printf '# %s\n' "$line"
	done
}

ktap_plan()
{
	_ktap_planned=$(($1 + 1))
	echo "TAP version 13"
	echo "1..$_ktap_planned"
	dmesg_mark
	_splat_mark=$_dmesg_mark
	_splat_lines=$_dmesg_lines
	trap _lib_exit EXIT
	# Turn signals into a normal exit so the EXIT trap cleans up (the
	# kselftest runner's timeout sends SIGTERM).
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
}

# With LOOPNIC_STEP_TIMES=1, each result is followed by the time since the
# previous one: where a test's minutes go (the CI has a time budget).
_step_t0=$EPOCHREALTIME
_ktap_step_time()
{
	local now=$EPOCHREALTIME ds

	[ "${LOOPNIC_STEP_TIMES:-0}" = 1 ] || return 0
	# microseconds, in tenths of a second
	ds=$(((10#${now/./} - 10#${_step_t0/./}) / 100000))
	diag "step $_ktap_num took $((ds / 10)).$((ds % 10)) s"
	_step_t0=$now
}

ktap_ok()
{
	_ktap_num=$((_ktap_num + 1))
	_ktap_pass=$((_ktap_pass + 1))
	echo "ok $_ktap_num $*"
	_ktap_step_time
}

ktap_fail()
{
	_ktap_num=$((_ktap_num + 1))
	_ktap_fail=$((_ktap_fail + 1))
	echo "not ok $_ktap_num $*"
	_ktap_step_time
}

# ktap_skip DESC REASON
ktap_skip()
{
	_ktap_num=$((_ktap_num + 1))
	_ktap_skip=$((_ktap_skip + 1))
	echo "ok $_ktap_num $1 # SKIP $2"
	_ktap_step_time
}

# ktap_result RC DESC: ok iff RC is 0.
ktap_result()
{
	local rc=$1
	shift
	if [ "$rc" -eq 0 ]; then
		ktap_ok "$*"
	else
		ktap_fail "$*"
	fi
}

# check DESC CMD...: one test point, ok iff CMD succeeds; CMD's output is
# shown only when it fails.
check()
{
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		diag "command failed (rc=$rc): $*"
		[ -n "$out" ] && diag "$out"
	fi
	ktap_result "$rc" "$desc"
}

# check_timing DESC CMD...: check, for a point that holds only if the
# guest keeps up (a line rate it must fill, steps inside a time window).
# On a machine declared too slow for that, KSFT_MACHINE_SLOW=yes as the
# upstream net selftests name it (check.sh sets it for the debug kernel),
# a failure is a skip that says what was seen: not verified there, so
# neither a pass nor a fail. Anywhere else it is check.
check_timing()
{
	local desc=$1 out rc
	if [ "${KSFT_MACHINE_SLOW:-}" != yes ]; then
		check "$@"
		return
	fi
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ]; then
		[ -n "$out" ] && diag "$out"
		ktap_skip "$desc" "not verified on a slow machine (KSFT_MACHINE_SLOW=yes)"
	else
		ktap_ok "$desc"
	fi
}

# Assertion building blocks: return 0/1 and say why on failure. Used as
# `check DESC is_eq ...` or combined in a function.
is_eq()
{
	local what=$1 exp=$2 got=$3
	if [ "$exp" != "$got" ]; then
		echo "$what: expected '$exp', got '$got'"
		return 1
	fi
}

is_ge()
{
	local what=$1 min=$2 got=$3
	if ! [[ "$got" =~ ^[0-9]+$ ]] || [ "$got" -lt "$min" ]; then
		echo "$what: expected >= $min, got '$got'"
		return 1
	fi
}

is_le()
{
	local what=$1 max=$2 got=$3
	if ! [[ "$got" =~ ^[0-9]+$ ]] || [ "$got" -gt "$max" ]; then
		echo "$what: expected <= $max, got '$got'"
		return 1
	fi
}

check_eq()
{
	local desc=$1 exp=$2 got=$3
	check "$desc" is_eq "$desc" "$exp" "$got"
}

# Abort the test: the exit trap cleans up and marks what is left not ok.
die()
{
	diag "FATAL: $*"
	exit "$KSFT_FAIL"
}

# Setup step that must work for the rest of the test to mean anything.
must()
{
	local out
	if ! out=$("$@" 2>&1); then
		[ -z "$out" ] || diag "$out"
		die "setup failed: $*"
	fi
	[ -z "$out" ] || diag "$out"
}

# Whole test cannot run because the kernel lacks a feature.
skip_all()
{
	diag "SKIP: $*"
	while [ "$_ktap_num" -lt $((_ktap_planned - 1)) ]; do
		ktap_skip "not run" "$*"
	done
	exit "$KSFT_SKIP"
}

on_exit()
{
	_cleanup_cmds+=("$*")
}

bg_track()
{
	_bg_pids+=("$1")
}

_lib_exit()
{
	local rc=$? i splat=0
	trap - EXIT INT TERM HUP
	set +e
	for i in "${_bg_pids[@]}"; do
		kill "$i" 2>/dev/null && wait "$i" 2>/dev/null
	done
	for ((i = ${#_cleanup_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_cleanup_cmds[$i]}" >/dev/null 2>&1
	done
	for i in "${_netns_list[@]}"; do
		ip netns del "$i" 2>/dev/null
	done
	unload_module >/dev/null 2>&1 || diag "cleanup: rmmod loopnic failed"
	# Whatever the test did (reached all points or not), the last point
	# is the dmesg check, because a splat invalidates the whole test.
	while [ "$_ktap_num" -lt $((_ktap_planned - 1)) ]; do
		ktap_fail "not reached (test aborted, rc=$rc)"
	done
	if [ "$_ktap_planned" -gt 0 ]; then
		_dmesg_mark=$_splat_mark
		_dmesg_lines=$_splat_lines
		if dmesg_since_mark > "/tmp/$TEST_NAME.$$.dmesg"; then
			if ! splat_check "/tmp/$TEST_NAME.$$.dmesg"; then
				splat=1
			fi
		fi
		rm -f "/tmp/$TEST_NAME.$$.dmesg"
		ktap_result "$splat" "no kernel splat in dmesg"
	fi
	if [ "$_ktap_fail" -gt 0 ]; then
		rc=$KSFT_FAIL
	elif [ "$rc" -ne 0 ] && [ "$rc" -ne "$KSFT_SKIP" ]; then
		rc=$KSFT_FAIL
	elif [ "$_ktap_skip" -gt 0 ]; then
		rc=$KSFT_SKIP
	else
		rc=$KSFT_PASS
	fi
	echo "# $TEST_NAME: pass:$_ktap_pass fail:$_ktap_fail skip:$_ktap_skip"
	exit "$rc"
}

# ---- dmesg -------------------------------------------------------------

# Mark the current end of the kernel log. A marker line (rather than a
# line count alone) stays correct when the ring buffer wraps; the count is
# the fallback should the marker get lost.
dmesg_mark()
{
	_dmesg_mark="loopnic-selftest: mark $TEST_NAME $$ $RANDOM$RANDOM"
	_dmesg_lines=$(dmesg | wc -l)
	echo "$_dmesg_mark" > /dev/kmsg 2>/dev/null || _dmesg_mark=""
}

# Print the kernel log written since the last dmesg_mark.
dmesg_since_mark()
{
	local all
	all=$(dmesg) || return 1
	if [ -n "$_dmesg_mark" ] && grep -qF "$_dmesg_mark" <<<"$all"; then
		awk -v m="$_dmesg_mark" 'f; index($0, m) { f = 1 }' <<<"$all"
	else
		tail -n +$((_dmesg_lines + 1)) <<<"$all"
	fi
}

# splat_check FILE: 0 if clean, 1 (and the offending lines as diagnostics)
# if FILE holds a kernel splat. Uses the project's scripts/dmesg-splat.sh
# when the tests run from a checkout, else a built-in equivalent.
splat_check()
{
	local file=$1 out
	if [ -x "$SRC_ROOT/scripts/dmesg-splat.sh" ]; then
		if out=$("$SRC_ROOT/scripts/dmesg-splat.sh" "$file" 2>&1); then
			return 0
		fi
	else
		out=$(grep -E -e 'WARNING:|BUG:|Oops|Call Trace|KASAN|UBSAN|kernel BUG|general protection|possible (circular|recursive) locking|lockdep|unregister_netdevice: waiting|refcount_t:|list_(add|del) corruption|hung_task|blocked for more than|soft lockup|RCU stall|kmemleak|scheduling while atomic|sleeping function called' "$file") || return 0
	fi
	diag "kernel splat in dmesg:"
	diag "$out"
	return 1
}

# ---- waiting -----------------------------------------------------------

# wait_for TIMEOUT_S CMD...: poll CMD until it succeeds or TIMEOUT_S passes.
wait_for()
{
	local timeout=$1 end
	shift
	end=$((SECONDS + timeout))
	while ! "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.1
	done
	return 0
}

# ---- module ------------------------------------------------------------

module_loaded()
{
	[ -d /sys/module/loopnic ]
}

unload_module()
{
	module_loaded || return 0
	timeout 60 rmmod loopnic || return 1
	wait_for 10 eval '! module_loaded'
}

# load_module [PARAM=VALUE...]: fresh instance with these parameters.
# Returns insmod's status; its stderr is left in $LOAD_ERR.
LOAD_ERR=""
# shellcheck disable=SC2120 # parameters are optional
load_module()
{
	local rc
	if ! unload_module; then
		LOAD_ERR="could not remove the previous loopnic instance"
		return 1
	fi
	# LOOPNIC_HW_ENGINE=softirq runs a test with the NIC's TX engines
	# in softirq context (loopnic_ring_softirq.sh); a test's own choice wins.
	if [ -n "${LOOPNIC_HW_ENGINE:-}" ] && [[ " $* " != *" hw_engine="* ]]; then
		set -- "$@" "hw_engine=$LOOPNIC_HW_ENGINE"
	fi
	if [ -n "$LOOPNIC_KO" ]; then
		LOAD_ERR=$(insmod "$LOOPNIC_KO" "$@" 2>&1)
	else
		LOAD_ERR=$(modprobe loopnic "$@" 2>&1)
	fi
	rc=$?
	return $rc
}

# rerun_softirq TEST: one test point: tests/TEST again, with every load in
# hw_engine=softirq (load_module), its output as diagnostics.
rerun_softirq()
{
	local t=$1 out rc

	out=$(LOOPNIC_HW_ENGINE=softirq bash "$(dirname "${BASH_SOURCE[0]}")/$t" 2>&1)
	rc=$?
	diag "$out"
	case $rc in
	0) ktap_ok "$t with hw_engine=softirq" ;;
	4) ktap_skip "$t with hw_engine=softirq" "$(grep -m1 -o 'SKIP.*' <<<"$out")" ;;
	*) ktap_fail "$t with hw_engine=softirq (exit $rc)" ;;
	esac
}

# shellcheck disable=SC2120 # parameters are optional
must_load()
{
	load_module "$@" || die "loading loopnic${*:+ $*} failed: $LOAD_ERR"
}

# Skip the test when the module cannot even be found: that is an
# environment problem, not a loopnic bug, but it must not look like a pass.
require_module()
{
	if [ -n "$LOOPNIC_KO" ]; then
		[ -f "$LOOPNIC_KO" ] || die "LOOPNIC_KO=$LOOPNIC_KO does not exist"
	elif ! modinfo loopnic >/dev/null 2>&1; then
		die "no loopnic module: set LOOPNIC_KO or build ../loopnic.ko"
	fi
	local t
	[ "$(id -u)" -eq 0 ] || skip_all "must run as root"
	for t in ip ethtool ping insmod rmmod sysctl timeout; do
		command -v "$t" >/dev/null || skip_all "missing tool $t"
	done
}

# ---- netns and links ---------------------------------------------------

# ns_new VAR: create a fresh netns (lo up), name it in VAR, delete it at exit.
ns_new()
{
	local name
	NS_SEQ=$((NS_SEQ + 1))
	name="$NS_PREFIX-$$-$NS_SEQ"
	must ip netns add "$name"
	_netns_list+=("$name")
	must ip -n "$name" link set lo up
	printf -v "$1" '%s' "$name"
}

ns_del()
{
	ip netns del "$1"
}

# nsx NS CMD...: run CMD in NS ("" = the initial netns). ip netns exec
# also remounts /sys so /sys/class/net shows NS's devices.
nsx()
{
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$@"
	else
		"$@"
	fi
}

# ipn NS ARGS...: ip in NS.
ipn()
{
	local ns=$1
	shift
	if [ -n "$ns" ]; then
		ip -n "$ns" "$@"
	else
		ip "$@"
	fi
}

link_exists()
{
	ipn "${2:-}" link show dev "$1" >/dev/null 2>&1
}

# Names of loopnicN devices in a netns, sorted numerically, one line.
# shellcheck disable=SC2120 # NS is optional
loopnic_ports()
{
	ipn "${1:-}" -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' |
		grep -E '^loopnic[0-9]+$' | sort -V | tr '\n' ' ' | sed 's/ $//'
}

# Expected "loopnic0 loopnic1 ... loopnic(N-1)".
seq_ports()
{
	local i out=""
	for ((i = 0; i < $1; i++)); do
		out+="loopnic$i "
	done
	echo "${out% }"
}

mac_of()
{
	nsx "${2:-}" cat "/sys/class/net/$1/address"
}

# carrier DEV [NS]: 1, 0, or "down" when the device is admin-down (sysfs
# refuses to report carrier then).
carrier()
{
	local c
	if c=$(nsx "${2:-}" cat "/sys/class/net/$1/carrier" 2>/dev/null); then
		echo "$c"
	else
		echo down
	fi
}

# carrier_is DEV STATE [NS]: for wait_for, which re-runs it each poll.
carrier_is()
{
	[ "$(carrier "$1" "${3:-}")" = "$2" ]
}

driver_of()
{
	nsx "${2:-}" ethtool -i "$1" | awk '$1 == "driver:" { print $2 }'
}

# refused CMD...: CMD must fail and say why.
refused()
{
	local out
	if out=$("$@" 2>&1); then
		echo "accepted: $*"
		return 1
	fi
	[ -n "$out" ] || { echo "no message from: $*"; return 1; }
	echo "$*: $out"
}

# ---- counters ----------------------------------------------------------

# ethstat DEV NAME [NS]: one counter from ethtool -S; fails if absent.
ethstat()
{
	ethstat_lines "$1" "${3:-}" |
		awk -v n="$2" '$1 == n { print $2; f = 1 } END { exit !f }'
}

# regs_dump DEV NS FILE: DEV's register space (ethtool -d, raw) into FILE,
# one word per line in hex (layout: Documentation/ring-path.rst).
regs_dump()
{
	nsx "$2" ethtool -d "$1" raw on >"$3" || return 1
	od -An -v -t x8 -w8 "$3" | tr -d ' ' >"$3.words" && mv "$3.words" "$3"
}

# regs_word FILE OFFSET: the word at OFFSET of a regs_dump, in decimal.
regs_word()
{
	echo $((16#$(sed -n "$(($2 / 8 + 1))p" "$1")))
}

# ring_of DEV NS RX|TX: the current ring size ethtool -g shows.
ring_of()
{
	nsx "$2" ethtool -g "$1" | awk -v want="$3:" '
		/^Current hardware settings/ { cur = 1 }
		cur && $1 == want { print $2 }'
}

# combined_of DEV NS [max]: the Combined channel count of ethtool -l, the
# current one or, with max, the maximum.
combined_of()
{
	nsx "$2" ethtool -l "$1" | awk -v want="${3:-cur}" '
		/^Pre-set maximums/ { sect = "max" }
		/^Current hardware settings/ { sect = "cur" }
		$1 == "Combined:" && sect == want { print $2 }'
}

# ethstat_lines DEV [NS]: every ethtool -S counter of DEV as "name value".
ethstat_lines()
{
	nsx "${2:-}" ethtool -S "$1" | awk -F': *' 'NR > 1 { gsub(/ /, "", $1); print $1, $2 }'
}

# All ethtool -S counters as "name=value ..." (for diagnostics).
ethstats_all()
{
	ethstat_lines "$1" "${2:-}" | awk '{ printf "%s=%s ", $1, $2 }'
}

# counter_names_are DEV NS "NAMES": ethtool -S of DEV lists exactly NAMES.
counter_names_are()
{
	local got want
	got=$(ethstat_lines "$1" "$2" | awk '{ print $1 }' | sort | tr '\n' ' ')
	want=$(tr -s '[:space:]' '\n' <<<"$3" | grep . | sort | tr '\n' ' ')
	is_eq "$1 ethtool -S counter names" "$want" "$got"
}

# snap_pair ARRAY "NAMES": counters NAMES of both ends ($A in $NS_A, $B in
# $NS_B) into ARRAY[A_name] and ARRAY[B_name], "missing" for a name that
# ethtool -S does not list. One ethtool -S per end: a snapshot of each end
# taken at one instant (and 80 ethtool runs fewer, 13 s under TCG).
snap_pair()
{
	local -n snap_arr=$1
	local end dev ns s name v
	local -A snap_got
	# shellcheck disable=SC2034 # snap_arr is a nameref
	for end in A B; do
		if [ $end = A ]; then dev=$A ns=$NS_A; else dev=$B ns=$NS_B; fi
		snap_got=()
		while read -r name v; do
			snap_got[$name]=$v
		done < <(ethstat_lines "$dev" "$ns")
		for s in $2; do
			snap_arr[${end}_$s]=${snap_got[$s]:-missing}
		done
	done
}

# delta END NAME: how much counter NAME of END grew from the snap_pair into
# the array "base" to the one into "now" (both declared by the caller).
delta()
{
	# shellcheck disable=SC2154 # base and now are the caller's
	local b=${base[${1}_$2]} n=${now[${1}_$2]}
	if [[ "$b" =~ ^[0-9]+$ && "$n" =~ ^[0-9]+$ ]]; then
		echo $((n - b))
	else
		echo "unreadable($b->$n)"
	fi
}

# sysstat DEV NAME [NS]: /sys/class/net/DEV/statistics/NAME.
sysstat()
{
	nsx "${3:-}" cat "/sys/class/net/$1/statistics/$2"
}

# ipstat_lines DEV [NS]: every total of `ip -s link show` as a line
# "RX_packets 12" (direction, the column's name under the RX: or TX:
# header, value).
ipstat_lines()
{
	ipn "${2:-}" -s link show dev "$1" | awk '
		want { for (i = 1; i <= n && i <= NF; i++) print dir "_" col[i], $i
		       want = 0; next }
		$1 == "RX:" || $1 == "TX:" { dir = substr($1, 1, 2); n = 0
		       for (i = 2; i <= NF; i++) col[++n] = $i; want = 1 }'
}

# ipstat DEV RX|TX FIELD [NS]: one of those, e.g. ipstat loopnic0 RX dropped.
ipstat()
{
	ipstat_lines "$1" "${4:-}" | awk -v k="$2_$3" '
		$1 == k { print $2; found = 1 } END { exit !found }'
}

# link_snap ARRAY [TOTALS]: ip -s link totals of $A (in $NS_A) and $B (in
# $NS_B), as ARRAY[A_TX_packets] etc.; by default those that account for
# every frame between them. One `ip` run per end, so that each end's
# totals are of one instant.
LINK_TOTALS="TX_packets RX_packets RX_dropped RX_missed"
link_snap()
{
	local -n ls_arr=$1
	local end dev ns s k v
	local -A ls_all
	for end in A B; do
		if [ $end = A ]; then dev=$A ns=$NS_A; else dev=$B ns=$NS_B; fi
		ls_all=()
		while read -r k v; do
			ls_all[$k]=$v
		done < <(ipstat_lines "$dev" "$ns")
		for s in ${2:-$LINK_TOTALS}; do
			# shellcheck disable=SC2034 # ls_arr is a nameref
			ls_arr[${end}_$s]=${ls_all[$s]:-}
		done
	done
}

# link_conserved BASE NOW: between two link_snap, with no fault injected,
# every frame one end sent was received by the other or counted there as
# dropped or missed, both ways, on either path (a frame counts as sent
# once it left the port).
link_conserved()
{
	local -n lc_base=$1 lc_now=$2
	local rc=0 from to tx rx s
	for from in A B; do
		if [ $from = A ]; then to=B; else to=A; fi
		tx=$((lc_now[${from}_TX_packets] - lc_base[${from}_TX_packets]))
		rx=0
		for s in RX_packets RX_dropped RX_missed; do
			rx=$((rx + lc_now[${to}_$s] - lc_base[${to}_$s]))
		done
		is_eq "$from TX packets vs $to RX packets + dropped + missed" "$tx" "$rx" || rc=1
	done
	return $rc
}

# proc_rx_drop DEV [NS]: the RX "drop" column of /proc/net/dev.
proc_rx_drop()
{
	# "%6s:%8llu": a wide byte count touches the colon.
	nsx "${2:-}" cat /proc/net/dev | sed 's/:/ /' |
		awk -v d="$1" '$1 == d { print $5; f = 1 } END { exit !f }'
}

# Poll a counter until two reads 0.3 s apart agree (NAPI may still be
# draining after the sender returned).
wait_quiet()
{
	local dev=$1 ns=${2:-} a b i
	for ((i = 0; i < 30; i++)); do
		a=$(ethstats_all "$dev" "$ns")
		sleep 0.3
		b=$(ethstats_all "$dev" "$ns")
		[ "$a" = "$b" ] && return 0
	done
	return 1
}

# feature_of NS DEV FEATURE: what ethtool -k says of DEV's FEATURE, e.g.
# "off [fixed]".
feature_of()
{
	nsx "$1" ethtool -k "$2" | sed -n "s/^[[:space:]]*$3: //p"
}

# pair_quiet: wait_quiet for $A and $B of a pair_netns, saying which is
# not quiet.
pair_quiet()
{
	wait_quiet "$A" "$NS_A" || diag "$A counters still moving"
	wait_quiet "$B" "$NS_B" || diag "$B counters still moving"
}

# irq_of DEV CH: the Linux IRQ of DEV's channel CH, as /proc/interrupts
# names it ("<dev>-ch<N>"); nothing while no handler is requested.
irq_of()
{
	awk -v n="$1-ch$2" '$NF == n { sub(":", "", $1); print $1 }' /proc/interrupts
}

# ---- traffic -----------------------------------------------------------

# quiet_neigh DEVA DEVB: static ARP entries both ways, so that no ARP
# crosses the pair. Needed again after a link goes down: that flushes
# even the permanent entries, and the dynamic ones that replace them send
# probes at times of their own.
quiet_neigh()
{
	ip -n "$NS_A" neigh replace 10.10.0.2 lladdr "$(mac_of "$2" "$NS_B")" dev "$1" nud permanent &&
		ip -n "$NS_B" neigh replace 10.10.0.1 lladdr "$(mac_of "$1" "$NS_A")" dev "$2" nud permanent
}

# pair_netns DEVA DEVB [quiet]: move DEVA into a new netns NS_A (10.10.0.1/24,
# fd00::1/64) and DEVB into NS_B (.2, ::2), bring both up, wait for carrier.
# "quiet" = exact-counting mode: IPv6 disabled on both before link-up and
# static ARP entries, so nothing but the test's own frames crosses the pair.
NS_A=""
NS_B=""
pair_netns()
{
	local a=$1 b=$2 mode=${3:-}
	ns_new NS_A
	ns_new NS_B
	must ip link set "$a" netns "$NS_A"
	must ip link set "$b" netns "$NS_B"
	if [ "$mode" = quiet ]; then
		must ip netns exec "$NS_A" sysctl -qw "net.ipv6.conf.$a.disable_ipv6=1"
		must ip netns exec "$NS_B" sysctl -qw "net.ipv6.conf.$b.disable_ipv6=1"
	fi
	must ip -n "$NS_A" addr add 10.10.0.1/24 dev "$a"
	must ip -n "$NS_B" addr add 10.10.0.2/24 dev "$b"
	if [ "$mode" = quiet ]; then
		must quiet_neigh "$a" "$b"
	else
		must ip -n "$NS_A" addr add fd00::1/64 dev "$a" nodad
		must ip -n "$NS_B" addr add fd00::2/64 dev "$b" nodad
	fi
	must ip -n "$NS_A" link set "$a" up
	must ip -n "$NS_B" link set "$b" up
	wait_for 10 carrier_is "$a" 1 "$NS_A" || die "$a: no carrier after both ends up"
	wait_for 10 carrier_is "$b" 1 "$NS_B" || die "$b: no carrier after both ends up"
}

# pair_ipv6 DEVA DEVB: IPv6 on a quiet pair_netns after all, with its
# addresses (IPv6 brings frames of its own, MLD and ND, onto the pair).
pair_ipv6()
{
	must ip netns exec "$NS_A" sysctl -qw "net.ipv6.conf.$1.disable_ipv6=0"
	must ip netns exec "$NS_B" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=0"
	must ip -n "$NS_A" addr add fd00::1/64 dev "$1" nodad
	must ip -n "$NS_B" addr add fd00::2/64 dev "$2" nodad
}

# rx_start WHAT NS CMD...: start a receiver, CMD in NS, whose last
# argument is a file it creates once it listens (added here); wait for
# that. Its pid in RX_PID (CMD's own: ip netns exec execs it, so it can
# be signalled), its output goes to a file for rx_result.
RX_PID="" RX_OUT=""
rx_start()
{
	local what=$1 ns=$2 ready
	shift 2
	ready=$(mktemp -u /tmp/lnt-ready.XXXXXX)
	RX_OUT=$(mktemp /tmp/lnt-recv.XXXXXX)
	ip netns exec "$ns" "$@" "$ready" >"$RX_OUT" &
	RX_PID=$!
	bg_track $RX_PID
	# Python alone takes over 10 s to start on the debug kernel under TCG.
	if ! wait_for 60 test -e "$ready"; then
		# In a check's subshell, the exit would not stop it.
		kill "$RX_PID" 2>/dev/null
		die "$what receiver did not start"
	fi
	rm -f "$ready"
}

# rx_result: wait for the receiver of rx_start to end (in this shell, not
# in a $(...): only the shell that started it can wait for it); its
# output in RX_GOT.
RX_GOT=""
rx_result()
{
	wait "$RX_PID"
	# shellcheck disable=SC2034 # read by the tests
	RX_GOT=$(cat "$RX_OUT")
	rm -f "$RX_OUT"
}

# tcp_stream DST BYTES [MSS]: one TCP stream of known bytes from $NS_A to
# DST (IPv4 or IPv6) in $NS_B, port TCP_PORT (loopnic_tcpstream.py);
# "BYTES SHA256" of each end in SENT and GOT.
SENT="" GOT="" TCP_PORT=9100
tcp_stream()
{
	local bind=0.0.0.0
	[[ $1 != *:* ]] || bind=::
	rx_start TCP "$NS_B" python3 "$TESTS_DIR/loopnic_tcpstream.py" recv $bind "$TCP_PORT"
	# shellcheck disable=SC2034,SC2086 # read by the tests; $3, the MSS, may be empty
	SENT=$(nsx "$NS_A" python3 "$TESTS_DIR/loopnic_tcpstream.py" send "$1" "$TCP_PORT" "$2" \
		${3:-}) || diag "TCP sender failed"
	rx_result
	# shellcheck disable=SC2034 # read by the tests
	GOT=$RX_GOT
}

# stream_intact: after a tcp_stream between the snapshots "base" and "now"
# (of link_snap, and B_csum_err of tcp_in_csum_errors), B got what A sent
# with no TCP checksum error, and ip -s link accounts for every frame.
stream_intact()
{
	local rc=0
	is_eq "bytes and sha256 received" "$SENT" "$GOT" || rc=1
	[ -n "$SENT" ] || { echo "nothing sent"; rc=1; }
	is_eq "B TCP InCsumErrors delta" 0 "$(delta B csum_err)" || rc=1
	link_conserved base now || rc=1
	return $rc
}

# tcp_in_csum_errors NS: the TCP MIB's InCsumErrors (IPv4 and IPv6 alike).
tcp_in_csum_errors()
{
	# shellcheck disable=SC2016 # awk's own $
	nsx "$1" awk '$1 == "Tcp:" && !n { for (i = 2; i <= NF; i++) col[$i] = i; n = 1; next }
		$1 == "Tcp:" { print $col["InCsumErrors"] }' /proc/net/snmp
}

# udp_rx_start NS SCRIPT ARGS...: rx_start of a UDP receiver
# (loopnic_udpflows.py or loopnic_seqflow.py with ARGS). It has no idle
# limit, which a sender held by pause or any step on a slow (debug) guest
# outlasts: it ends when it has all it expects or at udp_rx_stop.
udp_rx_start()
{
	local ns=$1 script=$2
	shift 2
	rx_start UDP "$ns" python3 "$TESTS_DIR/$script" "$@"
}

# udp_rx_stop [DEV NS]...: with the sender done, wait for these ports'
# counters to stop moving, then the receiver of udp_rx_start reads what
# its socket holds and ends; what it printed in RX_GOT.
udp_rx_stop()
{
	while [ $# -ge 2 ]; do
		wait_quiet "$1" "$2" || diag "$1 counters still moving"
		shift 2
	done
	kill -USR1 "$RX_PID" 2>/dev/null
	rx_result
}

# flood NS DST [PING ARGS...]: a background flood ping from NS, bounded in
# count and time should a step hang; floods_stop (or the exit) ends it.
FLOOD_PIDS=()
flood()
{
	local ns=$1 dst=$2
	shift 2
	# Not through nsx: ip netns exec execs ping, so $! is ping's own pid.
	ip netns exec "$ns" ping -q -f -c 1000000 -w 60 "$@" "$dst" >/dev/null 2>&1 &
	bg_track $!
	FLOOD_PIDS+=($!)
}

floods_running()
{
	local p
	for p in "${FLOOD_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null || { echo "flood ping $p already exited"; return 1; }
	done
}

floods_stop()
{
	local p
	for p in "${FLOOD_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	FLOOD_PIDS=()
}

# rmmod_clean: rmmod works and leaves no port in the initial netns, NS_A or NS_B.
rmmod_clean()
{
	timeout 60 rmmod loopnic || { echo "rmmod failed"; return 1; }
	! module_loaded || { echo "module still loaded"; return 1; }
	[ -z "$(loopnic_ports)$(loopnic_ports "$NS_A")$(loopnic_ports "$NS_B")" ] ||
		{ echo "ports left after rmmod"; return 1; }
}

# ping_ok NS DST COUNT [PING ARGS...]: all COUNT echo requests answered.
# With a deadline (-w) ping waits for every reply, up to it, rather than
# for twice the highest round trip after its last request (see testing.rst),
# so requests can go 50 ms apart without a late reply counting as lost.
ping_ok()
{
	local ns=$1 dst=$2 count=$3 out tx rx
	shift 3
	out=$(nsx "$ns" ping -q -n -c "$count" -i 0.05 -w $((count / 20 + 10)) "$@" "$dst" 2>&1)
	tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
	rx=$(sed -n 's/.* \([0-9]*\) \(packets \)\{0,1\}received.*/\1/p' <<<"$out")
	if [ "$tx" != "$count" ] || [ "$rx" != "$count" ]; then
		echo "ping $* $dst from ${ns:-init}: sent ${tx:-?}, received ${rx:-?} of $count"
		echo "$out"
		return 1
	fi
}

# ping_count NS DST COUNT [PING ARGS...]: print the number of replies
# (for pings that are expected to go unanswered).
ping_count()
{
	local ns=$1 dst=$2 count=$3 out
	shift 3
	out=$(nsx "$ns" ping -q -n -c "$count" -i 0.2 -W 1 "$@" "$dst" 2>&1)
	sed -n 's/.* \([0-9]*\) \(packets \)\{0,1\}received.*/\1/p' <<<"$out"
}

# ---- tracepoints --------------------------------------------------------

TRACEFS=/sys/kernel/tracing
# What traced() captured, for ev_count().
TRACE_OUT=""

# mount_tracefs: tracefs at $TRACEFS, if the kernel has it.
mount_tracefs()
{
	[ -d $TRACEFS/events ] || mount -t tracefs nodev $TRACEFS 2>/dev/null
}

# have_tracefs: false without tracefs; else prepare TRACE_OUT for traced()
# and leave the events off and the buffer empty at exit.
have_tracefs()
{
	mount_tracefs
	[ -d $TRACEFS/events ] || return 1
	[ -n "$TRACE_OUT" ] && return 0
	TRACE_OUT=/tmp/$TEST_NAME.$$.trace
	on_exit "rm -f $TRACE_OUT"
	on_exit "echo 0 > $TRACEFS/events/loopnic/enable; echo > $TRACEFS/trace"
}

# require_tracefs: have_tracefs, or skip the whole test.
require_tracefs()
{
	have_tracefs || skip_all "no tracefs (CONFIG_TRACING) at $TRACEFS"
}

# traced CMD...: capture into $TRACE_OUT the loopnic events CMD causes: all
# of them, or those named in $TRACE_EVENTS. Fails if the buffer overran, so
# a count taken from it is exact.
traced()
{
	local e rc
	echo 0 > $TRACEFS/events/loopnic/enable || return 1
	echo > $TRACEFS/trace
	if [ -n "${TRACE_EVENTS:-}" ]; then
		for e in $TRACE_EVENTS; do
			echo 1 > "$TRACEFS/events/loopnic/$e/enable" || return 1
		done
	else
		echo 1 > $TRACEFS/events/loopnic/enable || return 1
	fi
	"$@"
	rc=$?
	echo 0 > $TRACEFS/events/loopnic/enable
	# The header says "entries-in-buffer/entries-written: KEPT/WRITTEN".
	e=$(sed -n 's|.*entries-in-buffer/entries-written: \([0-9]*/[0-9]*\).*|\1|p' $TRACEFS/trace | head -n 1)
	if [ "${e%/*}" != "${e#*/}" ] || grep -q 'LOST [0-9]* EVENTS' $TRACEFS/trace; then
		echo "the trace buffer overran (kept/written: $e): events were lost"
		return 1
	fi
	grep -E ' loopnic_[a-z_]+: ' $TRACEFS/trace | trace_comms > "$TRACE_OUT"
	return $rc
}

# trace_comms: trace lines with the task named. A guest of scripts/vm.sh
# records no task names (trace_options=norecord-cmd), so a task shows as
# <...>-PID: name the ones still alive (the kernel threads tests look
# for) from /proc, spaces made underscores so that fields stay fields.
trace_comms()
{
	awk '
		$1 ~ /^<\.\.\.>-[0-9]+$/ {
			pid = substr($1, 7)
			if (!(pid in comm)) {
				comm[pid] = "<...>"
				f = "/proc/" pid "/comm"
				if ((getline c < f) > 0) {
					gsub(/ /, "_", c)
					comm[pid] = c
				}
				close(f)
			}
			sub(/<\.\.\.>-/, comm[pid] "-")
		}
		{ print }'
}

# ev_count EVENT [KEY=VALUE...]: events EVENT in $TRACE_OUT whose fields
# match all KEY=VALUE; KEY<=VALUE and KEY>=VALUE compare numerically (VALUE
# may name another field), KEY~REGEX matches an extended regex. The task
# that ran the event is the field "task" (its comm, without the pid), the
# CPU it ran on "on_cpu".
ev_count()
{
	local ev=$1
	shift
	awk -v ev="$ev:" -v want="$*" '
		BEGIN { nw = split(want, w, " ") }
		{
			for (i = 1; i <= NF && $i != ev; i++)
				;
			if (i > NF)
				next
			split("", f)
			f["task"] = $1
			sub(/-[0-9]+$/, "", f["task"])
			f["on_cpu"] = substr($2, 2, length($2) - 2) + 0
			for (i++; i <= NF; i++) {
				eq = index($i, "=")
				if (eq)
					f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
			}
			for (k = 1; k <= nw; k++) {
				if (match(w[k], /~/)) {
					key = substr(w[k], 1, RSTART - 1)
					if (f[key] !~ substr(w[k], RSTART + 1))
						next
				} else if (match(w[k], /<=|>=/)) {
					key = substr(w[k], 1, RSTART - 1)
					op = substr(w[k], RSTART, 2)
					val = substr(w[k], RSTART + 2)
					if (!(key in f))
						next
					if (val !~ /^[0-9]+$/)
						val = f[val]
					if (op == "<=" && f[key] + 0 > val + 0)
						next
					if (op == ">=" && f[key] + 0 < val + 0)
						next
				} else {
					eq = index(w[k], "=")
					if (f[substr(w[k], 1, eq - 1)] != substr(w[k], eq + 1))
						next
				}
			}
			n++
		}
		END { print n + 0 }' "$TRACE_OUT"
}
