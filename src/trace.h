/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loopnic tracepoints: one per stage a frame goes through, so that perf,
 * trace-cmd and bpftrace can follow it (Documentation/tracing.rst).
 *
 * Driver-side events name the net_device; device-model events (loopnic_hw_*)
 * name the emulated NIC ("loopnic-hw.N.auto", the port's ethtool -i
 * bus-info), because the device does not know which netdev drives it.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM loopnic

#ifndef LOOPNIC_TRACE_TYPES
#define LOOPNIC_TRACE_TYPES

/* What became of a frame the wire handed to the receiving device. */
enum loopnic_wire_result {
	LOOPNIC_TRACE_WIRE_DELIVERED,
	LOOPNIC_TRACE_WIRE_NO_BUFFER,
	LOOPNIC_TRACE_WIRE_RQ_OFF,
	LOOPNIC_TRACE_WIRE_TOO_LONG,
	LOOPNIC_TRACE_WIRE_NO_CABLE,
	LOOPNIC_TRACE_WIRE_HELD,
	LOOPNIC_TRACE_WIRE_PAUSED,
	LOOPNIC_TRACE_WIRE_LINE_BUSY,
};

#endif /* LOOPNIC_TRACE_TYPES */

#if !defined(LOOPNIC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define LOOPNIC_TRACE_H

#include <linux/device.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/tracepoint.h>

#include <loopnic/hw.h>

#include "compat.h"
#include "loopnic.h"

/* Without these, perf and trace-cmd would print the symbols as numbers. */
TRACE_DEFINE_ENUM(LOOPNIC_PATH_BACKLOG);
TRACE_DEFINE_ENUM(LOOPNIC_PATH_RING);
TRACE_DEFINE_ENUM(LOOPNIC_Q_SQ);
TRACE_DEFINE_ENUM(LOOPNIC_Q_RQ);
TRACE_DEFINE_ENUM(LOOPNIC_Q_TXCQ);
TRACE_DEFINE_ENUM(LOOPNIC_Q_RXCQ);
TRACE_DEFINE_ENUM(LOOPNIC_TRACE_WIRE_DELIVERED);
TRACE_DEFINE_ENUM(LOOPNIC_TRACE_WIRE_NO_BUFFER);
TRACE_DEFINE_ENUM(LOOPNIC_TRACE_WIRE_RQ_OFF);
TRACE_DEFINE_ENUM(LOOPNIC_TRACE_WIRE_TOO_LONG);
TRACE_DEFINE_ENUM(LOOPNIC_TRACE_WIRE_NO_CABLE);
TRACE_DEFINE_ENUM(LOOPNIC_TRACE_WIRE_HELD);
TRACE_DEFINE_ENUM(LOOPNIC_TRACE_WIRE_PAUSED);
TRACE_DEFINE_ENUM(LOOPNIC_TRACE_WIRE_LINE_BUSY);

#define loopnic_show_path(p)					\
	__print_symbolic(p,					\
			 { LOOPNIC_PATH_BACKLOG, "backlog" },	\
			 { LOOPNIC_PATH_RING, "ring" })

#define loopnic_show_queue(q)					\
	__print_symbolic(q,					\
			 { LOOPNIC_Q_SQ, "sq" },		\
			 { LOOPNIC_Q_RQ, "rq" },		\
			 { LOOPNIC_Q_TXCQ, "txcq" },		\
			 { LOOPNIC_Q_RXCQ, "rxcq" })

#define loopnic_show_wire(r)					\
	__print_symbolic(r,					\
			 { LOOPNIC_TRACE_WIRE_DELIVERED, "delivered" },	\
			 { LOOPNIC_TRACE_WIRE_NO_BUFFER, "no_buffer" },	\
			 { LOOPNIC_TRACE_WIRE_RQ_OFF, "rq_off" },	\
			 { LOOPNIC_TRACE_WIRE_TOO_LONG, "too_long" },	\
			 { LOOPNIC_TRACE_WIRE_NO_CABLE, "no_cable" },	\
			 { LOOPNIC_TRACE_WIRE_HELD, "held" },		\
			 { LOOPNIC_TRACE_WIRE_PAUSED, "paused" },	\
			 { LOOPNIC_TRACE_WIRE_LINE_BUSY, "line_busy" })

/* ndo_start_xmit, both paths, before the frame is queued anywhere. */
TRACE_EVENT(loopnic_xmit,
	    TP_PROTO(const struct net_device *dev, const struct sk_buff *skb,
		     enum loopnic_path path),
	    TP_ARGS(dev, skb, path),
	    TP_STRUCT__entry(__string(dev, dev->name)
			     __field(u8, path)
			     __field(u16, queue)
			     __field(u16, nr_frags)
			     __field(u32, len)),
	    TP_fast_assign(loopnic_assign_str(dev, dev->name);
			   __entry->path = path;
			   __entry->queue = skb_get_queue_mapping(skb);
			   __entry->nr_frags = skb_shinfo(skb)->nr_frags;
			   __entry->len = skb->len;),
	    TP_printk("dev=%s path=%s queue=%u len=%u nr_frags=%u",
		      __get_str(dev), loopnic_show_path(__entry->path),
		      __entry->queue, __entry->len, __entry->nr_frags)
);

/* Backlog path: the sender's xmit appended to the receiving port's queue. */
TRACE_EVENT(loopnic_backlog_enqueue,
	    TP_PROTO(const struct net_device *dev, unsigned int qlen,
		     unsigned int limit, bool queued),
	    TP_ARGS(dev, qlen, limit, queued),
	    TP_STRUCT__entry(__string(dev, dev->name)
			     __field(u32, qlen)
			     __field(u32, limit)
			     __field(bool, queued)),
	    TP_fast_assign(loopnic_assign_str(dev, dev->name);
			   __entry->qlen = qlen;
			   __entry->limit = limit;
			   __entry->queued = queued;),
	    TP_printk("dev=%s qlen=%u limit=%u result=%s",
		      __get_str(dev), __entry->qlen, __entry->limit,
		      __entry->queued ? "queued" : "dropped")
);

/* Both paths' NAPI polls: what a poll did with its budget. */
DECLARE_EVENT_CLASS(loopnic_poll_class,
		    TP_PROTO(const struct net_device *dev, unsigned int ch,
			     int work, int budget),
		    TP_ARGS(dev, ch, work, budget),
		    TP_STRUCT__entry(__string(dev, dev->name)
				     __field(u32, ch)
				     __field(s32, work)
				     __field(s32, budget)),
		    TP_fast_assign(loopnic_assign_str(dev, dev->name);
				   __entry->ch = ch;
				   __entry->work = work;
				   __entry->budget = budget;),
		    TP_printk("dev=%s ch=%u work=%d budget=%d",
			      __get_str(dev), __entry->ch, __entry->work, __entry->budget)
);

/* Backlog path: ch is the CPU whose queue was polled. */
DEFINE_EVENT(loopnic_poll_class, loopnic_backlog_poll,
	     TP_PROTO(const struct net_device *dev, unsigned int ch,
		      int work, int budget),
	     TP_ARGS(dev, ch, work, budget)
);

/* Ring path: work as returned to the core (work == budget: poll again). */
DEFINE_EVENT(loopnic_poll_class, loopnic_napi_poll,
	     TP_PROTO(const struct net_device *dev, unsigned int ch,
		      int work, int budget),
	     TP_ARGS(dev, ch, work, budget)
);

/* Both paths: the frame goes to GRO, after eth_type_trans(). */
TRACE_EVENT(loopnic_rx,
	    TP_PROTO(const struct net_device *dev, const struct sk_buff *skb,
		     enum loopnic_path path, unsigned int ch),
	    TP_ARGS(dev, skb, path, ch),
	    TP_STRUCT__entry(__string(dev, dev->name)
			     __field(u8, path)
			     __field(u32, ch)
			     __field(u32, len)
			     __field(u16, protocol)
			     __field(u32, hash)
			     __field(bool, l4_hash)
			     __field(u8, ip_summed)),
	    TP_fast_assign(loopnic_assign_str(dev, dev->name);
			   __entry->path = path;
			   __entry->ch = ch;
			   __entry->len = skb->len + ETH_HLEN;
			   __entry->protocol = ntohs(skb->protocol);
			   __entry->hash = skb->hash;
			   __entry->l4_hash = skb->l4_hash;
			   __entry->ip_summed = skb->ip_summed;),
	    TP_printk("dev=%s path=%s ch=%u len=%u protocol=0x%04x hash=0x%08x l4_hash=%d csum=%s",
		      __get_str(dev), loopnic_show_path(__entry->path),
		      __entry->ch, __entry->len, __entry->protocol, __entry->hash,
		      __entry->l4_hash,
		      __print_symbolic(__entry->ip_summed,
				       { CHECKSUM_NONE, "none" },
				       { CHECKSUM_UNNECESSARY, "unnecessary" },
				       { CHECKSUM_COMPLETE, "complete" },
				       { CHECKSUM_PARTIAL, "partial" }))
);

/*
 * Ring path: DIM chose a new moderation profile for one direction of a
 * channel, and the driver programmed it into the device.
 */
TRACE_EVENT(loopnic_dim,
	    TP_PROTO(const struct net_device *dev, unsigned int ch, bool rx,
		     unsigned int profile, u32 usecs, u32 frames),
	    TP_ARGS(dev, ch, rx, profile, usecs, frames),
	    TP_STRUCT__entry(__string(dev, dev->name)
			     __field(u32, ch)
			     __field(bool, rx)
			     __field(u32, profile)
			     __field(u32, usecs)
			     __field(u32, frames)),
	    TP_fast_assign(loopnic_assign_str(dev, dev->name);
			   __entry->ch = ch;
			   __entry->rx = rx;
			   __entry->profile = profile;
			   __entry->usecs = usecs;
			   __entry->frames = frames;),
	    TP_printk("dev=%s ch=%u dir=%s profile=%u usecs=%u frames=%u",
		      __get_str(dev), __entry->ch, __entry->rx ? "rx" : "tx",
		      __entry->profile, __entry->usecs, __entry->frames)
);

/* Device model: the driver wrote a queue's doorbell register. */
TRACE_EVENT(loopnic_hw_doorbell,
	    TP_PROTO(const struct device *hw, unsigned int ch,
		     enum loopnic_hw_queue q, u32 val),
	    TP_ARGS(hw, ch, q, val),
	    TP_STRUCT__entry(__string(dev, dev_name(hw))
			     __field(u32, ch)
			     __field(u8, queue)
			     __field(u32, val)),
	    TP_fast_assign(loopnic_assign_str(dev, dev_name(hw));
			   __entry->ch = ch;
			   __entry->queue = q;
			   __entry->val = val;),
	    TP_printk("dev=%s ch=%u queue=%s %s=%u",
		      __get_str(dev), __entry->ch, loopnic_show_queue(__entry->queue),
		      __entry->queue >= LOOPNIC_Q_TXCQ ? "arm_ci" : "pc", __entry->val)
);

/* Device model: it read a frame's WQEs (SQ) or a receive buffer's (RQ). */
TRACE_EVENT(loopnic_hw_wqe_fetch,
	    TP_PROTO(const struct device *hw, unsigned int ch,
		     enum loopnic_hw_queue q, u32 ctr, u32 nwqe, u32 len),
	    TP_ARGS(hw, ch, q, ctr, nwqe, len),
	    TP_STRUCT__entry(__string(dev, dev_name(hw))
			     __field(u32, ch)
			     __field(u8, queue)
			     __field(u32, ctr)
			     __field(u32, nwqe)
			     __field(u32, len)),
	    TP_fast_assign(loopnic_assign_str(dev, dev_name(hw));
			   __entry->ch = ch;
			   __entry->queue = q;
			   __entry->ctr = ctr;
			   __entry->nwqe = nwqe;
			   __entry->len = len;),
	    TP_printk("dev=%s ch=%u queue=%s ctr=%u nwqe=%u len=%u",
		      __get_str(dev), __entry->ch, loopnic_show_queue(__entry->queue),
		      __entry->ctr, __entry->nwqe, __entry->len)
);

/*
 * Device model: a frame reached the receiving device (dev) and what became
 * of it; for no_cable, dev is the sending device and nothing was attached.
 */
TRACE_EVENT(loopnic_hw_wire,
	    TP_PROTO(const struct device *hw, unsigned int ch, u32 len,
		     enum loopnic_wire_result result),
	    TP_ARGS(hw, ch, len, result),
	    TP_STRUCT__entry(__string(dev, dev_name(hw))
			     __field(u32, ch)
			     __field(u32, len)
			     __field(u8, result)),
	    TP_fast_assign(loopnic_assign_str(dev, dev_name(hw));
			   __entry->ch = ch;
			   __entry->len = len;
			   __entry->result = result;),
	    TP_printk("dev=%s ch=%u len=%u result=%s",
		      __get_str(dev), __entry->ch, __entry->len,
		      loopnic_show_wire(__entry->result))
);

/* Device model: a CQE became the driver's (its owner bit was written). */
TRACE_EVENT(loopnic_hw_cqe,
	    TP_PROTO(const struct device *hw, unsigned int ch,
		     enum loopnic_hw_queue q, u32 ctr, u16 wqe_counter,
		     u32 byte_cnt, u8 flags),
	    TP_ARGS(hw, ch, q, ctr, wqe_counter, byte_cnt, flags),
	    TP_STRUCT__entry(__string(dev, dev_name(hw))
			     __field(u32, ch)
			     __field(u8, queue)
			     __field(u32, ctr)
			     __field(u16, wqe_counter)
			     __field(u32, byte_cnt)
			     __field(u8, flags)),
	    TP_fast_assign(loopnic_assign_str(dev, dev_name(hw));
			   __entry->ch = ch;
			   __entry->queue = q;
			   __entry->ctr = ctr;
			   __entry->wqe_counter = wqe_counter;
			   __entry->byte_cnt = byte_cnt;
			   __entry->flags = flags;),
	    TP_printk("dev=%s ch=%u queue=%s ctr=%u wqe_counter=%u byte_cnt=%u flags=0x%x",
		      __get_str(dev), __entry->ch, loopnic_show_queue(__entry->queue),
		      __entry->ctr, __entry->wqe_counter, __entry->byte_cnt,
		      __entry->flags)
);

/* Device model: an MSI-X message was sent to the channel's vector. */
TRACE_EVENT(loopnic_hw_irq,
	    TP_PROTO(const struct device *hw, unsigned int vec, unsigned int cpu),
	    TP_ARGS(hw, vec, cpu),
	    TP_STRUCT__entry(__string(dev, dev_name(hw))
			     __field(u32, vec)
			     __field(u32, cpu)),
	    TP_fast_assign(loopnic_assign_str(dev, dev_name(hw));
			   __entry->vec = vec;
			   __entry->cpu = cpu;),
	    TP_printk("dev=%s vec=%u cpu=%u",
		      __get_str(dev), __entry->vec, __entry->cpu)
);

#endif /* LOOPNIC_TRACE_H */

/* An out-of-tree module: Kbuild puts src/ on trace.o's include path. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
