#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The journey of one packet (`make trace`, run inside the VM by
# scripts/trace.sh): capture, with ftrace's function_graph tracer, the kernel
# call path of one ping (request and reply) over five paths, and measure the
# RTT of each:
#   lo       ping 127.0.0.1 (localhost)
#   own      ping 10.0.0.1, the port's own address: the local routing table
#            sends it over lo, never through loopnic0
#   backlog  ping 10.0.0.2, the peer in another netns, loopnic backlog path
#   ring     the same on loopnic's ring path (emulated NIC, rings, MSI-X)
#   ring-softirq
#            the ring path with the device's engine in softirq context
#            (hw_engine=softirq), both ports' vectors and the ping on CPU 0:
#            the whole round trip inside the ping's sendto()
# Only the networking functions listed below are traced (set_ftrace_filter),
# and only below the entry points of the journey (set_graph_function), so
# the graph reads as the packet's journey rather than every helper on the
# way. Every CPU and context is kept: on the ring path the frame crosses a
# kworker (the device's DMA engine) and a hard IRQ; with the softirq
# engine, a tasklet.
#
# Usage: scripts/trace-ping-guest.sh LOOPNIC_KO
# Env: TRACE_PINGS (100) pings per RTT figure; LOOPNIC_OUT (set by vm.sh):
#      NAME.trace (raw function_graph output), rtt.tsv, functions.txt.
set -euo pipefail

export LC_ALL=C
ko=${1:?usage: $0 path/to/loopnic.ko}
pings=${TRACE_PINGS:-100}
[[ $pings =~ ^[1-9][0-9]*$ ]] || { echo "trace: TRACE_PINGS must be a positive integer" >&2; exit 2; }
out=${LOOPNIC_OUT:-}
T=/sys/kernel/tracing
[ -e $T/trace ] || mount -t tracefs nodev $T

# The stages of the journey, in order. Functions that a kernel inlined or
# does not have are skipped (and listed in functions.txt).
FUNCS=(
	# syscall and socket: ping as root opens a raw socket (SOCK_RAW,
	# IPPROTO_ICMP) where unprivileged ICMP sockets are off, as in a new
	# netns (net.ipv4.ping_group_range = 1 0); both kinds are listed
	__sys_sendto __sys_recvmsg raw_sendmsg raw_recvmsg ping_v4_sendmsg
	ping_recvmsg
	ip_append_data ip_push_pending_frames ip_send_skb
	# routing
	ip_route_output_key_hash ip_route_output_flow fib_table_lookup
	ip_route_input_noref
	# IP output and neighbour
	ip_local_out __ip_local_out ip_output ip_finish_output ip_finish_output2
	neigh_resolve_output
	# device layer: qdisc and xmit
	__dev_queue_xmit __qdisc_run sch_direct_xmit pfifo_fast_enqueue
	pfifo_fast_dequeue dev_hard_start_xmit
	# lo, and loopnic's two paths (the module's own functions are added below)
	loopback_xmit __netif_rx netif_rx netif_rx_internal enqueue_to_backlog
	# softirq, NAPI, GRO
	__napi_schedule __napi_schedule_irqoff napi_schedule_prep __do_softirq
	do_softirq net_rx_action __napi_poll process_backlog napi_gro_receive
	dev_gro_receive inet_gro_receive napi_complete_done napi_gro_flush
	gro_normal_list page_pool_alloc_pages napi_build_skb build_skb
	eth_type_trans irq_work_queue
	# receive: IP, ICMP, socket wake-up
	netif_receive_skb_list_internal __netif_receive_skb_list_core
	__netif_receive_skb __netif_receive_skb_one_core __netif_receive_skb_core
	ip_rcv ip_list_rcv ip_rcv_finish ip_sublist_rcv ip_local_deliver
	ip_local_deliver_finish ip_protocol_deliver_rcu raw_local_deliver raw_rcv
	icmp_rcv icmp_echo icmp_reply ping_rcv ping_queue_rcv_skb sock_queue_rcv_skb
	__sock_queue_rcv_skb sock_def_readable __wake_up_sync_key
	skb_recv_datagram consume_skb
)
# Where a journey (re)starts: the ping task's syscalls, the device's DMA
# engine (a kworker or a tasklet), its interrupt handler, and NAPI
# processing (from any softirq: __do_softirq is not an entry, or every
# timer tick would be).
GRAPH=(__sys_sendto __sys_recvmsg loopnic_hw_engine_work loopnic_hw_engine_tasklet
	loopnic_ch_irq net_rx_action)

# shellcheck disable=SC2317 # called from the trap
cleanup() {
	echo 0 >$T/tracing_on
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_filter
	echo >$T/set_graph_function
	ip netns del tr-a 2>/dev/null || true
	ip netns del tr-b 2>/dev/null || true
	rmmod loopnic 2>/dev/null || true
}
trap cleanup EXIT

# load loopnic with ARGS, one end of the pair in each namespace
setup() {
	ip netns del tr-a 2>/dev/null || true
	ip netns del tr-b 2>/dev/null || true
	rmmod loopnic 2>/dev/null || true
	insmod "$ko" "$@"
	ip netns add tr-a
	ip netns add tr-b
	ip link set loopnic0 netns tr-a
	ip link set loopnic1 netns tr-b
	# No IPv6 timers (RS, MLD) firing mid-capture.
	for ns in tr-a tr-b; do
		ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
		ip -n $ns link set lo up
	done
	ip -n tr-a addr add 10.0.0.1/24 dev loopnic0
	ip -n tr-b addr add 10.0.0.2/24 dev loopnic1
	ip -n tr-a link set loopnic0 up
	ip -n tr-b link set loopnic1 up
}

# The filters name the module's functions, so they are set after each insmod.
set_filters() {
	local f missing=()
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_filter
	echo >$T/set_graph_function
	for f in "${FUNCS[@]}"; do
		echo "$f" >>$T/set_ftrace_filter 2>/dev/null || missing+=("$f")
	done
	echo ':mod:loopnic' >>$T/set_ftrace_filter
	for f in "${GRAPH[@]}"; do
		echo "$f" >>$T/set_graph_function 2>/dev/null || true
	done
	echo function_graph >$T/current_tracer
	# comm-pid on every line, the function's name on closing braces, and
	# the hard IRQ (the ring path's MSI-X) shown
	echo funcgraph-proc >$T/trace_options
	echo funcgraph-tail >$T/trace_options
	echo funcgraph-irqs >$T/trace_options
	if [ -n "$out" ]; then
		{
			echo "# kernel $(uname -r): traced functions (set_ftrace_filter)"
			cat $T/set_ftrace_filter
			echo "# graph entry points (set_graph_function)"
			cat $T/set_graph_function
			echo "# not traceable on this kernel (inlined or absent)"
			printf '%s\n' "${missing[@]}"
		} >"$out/functions-$1.txt"
	fi
	[ ${#missing[@]} -eq 0 ] ||
		echo "# not traceable on $(uname -r) (inlined or absent): ${missing[*]}"
}

# The command pings run under (trace_one's callers set it, e.g. taskset).
PIN=()

# ping RTT over PINGS pings, tracer off: "avg p50 min max" in us
rtt() { # DEST
	ip netns exec tr-a "${PIN[@]}" ping -n -c "$pings" -i 0.01 -W 1 "$1" |
		sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' |
		python3 -c '
import sys
v = sorted(float(x) * 1000 for x in sys.stdin)
if v:
    p50 = v[max(0, -(-len(v) * 50 // 100) - 1)]
    print(len(v), round(sum(v) / len(v), 1), round(p50, 1), round(v[0], 1), round(v[-1], 1))
'
}

trace_one() { # NAME TITLE DEST
	local n avg p50 lo hi
	echo 0 >$T/tracing_on
	# RTT first, without the tracer's overhead
	echo nop >$T/current_tracer
	# warm up ARP, routes and caches: the traced ping is the steady state
	ip netns exec tr-a "${PIN[@]}" ping -n -c 2 -i 0.2 -q "$3" >/dev/null
	read -r n avg p50 lo hi <<<"$(rtt "$3")"
	echo function_graph >$T/current_tracer
	echo >$T/trace
	echo 1 >$T/tracing_on
	ip netns exec tr-a "${PIN[@]}" ping -n -c 1 -W 2 "$3" >/dev/null
	echo 0 >$T/tracing_on
	echo "=== $1: $2 (kernel $(uname -r))"
	echo "# RTT over $n/$pings pings, tracer off: avg $avg us, p50 $p50 us, min $lo us, max $hi us"
	if [ -n "$out" ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$n" "$pings" \
			"$avg" "$p50" "$lo" "$hi" >>"$out/rtt.tsv"
		cat $T/trace >"$out/$1.trace"
	fi
	grep -v '^#' $T/trace
}

[ -z "$out" ] || : >"$out/rtt.tsv"
setup
set_filters backlog
trace_one lo "ping localhost (127.0.0.1) over lo" 127.0.0.1
trace_one own "ping 10.0.0.1, loopnic0's own address, routed over lo" 10.0.0.1
trace_one backlog "ping 10.0.0.2, the peer in another netns, loopnic backlog path" 10.0.0.2
setup path=ring
set_filters ring
trace_one ring "ping 10.0.0.2, the peer in another netns, loopnic ring path" 10.0.0.2
setup path=ring hw_engine=softirq
awk -F: '/loopnic/ { print $1 + 0 }' /proc/interrupts | while read -r irq; do
	echo 0 >"/proc/irq/$irq/smp_affinity_list"
done
set_filters ring-softirq
PIN=(taskset -c 0)
trace_one ring-softirq "the same, hw_engine=softirq, vectors and ping on CPU 0" 10.0.0.2
