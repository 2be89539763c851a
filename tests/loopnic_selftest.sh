#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ethtool -t on both data paths. Online: link and register tests pass and
# the loopback test is not run. Offline: the port goes into MAC loopback,
# sends its test frames through its own path, takes them back off its
# receive side (A's rx_packets counts them, none reaches B nor goes up A's
# stack) and comes back as it was: loopback off again, pings cross. With
# the loopback feature already on, it stays on. With the peer down (no
# carrier) the link test fails and so does the whole test.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
FRAMES=8

ktap_plan 14
require_module

OUT=/tmp/$TEST_NAME.$$.out
on_exit "rm -f $OUT"

# selftest MODE: run ethtool -t A MODE into $OUT.
selftest()
{
	nsx "$NS_A" ethtool -t $A "$1" > "$OUT" 2>&1
	diag "$(cat "$OUT")"
}

# verdict: PASS or FAIL, as ethtool printed it.
verdict() { sed -n 's/^The test result is \([A-Z]*\).*/\1/p' "$OUT"; }

# result NAME: the value ethtool printed for the test whose name starts with NAME.
result()
{
	awk -v n="$1" 'f && index($0, n) == 1 { print $NF } /extra info/ { f = 1 }' "$OUT"
}

results_are()
{
	is_eq "verdict" "$1" "$(verdict)" &&
		is_eq "Link test" "$2" "$(result 'Link test')" &&
		is_eq "Register test" "$3" "$(result 'Register test')" &&
		is_eq "Loopback test" "$4" "$(result 'Loopback test')"
}

offline_clean()
{
	local a0 b0 a1 b1
	a0=$(ethstat $A rx_packets "$NS_A") b0=$(ethstat $B rx_packets "$NS_B")
	selftest offline
	results_are PASS 0 0 0 || return 1
	wait_quiet $A "$NS_A"
	a1=$(ethstat $A rx_packets "$NS_A") b1=$(ethstat $B rx_packets "$NS_B")
	is_ge "$A rx_packets delta (test frames back)" $FRAMES $((a1 - a0)) &&
		is_eq "$B rx_packets delta" 0 $((b1 - b0))
}

restored()
{
	is_eq "loopback feature" off \
		"$(nsx "$NS_A" ethtool -k $A | awk '$1 == "loopback:" { print $2 }')" &&
		ping_ok "$NS_A" 10.10.0.2 3
}

for path in backlog ring; do
	if [ $path = ring ]; then
		must_load path=ring channels=2
	else
		must_load
	fi
	pair_netns $A $B quiet

	check "$path: ethtool -i: supports-test: yes" \
		is_eq "supports-test" yes "$(nsx "$NS_A" ethtool -i $A | awk '$1 == "supports-test:" { print $2 }')"
	selftest online
	check "$path: online: PASS, link 0, registers 0, loopback not run" results_are PASS 0 0 0
	check "$path: offline: PASS; the $FRAMES test frames came back to $A, none to $B" offline_clean
	check "$path: after the offline test: loopback off again, pings cross" restored
	must nsx "$NS_A" ethtool -K $A loopback on
	selftest offline
	check "$path: offline with loopback on: PASS, loopback stays on" eval \
		"results_are PASS 0 0 0 && nsx $NS_A ethtool -k $A | grep -qx 'loopback: on'"
	must nsx "$NS_A" ethtool -K $A loopback off

	must ip -n "$NS_B" link set $B down
	wait_for 5 carrier_is $A 0 "$NS_A" || die "$A: carrier still on with $B down"
	selftest online
	check "$path: $B down: online FAIL, link test 1" results_are FAIL 1 0 0
	must ip -n "$NS_B" link set $B up
	wait_for 10 carrier_is $A 1 "$NS_A" || die "$A: no carrier with $B up again"
	selftest offline
	check "$path: $B up again: offline PASS" results_are PASS 0 0 0
	unload_module
done
