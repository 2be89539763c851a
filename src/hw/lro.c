// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic device model: large receive offload, the receiving MAC's half of
 * what LSO is to the sender. TCP segments of one flow that arrive in order
 * for one RQ become one frame in its buffers, so the host builds one skb
 * and runs its stack once for many segments. hw.h says which segments
 * merge and what the frame looks like.
 *
 * A frame stays open, its CQEs unwritten, while segments may still join
 * it: at most until the end of the TX engine run that sent them, which
 * is short (LOOPNIC_HW_TX_BATCH frames), so no timer is needed to close
 * it, unlike a real NIC's that waits for segments from the cable.
 */
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip6_checksum.h>

#include "device.h"

/* What LRO needs to know of a segment, from its staged headers. */
struct loopnic_hw_lro_seg {
	bool ipv6;
	u32 l4;
	u32 hdr_len;
	u32 payload;
	u32 seq;
	bool psh;
};

/*
 * Whether the MAC could merge the segment at all: TCP over IPv4 without
 * options (IP header checksum right) or IPv6, its headers staged, with
 * payload and no padding, no flag but ACK and PSH (not AE, nor a reserved
 * bit either: a merged frame keeps its first segment's flags).
 */
static bool loopnic_hw_lro_parse(const struct loopnic_hw_wire_frame *wf,
				 struct loopnic_hw_lro_seg *seg)
{
	const u8 *data = wf->data;
	struct loopnic_hw_ip ip;
	const struct tcphdr *th;

	if (!loopnic_hw_parse_ip(data, wf->staged, &ip) || ip.proto != IPPROTO_TCP ||
	    !ip.l4 || ip.end != wf->len || ip.l4 + sizeof(*th) > wf->staged)
		return false;
	if (ip.alen == 8 && (data[ETH_HLEN] != 0x45 ||
			     ip_fast_csum(data + ETH_HLEN, 5)))
		return false;
	th = (const struct tcphdr *)(data + ip.l4);
	seg->ipv6 = ip.alen == 32;
	seg->l4 = ip.l4;
	seg->hdr_len = ip.l4 + th->doff * 4;
	if (th->doff < 5 || seg->hdr_len > wf->staged || seg->hdr_len >= wf->len)
		return false;
	if ((tcp_flag_word(th) & (TCP_RESERVED_BITS | TCP_FLAG_CWR | TCP_FLAG_ECE |
				  TCP_FLAG_URG | TCP_FLAG_RST | TCP_FLAG_SYN |
				  TCP_FLAG_FIN)) ||
	    !th->ack)
		return false;
	seg->payload = wf->len - seg->hdr_len;
	seg->seq = ntohl(th->seq);
	seg->psh = th->psh;
	return true;
}

/* @sum, the ones' complement sum of the TCP header and payload, is right. */
static bool loopnic_hw_lro_csum_ok(const u8 *data, bool ipv6, u32 l4, u32 len,
				   __wsum sum)
{
	const struct ipv6hdr *ip6 = (const struct ipv6hdr *)(data + ETH_HLEN);
	const struct iphdr *ip4 = (const struct iphdr *)(data + ETH_HLEN);

	if (ipv6)
		return !csum_ipv6_magic(&ip6->saddr, &ip6->daddr, len - l4,
					IPPROTO_TCP, sum);
	return !csum_tcpudp_magic(ip4->saddr, ip4->daddr, len - l4, IPPROTO_TCP, sum);
}

/* The segment's headers continue the open frame's flow, in order. */
static bool loopnic_hw_lro_match(const struct loopnic_hw_lro *s, const u8 *h,
				 const struct loopnic_hw_lro_seg *seg)
{
	const struct tcphdr *th = (const struct tcphdr *)(h + s->l4);
	const struct tcphdr *th0 = (const struct tcphdr *)(s->hdr + s->l4);

	/* The same Ethernet header, so the same IP version, and header lengths. */
	if (seg->l4 != s->l4 || seg->hdr_len != s->hdr_len ||
	    memcmp(h, s->hdr, ETH_HLEN))
		return false;
	if (!s->ipv6) {
		const struct iphdr *a = (const struct iphdr *)(h + ETH_HLEN);
		const struct iphdr *b = (const struct iphdr *)(s->hdr + ETH_HLEN);

		if (a->tos != b->tos || a->frag_off != b->frag_off ||
		    a->ttl != b->ttl || a->saddr != b->saddr || a->daddr != b->daddr)
			return false;
	} else {
		const struct ipv6hdr *a = (const struct ipv6hdr *)(h + ETH_HLEN);
		const struct ipv6hdr *b = (const struct ipv6hdr *)(s->hdr + ETH_HLEN);

		/* Version, traffic class and flow label; then both addresses. */
		if (memcmp(a, b, 4) || a->hop_limit != b->hop_limit ||
		    memcmp(&a->saddr, &b->saddr, 2 * sizeof(a->saddr)))
			return false;
	}
	return th->source == th0->source && th->dest == th0->dest &&
	       th->ack_seq == th0->ack_seq && th->window == th0->window &&
	       th->urg_ptr == th0->urg_ptr && seg->seq == s->next_seq &&
	       !memcmp(th + 1, th0 + 1, s->hdr_len - s->l4 - sizeof(*th));
}

/*
 * Copy bytes @from to @to of @wf to offset @at of the open frame, in its
 * buffers from RQ counter s->ctr on; returns their sum. The staged ones
 * come from wf->data, the rest from the sender's TX buffers.
 */
static __wsum loopnic_hw_lro_put(struct loopnic_hw_ch *ch, struct loopnic_hw_ch *src,
				 const struct loopnic_hw_wire_frame *wf,
				 u32 from, u32 to, u32 at)
{
	struct loopnic_hw_q *rq = &ch->q[LOOPNIC_Q_RQ];
	u32 ctr = ch->lro.ctr, off = 0, done = 0, blen, take;
	__wsum sum = 0;
	u8 *buf;

	buf = loopnic_hw_rq_buf(ch->hw, rq, ctr, &blen);
	while (from < to) {
		__wsum part = 0;

		while (at >= off + blen) {
			off += blen;
			buf = loopnic_hw_rq_buf(ch->hw, rq, ++ctr, &blen);
		}
		take = min(off + blen - at, to - from);
		if (from < wf->staged) {
			take = min(take, wf->staged - from);
			part = csum_partial_copy_nocheck(wf->data + from, buf + at - off,
							 take);
		} else {
			loopnic_hw_tx_read(src, wf->tx, wf->tx_off + from - wf->staged,
					   take, buf + at - off, &part);
		}
		sum = csum_block_add(sum, part, done);
		done += take;
		from += take;
		at += take;
	}
	return sum;
}

/*
 * Write the segment's payload behind the open frame's, completing the
 * sender's checksum offload on the way as loopnic_hw_rq_fill() does, and
 * check the segment's TCP checksum. False if it is wrong: then the frame
 * does not grow, and the bytes written past it are free to overwrite.
 */
static bool loopnic_hw_lro_copy(struct loopnic_hw_ch *ch, struct loopnic_hw_ch *src,
				struct loopnic_hw_wire_frame *wf,
				const struct loopnic_hw_lro_seg *seg)
{
	u32 l4 = seg->l4, staged = wf->staged, at = ch->lro.len;
	__wsum rest = 0, part = 0, sum;

	if (wf->len > staged)
		rest = loopnic_hw_lro_put(ch, src, wf, staged, wf->len,
					  at + staged - seg->hdr_len);
	if (wf->csum) {
		loopnic_hw_csum_complete(wf->data, wf->csum_start, wf->csum_offset,
					 staged, rest);
		/* Done: should the segment go another way now, not twice. */
		wf->csum = false;
	}
	if (staged > seg->hdr_len)
		part = loopnic_hw_lro_put(ch, src, wf, seg->hdr_len, staged, at);

	sum = csum_partial(wf->data + l4, seg->hdr_len - l4, 0);
	sum = csum_block_add(sum, part, seg->hdr_len - l4);
	sum = csum_block_add(sum, rest, staged - l4);
	return loopnic_hw_lro_csum_ok(wf->data, seg->ipv6, l4, wf->len, sum);
}

/*
 * The frame open for @ch's RQ is complete: its headers get the lengths of
 * the whole, and its buffers their CQEs.
 */
static void loopnic_hw_lro_end(struct loopnic_hw_ch *ch)
{
	struct loopnic_hw_q *rq = &ch->q[LOOPNIC_Q_RQ];
	struct loopnic_hw_lro *s = &ch->lro;
	struct loopnic_hw_rx_info rx;
	u32 blen;
	u8 *h;

	lockdep_assert_held(&ch->rx_lock);
	if (!s->segs)
		return;
	if (s->segs == 1) {
		loopnic_hw_rq_complete(ch, s->ctr, s->bufs, s->len, 0, &s->rx);
		s->segs = 0;
		return;
	}

	/* The first buffer holds the headers: loopnic_hw_lro_open() made sure. */
	h = loopnic_hw_rq_buf(ch->hw, rq, s->ctr, &blen);
	loopnic_hw_ip_set_len(h, s->ipv6, s->len);
	if (s->psh)
		((struct tcphdr *)(h + s->l4))->psh = 1;

	rx = s->rx;
	rx.csum_valid = false;
	rx.lro_segs = s->segs;
	rx.lro_mss = s->mss;
	loopnic_hw_rq_complete(ch, s->ctr, s->bufs, s->len, LOOPNIC_CQE_F_LRO, &rx);
	s->segs = 0;
}

/*
 * Under ch->rx_lock, with the RQ doorbell at @pc: add the segment @wf to
 * the frame open for the RQ. False if it does not belong there: the frame
 * is then complete, and the segment is the MAC's to deliver as any other.
 */
bool loopnic_hw_lro_append(struct loopnic_hw_ch *ch, struct loopnic_hw_ch *src,
			   struct loopnic_hw_wire_frame *wf, u32 pc, u32 max_bufs)
{
	struct loopnic_hw_q *rq = &ch->q[LOOPNIC_Q_RQ];
	struct loopnic_hw_lro *s = &ch->lro;
	struct loopnic_hw_lro_seg seg;
	u32 n = 0, room = 0, len;

	if (!max_bufs || !loopnic_hw_lro_parse(wf, &seg) ||
	    !loopnic_hw_lro_match(s, wf->data, &seg) || seg.payload > s->mss)
		goto end;
	len = s->len + seg.payload;
	if (len > LOOPNIC_HW_MAX_LSO)
		goto end;
	if (len > s->room) {
		n = loopnic_hw_rq_bufs(rq, pc, len - s->room, &room);
		if (!n || s->bufs + n > max_bufs)
			goto end;
	}
	if (!loopnic_hw_lro_copy(ch, src, wf, &seg))
		goto end;

	/* The frame's buffers and those after them, the RQ's next, are one run. */
	rq->ctr += n;
	s->bufs += n;
	s->room += room;
	s->len = len;
	s->next_seq += seg.payload;
	s->psh |= seg.psh;
	if (++s->segs == LOOPNIC_HW_LRO_MAX_SEGS || seg.psh || seg.payload < s->mss)
		loopnic_hw_lro_end(ch);
	return true;

end:
	loopnic_hw_lro_end(ch);
	return false;
}

/*
 * Under ch->rx_lock: the frame @wf was just written into the @n buffers
 * from the RQ's consumer counter, and @rx says what its CQEs would, with
 * in @sum the sum of all its bytes after the Ethernet header. True if it
 * opens a frame LRO may add to: its CQEs then wait, and the caller only
 * moves the counter past its buffers.
 */
bool loopnic_hw_lro_open(struct loopnic_hw_ch *ch, const struct loopnic_hw_wire_frame *wf,
			 u32 n, u32 room, const struct loopnic_hw_rx_info *rx, __sum16 sum,
			 u32 max_bufs)
{
	struct loopnic_hw_q *rq = &ch->q[LOOPNIC_Q_RQ];
	struct loopnic_hw_lro *s = &ch->lro;
	struct loopnic_hw_lro_seg seg;
	__wsum tcp;

	if (n > max_bufs || !loopnic_hw_lro_parse(wf, &seg) || seg.psh ||
	    loopnic_hw_rq_wqe_len(rq, rq->ctr) < seg.hdr_len)
		return false;
	/* The IP header's length is even: no byte of it swaps places. */
	tcp = csum_sub(csum_unfold(sum),
		       csum_partial(wf->data + ETH_HLEN, seg.l4 - ETH_HLEN, 0));
	if (!loopnic_hw_lro_csum_ok(wf->data, seg.ipv6, seg.l4, wf->len, tcp))
		return false;

	s->segs = 1;
	s->ctr = rq->ctr;
	s->bufs = n;
	s->len = wf->len;
	s->room = room;
	s->ipv6 = seg.ipv6;
	s->l4 = seg.l4;
	s->hdr_len = seg.hdr_len;
	s->mss = seg.payload;
	s->next_seq = seg.seq + seg.payload;
	s->psh = false;
	s->rx = *rx;
	memcpy(s->hdr, wf->data, seg.hdr_len);
	return true;
}

/* The end of a TX engine run that delivered to @ch. */
void loopnic_hw_lro_flush(struct loopnic_hw_ch *ch)
{
	spin_lock_bh(&ch->rx_lock);
	loopnic_hw_lro_end(ch);
	spin_unlock_bh(&ch->rx_lock);
}

/* Under ch->rx_lock, as the RQ goes off: a frame still open is lost. */
void loopnic_hw_lro_drop(struct loopnic_hw_ch *ch)
{
	lockdep_assert_held(&ch->rx_lock);
	if (!ch->lro.segs)
		return;
	atomic64_inc(&ch->hw->rx_discards);
	ch->lro.segs = 0;
}

/* LOOPNIC_REG_LRO as the device takes it. */
u32 loopnic_hw_lro_bufs(u64 val)
{
	return val ? clamp_t(u64, val, 2, LOOPNIC_HW_LRO_MAX_BUFS) : 0;
}
