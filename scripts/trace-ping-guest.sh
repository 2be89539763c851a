#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Capture, with ftrace's function_graph tracer, the kernel call path of one
# ping (request and reply) over lo and over a loopnic pair split across two
# namespaces. Only the networking functions listed below are traced, so the
# graph reads as the packet's journey rather than every helper on the way.
# Runs inside the VM: scripts/vm.sh -- scripts/trace-ping-guest.sh KO
set -euo pipefail

ko=${1:?usage: $0 path/to/loopnic.ko}
T=/sys/kernel/tracing
[ -e $T/trace ] || mount -t tracefs nodev $T

FUNCS=(
	__sys_sendto __sys_recvmsg ping_v4_sendmsg ip_push_pending_frames
	ip_output ip_finish_output2 __dev_queue_xmit dev_hard_start_xmit
	loopback_xmit netif_rx enqueue_to_backlog
	loopnic_xmit loopnic_backlog_enqueue __napi_schedule
	net_rx_action __napi_poll process_backlog loopnic_backlog_poll
	napi_gro_receive napi_complete_done napi_gro_flush gro_normal_list
	netif_receive_skb_list_internal __netif_receive_skb_one_core
	ip_rcv ip_list_rcv ip_local_deliver icmp_rcv icmp_echo icmp_reply ping_rcv
	sock_queue_rcv_skb sock_def_readable
)

cleanup() {
	echo 0 >$T/tracing_on
	echo nop >$T/current_tracer
	echo >$T/set_ftrace_filter
	ip netns del tr-a 2>/dev/null || true
	ip netns del tr-b 2>/dev/null || true
	rmmod loopnic 2>/dev/null || true
}
trap cleanup EXIT

insmod "$ko"
ip netns add tr-a
ip netns add tr-b
ip link set loopnic0 netns tr-a
ip link set loopnic1 netns tr-b
# No IPv6 timers (RS, MLD) firing mid-capture on the ping task's stack.
for ns in tr-a tr-b; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n tr-a addr add 10.0.0.1/24 dev loopnic0
ip -n tr-b addr add 10.0.0.2/24 dev loopnic1
ip -n tr-a link set loopnic0 up
ip -n tr-b link set loopnic1 up
ip -n tr-a link set lo up
# Warm up ARP and caches so the traced ping is the steady-state path.
ip netns exec tr-a ping -c 2 -i 0.2 -q 10.0.0.2 >/dev/null
ip netns exec tr-a ping -c 2 -i 0.2 -q 127.0.0.1 >/dev/null

echo 0 >$T/tracing_on
echo function_graph >$T/current_tracer
echo >$T/set_ftrace_filter
for f in "${FUNCS[@]}"; do
	echo "$f" >>$T/set_ftrace_filter 2>/dev/null ||
		echo "# $f is not traceable on $(uname -r) (inlined or absent)"
done
echo funcgraph-proc >$T/trace_options
echo nofuncgraph-irqs >$T/trace_options 2>/dev/null || true

trace_one() {	# trace_one TITLE DEST
	echo >$T/trace
	echo 1 >$T/tracing_on
	ip netns exec tr-a ping -c 1 -W 2 "$2" >/dev/null
	echo 0 >$T/tracing_on
	echo "=== $1 (kernel $(uname -r))"
	# Only the ping task: a background frame (IPv6 ND, say) is not the journey.
	grep -E '^ *[0-9]+\) +ping-' $T/trace
}

trace_one "ping 127.0.0.1 over lo" 127.0.0.1
trace_one "ping 10.0.0.2, the peer, over loopnic" 10.0.0.2
