// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic device model: the cable and the receiving MAC. A frame leaving one
 * device is steered by the peer's RSS to one of its channels and lands in
 * that channel's next posted RX buffers (as many as it fills), each
 * announced by an RX CQE. Too few buffers posted: the frame is dropped
 * whole and counted in the peer's rx_out_of_buffer, as on mlx5, unless
 * link-level flow control (LOOPNIC_REG_PAUSE) makes the wire hold it in
 * the sender's SQ until the RQ is refilled. A device in MAC loopback
 * (LOOPNIC_REG_LOOPBACK) receives its own frames the same way, as if the
 * cable went back into itself.
 *
 * The bit masks of channels a frame touched (rx_chs, pause_waiters) keep the
 * receiving device apart: bit i is channel i of the peer, bit
 * LOOPNIC_HW_MAX_CHANNELS + i channel i of the sending device itself.
 */
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/hrtimer.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <net/checksum.h>
#include <net/ip.h>

#include "../compat.h"
#include "device.h"
#include "../trace.h"

#define LOOPNIC_HW_SELF		LOOPNIC_HW_MAX_CHANNELS
static_assert(2 * LOOPNIC_HW_MAX_CHANNELS <= BITS_PER_LONG);

/*
 * Toeplitz over @len bytes of @in: every set input bit XORs in the 32 key
 * bits starting at its position. @len + 4 key bytes are used. @w holds the
 * 40 key bits from the current input byte's position on, so that each set
 * bit costs one shift and nothing is done for a clear one.
 */
static u32 loopnic_hw_toeplitz(const u8 *key, const u8 *in, unsigned int len)
{
	u32 hash = 0;
	unsigned int i;
	u64 w = 0;

	for (i = 0; i < 5; i++)
		w = w << 8 | READ_ONCE(key[i]);
	for (i = 0; i < len; i++) {
		unsigned int bits = in[i];

		/* Bit b of the byte is b + 1 bits from the end of the 40. */
		while (bits) {
			hash ^= (u32)(w >> (__ffs(bits) + 1));
			bits &= bits - 1;
		}
		if (i + 1 < len)
			w = w << 8 | READ_ONCE(key[i + 5]);
	}
	return hash;
}

/*
 * The MAC's parser, for RSS and fault injection: as shallow as a real
 * one, no IPv6 extension headers. False if the frame is not IP or too
 * short for its IP header.
 */
bool loopnic_hw_parse_ip(const u8 *frame, u32 len, struct loopnic_hw_ip *ip)
{
	if (len < ETH_HLEN)
		return false;
	switch (get_unaligned_be16(frame + 12)) {
	case ETH_P_IP: {
		const struct iphdr *ip4 = (const void *)(frame + ETH_HLEN);

		if (len < ETH_HLEN + sizeof(*ip4) || ip4->ihl < 5 ||
		    len < ETH_HLEN + ip4->ihl * 4)
			return false;
		ip->addrs = (const u8 *)&ip4->saddr;
		ip->alen = 8;
		ip->proto = ip4->protocol;
		ip->end = ETH_HLEN + ntohs(ip4->tot_len);
		/* Only the first fragment has ports, and only unfragmented ones all. */
		ip->l4 = ip4->frag_off & htons(IP_MF | IP_OFFSET) ? 0 :
			 ETH_HLEN + ip4->ihl * 4;
		return true;
	}
	case ETH_P_IPV6: {
		const struct ipv6hdr *ip6 = (const void *)(frame + ETH_HLEN);

		if (len < ETH_HLEN + sizeof(*ip6))
			return false;
		ip->addrs = (const u8 *)&ip6->saddr;
		ip->alen = 32;
		ip->proto = ip6->nexthdr;
		ip->l4 = ETH_HLEN + sizeof(*ip6);
		ip->end = ip->l4 + ntohs(ip6->payload_len);
		return true;
	}
	}
	return false;
}

/*
 * Make the IP header of @frame (IPv4 without options' checksum included,
 * or IPv6) say the packet ends with the @len bytes of the frame.
 */
void loopnic_hw_ip_set_len(u8 *frame, bool ipv6, u32 len)
{
	if (ipv6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(frame + ETH_HLEN);

		ip6->payload_len = htons(len - ETH_HLEN - sizeof(*ip6));
	} else {
		struct iphdr *ip4 = (struct iphdr *)(frame + ETH_HLEN);

		ip4->tot_len = htons(len - ETH_HLEN);
		ip4->check = 0;
		ip4->check = ip_fast_csum(ip4, ip4->ihl);
	}
}

/*
 * Source and destination address, then for TCP and UDP source and
 * destination port, in wire order (as Microsoft's RSS spec). Returns the
 * hash, and in @type what it covered.
 */
static u32 loopnic_hw_rss_hash(struct loopnic_hw *hw, const u8 *frame, u32 len,
			       u8 *type)
{
	u8 in[2 * sizeof(struct in6_addr) + 4];
	struct loopnic_hw_ip ip;
	unsigned int n;

	*type = LOOPNIC_CQE_RSS_NONE;
	if (!loopnic_hw_parse_ip(frame, len, &ip))
		return 0;
	/* Both addresses sit side by side in either header. */
	memcpy(in, ip.addrs, ip.alen);
	n = ip.alen;
	*type = LOOPNIC_CQE_RSS_L3;
	if (ip.l4 && (ip.proto == IPPROTO_TCP || ip.proto == IPPROTO_UDP) &&
	    len >= ip.l4 + 4) {
		memcpy(in + n, frame + ip.l4, 4);
		n += 4;
		*type = LOOPNIC_CQE_RSS_L4;
	}
	return loopnic_hw_toeplitz(hw->rss_key, in, n);
}

/*
 * 802.3x between @rx (whose RQ is empty) and the port @src sends from: @rx
 * sends PAUSE if its TX pause is on, @src honours it if its RX pause is on.
 */
static bool loopnic_hw_paused(struct loopnic_hw *rx, struct loopnic_hw *src)
{
	return (READ_ONCE(rx->pause) & LOOPNIC_PAUSE_TX) &&
	       (READ_ONCE(src->pause) & LOOPNIC_PAUSE_RX);
}

static struct loopnic_rx_wqe *loopnic_hw_rq_wqe(struct loopnic_hw_q *rq, u32 ctr)
{
	return (struct loopnic_rx_wqe *)rq->va + (ctr & rq->mask);
}

/*
 * The size of the buffer RX WQE @ctr posts. A buffer takes at most one
 * frame, so a larger size is taken as that: what the driver wrote cannot
 * make the sums of several overflow.
 */
u32 loopnic_hw_rq_wqe_len(struct loopnic_hw_q *rq, u32 ctr)
{
	return min_t(u32, le32_to_cpu(loopnic_hw_rq_wqe(rq, ctr)->len),
		     LOOPNIC_HW_MAX_FRAME);
}

/*
 * How many RX WQEs from the consumer counter a frame of @len bytes fills,
 * with the doorbell at @pc, and in *@roomp their buffers' size: 0 if those
 * posted do not hold all of it. Called after dma_rmb() following the read
 * of @pc.
 */
u32 loopnic_hw_rq_bufs(struct loopnic_hw_q *rq, u32 pc, u32 len, u32 *roomp)
{
	u32 n, room = 0;

	/*
	 * A doorbell further ahead than the ring is long is not the driver's
	 * (a broken one, or a stale write): none of its entries is used.
	 */
	if (unlikely(pc - rq->ctr > rq->mask + 1))
		return 0;
	for (n = 0; room < len; n++) {
		if (rq->ctr + n == pc)
			return 0;
		room += loopnic_hw_rq_wqe_len(rq, rq->ctr + n);
	}
	*roomp = room;
	return n;
}

/* The RQ has every entry posted: no doorbell can add a buffer. */
static bool loopnic_hw_rq_full(struct loopnic_hw_q *rq, u32 pc)
{
	return pc - rq->ctr > rq->mask;
}

/* RX WQE @ctr: its buffer and, in @len, its size. */
u8 *loopnic_hw_rq_buf(struct loopnic_hw *hw, struct loopnic_hw_q *rq, u32 ctr,
		      u32 *len)
{
	*len = loopnic_hw_rq_wqe_len(rq, ctr);
	return loopnic_hw_dma_va(hw, le64_to_cpu(loopnic_hw_rq_wqe(rq, ctr)->addr));
}

/*
 * One CQE for each of the @n RX buffers from RQ counter @ctr that a frame
 * of @len bytes filled; all but the last say LOOPNIC_CQE_F_MORE.
 */
void loopnic_hw_rq_complete(struct loopnic_hw_ch *ch, u32 ctr, u32 n, u32 len,
			    u8 flags, const struct loopnic_hw_rx_info *rx)
{
	struct loopnic_hw_q *rq = &ch->q[LOOPNIC_Q_RQ];
	u32 i, off, blen;

	for (i = 0, off = 0; i < n; i++, off += blen) {
		blen = loopnic_hw_rq_wqe_len(rq, ctr + i);
		loopnic_hw_cqe_write(ch, LOOPNIC_Q_RXCQ, min(blen, len - off), ctr + i,
				     flags | (i + 1 < n ? LOOPNIC_CQE_F_MORE : 0), rx);
	}
}

/*
 * Write the frame into the @n buffers from the RQ's consumer counter. The
 * part still in the sender's SQ goes first, summed once for both checksum
 * offload and the RX checksum (the bytes behind the Ethernet header); then
 * the staged part, once the offload completed its checksum field.
 */
static void loopnic_hw_rq_fill(struct loopnic_hw_ch *ch, struct loopnic_hw_ch *src,
			       struct loopnic_hw_wire_frame *wf, u32 n,
			       struct loopnic_hw_rx_info *rx)
{
	bool sum = wf->csum || rx->csum_valid;
	struct loopnic_hw_q *rq = &ch->q[LOOPNIC_Q_RQ];
	u32 i, off, blen, from, to;
	__wsum rest = 0, head = 0;
	u8 *buf;

	for (i = 0, off = 0; i < n; i++, off += blen) {
		__wsum part = 0;

		buf = loopnic_hw_rq_buf(ch->hw, rq, rq->ctr + i, &blen);
		from = max(off, wf->staged);
		to = min(off + blen, wf->len);
		if (from >= to)
			continue;
		loopnic_hw_tx_read(src, wf->tx, wf->tx_off + from - wf->staged, to - from,
				   buf + from - off, sum ? &part : NULL);
		rest = csum_block_add(rest, part, from - wf->staged);
	}
	if (wf->csum)
		loopnic_hw_csum_complete(wf->data, wf->csum_start, wf->csum_offset,
					 wf->staged, rest);

	for (i = 0, off = 0; i < n && off < wf->staged; i++, off += blen) {
		buf = loopnic_hw_rq_buf(ch->hw, rq, rq->ctr + i, &blen);
		to = min(off + blen, wf->staged);
		/* The Ethernet header is not summed; without RX csum nothing is. */
		from = rx->csum_valid ? clamp_t(u32, ETH_HLEN, off, to) : to;
		memcpy(buf, wf->data + off, from - off);
		if (from < to)
			head = csum_block_add(head,
					      csum_partial_copy_nocheck(wf->data + from,
									buf + from - off,
									to - from),
					      from - ETH_HLEN);
	}
	/* staged >= ETH_HLEN: the engine stages at least the headers. */
	if (rx->csum_valid)
		rx->csum = (__force __sum16)(u16)~(__force u16)
			   csum_fold(csum_block_add(head, rest, wf->staged - ETH_HLEN));
}

/*
 * Runs in the sender's TX engine, whose channel is @src. Sets *@ixp to the
 * channel the frame was steered to (also when it was dropped or held there).
 * A frame is delivered whole or not at all: it only touches the RQ once
 * the posted buffers hold all of it.
 */
static enum loopnic_hw_wire loopnic_hw_rx_frame(struct loopnic_hw *hw,
						struct loopnic_hw_ch *src,
						struct loopnic_hw_wire_frame *wf,
						unsigned int *ixp)
{
	u32 len = wf->len, lro = READ_ONCE(hw->lro_bufs);
	enum loopnic_hw_wire ret = LOOPNIC_WIRE_SENT;
	bool csum = READ_ONCE(hw->rx_csum);
	struct loopnic_hw_rx_info rx;
	struct loopnic_hw_ch *ch;
	struct loopnic_hw_q *rq;
	u32 pc, n, room = 0;
	unsigned int ix;
	__sum16 sum;

	rx.hash = loopnic_hw_rss_hash(hw, wf->data, wf->staged, &rx.type);
	ix = READ_ONCE(hw->rss_indir[rx.hash % LOOPNIC_HW_RSS_INDIR_SIZE]);
	*ixp = ix;
	ch = &hw->ch[ix];
	rq = &ch->q[LOOPNIC_Q_RQ];

	spin_lock_bh(&ch->rx_lock);
	if (!ch->rx_on) {
		trace_loopnic_hw_wire(&hw->pdev->dev, ch->idx, len, LOOPNIC_TRACE_WIRE_RQ_OFF);
		atomic64_inc(&hw->rx_discards);
		goto out;
	}

	pc = READ_ONCE(rq->db);
	/* WQEs are read only after the doorbell that posted them. */
	dma_rmb();
	if (ch->lro.segs && loopnic_hw_lro_append(ch, src, wf, pc, lro))
		goto delivered;
	n = loopnic_hw_rq_bufs(rq, pc, len, &room);
	if (!n && !loopnic_hw_rq_full(rq, pc) && loopnic_hw_paused(hw, src->hw)) {
		set_bit(src->idx + (src->hw == hw ? LOOPNIC_HW_SELF : 0),
			&ch->pause_waiters);
		/*
		 * Announce the wait before looking again: the doorbell writes
		 * the counter before it looks for waiters, so either we see
		 * its counter now or it sees our bit and restarts our engine
		 * (loopnic_hw_rq_posted()). The same for a pause bit cleared
		 * meanwhile (loopnic_hw_pause_set()).
		 */
		smp_mb__after_atomic();
		pc = READ_ONCE(rq->db);
		dma_rmb();
		n = loopnic_hw_rq_bufs(rq, pc, len, &room);
		if (!n && !loopnic_hw_rq_full(rq, pc) &&
		    loopnic_hw_paused(hw, src->hw)) {
			trace_loopnic_hw_wire(&hw->pdev->dev, ch->idx, len,
					      LOOPNIC_TRACE_WIRE_PAUSED);
			atomic64_inc(&hw->tx_pause);
			atomic64_inc(&src->hw->rx_pause);
			ret = LOOPNIC_WIRE_HELD;
			goto out;
		}
	}
	if (!n && loopnic_hw_rq_full(rq, pc)) {
		/* Longer than the buffers of the whole RQ: it never fits. */
		trace_loopnic_hw_wire(&hw->pdev->dev, ch->idx, len, LOOPNIC_TRACE_WIRE_TOO_LONG);
		atomic64_inc(&hw->rx_discards);
		goto out;
	}
	if (!n) {
		/* Nothing of the frame is written: no partial frame is left. */
		trace_loopnic_hw_wire(&hw->pdev->dev, ch->idx, len, LOOPNIC_TRACE_WIRE_NO_BUFFER);
		atomic64_inc(&hw->rx_out_of_buffer);
		goto out;
	}

	trace_loopnic_hw_wqe_fetch(&hw->pdev->dev, ch->idx, LOOPNIC_Q_RQ, rq->ctr, n, room);
	/* LRO checks the TCP checksum with the frame's sum. */
	rx.csum_valid = csum || lro;
	rx.csum = 0;
	rx.lro_segs = 0;
	loopnic_hw_rq_fill(ch, src, wf, n, &rx);
	sum = rx.csum;
	rx.csum_valid = csum;
	rx.csum = csum ? sum : 0;
	if (!lro || !loopnic_hw_lro_open(ch, wf, n, room, &rx, sum, lro))
		loopnic_hw_rq_complete(ch, rq->ctr, n, len, 0, &rx);
	rq->ctr += n;
delivered:
	trace_loopnic_hw_wire(&hw->pdev->dev, ch->idx, len, LOOPNIC_TRACE_WIRE_DELIVERED);
	loopnic_hw_mac_count(hw, true, wf->data, len);
out:
	spin_unlock_bh(&ch->rx_lock);
	return ret;
}

/*
 * The transmitter's line rate, as a virtual scheduling clock (GCRA): the
 * frame may go while the line's backlog, hw->line_tat - now, is at most
 * LOOPNIC_LINE_AHEAD_NS; it then adds its own time. The engines of all
 * channels share the line, hence the compare-and-exchange. Returns the
 * time charged (0 with no limit), or false and in @resume when to look
 * again: once the backlog is down to LOOPNIC_LINE_RESUME_NS, so that the
 * engine then sends a batch rather than one frame per wakeup.
 *
 * "now" is the engine run's first reading, which can only be early: the
 * backlog it shows is never smaller than the true one, and only when it
 * is too large is the clock read again. Frames of a run after the first
 * find line_tat past that reading (the first moved it there), so their
 * time is charged from line_tat, as with an exact clock while the line
 * is busy; the line may run ahead of the true time by
 * LOOPNIC_LINE_AHEAD_NS at most either way.
 */
static bool loopnic_hw_line_take(struct loopnic_hw_ch *ch, u32 len, u64 *cost,
				 u64 *resume)
{
	struct loopnic_hw *hw = ch->hw;
	u32 mbps = READ_ONCE(hw->speed);
	bool fresh = false;
	s64 now, tat, next;

	*cost = 0;
	if (!mbps)
		return true;
	*cost = loopnic_line_ns(loopnic_line_bytes(len), mbps);
	if (!ch->line_now) {
		ch->line_now = ktime_get_ns();
		fresh = true;
	}
	now = ch->line_now;
	tat = atomic64_read(&hw->line_tat);
	for (;;) {
		if (tat - now > LOOPNIC_LINE_AHEAD_NS) {
			if (fresh) {
				*resume = tat - LOOPNIC_LINE_RESUME_NS;
				return false;
			}
			ch->line_now = ktime_get_ns();
			now = ch->line_now;
			fresh = true;
			continue;
		}
		next = max(tat, now) + *cost;
		if (atomic64_try_cmpxchg(&hw->line_tat, &tat, next))
			return true;
	}
}

static enum hrtimer_restart loopnic_hw_line_timer(struct hrtimer *timer)
{
	struct loopnic_hw_ch *ch = container_of(timer, struct loopnic_hw_ch, line_timer);

	loopnic_hw_engine_kick(ch);
	return HRTIMER_NORESTART;
}

void loopnic_hw_line_init(struct loopnic_hw_ch *ch)
{
	hrtimer_init(&ch->line_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	ch->line_timer.function = loopnic_hw_line_timer;
}

/*
 * Process context, with the engine stopped (tx_on clear, its work
 * cancelled): only the engine arms the timer, so it stays off after.
 */
void loopnic_hw_line_cancel(struct loopnic_hw_ch *ch)
{
	hrtimer_cancel(&ch->line_timer);
	ch->line_waiting = false;
}

/*
 * Sets the bit of the receiving channel the frame was steered to in @rx_chs.
 * The receiver's hold is tested under the same RCU read section as the
 * delivery: loopnic_hw_rx_hold() waits for that section to end. The
 * loopback bit is read once per frame, so a frame goes one way, whole.
 * The line is taken first, and given back if the frame does not go:
 * another engine may have taken it meanwhile, which only delays its next
 * frame by as much as ours would have taken.
 */
enum loopnic_hw_wire loopnic_hw_wire_xmit(struct loopnic_hw_ch *src,
					  struct loopnic_hw_wire_frame *wf,
					  unsigned long *rx_chs, u64 *resume)
{
	u32 len = wf->len;
	enum loopnic_hw_wire ret = LOOPNIC_WIRE_SENT;
	struct loopnic_hw *hw = src->hw;
	unsigned int ix, base = 0;
	struct loopnic_hw *rx;
	u64 cost;

	if (!loopnic_hw_line_take(src, len, &cost, resume)) {
		trace_loopnic_hw_wire(&hw->pdev->dev, src->idx, len,
				      LOOPNIC_TRACE_WIRE_LINE_BUSY);
		return LOOPNIC_WIRE_LINE_BUSY;
	}

	rcu_read_lock();
	if (READ_ONCE(hw->loopback) & LOOPNIC_LOOPBACK_MAC) {
		rx = hw;
		base = LOOPNIC_HW_SELF;
	} else {
		rx = rcu_dereference(hw->peer);
	}
	if (!rx) {
		trace_loopnic_hw_wire(&hw->pdev->dev, 0, len, LOOPNIC_TRACE_WIRE_NO_CABLE);
		atomic64_inc(&hw->tx_discards);
		ret = LOOPNIC_WIRE_NO_CABLE;
	} else if (READ_ONCE(rx->rx_hold)) {
		trace_loopnic_hw_wire(&hw->pdev->dev, 0, len, LOOPNIC_TRACE_WIRE_HELD);
		ret = LOOPNIC_WIRE_HELD;
	} else {
		ret = loopnic_hw_rx_frame(rx, src, wf, &ix);
		if (ret == LOOPNIC_WIRE_SENT) {
			loopnic_hw_mac_count(hw, false, wf->data, len);
			__set_bit(base + ix, rx_chs);
		}
	}
	rcu_read_unlock();
	if (ret != LOOPNIC_WIRE_SENT && cost)
		atomic64_sub(cost, &hw->line_tat);
	return ret;
}

/* Queue the TX engines of @hw named by @chs (bit i: channel i). */
static void loopnic_hw_tx_kick(struct loopnic_hw *hw, unsigned long chs)
{
	unsigned int i;

	for_each_set_bit(i, &chs, LOOPNIC_HW_MAX_CHANNELS)
		loopnic_hw_engine_kick(&hw->ch[i]);
}

/*
 * Restart the peer's engines that stopped on PAUSE from @ch. Each takes its
 * frame again and either delivers it or waits anew.
 */
void loopnic_hw_pause_release(struct loopnic_hw_ch *ch)
{
	struct loopnic_hw *peer;
	unsigned long waiters;

	waiters = xchg(&ch->pause_waiters, 0);
	if (!waiters)
		return;
	loopnic_hw_tx_kick(ch->hw, waiters >> LOOPNIC_HW_SELF);
	rcu_read_lock();
	peer = rcu_dereference(ch->hw->peer);
	if (peer)
		loopnic_hw_tx_kick(peer, waiters & GENMASK(LOOPNIC_HW_SELF - 1, 0));
	rcu_read_unlock();
}

/* The RQ doorbell of @ch was written: new buffers for a paused sender. */
void loopnic_hw_rq_posted(struct loopnic_hw_ch *ch)
{
	/* Pairs with smp_mb__after_atomic() in loopnic_hw_rx_frame(). */
	smp_mb();
	if (READ_ONCE(ch->pause_waiters))
		loopnic_hw_pause_release(ch);
}

/*
 * LOOPNIC_REG_PAUSE. Whatever this write turned off, every frame held by
 * PAUSE on either side is tried again: held frames for our RQs (our TX
 * pause) are the peer's engines waiting on our channels, our own held
 * frames (our RX pause) are our engines.
 */
void loopnic_hw_pause_set(struct loopnic_hw *hw, u32 val)
{
	unsigned int i;

	WRITE_ONCE(hw->pause, val & (LOOPNIC_PAUSE_RX | LOOPNIC_PAUSE_TX));
	/* Pairs with smp_mb__after_atomic() in loopnic_hw_rx_frame(). */
	smp_mb();
	for (i = 0; i < LOOPNIC_HW_MAX_CHANNELS; i++) {
		loopnic_hw_pause_release(&hw->ch[i]);
		/* Their bits on the peer's channels stay: a spare restart is harmless. */
		loopnic_hw_engine_kick(&hw->ch[i]);
	}
}

/*
 * LOOPNIC_REG_RX_HOLD. Holding returns once no engine delivers to @hw any
 * more; releasing restarts the engines that may have stopped on the hold:
 * the peer's, and ours, which send to us in MAC loopback.
 */
void loopnic_hw_rx_hold(struct loopnic_hw *hw, bool hold)
{
	struct loopnic_hw *peer;
	unsigned int i;

	WRITE_ONCE(hw->rx_hold, hold);
	if (hold) {
		synchronize_rcu();
		/*
		 * A frame LRO still builds gets no segment more: its CQEs go
		 * out now, the interrupt with the end of the run that sent it.
		 */
		for (i = 0; i < LOOPNIC_HW_MAX_CHANNELS; i++)
			loopnic_hw_lro_flush(&hw->ch[i]);
		return;
	}
	loopnic_hw_tx_kick(hw, GENMASK(LOOPNIC_HW_MAX_CHANNELS - 1, 0));
	rcu_read_lock();
	peer = rcu_dereference(hw->peer);
	if (peer && peer != hw)
		loopnic_hw_tx_kick(peer, GENMASK(LOOPNIC_HW_MAX_CHANNELS - 1, 0));
	rcu_read_unlock();
}

/*
 * LOOPNIC_REG_LOOPBACK. Our engines held by the old destination (its hold,
 * or PAUSE from it) try again: their frame now goes to the new one.
 */
void loopnic_hw_loopback_set(struct loopnic_hw *hw, u64 val)
{
	WRITE_ONCE(hw->loopback, val & LOOPNIC_LOOPBACK_MAC);
	loopnic_hw_tx_kick(hw, GENMASK(LOOPNIC_HW_MAX_CHANNELS - 1, 0));
}

/*
 * End of a TX batch: the RX CQs that got frames (ours too) end what LRO
 * built of them and may interrupt. Should the cable have been cut since
 * (a destroy), a frame LRO holds at the peer stays open until its RQ gets
 * another frame, RX_HOLD, or goes off, as the peer's own destroy does.
 */
void loopnic_hw_wire_flush(struct loopnic_hw *hw, unsigned long rx_chs)
{
	unsigned long self = rx_chs >> LOOPNIC_HW_SELF;
	struct loopnic_hw *peer;
	unsigned int ix;

	for_each_set_bit(ix, &self, LOOPNIC_HW_MAX_CHANNELS) {
		loopnic_hw_lro_flush(&hw->ch[ix]);
		loopnic_hw_cq_event(&hw->ch[ix], LOOPNIC_Q_RXCQ);
	}
	rx_chs &= GENMASK(LOOPNIC_HW_SELF - 1, 0);
	if (!rx_chs)
		return;
	rcu_read_lock();
	peer = rcu_dereference(hw->peer);
	if (peer)
		for_each_set_bit(ix, &rx_chs, LOOPNIC_HW_MAX_CHANNELS) {
			loopnic_hw_lro_flush(&peer->ch[ix]);
			loopnic_hw_cq_event(&peer->ch[ix], LOOPNIC_Q_RXCQ);
		}
	rcu_read_unlock();
}
