#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# MAC loopback (ethtool -K DEV loopback on, NETIF_F_LOOPBACK) on both data
# paths. With it on, what A sends comes back on A's own receive side and
# none of it reaches its peer B: pings to B's address (static ARP, IPv6
# off, so nothing else moves) get no reply, A counts every one as sent and
# received, B nothing. Off again, the same pings cross to B and are
# answered. Turned on and off many times while A sends a stream of frames,
# every frame A sent is received by A or by B or counted as dropped. Then
# the upstream selftest tools/testing/selftests/net/forwarding/loopback.sh
# (linux-source-6.1, cached by scripts/setup.sh) runs against the pair.

# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

A=loopnic0
B=loopnic1
N=8
S=64
# Frames of the stream sent while loopback flips, and how often it flips.
K=3000
FLIPS=20
FWD=${LOOPNIC_FWD_DIR:-${LOOPNIC_CACHE:-/var/cache/loopnic}/ksft-net-6.1/tools/testing/selftests/net/forwarding}

ktap_plan 16
require_module
FIGURES=/tmp/$TEST_NAME.$$.figures
on_exit "rm -f $FIGURES"

# feature DEV NS: "on" or "off" (ethtool -k), with " [fixed]" if it is.
feature()
{
	nsx "$2" ethtool -k "$1" | awk '$1 == "loopback:" { $1 = ""; sub(/^ /, ""); print }'
}

# lb_reg DEV NS: the device's LOOPNIC_REG_LOOPBACK (0x48) from ethtool -d.
lb_reg()
{
	nsx "$2" ethtool -d "$1" raw on | od -An -v -t u8 -w8 -j $((0x48)) -N 8 | tr -d ' '
}

# lb_is STATE: ethtool -k of A says STATE, and on the ring path so does
# the register the driver wrote (the device model's only view of it).
lb_is()
{
	is_eq "$A loopback feature" "$1" "$(feature $A "$NS_A")" || return 1
	[ "$path" = ring ] || return 0
	is_eq "$A LOOPBACK register" "$([ "$1" = on ] && echo 1 || echo 0)" "$(lb_reg $A "$NS_A")"
}

rx_of() { ethstat "$1" rx_packets "$2"; }
tx_of() { ethstat "$1" tx_packets "$2"; }

# drops DEV NS: the sum of the counters of DEV's ethtool -S for frames
# dropped after they were counted as sent (tx_drops counts frames never
# sent, not in tx_packets).
drops()
{
	nsx "$2" ethtool -S "$1" |
		awk -F': *' '$1 ~ /drop|discard|out_of_buffer/ && $1 !~ /^ *(rx|tx|ch)[0-9]/ &&
			$1 !~ /^ *tx_drops$/ { s += $2 } END { print s + 0 }'
}

snap()
{
	a_tx=$(tx_of $A "$NS_A") a_rx=$(rx_of $A "$NS_A")
	b_tx=$(tx_of $B "$NS_B") b_rx=$(rx_of $B "$NS_B")
	a_dr=$(drops $A "$NS_A") b_dr=$(drops $B "$NS_B")
	a_td=$(ethstat $A tx_drops "$NS_A")
}

looped()
{
	local da db dt
	dt=$(($(tx_of $A "$NS_A") - a_tx))
	da=$(($(rx_of $A "$NS_A") - a_rx))
	db=$(($(rx_of $B "$NS_B") - b_rx))
	is_eq "$A tx_packets delta" $N $dt &&
		is_eq "$A rx_packets delta (its own frames back)" $N $da &&
		is_eq "$B rx_packets delta" 0 $db &&
		is_eq "$B tx_packets delta" 0 $(($(tx_of $B "$NS_B") - b_tx))
}

crossed()
{
	ping_ok "$NS_A" 10.10.0.2 $N -s $S || return 1
	wait_quiet $B "$NS_B"
	is_ge "$B rx_packets delta" $N $(($(rx_of $B "$NS_B") - b_rx)) &&
		is_ge "$A rx_packets delta (replies)" $N $(($(rx_of $A "$NS_A") - a_rx))
}

# A stream of raw frames from A to B's MAC with an EtherType nobody
# handles, so neither end answers; prints how many sendto() accepted.
stream()
{
	nsx "$NS_A" python3 - "$A" "$(mac_of $B "$NS_B")" "$K" <<'EOF'
import socket, sys, time
dev, dst, k = sys.argv[1], bytes.fromhex(sys.argv[2].replace(':', '')), int(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
src = s.getsockname()[4]
frame = dst + src + b'\x88\xb6' + bytes(range(46))
sent = 0
for i in range(k):
    try:
        s.send(frame)
        sent += 1
    except OSError:
        pass
    if i % 16 == 15:
        time.sleep(0.002)
print(sent)
EOF
}

# Flip loopback while the stream runs: no frame may vanish uncounted.
flips_under_traffic()
{
	local out=/tmp/$TEST_NAME.$$.stream pid n=0 sent dt da db dd
	snap
	stream > "$out" &
	pid=$!
	while kill -0 $pid 2>/dev/null && [ $n -lt $((FLIPS * 2)) ]; do
		nsx "$NS_A" ethtool -K $A loopback on || { kill $pid; return 1; }
		sleep 0.05
		nsx "$NS_A" ethtool -K $A loopback off || { kill $pid; return 1; }
		sleep 0.05
		n=$((n + 2))
	done
	wait $pid
	sent=$(cat "$out")
	rm -f "$out"
	wait_quiet $A "$NS_A"
	wait_quiet $B "$NS_B"
	dt=$(($(tx_of $A "$NS_A") - a_tx))
	da=$(($(rx_of $A "$NS_A") - a_rx))
	db=$(($(rx_of $B "$NS_B") - b_rx))
	dd=$(($(drops $A "$NS_A") + $(drops $B "$NS_B") - a_dr - b_dr))
	echo "$path: $n flips during the stream; $sent frames sent: $da came back to $A, $db reached $B, $dd dropped (counted)" |
		tee "$FIGURES"
	is_ge "loopback flips during the stream" 4 $n &&
		is_ge "frames sent" $((K * 9 / 10)) "$sent" &&
		is_eq "$A tx_packets + tx_drops delta" "$sent" \
			$((dt + $(ethstat $A tx_drops "$NS_A") - a_td)) &&
		is_eq "received by $A + by $B + dropped" $dt $((da + db + dd)) &&
		is_ge "frames that came back to $A" 1 $da &&
		is_ge "frames that reached $B" 1 $db &&
		lb_is off
}

# upstream_probe: sets LACKS to the first thing the upstream test needs
# that the kernel lacks (the probe and its error), or to nothing. It
# does not check for these itself, and fails without them. The probes
# touch only a netns of their own and its lo, never a loopnic port.
upstream_probe()
{
	local ns out probe
	LACKS=
	ns_new ns
	for probe in "ip -4 rule add pref 32765 table local" \
		"ip -6 rule add pref 32765 table local" \
		"ip link add name lnvrf type vrf table 4242" \
		"tc qdisc add dev lo clsact" \
		"tc filter add dev lo ingress protocol arp pref 1 handle 101 flower skip_hw arp_op reply arp_tip 192.0.2.1 action drop"; do
		# shellcheck disable=SC2086 # a command line, split on purpose
		if ! out=$(ip netns exec "$ns" $probe 2>&1); then
			LACKS="$probe: ${out%%$'\n'*}"
			break
		fi
	done
	ns_del "$ns"
}

# The upstream test, with both ports in one netns of their own: h1 = A,
# h2 = B. It exits 4 itself when a tool or the loopback feature is missing.
upstream()
{
	local ns rc out
	if [ -n "$LACKS" ]; then
		ktap_skip "$path: upstream forwarding/loopback.sh" \
			"the kernel lacks what it needs ($LACKS)"
		return
	fi
	ns_new ns
	must ip -n "$NS_A" link set $A netns "$ns"
	must ip -n "$NS_B" link set $B netns "$ns"
	out=$(cd "$FWD" && WAIT_TIME=1 ip netns exec "$ns" ./loopback.sh $A $B 2>&1)
	rc=$?
	diag "$out"
	# A tool it lacks is our setup's fault (scripts/setup.sh installs them).
	if [ $rc -eq "$KSFT_SKIP" ] && grep -q 'not installed' <<<"$out"; then
		ktap_fail "$path: upstream forwarding/loopback.sh: $(grep -m1 SKIP <<<"$out")"
		return
	fi
	if [ $rc -eq "$KSFT_SKIP" ]; then
		ktap_skip "$path: upstream forwarding/loopback.sh" \
			"$(grep -m1 SKIP <<<"$out")"
		return
	fi
	upstream_out=$out
	check "$path: upstream forwarding/loopback.sh passes" upstream_ok $rc
}

upstream_ok()
{
	is_eq "loopback.sh exit status" 0 "$1" &&
		grep -q 'TEST: loopback .*\[ OK \]' <<<"$upstream_out"
}

# The kernel's features are the same for both paths: probe once.
upstream_probe
for path in backlog ring; do
	if [ $path = ring ]; then
		must_load path=ring channels=2
	else
		must_load
	fi
	pair_netns $A $B quiet

	check "$path: ethtool -k: loopback off, not fixed" lb_is off
	check "$path: ethtool -K $A loopback on" \
		eval "nsx $NS_A ethtool -K $A loopback on && lb_is on"

	wait_quiet $A "$NS_A"
	snap
	check_eq "$path: looped: $N pings to $B get no reply" 0 \
		"$(ping_count "$NS_A" 10.10.0.2 $N -s $S)"
	wait_quiet $A "$NS_A"
	check "$path: looped: $A received its $N frames, $B none" looped

	check "$path: ethtool -K $A loopback off" \
		eval "nsx $NS_A ethtool -K $A loopback off && lb_is off"
	snap
	check "$path: not looped: $N pings cross to $B and are answered" crossed
	check "$path: loopback flipped on/off under a stream: every frame counted" \
		flips_under_traffic
	diag "$(cat "$FIGURES" 2>/dev/null)"

	if [ ! -x "$FWD/loopback.sh" ]; then
		ktap_fail "$path: upstream forwarding/loopback.sh: not found in $FWD (scripts/setup.sh)"
	else
		upstream
	fi
	unload_module
done
