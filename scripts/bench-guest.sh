#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The `make bench` measurements, run inside the VM by scripts/bench.sh: the
# same workloads over lo, veth (GRO off and on), loopnic's backlog path
# (GRO on and off) and loopnic's ring path, in one guest, so that the
# ratios between them mean something even though TCG makes every absolute
# figure ~30x too slow.
#
# Each pair is split over two network namespaces (two "hosts"): the client
# runs in bench-a, the server in bench-b; for lo both are in bench-a.
# Paths are measured round-robin, RUNS rounds, so that a slow spell of the
# (shared) host spreads over all paths instead of hitting one.
#
# Besides ping, TCP and UDP through sockets, frames are put straight into
# each path's sending device: from an AF_PACKET socket, with one sendto()
# per frame or through a PACKET_MMAP TX ring (TPACKET_V2, scripts/afpacket-tx.c),
# and from the kernel's pktgen (xmit_mode start_xmit, its default, which
# calls ndo_start_xmit directly; and queue_xmit, through dev_queue_xmit and
# the qdisc). Their rate is the sending device's tx_packets over the run.
#
# Usage: scripts/bench-guest.sh LOOPNIC_KO
# Env: BENCH_RUNS (3), BENCH_PINGS (1000), BENCH_SECS (5, per iperf3 test),
#      BENCH_PATHS (all: "lo veth-gro-off veth-gro-on backlog backlog-gro-off
#      ring ring-tso-off ring-lro ring-2ch ring-softirq ring-softirq-cpu0"),
#      BENCH_PKT_SECS (3, per AF_PACKET or pktgen run), BENCH_AFPACKET_TX
#      (the afpacket-tx binary; without it those rows stay empty),
#      BENCH_ACCEL, BENCH_HOST, BENCH_REV (shown in the header),
#      LOOPNIC_OUT: the table is also written to LOOPNIC_OUT/NAME.md and
#      the figures to NAME.tsv (NAME: BENCH_NAME, default DATE-KVER), from
#      which scripts/bench.sh draws NAME.png.
# Exit: 0 if every measurement produced a figure, else 1 (the table is
# printed either way). Targets are reported, never enforced.
set -euo pipefail

export LC_ALL=C
ko=${1:?usage: $0 path/to/loopnic.ko}
runs=${BENCH_RUNS:-3}
pings=${BENCH_PINGS:-1000}
secs=${BENCH_SECS:-5}
pkt_secs=${BENCH_PKT_SECS:-3}
afpacket_tx=${BENCH_AFPACKET_TX:-}
all_paths="lo veth-gro-off veth-gro-on backlog backlog-gro-off ring ring-tso-off ring-lro
	ring-2ch ring-softirq ring-softirq-cpu0"
paths=${BENCH_PATHS:-$all_paths}
# a command the ping of the path being measured runs under, or nothing
ping_pin=
port=5201
# the two-flow test's first client port; the servers listen on port + 1, + 2
tcp2_cport=40000
tcp2_spread=''
[[ $runs =~ ^[1-9][0-9]*$ && $pings =~ ^[1-9][0-9]*$ && $secs =~ ^[1-9][0-9]*$ &&
	$pkt_secs =~ ^[1-9][0-9]*$ ]] ||
	{ echo "bench: BENCH_RUNS, BENCH_PINGS, BENCH_SECS and BENCH_PKT_SECS must be positive integers" >&2; exit 2; }

work=$(mktemp -d /tmp/bench.XXXXXX)
raw=$work/raw.tsv # path, metric, round, value: one line per figure
: >"$raw"
failed=0

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	pktgen_reset
	ip netns del bench-a 2>/dev/null || true
	ip netns del bench-b 2>/dev/null || true
	rmmod loopnic 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

progress() { printf 'bench: %s\n' "$*" >&2; }
warn() {
	printf 'bench: WARNING: %s\n' "$*" >&2
	failed=1
}
na() { ip netns exec bench-a "$@"; }
nb() { ip netns exec bench-b "$@"; }

# --- topology -------------------------------------------------------------

setup_netns() {
	ip netns add bench-a
	ip netns add bench-b
	na ip link set lo up
	nb ip link set lo up
	# veth is created once; GRO is switched per variant with ethtool
	ip link add va netns bench-a type veth peer name vb netns bench-b
	na ip addr add 10.1.0.1/24 dev va
	nb ip addr add 10.1.0.2/24 dev vb
	na ip link set va up
	nb ip link set vb up
}

# load loopnic with ARGS and put loopnic0/1 into bench-a/bench-b
# Every loopnic vector to CPU 0 (/proc/irq/N/smp_affinity_list).
irqs_to_cpu0() {
	local irq
	awk -F: '/ loopnic[0-9]+-ch[0-9]+$/ { print $1 + 0 }' /proc/interrupts |
		while read -r irq; do
			echo 0 >"/proc/irq/$irq/smp_affinity_list"
		done
}

load_loopnic() {
	rmmod loopnic 2>/dev/null || true
	insmod "$ko" "$@"
	ip link set loopnic0 netns bench-a
	ip link set loopnic1 netns bench-b
	na ip addr add 10.2.0.1/24 dev loopnic0
	nb ip addr add 10.2.0.2/24 dev loopnic1
	na ip link set loopnic0 up
	nb ip link set loopnic1 up
}

# on|off. rx-gro alone gives veth a NAPI instance, but veth_xmit() uses it
# only for frames it deems worth aggregating: from a sender without TSO,
# or locally sent (sock_wfree) when the receiver has rx-gro-list or
# rx-udp-gro-forwarding. With TSO on (the default) plain rx-gro changes
# nothing, so "GRO on" also sets rx-udp-gro-forwarding, which sends ping
# and UDP through NAPI/GRO; TCP (tcp_wfree) still bypasses it. Both ends:
# the receiver's setting is what counts, and replies go the other way.
veth_gro() {
	na ethtool -K va rx-gro "$1" rx-udp-gro-forwarding "$1"
	nb ethtool -K vb rx-gro "$1" rx-udp-gro-forwarding "$1"
}

# frames vb received through veth's NAPI: veth counts every frame its NAPI
# poll consumes in rx_queue_N_xdp_packets, XDP program or not
veth_napi_pkts() {
	nb ethtool -S vb | awk '$1 ~ /^rx_queue_[0-9]+_xdp_packets:$/ { n += $2 } END { print n + 0 }'
}
vb_rx_pkts() {
	nb ip -s -j link show vb | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

# around each workload on veth: how many of the frames vb received took the
# NAPI path (napi[PATH:WORKLOAD] of rx[PATH:WORKLOAD])
declare -A napi=() rx=()
n0=0 x0=0
count_begin() { # PATH
	case $1 in veth-*) n0=$(veth_napi_pkts) x0=$(vb_rx_pkts) ;; esac
}
count_end() { # PATH WORKLOAD
	case $1 in veth-*) ;; *) return 0 ;; esac
	napi[$1:$2]=$((${napi[$1:$2]:-0} + $(veth_napi_pkts) - n0))
	rx[$1:$2]=$((${rx[$1:$2]:-0} + $(vb_rx_pkts) - x0))
}

# path -> the client's sending device (in bench-a)
dev_of() {
	case $1 in
	lo) echo lo ;;
	veth-*) echo va ;;
	backlog* | ring*) echo loopnic0 ;;
	esac
}

tx_pkts() { na cat "/sys/class/net/$1/statistics/tx_packets"; }

# path -> server netns and address
server_of() {
	case $1 in
	lo) echo "bench-a 127.0.0.1" ;;
	veth-*) echo "bench-b 10.1.0.2" ;;
	backlog* | ring*) echo "bench-b 10.2.0.2" ;;
	esac
}

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$raw"; }

# --- workloads ------------------------------------------------------------

# ping RTT percentiles from the per-packet "time=X ms" lines
bench_ping() { # PATH ROUND ADDR
	local out
	# -i 0.002: 1000 pings in ~2 s plus RTTs; -w bounds a run that loses
	# replies, -W the wait for the last ones
	# shellcheck disable=SC2086 # $ping_pin: a command and its arguments, or nothing
	out=$(na $ping_pin ping -n -c "$pings" -i 0.002 -W 1 -w $((pings / 100 + 30)) "$3" 2>&1 |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' |
		python3 -c '
import sys
v = sorted(float(x) * 1000 for x in sys.stdin)   # ms -> us
if v:
    # nearest-rank percentiles
    pct = lambda p: v[max(0, -(-len(v) * p // 100) - 1)]
    print(len(v), round(pct(50), 1), round(pct(99), 1))
') || true
	local n p50 p99
	read -r n p50 p99 <<<"$out"
	if [ -z "${n:-}" ] || [ "$n" -lt $((pings / 2)) ]; then
		warn "$1: ping: only ${n:-0}/$pings replies"
		return
	fi
	[ "$n" -eq "$pings" ] || progress "$1: ping: $n/$pings replies"
	record "$1" ping_p50 "$2" "$p50"
	record "$1" ping_p99 "$2" "$p99"
	progress "  $1 ping: p50 $p50 us, p99 $p99 us"
}

# one iperf3 test against a one-shot server in the server's netns
iperf() { # PATH IPERF3-CLIENT-ARGS...: JSON on stdout
	local path=$1 ns addr srv i rc=0
	shift
	read -r ns addr <<<"$(server_of "$path")"
	timeout $((secs + 60)) ip netns exec "$ns" iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
	srv=$!
	for ((i = 0; i < 100; i++)); do
		if ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q .; then
			break
		fi
		sleep 0.1
	done
	timeout $((secs + 45)) ip netns exec bench-a iperf3 -c "$addr" -p "$port" \
		-t "$secs" -J "$@" || rc=$?
	wait "$srv" 2>/dev/null || true
	return "$rc"
}

bench_tcp() { # PATH ROUND
	local mbps
	# receiver's view: bytes that arrived, over the test's duration
	mbps=$(iperf "$1" | python3 -c '
import json, sys
print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6, 1))
') || { warn "$1: iperf3 TCP failed"; return; }
	record "$1" tcp_mbps "$2" "$mbps"
	progress "  $1 tcp: $mbps Mbit/s"
}

# udp_drops PATH: "QDISC LOOPNIC SOCKET", drops so far where each is
# counted: the sending device's qdisc (its root's total), loopnic's ports
# (tx_drops of the sender, rx_out_of_buffer and backlog_drops of the
# receiver; 0 for lo and veth) and the server's UDP sockets (RcvbufErrors).
udp_drops() {
	local dev ns addr q p=0 s
	dev=$(dev_of "$1")
	read -r ns addr <<<"$(server_of "$1")"
	q=$(na tc -s qdisc show dev "$dev" |
		awk '/dropped/ && !n++ { sub(/,/, "", $7); d = $7 } END { print d + 0 }')
	case $1 in
	backlog* | ring*)
		p=$(($(na ethtool -S loopnic0 | awk '$1 == "tx_drops:" { print $2 }') +
			$(nb ethtool -S loopnic1 | awk '$1 == "rx_out_of_buffer:" ||
				$1 == "backlog_drops:" { n += $2 } END { print n + 0 }')))
		;;
	esac
	# shellcheck disable=SC2016 # awk's own $
	s=$(ip netns exec "$ns" awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		$1 == "Udp:" { print $c["RcvbufErrors"] }' /proc/net/snmp)
	echo "$q $p $s"
}

declare -A udp_where=()
bench_udp() { # PATH ROUND
	local out kpps loss lost q0 p0 s0 q1 p1 s1
	read -r q0 p0 s0 <<<"$(udp_drops "$1")"
	# -b 0: send as fast as the client can; sum_received is the server's
	# report: packets it expected (highest sequence) and those missing
	out=$(iperf "$1" -u -l 64 -b 0 | python3 -c '
import json, sys
r = json.load(sys.stdin)["end"]["sum_received"]
print(round((r["packets"] - r["lost_packets"]) / r["seconds"] / 1e3, 1),
      round(r["lost_percent"], 1), r["lost_packets"])
') || { warn "$1: iperf3 UDP failed"; return; }
	read -r kpps loss lost <<<"$out"
	read -r q1 p1 s1 <<<"$(udp_drops "$1")"
	record "$1" udp_kpps "$2" "$kpps"
	record "$1" udp_loss "$2" "$loss"
	udp_where[$1]="$lost lost; dropped by the qdisc $((q1 - q0)), loopnic $((p1 - p0)), socket buffers $((s1 - s0))"
	progress "  $1 udp 64B: $kpps kpps received, $loss% lost (${udp_where[$1]})"
}

# rss_ports PATH: two TCP client ports for the two-flow test. On a ring
# path with two channels they are picked, from each end's `ethtool -x` and
# the device's Toeplitz hash (include/loopnic/hw.h), so that flow i's data
# lands in loopnic1's RX queue i and its ACKs in loopnic0's RX queue i, as
# an administrator would place flows; anywhere else any two ports do.
rss_ports() {
	if [ "$1" != ring-2ch ]; then
		echo "$tcp2_cport $((tcp2_cport + 1))"
		return
	fi
	python3 - "$port" "$tcp2_cport" "$(na ethtool -x loopnic0)" "$(nb ethtool -x loopnic1)" <<'PY'
import ipaddress, re, sys

def rss(text):
    indir = []
    for line in text.splitlines():
        m = re.match(r'\s*\d+:\s+([\d\s]+)$', line)
        if m:
            indir += [int(x) for x in m.group(1).split()]
    key = bytes.fromhex(re.search(r'hash key:\s*\n\s*([0-9a-f:]+)', text).group(1).replace(':', ''))
    return indir, key

def toeplitz(key, data):
    k = int.from_bytes(key, 'big')
    kbits = len(key) * 8
    h = 0
    for i in range(len(data) * 8):
        if data[i // 8] & (0x80 >> (i % 8)):
            h ^= (k >> (kbits - 32 - i)) & 0xffffffff
    return h

def queue(rx, src, dst, sport, dport):
    indir, key = rx
    data = (ipaddress.ip_address(src).packed + ipaddress.ip_address(dst).packed +
            sport.to_bytes(2, 'big') + dport.to_bytes(2, 'big'))
    return indir[toeplitz(key, data) % len(indir)]

sport0, cport0 = int(sys.argv[1]), int(sys.argv[2])
a, b = rss(sys.argv[3]), rss(sys.argv[4])
ports = []
for i in (0, 1):
    sport = sport0 + 1 + i
    for c in range(cport0, cport0 + 4096):
        if c not in ports and queue(b, '10.2.0.1', '10.2.0.2', c, sport) == i and \
           queue(a, '10.2.0.2', '10.2.0.1', sport, c) == i:
            ports.append(c)
            break
print(*ports)
PY
}

# xps_pin on|off: on a two-queue loopnic0/1, CPU i sends on TX queue i
xps_pin() {
	local ns dev q
	for ns in bench-a bench-b; do
		dev=loopnic1
		[ $ns = bench-b ] || dev=loopnic0
		for q in 0 1; do
			[ -e "/sys/class/net/$dev/queues/tx-$q" ] || continue
			ip netns exec $ns sh -c "echo $([ "$1" = on ] && echo $((1 << q)) || echo 0) > /sys/class/net/$dev/queues/tx-$q/xps_cpus"
		done
	done
}

# "TOTAL IDLE" jiffies of all CPUs so far (idle includes iowait)
cpu_ticks() {
	awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t, $5 + $6 }' /proc/stat
}

# Two TCP streams at once, each with its own iperf3 client and server
# (iperf3 3.12 runs all of one client's streams in one thread), flow i's
# both ends pinned to CPU i: the scaling a second channel can give.
bench_tcp2() { # PATH ROUND
	local ns addr i n c0 c1 mbps rx0 rx1 cpu0 cpu1 srv=() cl=()
	read -r ns addr <<<"$(server_of "$1")"
	read -r c0 c1 <<<"$(rss_ports "$1")"
	[ -n "${c1:-}" ] || { warn "$1: no client ports for RSS"; return; }
	case $1 in ring*) xps_pin on ;; esac
	rx0=$(nb ethtool -S loopnic1 2>/dev/null | awk '$1 ~ /^rx[01]_packets:$/ { printf "%s ", $2 }') || true
	for i in 0 1; do
		timeout $((secs + 60)) ip netns exec "$ns" taskset -c $i \
			iperf3 -s -1 -p $((port + 1 + i)) >/dev/null 2>&1 &
		srv+=($!)
	done
	for i in 0 1; do
		for ((n = 0; n < 100; n++)); do
			if ip netns exec "$ns" ss -Hltn "sport = :$((port + 1 + i))" | grep -q .; then
				break
			fi
			sleep 0.1
		done
	done
	cpu0=$(cpu_ticks)
	for i in 0 1; do
		local c=$c0
		[ $i -eq 0 ] || c=$c1
		timeout $((secs + 45)) ip netns exec bench-a taskset -c $i iperf3 -c "$addr" \
			-p $((port + 1 + i)) --cport "$c" -t "$secs" -J >"$work/tcp2.$i.json" &
		cl+=($!)
	done
	local rc=0
	wait "${cl[@]}" || rc=1
	cpu1=$(cpu_ticks)
	wait "${srv[@]}" 2>/dev/null || true
	case $1 in ring*) xps_pin off ;; esac
	[ $rc -eq 0 ] || { warn "$1: iperf3 two flows failed"; return; }
	mbps=$(python3 -c '
import json, sys
print(round(sum(json.load(open(f))["end"]["sum_received"]["bits_per_second"] for f in sys.argv[1:]) / 1e6, 1))
' "$work/tcp2.0.json" "$work/tcp2.1.json") || { warn "$1: iperf3 two flows: no result"; return; }
	record "$1" tcp2_mbps "$2" "$mbps"
	record "$1" tcp2_cpu "$2" "$(echo "$cpu0 $cpu1" | awk '{ printf "%.0f", 100 * (1 - ($4 - $2) / ($3 - $1)) }')"
	local spread=''
	if [ "$1" = ring-2ch ]; then
		rx1=$(nb ethtool -S loopnic1 | awk '$1 ~ /^rx[01]_packets:$/ { printf "%s ", $2 }')
		spread=$(echo "$rx0 $rx1" | awk '{ printf "RX queue 0 %d, RX queue 1 %d frames", $3 - $1, $4 - $2 }')
		tcp2_spread=$spread
	fi
	progress "  $1 tcp, 2 flows: $mbps Mbit/s${spread:+ ($spread)}"
}

# AF_PACKET frames (64 bytes) into the path's device: one sendto() each, or
# through a PACKET_MMAP TX ring
bench_afpacket() { # PATH ROUND sendto|mmap
	local dev t0 t1 out secs kfps
	[ -n "$afpacket_tx" ] || return 0
	dev=$(dev_of "$1")
	t0=$(tx_pkts "$dev")
	out=$(timeout $((pkt_secs + 30)) ip netns exec bench-a "$afpacket_tx" "$3" "$dev" "$pkt_secs" 64) ||
		{ warn "$1: afpacket-tx $3 failed"; return; }
	t1=$(tx_pkts "$dev")
	secs=$(awk '{ for (i = 1; i < NF; i++) if ($i == "seconds") print $(i + 1) }' <<<"$out")
	kfps=$(awk -v n=$((t1 - t0)) -v s="$secs" 'BEGIN { if (s > 0) printf "%.1f", n / s / 1e3 }')
	[ -n "$kfps" ] || { warn "$1: afpacket-tx $3: no rate in '$out'"; return; }
	record "$1" "afp_$3" "$2" "$kfps"
	progress "  $1 AF_PACKET $3: $kfps kframes/s ($out)"
}

pg() { # FILE COMMAND: a pktgen command, in bench-a's /proc/net/pktgen
	na sh -c "echo '$2' >/proc/net/pktgen/$1"
}
pktgen_reset() {
	if [ -e /proc/net/pktgen ] && ip netns list | grep -qw bench-a; then
		# shellcheck disable=SC2016 # expanded by the inner shell
		na sh -c 'for f in /proc/net/pktgen/kpktgend_*; do echo rem_device_all >$f; done' 2>/dev/null || true
	fi
}

# pktgen 60-byte UDP frames into the path's device for BENCH_PKT_SECS, from
# bench-a's kpktgend_0 thread (on CPU 0); the destination MAC is pktgen's
# default (none), so the receiver drops them in ip_rcv, after its NAPI
bench_pktgen() { # PATH ROUND start_xmit|queue_xmit
	local dev ns addr t0 t1 res kpps dev_kpps start end
	dev=$(dev_of "$1")
	read -r ns addr <<<"$(server_of "$1")"
	pktgen_reset
	pg kpktgend_0 "add_device $dev" || { warn "$1: pktgen: cannot add $dev"; return; }
	pg "$dev" "count 0"
	pg "$dev" "pkt_size 60"
	pg "$dev" "delay 0"
	pg "$dev" "dst $addr"
	pg "$dev" "xmit_mode $3"
	t0=$(tx_pkts "$dev")
	start=$EPOCHREALTIME
	# "start" returns once the run is stopped
	na sh -c 'echo start >/proc/net/pktgen/pgctrl' &
	sleep "$pkt_secs"
	na sh -c 'echo stop >/proc/net/pktgen/pgctrl'
	wait $! || true
	end=$EPOCHREALTIME
	t1=$(tx_pkts "$dev")
	res=$(na cat "/proc/net/pktgen/$dev" | sed -n 's/.* \([0-9]*\)pps .*/\1/p' | head -n 1)
	pktgen_reset
	# pktgen's own rate (packets over its run time); the device's count
	# over the wall time, start and stop included, as a cross-check
	kpps=$(awk -v n="${res:-0}" 'BEGIN { if (n > 0) printf "%.1f", n / 1e3 }')
	dev_kpps=$(awk -v n=$((t1 - t0)) -v a="$start" -v b="$end" 'BEGIN { if (b > a) printf "%.1f", n / (b - a) / 1e3 }')
	[ -n "$kpps" ] || { warn "$1: pktgen $3: no result (tx_packets: $dev_kpps kpps)"; return; }
	record "$1" "pktgen_$3" "$2" "$kpps"
	progress "  $1 pktgen $3: $kpps kpps (tx_packets over the wall time: $dev_kpps kpps)"
}

measure() { # PATH ROUND
	local ns addr
	read -r ns addr <<<"$(server_of "$1")"
	# resolve ARP and warm caches outside the measured runs
	na ping -n -q -c 3 -i 0.2 -W 2 "$addr" >/dev/null ||
		{ warn "$1: $addr unreachable"; return; }
	count_begin "$1"
	bench_ping "$1" "$2" "$addr"
	count_end "$1" ping
	count_begin "$1"
	bench_tcp "$1" "$2"
	count_end "$1" tcp
	bench_tcp2 "$1" "$2"
	count_begin "$1"
	bench_udp "$1" "$2"
	count_end "$1" udp
	bench_afpacket "$1" "$2" sendto
	bench_afpacket "$1" "$2" mmap
	bench_pktgen "$1" "$2" start_xmit
	bench_pktgen "$1" "$2" queue_xmit
}

# --- run ------------------------------------------------------------------

kver=$(uname -r)
ncpu=$(nproc)
accel=${BENCH_ACCEL:-}
if [ -z "$accel" ]; then
	if grep -q 'QEMU TCG' /proc/cpuinfo; then accel=TCG; else accel=unknown; fi
fi
start=$(date +%s)
progress "$kver, $accel, $ncpu vCPUs: $runs round(s) of ${paths// /, }"

setup_netns
modprobe pktgen
[ -n "$afpacket_tx" ] || progress "BENCH_AFPACKET_TX not set: no AF_PACKET figures"
declare -A gro_state=()
for ((r = 1; r <= runs; r++)); do
	progress "round $r/$runs ($(($(date +%s) - start)) s elapsed)"
	for p in $paths; do
		case $p in
		lo) ;;
		veth-gro-off | veth-gro-on)
			veth_gro "${p#veth-gro-}"
			# what the kernel made of the request
			gro_state[$p]=$(nb ethtool -k vb | awk -F': ' '
				$1 == "generic-receive-offload" || $1 == "rx-udp-gro-forwarding" ||
				$1 == "tcp-segmentation-offload" { printf "%s%s: %s", s, $1, $2; s = ", " }')
			;;
		backlog) load_loopnic ;;
		backlog-gro-off)
			# as lo, which hands frames to the stack without GRO
			load_loopnic
			na ethtool -K loopnic0 gro off
			nb ethtool -K loopnic1 gro off
			;;
		ring) load_loopnic path=ring channels=1 ;;
		ring-tso-off)
			# the stack segments TCP before the driver, one frame a WQE
			load_loopnic path=ring channels=1
			na ethtool -K loopnic0 tso off >/dev/null
			;;
		ring-lro)
			# the receiving device merges what the sending one cut
			load_loopnic path=ring channels=1
			na ethtool -K loopnic0 lro on
			nb ethtool -K loopnic1 lro on
			;;
		ring-2ch) load_loopnic path=ring channels=2 ;;
		ring-softirq) load_loopnic path=ring channels=1 hw_engine=softirq ;;
		ring-softirq-cpu0)
			# latency tuning: both ports' vectors and the ping on one CPU
			load_loopnic path=ring channels=1 hw_engine=softirq
			irqs_to_cpu0
			ping_pin="taskset -c 0"
			;;
		*)
			echo "bench: unknown path '$p'" >&2
			exit 2
			;;
		esac
		measure "$p" "$r"
		ping_pin=''
	done
done
rmmod loopnic 2>/dev/null || true
progress "done in $(($(date +%s) - start)) s"

# --- report ---------------------------------------------------------------

# median, min and max of PATH's METRIC over the rounds ("" if none)
stats() {
	awk -F'\t' -v p="$1" -v m="$2" '$1 == p && $2 == m { print $4 }' "$raw" | sort -g |
		awk '{ v[NR] = $1 } END {
			if (NR) printf "%s %s %s\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2), v[1], v[NR]
		}'
}
median() { stats "$1" "$2" | cut -d' ' -f1; }
ratio() { # A B: A/B as "1.23x", or "-"
	awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b + 0 != 0) printf "%.2fx", a / b; else printf "-" }'
}
fmt() { # DECIMALS VALUE
	if [ -n "$2" ]; then printf "%.${1}f" "$2"; else printf 'n/a'; fi
}

label() {
	case $1 in
	lo) echo "lo (one netns)" ;;
	veth-gro-off) echo "veth, GRO off" ;;
	veth-gro-on) echo "veth, GRO on" ;;
	backlog) echo "loopnic backlog" ;;
	backlog-gro-off) echo "loopnic backlog, GRO off" ;;
	ring) echo "loopnic ring" ;;
	ring-tso-off) echo "loopnic ring, TSO off" ;;
	ring-lro) echo "loopnic ring, LRO" ;;
	ring-2ch) echo "loopnic ring, 2 ch" ;;
	ring-softirq) echo "loopnic ring, softirq engine" ;;
	ring-softirq-cpu0) echo "loopnic ring, softirq, CPU 0" ;;
	esac
}

# metric:row name:decimals, in the table's (and the chart's) order
METRICS=("ping_p50:ping RTT p50 (us):0" "ping_p99:ping RTT p99 (us):0"
	"tcp_mbps:TCP stream (Mbit/s):0" "tcp2_mbps:TCP, 2 flows (Mbit/s):0"
	"tcp2_cpu:TCP, 2 flows, guest CPUs busy (%):0"
	"udp_kpps:UDP 64 B recv (kpps):1"
	"udp_loss:UDP 64 B loss (%):1"
	"afp_sendto:AF_PACKET sendto() TX (kframes/s):1"
	"afp_mmap:AF_PACKET TX_RING TX (kframes/s):1"
	"pktgen_start_xmit:pktgen start_xmit (kpps):1"
	"pktgen_queue_xmit:pktgen queue_xmit (kpps):1")

# the figures for the chart: metric, row name, path, median, min, max
figures() {
	local m name dec p med lo hi
	for m in "${METRICS[@]}"; do
		IFS=: read -r m name dec <<<"$m"
		for p in $paths; do
			read -r med lo hi <<<"$(stats "$p" "$m")" || true
			[ -z "${med:-}" ] || printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$name" "$(label "$p")" "$med" "$lo" "$hi"
			med='' lo='' hi=''
		done
	done
}

report() {
	local m name dec p med lo hi ref_v ref_l rv rl
	echo "# loopnic benchmark, $kver"
	echo
	echo "- guest: Linux $kver, $accel ($([ "$accel" = TCG ] && echo "software emulation, ~30x slower than native" || echo "accelerated")), $ncpu vCPUs, $(awk '/MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)"
	[ -z "${BENCH_HOST:-}" ] || echo "- host: $BENCH_HOST"
	[ -z "${BENCH_REV:-}" ] || echo "- loopnic: $BENCH_REV"
	echo "- $(date -u '+%Y-%m-%d %H:%M UTC'); $(iperf3 --version | head -n 1 | cut -d'(' -f1)/ $(ping -V | head -n 1)"
	echo "- each figure: median of $runs round(s), min-max in brackets; paths measured round-robin"
	echo "- ratios: this path's median / the reference's median (veth with GRO off; lo)"
	echo
	echo "| workload | path | median | min-max | vs veth | vs lo |"
	echo "|---|---|---:|---:|---:|---:|"
	for m in "${METRICS[@]}"; do
		IFS=: read -r m name dec <<<"$m"
		ref_v=$(median veth-gro-off "$m")
		ref_l=$(median lo "$m")
		for p in $paths; do
			read -r med lo hi <<<"$(stats "$p" "$m")" || true
			# a ratio of losses or of CPU load says nothing; show the figure only
			rv=- rl=-
			case $m in
			udp_loss | tcp2_cpu) ;;
			*)
				rv=$(ratio "${med:-}" "$ref_v")
				rl=$(ratio "${med:-}" "$ref_l")
				;;
			esac
			printf '| %s | %s | %s | %s-%s | %s | %s |\n' "$name" "$(label "$p")" \
				"$(fmt "$dec" "${med:-}")" "$(fmt "$dec" "${lo:-}")" "$(fmt "$dec" "${hi:-}")" "$rv" "$rl"
			med='' lo='' hi=''
		done
	done
	echo
	echo "Paths: lo MTU 65536; veth and loopnic MTU 1500. veth and the loopnic"
	echo "backlog path pass TSO/GSO super-frames through unsegmented; on the"
	echo "ring path the (emulated) NIC cuts TCP super-frames into 1500-byte"
	echo "frames (TSO), or with TSO off the stack does before the driver;"
	echo "\"loopnic ring\" has one channel, \"ring, 2 ch\" two."
	echo "UDP: iperf3 -u -l 64 -b 0 (64-byte"
	echo "payload, 106-byte frames), rate and loss as the receiver saw them."
	echo "TCP, 2 flows: two iperf3 clients and servers at once, flow i's both"
	echo "ends pinned to CPU i; on the ring path XPS sends CPU i's frames on"
	echo "TX queue i and the client ports are chosen so that RSS (Toeplitz,"
	echo "ethtool -x) steers flow i to RX queue i at both ends${tcp2_spread:+ ($tcp2_spread, last round)}."
	echo "Guest CPUs busy: all vCPUs over the two-flow run, from /proc/stat;"
	echo "near 100% with one channel, a second channel has no CPU left to use."
	echo "veth GRO on = rx-gro and rx-udp-gro-forwarding on both ends: with"
	echo "TSO on, veth_xmit() takes its NAPI/GRO path only for frames from a"
	echo "local socket freed by sock_wfree (ping, UDP; not TCP) when the"
	echo "receiver has rx-udp-gro-forwarding or rx-gro-list; rx-gro alone"
	echo "changes nothing."
	echo
	echo "AF_PACKET: frames the sending device (lo, va, loopnic0) counted in"
	echo "tx_packets, per second of the sender's run (BENCH_PKT_SECS=$pkt_secs s);"
	echo "pktgen: its own result (packets sent over its run time), same length."
	echo "AF_PACKET: 64-byte frames, EtherType 0x88b5, through the qdisc"
	echo "(lo and veth have none; a loopnic port has mq over the default,"
	echo "$(sysctl -n net.core.default_qdisc), on both paths); sendto() is one system call per"
	echo "frame, TX_RING is PACKET_MMAP TPACKET_V2 (256 slots, one send() per"
	echo "64 frames)."
	echo "pktgen: 60-byte UDP frames from one kernel thread; start_xmit calls"
	echo "ndo_start_xmit directly, queue_xmit goes through dev_queue_xmit."
	echo "AF_PACKET TX_RING / sendto(): $(afp_ratios)."
	echo "TX_RING frames leave as zero-copy fragments of the ring; lo, veth and"
	echo "loopnic hand them to a receive path, which must copy them out"
	echo "(skb_copy_ubufs: a fresh page per frame, zeroed when init_on_alloc=1,"
	echo "as in Debian's kernels). Under TCG that copy and clear dominate (perf:"
	echo "clear_page_erms 29% of the guest's CPU over lo), so TX_RING can come"
	echo "out below sendto() here; it is not so on hardware."
	echo
	# whether "GRO on" really changed veth's receive path, per workload
	for p in veth-gro-off veth-gro-on; do
		[ -n "${gro_state[$p]:-}" ] || continue
		echo "$(label "$p"): ethtool -k vb: ${gro_state[$p]}. Frames vb received" \
			"through veth's NAPI/GRO path: $(napi_share "$p")."
	done
	if [ -n "${gro_state[veth-gro-on]:-}" ] &&
		[ "$(napi_sum veth-gro-on)" -eq 0 ]; then
		echo "**veth GRO on is not meaningful on $kver: no frame took the NAPI/GRO path.**"
	fi
	echo
	echo "UDP 64 B, last round: the datagrams iperf3 lost, and the drops"
	echo "counted meanwhile by the sending qdisc, by loopnic's ports and by the"
	echo "server's socket buffers (drops counted elsewhere are not read here):"
	echo
	for p in $paths; do
		[ -n "${udp_where[$p]:-}" ] || continue
		echo "- $(label "$p"): ${udp_where[$p]}"
	done
	echo
	echo "Targets (reported, not enforced):"
	echo
	target "loopnic backlog TCP >= 1.0x veth" tcp_mbps backlog veth-gro-off ge 1.0
	target "loopnic ring TCP >= 0.7x veth" tcp_mbps ring veth-gro-off ge 0.7
	target "loopnic ring, LRO TCP >= 0.7x veth" tcp_mbps ring-lro veth-gro-off ge 0.7
	target "loopnic ring ping p50 <= 1.5x lo" ping_p50 ring lo le 1.5
	target "loopnic ring (softirq engine, CPU 0) ping p50 <= 1.5x lo" \
		ping_p50 ring-softirq-cpu0 lo le 1.5
	target "loopnic ring (softirq engine) TCP >= 0.7x veth" \
		tcp_mbps ring-softirq veth-gro-off ge 0.7
	target "loopnic ring, 2 flows: 2 channels >= 1.5x 1 channel" tcp2_mbps ring-2ch ring ge 1.5
	target "loopnic backlog UDP 64 B pps >= 0.9x lo" udp_kpps backlog lo ge 0.9
	target "loopnic backlog, GRO off (as lo) UDP 64 B pps >= 0.9x lo" \
		udp_kpps backlog-gro-off lo ge 0.9
}

afp_ratios() {
	local p out=''
	for p in $paths; do
		out+="${out:+, }$(label "$p") $(ratio "$(median "$p" afp_mmap)" "$(median "$p" afp_sendto)")"
	done
	echo "$out"
}

napi_share() { # PATH: "ping 100% (N/M), tcp ..."
	local w out=''
	for w in ping tcp udp; do
		out+="${out:+, }$w $(awk -v n="${napi[$1:$w]:-0}" -v t="${rx[$1:$w]:-0}" \
			'BEGIN { printf "%s%% (%d/%d)", t ? int(100 * n / t + 0.5) : "-", n, t }')"
	done
	echo "$out"
}
napi_sum() { echo $((${napi[$1:ping]:-0} + ${napi[$1:tcp]:-0} + ${napi[$1:udp]:-0})); }

target() { # TEXT METRIC PATH REF ge|le BOUND
	local a b verdict
	a=$(median "$3" "$2")
	b=$(median "$4" "$2")
	verdict=$(awk -v a="$a" -v b="$b" -v op="$5" -v t="$6" 'BEGIN {
		if (a == "" || b == "" || b + 0 == 0) { print "not measured"; exit }
		r = a / b
		ok = (op == "ge") ? (r >= t) : (r <= t)
		printf "%s (%.2fx)", ok ? "met" : "**missed**", r
	}')
	echo "- $1: $verdict"
}

table=$work/table.md
report >"$table"
echo
cat "$table"
if [ -n "${LOOPNIC_OUT:-}" ] && [ -d "$LOOPNIC_OUT" ]; then
	name=${BENCH_NAME:-$(date +%Y-%m-%d)-$kver}
	cp "$table" "$LOOPNIC_OUT/$name.md"
	figures >"$LOOPNIC_OUT/$name.tsv"
fi
exit "$failed"
