#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module load/unload: good parameters create exactly the expected ports,
# which vanish on rmmod; every bad parameter value makes insmod fail with
# EINVAL and a dmesg line naming the parameter; path=ring loads too (the
# ring path itself is tested in loopnic_ring.sh).

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# pairs, backlog_len and path values insmod must refuse with EINVAL. The
# empty value and 2^32 catch parsers that accept "" or wrap around.
BAD_PARAMS=(
	"pairs=0" "pairs=33" "pairs=-1" "pairs=abc" "pairs=" "pairs=4294967296"
	"pairs=1x" "pairs=0x21"
	"backlog_len=0" "backlog_len=1048577" "backlog_len=x" "backlog_len=-1"
	"backlog_len=" "backlog_len=99999999999999999999"
	"path=bogus" "path=" "path=ringx" "path=0"
	"sq_size=32" "sq_size=1000" "sq_size=16384" "sq_size=" "sq_size=-64"
	"sq_size=abc" "sq_size=4294967296"
	"rq_size=4" "rq_size=12" "rq_size=16384" "rq_size=" "rq_size=-8"
	"rq_size=x"
	"channels=0" "channels=9" "channels=x" "channels=" "channels=-1"
	"hw_engine=bogus" "hw_engine=" "hw_engine=1" "hw_engine=softirqx"
)

ktap_plan $((16 + ${#BAD_PARAMS[@]}))
require_module

# good_load DESC N PARAMS...: one test point: insmod with PARAMS must
# succeed and create exactly loopnic0..loopnic(2N-1).
good_load()
{
	local desc=$1 pairs=$2
	shift 2
	if ! load_module "$@"; then
		diag "$LOAD_ERR"
		ktap_fail "$desc: insmod succeeds"
		return 1
	fi
	check_eq "$desc: ports are loopnic0..$((2 * pairs - 1))" \
		"$(seq_ports $((2 * pairs)))" "$(loopnic_ports)"
}

# All ports gone and the module unloaded.
gone()
{
	local ports
	module_loaded && { echo "/sys/module/loopnic still present"; return 1; }
	ports=$(loopnic_ports)
	[ -z "$ports" ] || { echo "ports left: $ports"; return 1; }
}

rmmod_clean()
{
	timeout 60 rmmod loopnic || return 1
	gone
}

drivers_are_loopnic()
{
	local dev d rc=0
	for dev in "$@"; do
		d=$(driver_of "$dev")
		[ "$d" = loopnic ] || { echo "$dev: driver '$d'"; rc=1; }
	done
	return $rc
}

# Parameters are read-only after load: sysfs must refuse writes (when the
# parameter is visible there at all).
params_readonly()
{
	local p f rc=0
	for p in pairs path backlog_len sq_size rq_size channels hw_engine; do
		f=/sys/module/loopnic/parameters/$p
		[ -e "$f" ] || continue
		if (echo 2 > "$f") 2>/dev/null; then
			echo "$f is writable"
			rc=1
		fi
	done
	return $rc
}

# bad_param PARAM=VALUE ERRNO_TEXT DMESG_TEXT: insmod must fail, with the
# given errno and a kernel message containing DMESG_TEXT, and leave nothing.
bad_param()
{
	local arg=$1 errtext=$2 want=$3 log
	dmesg_mark
	if load_module "$arg"; then
		echo "insmod loopnic $arg succeeded"
		return 1
	fi
	if ! grep -qE "$errtext" <<<"$LOAD_ERR"; then
		echo "insmod failed, but not with $errtext: $LOAD_ERR"
		return 1
	fi
	log=$(dmesg_since_mark)
	if ! grep -qF -- "$want" <<<"$log"; then
		echo "no dmesg line containing '$want'; dmesg since insmod:"
		echo "$log"
		return 1
	fi
	gone
}

# 1-4: defaults.
if good_load "defaults" 1; then
	check "defaults: both ports have driver loopnic" drivers_are_loopnic loopnic0 loopnic1
	check "defaults: parameters are read-only in sysfs" params_readonly
	check "defaults: rmmod removes ports and module" rmmod_clean
else
	ktap_fail "defaults: both ports have driver loopnic (not run: load failed)"
	ktap_fail "defaults: parameters are read-only in sysfs (not run: load failed)"
	ktap_fail "defaults: rmmod removes ports and module (not run: load failed)"
fi

# 5-7: more pairs.
if good_load "pairs=4" 4 pairs=4; then
	read -ra ports <<<"$(seq_ports 8)"
	check "pairs=4: all 8 ports have driver loopnic" drivers_are_loopnic "${ports[@]}"
	check "pairs=4: rmmod removes all 8 ports" rmmod_clean
else
	ktap_fail "pairs=4: all 8 ports have driver loopnic (not run: load failed)"
	ktap_fail "pairs=4: rmmod removes all 8 ports (not run: load failed)"
fi

# 8-9: queue length; 10-11: both ends of the valid ranges.
good_load "backlog_len=16" 1 backlog_len=16
check "backlog_len=16: rmmod clean" rmmod_clean
good_load "backlog_len=1 (minimum)" 1 backlog_len=1
good_load "path=backlog backlog_len=1048576 (maximum)" 1 path=backlog backlog_len=1048576
check "rmmod clean after boundary loads" rmmod_clean

# Bad values. The message format is "loopnic: invalid <param>=<value>: <range>".
for arg in "${BAD_PARAMS[@]}"; do
	check "$arg refused with EINVAL and a dmesg line" \
		bad_param "$arg" 'Invalid (parameters|argument)' "loopnic: invalid $arg: "
done

good_load "path=ring pairs=2 sq_size=64 rq_size=8" 2 path=ring pairs=2 sq_size=64 rq_size=8
good_load "path=ring hw_engine=softirq" 1 path=ring hw_engine=softirq
check_eq "hw_engine=softirq: sysfs shows it" softirq \
	"$(cat /sys/module/loopnic/parameters/hw_engine 2>&1)"

# Failed inits must not leave anything registered behind (e.g. the
# rtnl_link_ops), or this load would fail or crash.
good_load "defaults again after the failed loads" 1
