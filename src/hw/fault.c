// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic device model: fault injection on the wire (LOOPNIC_REG_FAULT*).
 * The sender's TX engine decides, per frame it puts on the wire, whether
 * the cable loses, corrupts, duplicates, reorders or delays it, from the
 * bytes alone, as a faulty link or a netem box between two hosts would.
 */
#include <linux/hrtimer.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ktime.h>
#include <linux/string.h>
#include <linux/udp.h>

#include "device.h"

/*
 * The offset past the last byte of an IP packet whose every byte a TCP,
 * UDP, ICMP or ICMPv6 checksum covers, or 0 if the frame carries none
 * (not IP, a fragment, UDP without checksum): a bit flipped there is what
 * the receiver's stack must catch.
 */
static u32 loopnic_hw_fault_csum_end(const u8 *frame, u32 len)
{
	struct loopnic_hw_ip ip;
	u8 icmp, proto;

	if (!loopnic_hw_parse_ip(frame, len, &ip) || !ip.l4)
		return 0;
	proto = ip.proto;
	icmp = ip.alen == 8 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != icmp)
		return 0;
	if (ip.end <= ip.l4 || ip.end > len)
		return 0;
	/* UDP over IPv4 may go without a checksum: nothing would notice. */
	if (proto == IPPROTO_UDP &&
	    (ip.end - ip.l4 < sizeof(struct udphdr) ||
	     !((const struct udphdr *)(frame + ip.l4))->check))
		return 0;
	return ip.end;
}

static bool loopnic_hw_fault_any(struct loopnic_hw *hw)
{
	unsigned int f;

	for (f = 0; f < LOOPNIC_FAULT_NUM; f++)
		if (READ_ONCE(hw->fault_cfg[f]))
			return true;
	return false;
}

static bool loopnic_hw_fault_hit(struct loopnic_hw *hw, enum loopnic_hw_fault f)
{
	return loopnic_fault_hit(READ_ONCE(hw->fault_cfg[f]), &hw->fault_seen[f]);
}

/* Every fault the frame suffers, each drawn once. */
static unsigned long loopnic_hw_fault_decide(struct loopnic_hw *hw,
					     const u8 *frame, u32 len)
{
	unsigned long dec = 0;
	unsigned int f;

	for (f = 0; f < LOOPNIC_FAULT_NUM; f++) {
		if (f == LOOPNIC_FAULT_CORRUPT && !loopnic_hw_fault_csum_end(frame, len))
			continue;
		if (loopnic_hw_fault_hit(hw, f))
			__set_bit(f, &dec);
	}
	/* A lost frame suffers nothing else. */
	if (dec & BIT(LOOPNIC_FAULT_DROP))
		dec = BIT(LOOPNIC_FAULT_DROP);
	return dec;
}

static enum hrtimer_restart loopnic_hw_fault_timer(struct hrtimer *timer)
{
	struct loopnic_hw_ch *ch = container_of(timer, struct loopnic_hw_ch,
						fault.timer);

	loopnic_hw_engine_kick(ch);
	return HRTIMER_NORESTART;
}

void loopnic_hw_fault_ch_init(struct loopnic_hw_ch *ch)
{
	hrtimer_init(&ch->fault.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	ch->fault.timer.function = loopnic_hw_fault_timer;
}

/*
 * The channel is disabled and its engine stopped (tx_on clear): nothing
 * requeues it after the timer is gone. A frame still held for reordering
 * was completed as sent and never reached the wire: counted as a frame
 * sent with no cable to carry it.
 */
void loopnic_hw_fault_ch_stop(struct loopnic_hw_ch *ch)
{
	struct loopnic_hw_fault_ch *fc = &ch->fault;

	hrtimer_cancel(&fc->timer);
	loopnic_hw_engine_sync(ch);
	if (fc->held_len)
		atomic64_inc(&ch->hw->tx_discards);
	fc->held_len = 0;
	fc->dec_valid = false;
}

/*
 * Send the frame reordering held back; it stays if the receiver holds it,
 * or if the line is busy (LOOPNIC_REG_SPEED): our timer tries again then.
 */
static void loopnic_hw_fault_release(struct loopnic_hw_ch *ch,
				     unsigned long *rx_chs)
{
	struct loopnic_hw_fault_ch *fc = &ch->fault;
	enum loopnic_hw_wire ret;
	u64 resume = 0;

	ret = loopnic_hw_wire_xmit_staged(ch, fc->held, fc->held_len, rx_chs, &resume);
	if (ret == LOOPNIC_WIRE_HELD)
		return;
	if (ret == LOOPNIC_WIRE_LINE_BUSY) {
		hrtimer_start(&fc->timer,
			      ns_to_ktime(max_t(s64, resume - ktime_get_ns(), 0)),
			      HRTIMER_MODE_REL);
		return;
	}
	fc->held_len = 0;
	hrtimer_try_to_cancel(&fc->timer);
}

/* Start of an engine run: a held frame whose window ended goes alone. */
void loopnic_hw_fault_tick(struct loopnic_hw_ch *ch, unsigned long *rx_chs)
{
	struct loopnic_hw_fault_ch *fc = &ch->fault;

	if (fc->held_len && ktime_after(ktime_get(), fc->held_until))
		loopnic_hw_fault_release(ch, rx_chs);
}

/*
 * loopnic_hw_wire_xmit() through the faults set on the sending device,
 * for the frame at the head of the SQ or its LSO segment @seg (0 without
 * LSO): each segment draws its own. LOOPNIC_WIRE_HELD keeps the decisions
 * for when the engine sends the same frame again.
 */
enum loopnic_hw_wire loopnic_hw_fault_xmit(struct loopnic_hw_ch *ch, u32 seg,
					   struct loopnic_hw_wire_frame *wf,
					   unsigned long *rx_chs, u64 *resume)
{
	struct loopnic_hw_fault_ch *fc = &ch->fault;
	u32 ctr = ch->q[LOOPNIC_Q_SQ].ctr;
	struct loopnic_hw *hw = ch->hw;
	enum loopnic_hw_wire ret;
	unsigned long dec;
	u64 dup_resume;
	u8 *frame;
	u32 end, len;

	if (!loopnic_hw_fault_any(hw) && !fc->held_len)
		return loopnic_hw_wire_xmit(ch, wf, rx_chs, resume);

	loopnic_hw_frame_stage(ch, wf);
	frame = wf->data;
	len = wf->len;

	if (fc->dec_valid && fc->dec_ctr == ctr && fc->dec_seg == seg) {
		dec = fc->dec;
	} else {
		dec = loopnic_hw_fault_decide(hw, frame, len);
		/* The one held already is this frame's partner: it is not held. */
		if (fc->held_len)
			dec &= ~BIT(LOOPNIC_FAULT_REORDER);
		fc->dec = dec;
		fc->dec_ctr = ctr;
		fc->dec_seg = seg;
		fc->dec_valid = true;
		if (dec & BIT(LOOPNIC_FAULT_DROP))
			atomic64_inc(&hw->fault_hits[LOOPNIC_FAULT_DROP]);
		if (dec & BIT(LOOPNIC_FAULT_CORRUPT))
			atomic64_inc(&hw->fault_hits[LOOPNIC_FAULT_CORRUPT]);
		if (dec & BIT(LOOPNIC_FAULT_DELAY))
			atomic64_inc(&hw->fault_hits[LOOPNIC_FAULT_DELAY]);
	}

	if (dec & BIT(LOOPNIC_FAULT_DROP)) {
		/* It left our MAC; the cable lost it. */
		loopnic_hw_mac_count(hw, false, frame, len);
		ret = LOOPNIC_WIRE_SENT;
		goto out;
	}
	/* Gathered anew each time it is sent: flip the bit each time. */
	if (dec & BIT(LOOPNIC_FAULT_CORRUPT)) {
		end = loopnic_hw_fault_csum_end(frame, len);
		if (end)
			frame[end - 1] ^= 0x01;
	}
	/*
	 * The frame, and all behind it, waits at the head of the SQ, as for
	 * a busy line; sent again, it keeps its other decisions.
	 */
	if (dec & BIT(LOOPNIC_FAULT_DELAY)) {
		u32 us = min_t(u32, READ_ONCE(hw->fault_delay_us),
			       LOOPNIC_HW_DELAY_MAX_US);

		fc->dec &= ~BIT(LOOPNIC_FAULT_DELAY);
		if (us) {
			*resume = ktime_get_ns() + (u64)us * NSEC_PER_USEC;
			return LOOPNIC_WIRE_DELAYED;
		}
	}
	if (dec & BIT(LOOPNIC_FAULT_REORDER)) {
		memcpy(fc->held, frame, len);
		fc->held_len = len;
		fc->held_until = ktime_add_us(ktime_get(), LOOPNIC_HW_REORDER_WINDOW_US);
		hrtimer_start(&fc->timer, ns_to_ktime(LOOPNIC_HW_REORDER_WINDOW_US * NSEC_PER_USEC),
			      HRTIMER_MODE_REL);
		atomic64_inc(&hw->fault_hits[LOOPNIC_FAULT_REORDER]);
		fc->dec_valid = false;
		return LOOPNIC_WIRE_SENT;
	}

	ret = loopnic_hw_wire_xmit_staged(ch, frame, len, rx_chs, resume);
	/* Tried again later with the same decisions (dec_ctr). */
	if (loopnic_hw_wire_waits(ret))
		return ret;
	/* A copy that finds the line busy is not sent: the cable made none. */
	if (ret == LOOPNIC_WIRE_SENT && (dec & BIT(LOOPNIC_FAULT_DUP)) &&
	    loopnic_hw_wire_xmit_staged(ch, frame, len, rx_chs, &dup_resume) ==
	    LOOPNIC_WIRE_SENT)
		atomic64_inc(&hw->fault_hits[LOOPNIC_FAULT_DUP]);
out:
	fc->dec_valid = false;
	/* Its partner went (or was lost): the held frame follows. */
	if (fc->held_len)
		loopnic_hw_fault_release(ch, rx_chs);
	return ret;
}

bool loopnic_hw_fault_reg_write(struct loopnic_hw *hw, u32 reg, u64 val)
{
	unsigned int f;

	if (reg == LOOPNIC_REG_FAULT_DELAY_US) {
		WRITE_ONCE(hw->fault_delay_us,
			   min_t(u64, val, LOOPNIC_HW_DELAY_MAX_US));
		return true;
	}
	if (reg < LOOPNIC_REG_FAULT(0) || reg >= LOOPNIC_REG_FAULT(LOOPNIC_FAULT_NUM) ||
	    reg % 8)
		return false;

	f = (reg - LOOPNIC_REG_FAULT(0)) / 8;
	val &= LOOPNIC_FAULT_RANDOM | LOOPNIC_FAULT_RATE;
	if ((val & LOOPNIC_FAULT_RANDOM) &&
	    (val & LOOPNIC_FAULT_RATE) > LOOPNIC_FAULT_PPM)
		val = LOOPNIC_FAULT_RANDOM | LOOPNIC_FAULT_PPM;
	/* The count restarts before the new rate applies. */
	atomic64_set(&hw->fault_seen[f], 0);
	WRITE_ONCE(hw->fault_cfg[f], val);
	return true;
}

bool loopnic_hw_fault_reg_read(struct loopnic_hw *hw, u32 reg, u64 *val)
{
	if (reg == LOOPNIC_REG_FAULT_DELAY_US) {
		*val = READ_ONCE(hw->fault_delay_us);
		return true;
	}
	if (reg % 8)
		return false;
	if (reg >= LOOPNIC_REG_FAULT(0) && reg < LOOPNIC_REG_FAULT(LOOPNIC_FAULT_NUM)) {
		*val = READ_ONCE(hw->fault_cfg[(reg - LOOPNIC_REG_FAULT(0)) / 8]);
		return true;
	}
	if (reg >= LOOPNIC_REG_FAULT_HITS(0) &&
	    reg < LOOPNIC_REG_FAULT_HITS(LOOPNIC_FAULT_NUM)) {
		*val = atomic64_read(&hw->fault_hits[(reg - LOOPNIC_REG_FAULT_HITS(0)) / 8]);
		return true;
	}
	return false;
}
