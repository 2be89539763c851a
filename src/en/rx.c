// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic ring path: receive, after mlx5e_poll_rx_cq() and
 * mlx5e_post_rx_wqes(). Every RQ entry is half a page from a page_pool
 * that maps its pages for the device; a frame's first buffer becomes the
 * skb's head, its further buffers (a frame longer than one) the skb's page
 * fragments, all without a copy, and a page goes back to the pool when the
 * stack freed both of its halves.
 */
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/checksum.h>

#include "en.h"
#include "../trace.h"

int loopnic_rq_alloc(struct loopnic_channel *ch, unsigned int size)
{
	struct page_pool_params pp = {
		.flags		= PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV |
				  LOOPNIC_PP_FLAG_FRAG,
		.order		= 0,
		.pool_size	= size,
		.nid		= dev_to_node(ch->pdev),
		.dev		= ch->pdev,
		.dma_dir	= DMA_FROM_DEVICE,
		/* A recycled page is synced whole: the device may write either half. */
		.max_len	= PAGE_SIZE,
		.offset		= 0,
	};
	struct loopnic_rq *rq = &ch->rq;
	int err = -ENOMEM;

	BUILD_BUG_ON(LOOPNIC_RX_HEADROOM + LOOPNIC_RX_BUF_LEN +
		     SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) > LOOPNIC_RX_STRIDE);
	/* A frame of the standard MTU, VLAN tag included, takes one buffer. */
	BUILD_BUG_ON(LOOPNIC_RX_BUF_LEN < VLAN_ETH_FRAME_LEN);
	BUILD_BUG_ON(LOOPNIC_RX_MAX_BUFS - 1 > MAX_SKB_FRAGS);
	/* Even the smallest RQ holds the largest frame, which never arrived else. */
	BUILD_BUG_ON(BIT(LOOPNIC_HW_MIN_LOG_SZ) < LOOPNIC_RX_MAX_BUFS);

	rq->log_sz = ilog2(size);
	rq->mask = size - 1;
	rq->pc = 0;
	rq->cc = 0;
	rq->skb = NULL;
	rq->frags = NULL;
	rq->skip = false;
	rq->buf = kvcalloc(size, sizeof(*rq->buf), GFP_KERNEL);
	if (!rq->buf)
		return -ENOMEM;
	rq->wqe = dma_alloc_coherent(ch->pdev, size * sizeof(*rq->wqe), &rq->dma,
				     GFP_KERNEL);
	if (!rq->wqe)
		goto err_page;
	rq->pool = page_pool_create(&pp);
	if (IS_ERR(rq->pool)) {
		err = PTR_ERR(rq->pool);
		rq->pool = NULL;
		goto err_wqe;
	}
	return 0;

err_wqe:
	dma_free_coherent(ch->pdev, size * sizeof(*rq->wqe), rq->wqe, rq->dma);
	rq->wqe = NULL;
err_page:
	kvfree(rq->buf);
	rq->buf = NULL;
	return err;
}

/*
 * After the device stopped and NAPI is off. Frames the device completed but
 * NAPI never handled were received and lost: count them, once per frame,
 * with the one NAPI had begun to assemble (unless it was dropped already).
 */
void loopnic_rq_free(struct loopnic_channel *ch)
{
	struct loopnic_rq *rq = &ch->rq;
	bool begun = !!rq->skb, skip = rq->skip;
	struct loopnic_cqe *cqe;
	unsigned int lost = 0;

	if (!rq->wqe)
		return;
	while ((cqe = loopnic_cqe_get(&ch->rxcq))) {
		ch->rxcq.cc++;
		if (!skip)
			begun = true;
		if (cqe->flags & LOOPNIC_CQE_F_MORE)
			continue;
		lost += begun;
		begun = false;
		skip = false;
	}
	/* A frame whose last CQE never came is lost too. */
	lost += begun;
	if (rq->skb) {
		kfree_skb(rq->skb);
		rq->skb = NULL;
	}
	rq->frags = NULL;
	rq->skip = false;
	for (; rq->cc != rq->pc; rq->cc++) {
		struct loopnic_rq_buf *buf = &rq->buf[rq->cc & rq->mask];

		page_pool_put_full_page(rq->pool, buf->page, false);
		buf->page = NULL;
	}
	if (lost) {
		local_bh_disable();
		loopnic_count(ch->port, LOOPNIC_RX_DROPS, lost);
		local_bh_enable();
	}

	/*
	 * Pages still held by skbs in the stack keep the pool alive until they
	 * come back. The device need not outlive it: 6.1's pool holds a
	 * reference to it, 6.12's unmaps those pages here, at once.
	 */
	page_pool_destroy(rq->pool);
	rq->pool = NULL;
	dma_free_coherent(ch->pdev, (rq->mask + 1) * sizeof(*rq->wqe), rq->wqe,
			  rq->dma);
	rq->wqe = NULL;
	kvfree(rq->buf);
	rq->buf = NULL;
}

/*
 * Keep the RQ full; the doorbell goes once per refill, not per buffer.
 * Returns true if a buffer could not be allocated: as mlx5e, NAPI then
 * stays scheduled and tries again, since an RQ left empty would get no
 * frame, hence no interrupt, to refill it.
 */
bool loopnic_post_rx_wqes(struct loopnic_channel *ch)
{
	struct loopnic_rq *rq = &ch->rq;
	bool short_of_pages = false;
	u32 pc = rq->pc;

	/*
	 * The RQ and its page_pool's alloc cache have no lock: only the NAPI
	 * that owns them posts, or the channel's owner while NAPI is off
	 * (loopnic_ch_activate()). Either way NAPI's SCHED bit is held.
	 */
	DEBUG_NET_WARN_ON_ONCE(!test_bit(NAPI_STATE_SCHED, &ch->napi.state));
	if (unlikely(test_bit(LOOPNIC_PFLAG_RX_NO_REFILL, &ch->port->pflags)))
		return false;

	while (pc - rq->cc <= rq->mask) {
		struct loopnic_rx_wqe *wqe = &rq->wqe[pc & rq->mask];
		struct loopnic_rq_buf *buf = &rq->buf[pc & rq->mask];

		if (loopnic_drv_fault(ch->port, LOOPNIC_DRV_FAULT_RX_ALLOC)) {
			loopnic_count(ch->port, LOOPNIC_FAULT_RX_ALLOC, 1);
			buf->page = NULL;
		} else {
			buf->page = page_pool_dev_alloc_frag(rq->pool, &buf->offset,
							     LOOPNIC_RX_STRIDE);
		}
		if (unlikely(!buf->page)) {
			short_of_pages = true;
			break;
		}
		wqe->addr = cpu_to_le64(page_pool_get_dma_addr(buf->page) +
					buf->offset + LOOPNIC_RX_HEADROOM);
		wqe->len = cpu_to_le32(LOOPNIC_RX_BUF_LEN);
		pc++;
	}
	if (pc == rq->pc)
		return short_of_pages;

	rq->pc = pc;
	/* Posted WQEs are in memory before the device can see the new counter. */
	dma_wmb();
	loopnic_hw_reg_write(ch->hw, loopnic_reg_q(ch, LOOPNIC_Q_RQ, LOOPNIC_Q_DB),
			     rq->pc);
	return short_of_pages;
}

static void loopnic_rx_sync(struct loopnic_channel *ch,
			    const struct loopnic_rq_buf *buf, u32 len)
{
	dma_sync_single_for_cpu(ch->pdev, page_pool_get_dma_addr(buf->page) +
				buf->offset + LOOPNIC_RX_HEADROOM,
				len, page_pool_get_dma_dir(ch->rq.pool));
}

/* A frame's first buffer: its stride of the page becomes the skb's head. */
static struct sk_buff *loopnic_rx_build_skb(struct loopnic_channel *ch,
					    const struct loopnic_rq_buf *buf,
					    u32 len)
{
	struct loopnic_rq *rq = &ch->rq;
	struct sk_buff *skb;

	loopnic_rx_sync(ch, buf, len);
	skb = napi_build_skb(page_address(buf->page) + buf->offset,
			     LOOPNIC_RX_STRIDE);
	if (unlikely(!skb)) {
		page_pool_put_full_page(rq->pool, buf->page, true);
		return NULL;
	}
	skb_mark_for_recycle(skb);
	skb_reserve(skb, LOOPNIC_RX_HEADROOM);
	skb_put(skb, len);
	return skb;
}

/*
 * Drop the frame being assembled: counted once, and the buffers the device
 * still completes for it (LOOPNIC_CQE_F_MORE on this one) only recycled.
 */
static void loopnic_rx_drop_frame(struct loopnic_channel *ch, bool more)
{
	struct loopnic_rq *rq = &ch->rq;

	if (rq->skb) {
		kfree_skb(rq->skb);
		rq->skb = NULL;
	}
	rq->skip = more;
	loopnic_count(ch->port, LOOPNIC_RX_DROPS, 1);
}

/*
 * A frame LRO built fills more buffers than an skb has fragments: the
 * next ones go into a new skb on @head's frag_list, which the stack reads
 * as it reads GRO's. False if there is no skb for it.
 */
static bool loopnic_rx_chain(struct loopnic_channel *ch, struct sk_buff *head)
{
	struct loopnic_rq *rq = &ch->rq;
	struct sk_buff *skb;

	skb = napi_alloc_skb(&ch->napi, 0);
	if (unlikely(!skb))
		return false;
	skb_mark_for_recycle(skb);
	if (rq->frags == head)
		skb_shinfo(head)->frag_list = skb;
	else
		rq->frags->next = skb;
	rq->frags = skb;
	head->truesize += skb->truesize;
	return true;
}

/*
 * One RX CQE: its buffer starts a frame (the skb's head) or continues it (a
 * page fragment). Returns the skb once the frame's last buffer is in it.
 */
static struct sk_buff *loopnic_rx_buf(struct loopnic_channel *ch,
				      const struct loopnic_cqe *cqe,
				      const struct loopnic_rq_buf *buf)
{
	bool more = cqe->flags & LOOPNIC_CQE_F_MORE;
	u32 max = cqe->flags & LOOPNIC_CQE_F_LRO ? LOOPNIC_HW_MAX_LSO : LOOPNIC_HW_MAX_FRAME;
	u32 len = le32_to_cpu(cqe->byte_cnt);
	struct loopnic_rq *rq = &ch->rq;
	struct sk_buff *skb = rq->skb;

	if (unlikely(rq->skip)) {
		page_pool_put_full_page(rq->pool, buf->page, true);
		rq->skip = more;
		return NULL;
	}
	/* The head holds the Ethernet header; later buffers just data. */
	if (unlikely(len > LOOPNIC_RX_BUF_LEN || (!skb && len < ETH_HLEN) ||
		     (skb && (!len || skb->len + len > max)))) {
		page_pool_put_full_page(rq->pool, buf->page, true);
		loopnic_rx_drop_frame(ch, more);
		return NULL;
	}

	if (!skb) {
		skb = loopnic_rx_build_skb(ch, buf, len);
		if (unlikely(!skb)) {
			loopnic_rx_drop_frame(ch, more);
			return NULL;
		}
		rq->frags = skb;
	} else {
		if (skb_shinfo(rq->frags)->nr_frags >= MAX_SKB_FRAGS &&
		    unlikely(!(cqe->flags & LOOPNIC_CQE_F_LRO) || !loopnic_rx_chain(ch, skb))) {
			page_pool_put_full_page(rq->pool, buf->page, true);
			loopnic_rx_drop_frame(ch, more);
			return NULL;
		}
		loopnic_rx_sync(ch, buf, len);
		skb_add_rx_frag(rq->frags, skb_shinfo(rq->frags)->nr_frags, buf->page,
				buf->offset + LOOPNIC_RX_HEADROOM, len,
				LOOPNIC_RX_STRIDE);
		if (rq->frags != skb) {
			skb->len += len;
			skb->data_len += len;
			skb->truesize += LOOPNIC_RX_STRIDE;
		}
		loopnic_ch_count(ch, LOOPNIC_CHSTAT_RX_FRAGS, 1);
	}
	if (more) {
		rq->skb = skb;
		return NULL;
	}
	rq->skb = NULL;
	return skb;
}

/*
 * Under RTNL. The device reads the limit per segment: a frame it builds
 * meanwhile ends with the next one (off), or may grow to the new limit.
 * Either way no frame passes 64 kB, which the RX path takes as is.
 */
void loopnic_en_set_lro(struct loopnic_port *port, bool on)
{
	if (port->hw)
		loopnic_hw_reg_write(port->hw, LOOPNIC_REG_LRO,
				     on ? LOOPNIC_RX_LRO_BUFS : 0);
}

/*
 * A frame the device built of @cqe->lro_segs TCP segments: the stack takes
 * it as GRO would have built it. Its TCP checksum is the first segment's,
 * and the device checked every segment's. False if the CQE is not sane.
 */
static bool loopnic_rx_lro(struct loopnic_channel *ch, struct sk_buff *skb,
			   const struct loopnic_cqe *cqe)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);
	u16 mss = le16_to_cpu(cqe->lro_mss);

	if (unlikely(cqe->lro_segs < 2 || !mss ||
		     (skb->protocol != htons(ETH_P_IP) &&
		      skb->protocol != htons(ETH_P_IPV6))))
		return false;
	shinfo->gso_size = mss;
	shinfo->gso_segs = cqe->lro_segs;
	shinfo->gso_type = skb->protocol == htons(ETH_P_IP) ? SKB_GSO_TCPV4 :
							       SKB_GSO_TCPV6;
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	loopnic_count_frame(ch->port, LOOPNIC_RX_LRO_PACKETS, skb->len + ETH_HLEN);
	return true;
}

/*
 * The budget counts frames, not CQEs: a poll stops only between frames,
 * unless the device has not written a frame's last CQE yet; the frame is
 * then kept in rq->skb for the next poll.
 */
int loopnic_poll_rx_cq(struct loopnic_channel *ch, int budget)
{
	struct loopnic_cq *cq = &ch->rxcq;
	struct loopnic_rq *rq = &ch->rq;
	struct loopnic_cqe *cqe;
	int work = 0;

	while (work < budget && (cqe = loopnic_cqe_get(cq))) {
		struct loopnic_rq_buf buf = rq->buf[rq->cc & rq->mask];
		struct sk_buff *skb;
		u32 len, segs;

		/* The device fills RQ entries in order: cqe->wqe_counter == rq->cc. */
		rq->buf[rq->cc & rq->mask].page = NULL;
		rq->cc++;
		/* Read by loopnic_en_reconfigure() waiting for the CQ to drain. */
		WRITE_ONCE(cq->cc, cq->cc + 1);

		skb = loopnic_rx_buf(ch, cqe, &buf);
		if (!skb) {
			/* A dropped frame ends here too, and counts as work. */
			if (!(cqe->flags & LOOPNIC_CQE_F_MORE))
				work++;
			continue;
		}
		work++;
		len = skb->len;

		if (likely(ch->netdev->features & NETIF_F_RXHASH) &&
		    cqe->rss_type != LOOPNIC_CQE_RSS_NONE)
			skb_set_hash(skb, le32_to_cpu(cqe->rss_hash),
				     cqe->rss_type == LOOPNIC_CQE_RSS_L4 ?
				     PKT_HASH_TYPE_L4 : PKT_HASH_TYPE_L3);
		/*
		 * The device's sum starts after the Ethernet header, where
		 * skb->data is once eth_type_trans() pulled it. Without
		 * rx-checksumming the stack sums the frame itself.
		 */
		if (likely(ch->netdev->features & NETIF_F_RXCSUM) &&
		    likely(cqe->flags & LOOPNIC_CQE_F_CSUM)) {
			skb->ip_summed = CHECKSUM_COMPLETE;
			skb->csum = csum_unfold(cqe->csum);
		}
		skb->protocol = eth_type_trans(skb, ch->netdev);
		segs = 1;
		if (cqe->flags & LOOPNIC_CQE_F_LRO) {
			if (unlikely(!loopnic_rx_lro(ch, skb, cqe))) {
				kfree_skb(skb);
				loopnic_count(ch->port, LOOPNIC_RX_DROPS, 1);
				continue;
			}
			segs = cqe->lro_segs;
		}
		skb_record_rx_queue(skb, ch->ix);
		/* As mlx5: a frame LRO built counts as its segments, in its own bytes. */
		loopnic_count_frames(ch->port, LOOPNIC_CH_CTR(ch->ix, LOOPNIC_CHSTAT_RX_PACKETS),
				     segs, len);
		ch->dim_rx_packets += segs;
		ch->dim_rx_bytes += len;
		trace_loopnic_rx(ch->netdev, skb, LOOPNIC_PATH_RING, ch->ix);
		if (unlikely(loopnic_selftest_rx(ch->port, skb)))
			continue;
		napi_gro_receive(&ch->napi, skb);
	}
	return work;
}
