// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic backlog path: the receive side of a port modelled on lo.
 *
 * loopback_xmit() hands a frame to netif_rx(), which appends it to the core's
 * per-CPU backlog and lets process_backlog() deliver it from NET_RX_SOFTIRQ.
 * loopnic does the same with queues and NAPI instances of its own, one per
 * CPU per port, so that the queue limit, the polls and the drops belong to the
 * port and show up in its counters.
 *
 * The peer's xmit appends to the queue of the CPU it runs on and schedules
 * that CPU's NAPI, so a flow stays on one CPU from socket to socket exactly as
 * over lo. The input queue is still locked because a poll can run elsewhere
 * (threaded NAPI, or a CPU going offline hands its NAPIs to another).
 */
#include <linux/delay.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "loopnic.h"
#include "trace.h"

struct loopnic_backlog {
	struct napi_struct napi;
	/* Filled by the peer's xmit, under input.lock. */
	struct sk_buff_head input;
	/* Drained by the poll alone; never locked. */
	struct sk_buff_head process;
};

static int loopnic_backlog_poll(struct napi_struct *napi, int budget)
{
	struct loopnic_backlog *bl = container_of(napi, struct loopnic_backlog, napi);
	struct loopnic_port *port = netdev_priv(napi->dev);
	int work = 0;

	loopnic_count(port, LOOPNIC_BACKLOG_POLLS, 1);

	while (work < budget) {
		struct sk_buff *skb = __skb_dequeue(&bl->process);

		if (!skb) {
			/* Take the whole input queue at once, as process_backlog does. */
			spin_lock_irq(&bl->input.lock);
			skb_queue_splice_tail_init(&bl->input, &bl->process);
			spin_unlock_irq(&bl->input.lock);
			if (skb_queue_empty(&bl->process))
				break;
			continue;
		}

		/* eth_type_trans() pulled the header; count the frame as sent. */
		loopnic_count_frame(port, LOOPNIC_RX_PACKETS, skb->len + ETH_HLEN);
		loopnic_count_mac(port, true, eth_hdr(skb)->h_dest, skb->len + ETH_HLEN);
		trace_loopnic_rx(napi->dev, skb, LOOPNIC_PATH_BACKLOG, smp_processor_id());
		work++;
		if (unlikely(loopnic_selftest_rx(port, skb)))
			continue;
		napi_gro_receive(napi, skb);
	}

	trace_loopnic_backlog_poll(napi->dev, smp_processor_id(), work, budget);
	if (work < budget)
		napi_complete_done(napi, work);
	else
		loopnic_count(port, LOOPNIC_BACKLOG_BUDGET_EXHAUSTED, 1);

	return work;
}

int loopnic_backlog_init(struct loopnic_port *port)
{
	int cpu;

	port->backlog = alloc_percpu(struct loopnic_backlog);
	if (!port->backlog)
		return -ENOMEM;

	for_each_possible_cpu(cpu) {
		struct loopnic_backlog *bl = per_cpu_ptr(port->backlog, cpu);

		skb_queue_head_init(&bl->input);
		__skb_queue_head_init(&bl->process);
		/* Default weight, NAPI_POLL_WEIGHT (64), as lo's backlog uses. */
		netif_napi_add(port->dev, &bl->napi, loopnic_backlog_poll);
	}
	return 0;
}

/* Only once the port is unregistered: nothing can queue or poll any more. */
void loopnic_backlog_free(struct loopnic_port *port)
{
	int cpu;

	if (!port->backlog)
		return;

	/* One grace period for all of them: ports go away 64 at a time. */
	for_each_possible_cpu(cpu)
		__netif_napi_del(&per_cpu_ptr(port->backlog, cpu)->napi);
	synchronize_net();
	free_percpu(port->backlog);
	port->backlog = NULL;
}

void loopnic_backlog_open(struct loopnic_port *port)
{
	int cpu;

	for_each_possible_cpu(cpu)
		napi_enable(&per_cpu_ptr(port->backlog, cpu)->napi);

	/* Pairs with the acquire in loopnic_backlog_ready(). */
	smp_store_release(&port->rx_ready, true);
}

void loopnic_backlog_close(struct loopnic_port *port)
{
	unsigned int purged = 0;
	int cpu;

	WRITE_ONCE(port->rx_ready, false);
	/*
	 * The peer's xmit tests rx_ready and queues inside one RCU read-side
	 * section; once the grace period is over, no frame can arrive.
	 */
	synchronize_net();

	for_each_possible_cpu(cpu) {
		struct loopnic_backlog *bl = per_cpu_ptr(port->backlog, cpu);

		napi_disable(&bl->napi);
		purged += skb_queue_len(&bl->input) + skb_queue_len(&bl->process);
		skb_queue_purge(&bl->input);
		__skb_queue_purge(&bl->process);
	}

	/* Frames that were queued when the port went down were not received. */
	if (purged) {
		local_bh_disable();
		loopnic_count(port, LOOPNIC_BACKLOG_DROPS, purged);
		local_bh_enable();
	}
}

/*
 * Path switch: no end of the pair transmits any more, so the queues only
 * shrink; NAPI delivers what they hold before loopnic_backlog_close()
 * would have to drop it. The input queue is read before the process
 * queue because a poll moves frames from the first to the second.
 */
void loopnic_backlog_drain(struct loopnic_port *port, unsigned long deadline)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct loopnic_backlog *bl = per_cpu_ptr(port->backlog, cpu);

		while ((skb_queue_len_lockless(&bl->input) ||
			skb_queue_len_lockless(&bl->process)) &&
		       time_before(jiffies, deadline))
			usleep_range(200, 500);
	}
}

bool loopnic_backlog_ready(const struct loopnic_port *port)
{
	/* Pairs with smp_store_release() in loopnic_backlog_open(). */
	return smp_load_acquire(&port->rx_ready);
}

/*
 * Called from the peer's xmit with BH disabled. A full queue drops the frame
 * and counts it against this (receiving) port, like lo's softnet "dropped".
 */
void loopnic_backlog_enqueue(struct loopnic_port *port, struct sk_buff *skb)
{
	struct loopnic_backlog *bl = this_cpu_ptr(port->backlog);
	unsigned long flags;
	bool queued = false;

	/* irqsave: netpoll may transmit from hard-IRQ context. */
	spin_lock_irqsave(&bl->input.lock, flags);
	if (skb_queue_len(&bl->input) < loopnic_backlog_len) {
		__skb_queue_tail(&bl->input, skb);
		queued = true;
	}
	spin_unlock_irqrestore(&bl->input.lock, flags);

	trace_loopnic_backlog_enqueue(port->dev, skb_queue_len_lockless(&bl->input),
				      loopnic_backlog_len, queued);
	if (likely(queued)) {
		napi_schedule(&bl->napi);
		return;
	}

	loopnic_count(port, LOOPNIC_BACKLOG_DROPS, 1);
	kfree_skb_reason(skb, SKB_DROP_REASON_CPU_BACKLOG);
}
