// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic ring path: transmit, after mlx5e_xmit() and mlx5e_poll_tx_cq().
 * Each skb becomes one WQE for its head and one per fragment, all DMA
 * mapped; the last WQE carries EOP and the device answers with one CQE.
 * A TCP GSO skb goes whole, with LSO: the device cuts it into segments.
 */
#include <linux/dma-mapping.h>
#include <linux/if_vlan.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>

#include "en.h"

int loopnic_sq_alloc(struct loopnic_channel *ch, unsigned int size)
{
	struct loopnic_sq *sq = &ch->sq;

	sq->log_sz = ilog2(size);
	sq->mask = size - 1;
	sq->pc = 0;
	sq->cc = 0;
	sq->db_pc = 0;
	sq->txq = netdev_get_tx_queue(ch->netdev, ch->ix);
	sq->buf = kvcalloc(size, sizeof(*sq->buf), GFP_KERNEL);
	if (!sq->buf)
		return -ENOMEM;
	sq->wqe = dma_alloc_coherent(ch->pdev, size * sizeof(*sq->wqe), &sq->dma,
				     GFP_KERNEL);
	if (!sq->wqe) {
		kvfree(sq->buf);
		sq->buf = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void loopnic_tx_buf_unmap(struct loopnic_channel *ch,
				 struct loopnic_tx_buf *buf)
{
	switch (buf->map) {
	case LOOPNIC_TX_MAP_SINGLE:
		dma_unmap_single(ch->pdev, buf->addr, buf->len, DMA_TO_DEVICE);
		break;
	case LOOPNIC_TX_MAP_PAGE:
		dma_unmap_page(ch->pdev, buf->addr, buf->len, DMA_TO_DEVICE);
		break;
	}
	buf->map = LOOPNIC_TX_MAP_NONE;
}

/*
 * The LSO frame the device was cutting when it stopped gets no CQE, but
 * the segments it had sent reach the peer: they count as sent, and
 * loopnic_sq_drop_all() counts only the rest as dropped.
 */
static void loopnic_sq_complete_head_segs(struct loopnic_channel *ch)
{
	struct loopnic_sq *sq = &ch->sq;
	struct loopnic_tx_buf *buf = NULL;
	u32 segs, ix, seg_bytes;

	segs = loopnic_hw_reg_read(ch->hw, LOOPNIC_REG_CH(ch->ix) +
				   LOOPNIC_CH_SQ_HEAD_SEGS);
	if (!segs)
		return;
	/* The head frame's skb is on its last WQE. */
	for (ix = sq->cc; ix != sq->pc; ix++) {
		buf = &sq->buf[ix & sq->mask];
		if (buf->skb)
			break;
	}
	if (ix == sq->pc || !skb_is_gso(buf->skb) || segs >= buf->packets) {
		netdev_warn_once(ch->netdev, "ch%u: device reports %u segments sent of a frame that has no more\n",
				 ch->ix, segs);
		return;
	}
	/* All but the last segment are full: headers and gso_size of payload. */
	seg_bytes = skb_tcp_all_headers(buf->skb) + skb_shinfo(buf->skb)->gso_size;
	loopnic_count_frames(ch->port,
			     LOOPNIC_CH_CTR(ch->ix, LOOPNIC_CHSTAT_TX_PACKETS),
			     segs, segs * seg_bytes);
	buf->packets -= segs;
}

/*
 * With NAPI off and the device's engine stopped: the frames it completed
 * were sent, and count as sent, whether a poll came for them or not, as
 * do the segments it sent of an LSO frame it did not complete. Called with
 * BH disabled; returns the WQEs completed.
 */
u32 loopnic_sq_complete_sent(struct loopnic_channel *ch)
{
	u32 cc = ch->sq.cc;

	while (loopnic_poll_tx_cq(ch, 0))
		;
	loopnic_sq_complete_head_segs(ch);
	return ch->sq.cc - cc;
}

/*
 * After the device stopped and loopnic_sq_complete_sent(): frames it never
 * completed were not sent, and count as dropped only. Returns how many.
 */
unsigned int loopnic_sq_drop_all(struct loopnic_channel *ch)
{
	struct loopnic_sq *sq = &ch->sq;
	unsigned int lost = 0;

	for (; sq->cc != sq->pc; sq->cc++) {
		struct loopnic_tx_buf *buf = &sq->buf[sq->cc & sq->mask];

		loopnic_tx_buf_unmap(ch, buf);
		if (buf->skb) {
			dev_kfree_skb_any(buf->skb);
			buf->skb = NULL;
			lost += buf->packets;
		}
	}
	if (lost) {
		local_bh_disable();
		loopnic_count(ch->port, LOOPNIC_TX_DROPS, lost);
		local_bh_enable();
	}
	return lost;
}

void loopnic_sq_free(struct loopnic_channel *ch)
{
	struct loopnic_sq *sq = &ch->sq;

	if (!sq->wqe)
		return;
	/*
	 * No BQL reset here: on reconfiguration the queue already belongs to
	 * the new SQ; loopnic_ch_deactivate() reset it for what is dropped.
	 */
	loopnic_sq_drop_all(ch);

	dma_free_coherent(ch->pdev, (sq->mask + 1) * sizeof(*sq->wqe), sq->wqe,
			  sq->dma);
	sq->wqe = NULL;
	kvfree(sq->buf);
	sq->buf = NULL;
}

static u32 loopnic_sq_room(struct loopnic_sq *sq)
{
	return sq->mask + 1 - (READ_ONCE(sq->pc) - READ_ONCE(sq->cc));
}

/*
 * Stops the queue unless the SQ has @need WQEs free, and looks again once
 * stopped, for completions that freed them meanwhile. Returns true if the
 * queue stays stopped: completions will wake it.
 */
static bool loopnic_sq_stop_for(struct loopnic_channel *ch, u32 need)
{
	struct loopnic_sq *sq = &ch->sq;

	if (likely(loopnic_sq_room(sq) >= need))
		return false;
	/* Each stop counted once: a GSO frame's segments may find it stopped. */
	if (!netif_tx_queue_stopped(sq->txq))
		loopnic_ch_count(ch, LOOPNIC_CHSTAT_TX_STOPPED, 1);
	netif_tx_stop_queue(sq->txq);
	/* Pairs with the barrier in loopnic_poll_tx_cq() before its wake test. */
	smp_mb();
	if (loopnic_sq_room(sq) < need)
		return true;
	netif_tx_start_queue(sq->txq);
	return false;
}

static void loopnic_sq_notify(struct loopnic_channel *ch)
{
	struct loopnic_sq *sq = &ch->sq;

	if (sq->db_pc == sq->pc)
		return;
	/* WQEs are in memory before the device can see the new counter. */
	dma_wmb();
	loopnic_hw_reg_write(ch->hw, loopnic_reg_q(ch, LOOPNIC_Q_SQ, LOOPNIC_Q_DB),
			     sq->pc);
	sq->db_pc = sq->pc;
	loopnic_ch_count(ch, LOOPNIC_CHSTAT_TX_DOORBELLS, 1);
}

static void loopnic_sq_post(struct loopnic_sq *sq, u32 i, dma_addr_t addr,
			    u32 len, u8 map, u16 flags)
{
	struct loopnic_tx_wqe *wqe = &sq->wqe[(sq->pc + i) & sq->mask];
	struct loopnic_tx_buf *buf = &sq->buf[(sq->pc + i) & sq->mask];

	wqe->addr = cpu_to_le64(addr);
	wqe->len = cpu_to_le16(len);
	wqe->flags = cpu_to_le16(flags);
	wqe->csum_start = 0;
	wqe->csum_offset = 0;
	buf->addr = addr;
	buf->len = len;
	buf->map = map;
	buf->skb = NULL;
}

/*
 * A GSO skb the device can segment (hw.h, LOOPNIC_TX_F_LSO): plain TCP
 * right behind IPv4 or IPv6 behind an untagged Ethernet header. A fixed
 * IPv4 ID only with tx-tcp-mangleid-segmentation on, which lets the
 * device count it up as it does; the core checks that for what it hands
 * the ring path, not for a frame it validated for the backlog path before
 * a switch (loopnic_tx_needs_sw()).
 */
static bool loopnic_tx_lso_ok(const struct sk_buff *skb)
{
	unsigned int type = skb_shinfo(skb)->gso_type;

	if ((type & SKB_GSO_TCP_FIXEDID &&
	     !(skb->dev->features & NETIF_F_TSO_MANGLEID)) ||
	    type & ~(SKB_GSO_TCPV4 | SKB_GSO_TCPV6 | SKB_GSO_TCP_FIXEDID) ||
	    skb_network_offset(skb) != ETH_HLEN ||
	    skb_tcp_all_headers(skb) > LOOPNIC_HW_LSO_MAX_HDR)
		return false;
	if (type & SKB_GSO_TCPV6)
		return ipv6_hdr(skb)->nexthdr == IPPROTO_TCP;
	return true;
}

/*
 * ndo_features_check on the ring path: the rest the core segments itself.
 * A VLAN tag still out of band here goes into the frame before xmit (the
 * MAC does not insert tags), where the device's parser would not see past
 * it.
 */
netdev_features_t loopnic_en_features_check(struct sk_buff *skb,
					    struct net_device *dev,
					    netdev_features_t features)
{
	features = vlan_features_check(skb, features);
	if (skb_is_gso(skb) &&
	    (skb_vlan_tag_present(skb) || !loopnic_tx_lso_ok(skb)))
		features &= ~NETIF_F_GSO_MASK;
	return features;
}

/* What dma_map_*() returns when it fails (debugfs faults/tx_dma_map). */
static dma_addr_t loopnic_tx_map_fault(struct loopnic_port *port)
{
	loopnic_count(port, LOOPNIC_FAULT_TX_DMA_MAP, 1);
	return DMA_MAPPING_ERROR;
}

static netdev_tx_t loopnic_tx_frame(struct loopnic_channel *ch,
				    struct sk_buff *skb, bool more)
{
	struct loopnic_port *port = ch->port;
	unsigned int nr_frags = skb_shinfo(skb)->nr_frags;
	u32 n = nr_frags + 1, bytes = skb->len, i;
	struct loopnic_sq *sq = &ch->sq;
	struct loopnic_tx_wqe *first, *last;
	u32 max_len = LOOPNIC_HW_MAX_FRAME;
	u32 hdr_len = 0;
	u16 packets = 1;
	dma_addr_t addr;
	bool map_fault;
	u16 flags = 0;

	if (skb_is_gso(skb)) {
		packets = max_t(u16, skb_shinfo(skb)->gso_segs, 1);
		/* Every segment carries the headers on the wire. */
		hdr_len = skb_tcp_all_headers(skb);
		bytes += (packets - 1) * hdr_len;
		max_len = LOOPNIC_HW_MAX_LSO;
		flags |= LOOPNIC_TX_F_LSO;
	} else if (skb->ip_summed == CHECKSUM_PARTIAL) {
		flags |= LOOPNIC_TX_F_CSUM;
	}
	/*
	 * The stack keeps to the MTU (to the LSO limit): anything else is a
	 * frame the MAC cannot carry, as is a buffer a WQE cannot describe.
	 */
	if (unlikely(skb->len > max_len || skb->len < ETH_HLEN ||
		     skb_headlen(skb) > U16_MAX))
		goto drop;
	/* The queue stops while there is room for a full frame: a bug. */
	if (unlikely(loopnic_sq_stop_for(ch, n))) {
		/* Earlier frames of the burst may still wait for a doorbell. */
		loopnic_sq_notify(ch);
		return NETDEV_TX_BUSY;
	}

	/*
	 * An injected mapping failure hits the frame's last buffer, so that
	 * the buffers mapped before it are unmapped as on a real failure.
	 */
	map_fault = loopnic_drv_fault(port, LOOPNIC_DRV_FAULT_TX_DMA_MAP);
	if (unlikely(map_fault && !nr_frags))
		addr = loopnic_tx_map_fault(port);
	else
		addr = dma_map_single(ch->pdev, skb->data, skb_headlen(skb),
				      DMA_TO_DEVICE);
	if (unlikely(dma_mapping_error(ch->pdev, addr)))
		goto drop;
	loopnic_sq_post(sq, 0, addr, skb_headlen(skb), LOOPNIC_TX_MAP_SINGLE, flags);

	for (i = 0; i < nr_frags; i++) {
		const skb_frag_t *frag = &skb_shinfo(skb)->frags[i];
		u32 len = skb_frag_size(frag);

		if (unlikely(len > U16_MAX))
			goto unmap;
		if (unlikely(map_fault && i == nr_frags - 1))
			addr = loopnic_tx_map_fault(port);
		else
			addr = skb_frag_dma_map(ch->pdev, frag, 0, len, DMA_TO_DEVICE);
		if (unlikely(dma_mapping_error(ch->pdev, addr)))
			goto unmap;
		loopnic_sq_post(sq, i + 1, addr, len, LOOPNIC_TX_MAP_PAGE, 0);
	}

	first = &sq->wqe[sq->pc & sq->mask];
	if (flags & LOOPNIC_TX_F_LSO) {
		first->csum_start = cpu_to_le16(skb_transport_offset(skb));
		first->mss = cpu_to_le16(skb_shinfo(skb)->gso_size);
		loopnic_count_frames(port, LOOPNIC_TX_TSO_PACKETS, 1,
				     skb->len - hdr_len);
	} else if (flags & LOOPNIC_TX_F_CSUM) {
		first->csum_start = cpu_to_le16(skb_checksum_start_offset(skb));
		first->csum_offset = cpu_to_le16(skb->csum_offset);
	}
	last = &sq->wqe[(sq->pc + n - 1) & sq->mask];
	last->flags |= cpu_to_le16(LOOPNIC_TX_F_EOP);
	sq->buf[(sq->pc + n - 1) & sq->mask].skb = skb;
	sq->buf[(sq->pc + n - 1) & sq->mask].bytes = bytes;
	sq->buf[(sq->pc + n - 1) & sq->mask].packets = packets;

	skb_tx_timestamp(skb);
	WRITE_ONCE(sq->pc, sq->pc + n);

	loopnic_sq_stop_for(ch, LOOPNIC_SQ_STOP_ROOM);

	/* BQL, and doorbell batching: ring only at the end of a burst. */
	if (__netdev_tx_sent_queue(sq->txq, bytes, more))
		loopnic_sq_notify(ch);
	return NETDEV_TX_OK;

unmap:
	while (i--)
		loopnic_tx_buf_unmap(ch, &sq->buf[(sq->pc + i + 1) & sq->mask]);
	loopnic_tx_buf_unmap(ch, &sq->buf[sq->pc & sq->mask]);
drop:
	loopnic_count(port, LOOPNIC_TX_DROPS, packets);
	dev_kfree_skb_any(skb);
	/* Earlier frames of the burst may still wait for a doorbell. */
	if (!more)
		loopnic_sq_notify(ch);
	return NETDEV_TX_OK;
}

/*
 * A frame the core validated for the backlog path, which takes any skb,
 * and held in the qdisc across a switch to this path: the core does not
 * validate again a frame it had to requeue. What the device cannot do
 * with it, the core would have done in software: loopnic_tx_sw() does.
 */
static bool loopnic_tx_needs_sw(struct sk_buff *skb)
{
	if (skb_has_frag_list(skb))
		return true;
	if (skb_is_gso(skb))
		return !loopnic_tx_lso_ok(skb);
	return skb->ip_summed == CHECKSUM_PARTIAL && skb_csum_is_sctp(skb);
}

/*
 * Segmented without scatter-gather, every frame is linear and takes one
 * WQE, so the room they need is known before the skb is consumed. A GSO
 * skb of more segments than the SQ can ever take at once (-G made it
 * smaller meanwhile) is dropped.
 */
static netdev_tx_t loopnic_tx_sw(struct loopnic_channel *ch, struct sk_buff *skb)
{
	netdev_features_t features = ch->netdev->features &
		~(NETIF_F_GSO_MASK | NETIF_F_SG | NETIF_F_FRAGLIST);
	u16 packets = skb_is_gso(skb) ? max_t(u16, skb_shinfo(skb)->gso_segs, 1) : 1;
	struct loopnic_sq *sq = &ch->sq;
	bool more = netdev_xmit_more();
	struct sk_buff *segs, *seg, *next;

	if (unlikely(packets > sq->mask + 1 - LOOPNIC_SQ_STOP_ROOM))
		goto drop;
	if (loopnic_sq_stop_for(ch, packets)) {
		/* The core retries once completions wake the queue. */
		loopnic_sq_notify(ch);
		return NETDEV_TX_BUSY;
	}

	if (skb_is_gso(skb)) {
		segs = skb_gso_segment(skb, features);
		if (IS_ERR_OR_NULL(segs))
			goto drop;
		consume_skb(skb);
	} else {
		if (skb_has_frag_list(skb) && __skb_linearize(skb))
			goto drop;
		if (skb->ip_summed == CHECKSUM_PARTIAL &&
		    skb_csum_hwoffload_help(skb, features))
			goto drop;
		segs = skb;
	}
	loopnic_count(ch->port, LOOPNIC_TX_SW_FALLBACK, 1);
	skb_list_walk_safe(segs, seg, next) {
		skb_mark_not_on_list(seg);
		/* Not for want of room, which is reserved: a segment too many. */
		if (loopnic_tx_frame(ch, seg, next || more) == NETDEV_TX_BUSY) {
			loopnic_count(ch->port, LOOPNIC_TX_DROPS, 1);
			dev_kfree_skb_any(seg);
		}
	}
	return NETDEV_TX_OK;

drop:
	loopnic_count(ch->port, LOOPNIC_TX_DROPS, packets);
	dev_kfree_skb_any(skb);
	if (!more)
		loopnic_sq_notify(ch);
	return NETDEV_TX_OK;
}

netdev_tx_t loopnic_en_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);
	struct loopnic_channels *chs = port->chs;
	u16 qm = skb_get_queue_mapping(skb);

	/*
	 * The core picks a queue below real_num_tx_queues, which only changes
	 * with every queue stopped; anything else is a frame we hold no lock for.
	 */
	if (unlikely(qm >= chs->num)) {
		loopnic_count(port, LOOPNIC_TX_DROPS, 1);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	if (unlikely(loopnic_tx_needs_sw(skb)))
		return loopnic_tx_sw(chs->c[qm], skb);
	return loopnic_tx_frame(chs->c[qm], skb, netdev_xmit_more());
}

/* Returns true if the CQ still had work after the poll budget. */
bool loopnic_poll_tx_cq(struct loopnic_channel *ch, int napi_budget)
{
	struct loopnic_cq *cq = &ch->txcq;
	struct loopnic_sq *sq = &ch->sq;
	unsigned int pkts = 0, bytes = 0, errs = 0, sent = 0, sent_bytes = 0, n;
	unsigned int segs = 0;
	struct loopnic_cqe *cqe;
	u32 cc = sq->cc;

	for (n = 0; n < LOOPNIC_TX_CQ_POLL_BUDGET; n++) {
		bool err;
		u16 end;
		u32 ix;

		cqe = loopnic_cqe_get(cq);
		if (!cqe)
			break;
		end = le16_to_cpu(cqe->wqe_counter);
		err = cqe->flags & LOOPNIC_CQE_F_ERR;
		cq->cc++;

		do {
			struct loopnic_tx_buf *buf;

			ix = cc++;
			buf = &sq->buf[ix & sq->mask];
			loopnic_tx_buf_unmap(ch, buf);
			if (buf->skb) {
				pkts++;
				segs += buf->packets;
				bytes += buf->bytes;
				/* Sent is what the device put on the wire. */
				if (err) {
					errs += buf->packets;
				} else {
					sent += buf->packets;
					sent_bytes += buf->bytes;
				}
				napi_consume_skb(buf->skb, napi_budget);
				buf->skb = NULL;
			}
		} while ((u16)ix != end && cc != READ_ONCE(sq->pc));
	}

	if (!n)
		return false;

	if (errs)
		loopnic_count(ch->port, LOOPNIC_TX_DROPS, errs);
	if (sent)
		loopnic_count_frames(ch->port,
				     LOOPNIC_CH_CTR(ch->ix, LOOPNIC_CHSTAT_TX_PACKETS),
				     sent, sent_bytes);
	netdev_tx_completed_queue(sq->txq, pkts, bytes);
	ch->dim_tx_packets += segs;
	ch->dim_tx_bytes += bytes;
	WRITE_ONCE(sq->cc, cc);

	/* Pairs with the barrier in loopnic_sq_stop_for() after it stopped the queue. */
	smp_mb();
	if (netif_tx_queue_stopped(sq->txq) && READ_ONCE(sq->enabled) &&
	    loopnic_sq_room(sq) >= LOOPNIC_SQ_STOP_ROOM) {
		netif_tx_wake_queue(sq->txq);
		loopnic_ch_count(ch, LOOPNIC_CHSTAT_TX_WAKE, 1);
	}
	return n == LOOPNIC_TX_CQ_POLL_BUDGET;
}
