#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The maximum, pairs=32: 64 ports loopnic0..loopnic63, each 2k wired to
# 2k+1 and to nothing else. The wiring is checked for all pairs through
# carrier (which follows the peer's admin state) and for sampled pairs with
# traffic. Then load/unload is repeated to catch leaks that only show on
# the next load (names still taken, a stale per-CPU queue, ...) or only
# after many (memory). LOOPNIC_RELOADS sets how many: a CI lane runs a
# few, `make soak` a thousand.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

PAIRS=32
PORTS=$((2 * PAIRS))
RELOADS=${LOOPNIC_RELOADS:-8}
# Two cycles warm up, the rest are measured.
[[ "$RELOADS" =~ ^[0-9]+$ && "$RELOADS" -ge 3 ]] ||
	die "LOOPNIC_RELOADS=$RELOADS: want a count >= 3"

ktap_plan 11
require_module
must_load pairs=$PAIRS

check_eq "pairs=$PAIRS: ports are loopnic0..loopnic$((PORTS - 1))" "$(seq_ports $PORTS)" "$(loopnic_ports)"

all_loopnic()
{
	local i d rc=0
	for ((i = 0; i < PORTS; i++)); do
		d=$(driver_of loopnic$i)
		[ "$d" = loopnic ] || { echo "loopnic$i: driver '$d'"; rc=1; }
	done
	return $rc
}
check "all $PORTS ports have driver loopnic" all_loopnic

# set_links up|down FIRST STEP: every STEP-th port from FIRST, in one ip run.
set_links()
{
	local i
	for ((i = $2; i < PORTS; i += $3)); do
		echo "link set dev loopnic$i $1"
	done | ip -batch -
}

# carriers_are WANT...: port i's carrier must be WANT[i] (0, 1, down).
carriers_are()
{
	local i c want=("$@") rc=0
	for ((i = 0; i < PORTS; i++)); do
		# sysfs refuses (EINVAL) to report carrier of a down port.
		read -r c 2>/dev/null <"/sys/class/net/loopnic$i/carrier" || c=down
		[ "$c" = "${want[$i]}" ] || { echo "loopnic$i: carrier $c, want ${want[$i]}"; rc=1; }
	done
	return $rc
}

# expect UP...: expected carriers when the ports numbered in UP are up.
expect()
{
	local i up=" $* " out=()
	for ((i = 0; i < PORTS; i++)); do
		if [[ "$up" != *" $i "* ]]; then
			out+=(down)
		elif [[ "$up" == *" $((i ^ 1)) "* ]]; then
			out+=(1)
		else
			out+=(0)
		fi
	done
	echo "${out[*]}"
}

settled()
{
	# Carrier follows synchronously; allow slow TCG a moment, then compare.
	local want
	read -ra want <<<"$(expect "$@")"
	wait_for 5 carriers_are "${want[@]}" || carriers_are "${want[@]}"
}

evens=$(seq 0 2 $((PORTS - 1)) | tr '\n' ' ')
all=$(seq 0 $((PORTS - 1)) | tr '\n' ' ')
must set_links up 0 2
check "even ports up: no carrier anywhere (no even port is wired to another)" settled "$evens"
must set_links up 1 2
check "all ports up: carrier on all $PORTS" settled "$all"
must ip link set loopnic63 down
check "loopnic63 down: only loopnic62 loses carrier" settled "${all/ 63 / }"
must set_links down 0 1

# Traffic over sampled pairs, each in its own pair of netns.
for p in 0 16 31; do
	a=$((2 * p)) b=$((2 * p + 1))
	pair_netns loopnic$a loopnic$b
	check "pair $p: ping loopnic$a -> loopnic$b across netns" ping_ok "$NS_A" 10.10.0.2 3
	must ns_del "$NS_A"
	must ns_del "$NS_B"
	# Deleting the netns destroys the pair (veth-like); wait for it so
	# the next pair's netns setup does not race the teardown.
	wait_for 30 eval "! link_exists loopnic$a && ! link_exists loopnic$b" ||
		diag "pair $p not gone after netns deletion"
done

unload_gone()
{
	timeout 60 rmmod loopnic || return 1
	! module_loaded || { echo "module still loaded"; return 1; }
	[ -z "$(loopnic_ports)" ] || { echo "ports left: $(loopnic_ports)"; return 1; }
}
check "rmmod removes the remaining ports" unload_gone

# meminfo FIELD: its value in kB.
meminfo()
{
	awk -v f="$1:" '$1 == f { print $2 }' /proc/meminfo
}

carriers()
{
	cat /sys/class/net/loopnic*/carrier | grep -c '^1$'
}

all_carriers()
{
	[ "$(carriers)" = $PORTS ]
}

# One cycle: load on one path, every port up (the ring path then builds
# and maps its rings), all 64 carriers, unload removes every port.
reload()
{
	local path=$1 up
	load_module pairs=$PAIRS path="$path" || { echo "insmod path=$path: $LOAD_ERR"; return 1; }
	is_eq "ports" "$(seq_ports $PORTS)" "$(loopnic_ports)" || return 1
	set_links up 0 1 || return 1
	wait_for 5 all_carriers
	up=$(carriers)
	is_eq "ports with carrier (path=$path)" $PORTS "$up" || return 1
	unload_gone
}

# After two cycles every cache the ports use is warm; from there on the
# per-CPU and slab memory must stay put. Percpu is exact (one leaked
# per-CPU counter block per port would add 64 of them a cycle); slab moves
# with the rest of the guest, hence its margin.
PERCPU_SLACK=32
SLAB_SLACK=4096
warm_percpu='' warm_slab='' cycles_failed=''
desc="$RELOADS cycles: load pairs=$PAIRS (backlog, ring in turn), all up with carrier, unload removes every port"
# Not through check: the loop sets the warm-up figures, and a long soak
# shows its progress.
for ((r = 1; r <= RELOADS; r++)); do
	path=backlog
	((r % 2)) || path=ring
	if ! cycle_out=$(reload $path 2>&1); then
		cycles_failed="cycle $r of $RELOADS: $cycle_out"
		break
	fi
	if [ $r -eq 2 ]; then
		warm_percpu=$(meminfo Percpu) warm_slab=$(meminfo Slab)
	fi
	((r % 100)) || diag "$r cycles, ${SECONDS}s: Percpu $(meminfo Percpu) kB, Slab $(meminfo Slab) kB"
done
if [ -z "$cycles_failed" ]; then
	ktap_ok "$desc"
else
	diag "$cycles_failed"
	ktap_fail "$desc"
fi

percpu=$(meminfo Percpu) slab=$(meminfo Slab)
diag "after the warm-up: Percpu $warm_percpu kB, Slab $warm_slab kB; after $RELOADS cycles: $percpu kB, $slab kB"
mem_kept()
{
	[ -n "$warm_slab" ] || { echo "fewer than 2 cycles completed"; return 1; }
	is_le "Percpu (kB)" $((warm_percpu + PERCPU_SLACK)) "$percpu" &&
		is_le "Slab (kB)" $((warm_slab + SLAB_SLACK)) "$slab"
}
check "memory after $RELOADS cycles: Percpu within ${PERCPU_SLACK} kB, Slab within ${SLAB_SLACK} kB of after the warm-up" mem_kept
