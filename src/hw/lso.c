// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic device model: large send offload. The driver hands over a TCP
 * frame of up to LOOPNIC_HW_MAX_LSO bytes; the engine cuts its payload into
 * MSS-sized segments and sends each as a frame of its own, headers copied
 * and fixed up as hw.h describes. The wire, its faults and the line rate
 * see segments only.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip6_checksum.h>

#include "device.h"

/* What the engine learnt of an LSO frame's headers. */
struct loopnic_hw_lso {
	u32 hdr_len;
	u32 l4;
	u32 mss;
	u32 nseg;
	bool ipv6;
};

/*
 * Read and check the headers into ch->lso_hdr. What the device does not
 * parse (not TCP over IPv4 or IPv6 right after the Ethernet header, or an
 * MSS that makes segments longer than the MAC carries) fails the frame.
 */
static bool loopnic_hw_lso_parse(struct loopnic_hw_ch *ch,
				 const struct loopnic_hw_tx_frame *f,
				 struct loopnic_hw_lso *lso)
{
	u32 avail = min_t(u32, f->len, LOOPNIC_HW_LSO_MAX_HDR);
	u8 *hdr = ch->lso_hdr;
	struct loopnic_hw_ip ip;
	struct tcphdr *th;
	u32 payload;

	lso->l4 = f->csum_start;
	lso->mss = f->csum_offset;
	if (f->len > LOOPNIC_HW_MAX_LSO || !lso->mss ||
	    lso->l4 + sizeof(*th) > avail)
		return false;
	/* As far as headers may go: one read, the TCP options included. */
	loopnic_hw_tx_read(ch, f, 0, avail, hdr, NULL);
	th = (struct tcphdr *)(hdr + lso->l4);
	lso->hdr_len = lso->l4 + th->doff * 4;
	if (th->doff < 5 || lso->hdr_len > avail ||
	    lso->hdr_len + lso->mss > LOOPNIC_HW_MAX_FRAME)
		return false;

	if (!loopnic_hw_parse_ip(hdr, lso->hdr_len, &ip) ||
	    ip.proto != IPPROTO_TCP || ip.l4 != lso->l4)
		return false;
	lso->ipv6 = ip.alen == 32;

	payload = f->len - lso->hdr_len;
	lso->nseg = max_t(u32, DIV_ROUND_UP(payload, lso->mss), 1);
	return true;
}

/*
 * The headers of segment @k, @len bytes long, from the frame's: the TCP
 * checksum seeded with the pseudo-header sum, as the stack leaves it for
 * checksum offload, which the MAC then completes over the payload.
 */
static void loopnic_hw_lso_fixup(u8 *frame, const struct loopnic_hw_lso *lso,
				 u32 k, u32 len)
{
	struct tcphdr *th = (struct tcphdr *)(frame + lso->l4);
	u32 tcp_len = len - lso->l4;

	th->seq = htonl(ntohl(th->seq) + k * lso->mss);
	if (k)
		th->cwr = 0;
	if (k != lso->nseg - 1) {
		th->fin = 0;
		th->psh = 0;
	}

	if (lso->ipv6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(frame + ETH_HLEN);

		loopnic_hw_ip_set_len(frame, true, len);
		th->check = ~csum_ipv6_magic(&ip6->saddr, &ip6->daddr, tcp_len,
					     IPPROTO_TCP, 0);
	} else {
		struct iphdr *ip4 = (struct iphdr *)(frame + ETH_HLEN);

		ip4->id = htons(ntohs(ip4->id) + k);
		loopnic_hw_ip_set_len(frame, false, len);
		th->check = ~csum_tcpudp_magic(ip4->saddr, ip4->daddr, tcp_len,
					       IPPROTO_TCP, 0);
	}
}

/*
 * Send the LSO frame @f at the head of the SQ, from the segment the wire
 * held last time (ch->lso_seg) on, at most *@budget segments. False if
 * the frame is malformed: then nothing is sent. Else *@ret is what the
 * wire said of the last segment tried: held (loopnic_hw_wire_waits()) or
 * gone, and *@lenp the bytes of all segments, for the frame's CQE. With
 * the budget spent before the last segment, ch->lso_seg says where the
 * next run goes on.
 */
bool loopnic_hw_lso_xmit(struct loopnic_hw_ch *ch, const struct loopnic_hw_tx_frame *f,
			 u32 *lenp, u32 *budget, unsigned long *rx_chs, u64 *resume,
			 enum loopnic_hw_wire *ret)
{
	struct loopnic_hw_lso lso;
	u32 k;

	*lenp = f->len;
	if (!loopnic_hw_lso_parse(ch, f, &lso)) {
		WRITE_ONCE(ch->lso_seg, 0);
		return false;
	}
	*lenp = f->len + (lso.nseg - 1) * lso.hdr_len;

	for (k = ch->lso_seg; k < lso.nseg; k++) {
		u32 off = lso.hdr_len + k * lso.mss;
		struct loopnic_hw_wire_frame wf = {
			.data = ch->frame,
			.len = lso.hdr_len + min(lso.mss, f->len - off),
			.staged = lso.hdr_len,
			.tx = f,
			.tx_off = off,
			.csum = true,
			.csum_start = lso.l4,
			.csum_offset = offsetof(struct tcphdr, check),
		};

		if (!*budget) {
			WRITE_ONCE(ch->lso_seg, k);
			return true;
		}
		memcpy(ch->frame, ch->lso_hdr, lso.hdr_len);
		loopnic_hw_lso_fixup(ch->frame, &lso, k, wf.len);
		*ret = loopnic_hw_fault_xmit(ch, k, &wf, rx_chs, resume);
		if (loopnic_hw_wire_waits(*ret)) {
			WRITE_ONCE(ch->lso_seg, k);
			return true;
		}
		(*budget)--;
	}
	WRITE_ONCE(ch->lso_seg, 0);
	return true;
}
