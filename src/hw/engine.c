// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic device model: the TX DMA engine. A doorbell only kicks it; it
 * then fetches WQEs up to the producer counter, reads each frame's headers
 * from the buffers the WQEs point at (an LSO frame it cuts into segments,
 * lso.c), puts the frame on the wire, which moves the rest of it from those
 * buffers into the receiver's and completes checksum offload on the way,
 * and writes one TX CQE per frame.
 */
#include <linux/bitops.h>
#include <linux/hrtimer.h>
#include <linux/if_ether.h>
#include <linux/interrupt.h>
#include <linux/string.h>
#include <net/checksum.h>

#include "../compat.h"
#include "device.h"
#include "../trace.h"

void loopnic_hw_cqe_write(struct loopnic_hw_ch *ch, enum loopnic_hw_queue qi,
			  u32 byte_cnt, u32 wqe_counter, u8 flags,
			  const struct loopnic_hw_rx_info *rx)
{
	struct loopnic_hw_q *cq = &ch->q[qi];
	struct loopnic_cqe *cqe = (struct loopnic_cqe *)cq->va + (cq->ctr & cq->mask);
	bool csum;

	cqe->byte_cnt = cpu_to_le32(byte_cnt);
	cqe->wqe_counter = cpu_to_le16(wqe_counter);
	/* The MAC knows a frame's sum only once it wrote the last byte. */
	csum = rx && rx->csum_valid && !(flags & LOOPNIC_CQE_F_MORE);
	cqe->flags = flags | (csum ? LOOPNIC_CQE_F_CSUM : 0);
	cqe->rss_hash = cpu_to_le32(rx ? rx->hash : 0);
	cqe->rss_type = rx ? rx->type : LOOPNIC_CQE_RSS_NONE;
	if (rx && rx->lro_segs && !(flags & LOOPNIC_CQE_F_MORE)) {
		cqe->lro_segs = rx->lro_segs;
		cqe->lro_mss = cpu_to_le16(rx->lro_mss);
	} else {
		cqe->lro_segs = 0;
		cqe->csum = csum ? rx->csum : 0;
	}
	/* The buffer and the CQE body are visible before the CQE is the driver's. */
	dma_wmb();
	WRITE_ONCE(cqe->op_own, (cq->ctr >> cq->log_sz) & LOOPNIC_CQE_OWNER);
	trace_loopnic_hw_cqe(&ch->hw->pdev->dev, ch->idx, qi, cq->ctr, wqe_counter,
			     byte_cnt, flags);
	WRITE_ONCE(cq->ctr, cq->ctr + 1);
}

static struct loopnic_tx_wqe *loopnic_hw_sq_wqe(struct loopnic_hw_q *sq, u32 ctr)
{
	return (struct loopnic_tx_wqe *)sq->va + (ctr & sq->mask);
}

/*
 * Describe the frame starting at the SQ consumer counter: the number of
 * WQEs it spans (0 if its EOP WQE is not posted yet), its length and the
 * offloads its first WQE asks for.
 */
static u32 loopnic_hw_tx_fetch(struct loopnic_hw_ch *ch, u32 pc,
			       struct loopnic_hw_tx_frame *f)
{
	struct loopnic_hw_q *sq = &ch->q[LOOPNIC_Q_SQ];
	struct loopnic_tx_wqe *first = loopnic_hw_sq_wqe(sq, sq->ctr);
	struct loopnic_tx_wqe *wqe;
	u32 n, len = 0;

	for (n = 1; ; n++) {
		if (sq->ctr + n - 1 == pc)
			return 0;
		wqe = loopnic_hw_sq_wqe(sq, sq->ctr + n - 1);
		len += le16_to_cpu(wqe->len);
		if (le16_to_cpu(wqe->flags) & LOOPNIC_TX_F_EOP)
			break;
	}
	f->n = n;
	f->len = len;
	f->flags = le16_to_cpu(first->flags);
	f->csum_start = le16_to_cpu(first->csum_start);
	/* csum_offset, or mss for LSO: one field. */
	f->csum_offset = le16_to_cpu(first->csum_offset);
	return n;
}

/*
 * DMA-read @len bytes from offset @off of the head frame @f into @dst: the
 * device reads what it needs of the buffers, as often as it needs it. With
 * @sum, it also adds the bytes' ones' complement sum to *@sum, as
 * csum_partial() of @dst would: a NIC's DMA engine sums what it moves, so
 * the checksum costs no second pass over the data.
 */
void loopnic_hw_tx_read(struct loopnic_hw_ch *ch, const struct loopnic_hw_tx_frame *f,
			u32 off, u32 len, u8 *dst, __wsum *sum)
{
	struct loopnic_hw_q *sq = &ch->q[LOOPNIC_Q_SQ];
	u32 i, done = 0;

	for (i = 0; i < f->n && len; i++) {
		struct loopnic_tx_wqe *wqe = loopnic_hw_sq_wqe(sq, sq->ctr + i);
		u32 seg = le16_to_cpu(wqe->len), take;
		const u8 *src;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		take = min(seg - off, len);
		src = (u8 *)loopnic_hw_dma_va(ch->hw, le64_to_cpu(wqe->addr)) + off;
		if (sum)
			*sum = csum_block_add(*sum, csum_partial_copy_nocheck(src, dst + done,
									      take),
					      done);
		else
			memcpy(dst + done, src, take);
		done += take;
		len -= take;
		off = 0;
	}
}

/*
 * Finish checksum offload: as skb_checksum_help(), the field at @start +
 * @off holds the pseudo-header sum the stack seeded it with. @rest is the
 * sum of the bytes behind the @staged ones in @data.
 */
void loopnic_hw_csum_complete(u8 *data, u32 start, u32 off, u32 staged, __wsum rest)
{
	__wsum sum = csum_block_add(csum_partial(data + start, staged - start, 0),
				    rest, staged - start);

	put_unaligned(csum_fold(sum) ?: CSUM_MANGLED_0, (__sum16 *)(data + start + off));
}

/* Fault injection needs the whole frame at hand: read the rest of it. */
void loopnic_hw_frame_stage(struct loopnic_hw_ch *ch, struct loopnic_hw_wire_frame *wf)
{
	__wsum rest = 0;

	if (wf->staged == wf->len && !wf->csum)
		return;
	loopnic_hw_tx_read(ch, wf->tx, wf->tx_off, wf->len - wf->staged,
			   wf->data + wf->staged, wf->csum ? &rest : NULL);
	if (wf->csum)
		loopnic_hw_csum_complete(wf->data, wf->csum_start, wf->csum_offset,
					 wf->staged, rest);
	wf->staged = wf->len;
	wf->csum = false;
}

/*
 * A frame without LSO: stage its headers (the whole frame if checksum
 * offload's field lies further in) and send it.
 */
static bool loopnic_hw_tx_plain(struct loopnic_hw_ch *ch,
				const struct loopnic_hw_tx_frame *f,
				unsigned long *rx_chs, u64 *resume,
				enum loopnic_hw_wire *ret)
{
	struct loopnic_hw_wire_frame wf = {
		.data = ch->frame,
		.len = f->len,
		.staged = min_t(u32, f->len, LOOPNIC_HW_LSO_MAX_HDR),
		.tx = f,
		.csum = f->flags & LOOPNIC_TX_F_CSUM,
		.csum_start = f->csum_start,
		.csum_offset = f->csum_offset,
	};

	if (f->len > LOOPNIC_HW_MAX_FRAME || f->len < ETH_HLEN)
		return false;
	if (wf.csum) {
		if (wf.csum_start >= f->len ||
		    wf.csum_offset + sizeof(__sum16) > f->len - wf.csum_start)
			return false;
		if (wf.csum_start + wf.csum_offset + sizeof(__sum16) > wf.staged)
			wf.staged = f->len;
	}
	wf.tx_off = wf.staged;
	loopnic_hw_tx_read(ch, f, 0, wf.staged, ch->frame, NULL);
	*ret = loopnic_hw_fault_xmit(ch, 0, &wf, rx_chs, resume);
	return true;
}

static void loopnic_hw_engine_run(struct loopnic_hw_ch *ch)
{
	struct loopnic_hw_q *sq = &ch->q[LOOPNIC_Q_SQ];
	/* The peer's channels that got frames in this batch. */
	unsigned long rx_chs = 0;
	u32 segs = LOOPNIC_HW_TX_BATCH_SEGS;
	unsigned int done = 0;
	/* The head frame's last WQE is not posted yet: its doorbell kicks us. */
	bool waits = false;
	bool held = false;
	u32 pc;

	if (!READ_ONCE(ch->tx_on) || READ_ONCE(ch->sq_stopped) ||
	    READ_ONCE(ch->sq_stalled))
		return;
	/* Pairs with the barrier of an SQ reset before it cleared sq_stopped. */
	smp_rmb();
	/* A doorbell while the head frame waits for a time: the timer kicks us. */
	if (hrtimer_is_queued(&ch->line_timer))
		return;

	/* The line's clock is read when this run first needs it (wire.c). */
	ch->line_now = 0;
	/* A frame that fault injection held back may be due (fault.c). */
	loopnic_hw_fault_tick(ch, &rx_chs);

	pc = READ_ONCE(sq->db);
	if (unlikely(pc - sq->ctr > sq->mask + 1)) {
		loopnic_hw_sq_bad_doorbell(ch, pc);
		/* Nothing of it is sent, but a frame the tick released is flushed. */
		pc = sq->ctr;
		waits = true;
	}
	/* WQEs are read only after the doorbell that published them. */
	dma_rmb();

	while (sq->ctr != pc && done < LOOPNIC_HW_TX_BATCH && segs) {
		enum loopnic_hw_wire ret = LOOPNIC_WIRE_SENT;
		struct loopnic_hw_tx_frame f;
		u32 len = 0;
		bool err;
		u64 resume;

		if (!loopnic_hw_tx_fetch(ch, pc, &f)) {
			waits = true;
			break;
		}
		trace_loopnic_hw_wqe_fetch(&ch->hw->pdev->dev, ch->idx, LOOPNIC_Q_SQ,
					   sq->ctr, f.n, f.len);
		/*
		 * Held: releasing the hold, or the peer's RQ doorbell after
		 * PAUSE, kicks us, and we gather it again. A busy line
		 * (LOOPNIC_REG_SPEED) or an injected delay does so through our
		 * timer. An LSO frame goes on from the segment that was held.
		 */
		if (f.flags & LOOPNIC_TX_F_LSO) {
			err = !loopnic_hw_lso_xmit(ch, &f, &len, &segs, &rx_chs,
						   &resume, &ret);
		} else {
			err = !loopnic_hw_tx_plain(ch, &f, &rx_chs, &resume, &ret);
			len = f.len;
			segs--;
		}
		if (ret == LOOPNIC_WIRE_HELD) {
			held = true;
			break;
		}
		if (ret == LOOPNIC_WIRE_LINE_BUSY || ret == LOOPNIC_WIRE_DELAYED) {
			if (ret == LOOPNIC_WIRE_LINE_BUSY && !ch->line_waiting) {
				ch->line_waiting = true;
				atomic64_inc(&ch->hw->tx_shaped);
			}
			hrtimer_start(&ch->line_timer, ns_to_ktime(resume),
				      HRTIMER_MODE_ABS);
			held = true;
			break;
		}
		ch->line_waiting = false;
		/* Out of segments in the frame's middle: the next run goes on. */
		if (ch->lso_seg)
			break;
		sq->ctr += f.n;
		loopnic_hw_cqe_write(ch, LOOPNIC_Q_TXCQ, len, sq->ctr - 1,
				     err ? LOOPNIC_CQE_F_ERR : 0, NULL);
		done++;
	}

	/* For LOOPNIC_CH_SQ_STATUS: a driver must not reset an SQ held by PAUSE. */
	WRITE_ONCE(ch->sq_held, held);

	/* Interrupt moderation: one event per batch, on each side. */
	if (done)
		loopnic_hw_cq_event(ch, LOOPNIC_Q_TXCQ);
	/* Also a frame fault injection had held back went out. */
	loopnic_hw_wire_flush(ch->hw, rx_chs);

	/* More posted than one batch: go round again, after others had a turn. */
	if (!held && !waits && sq->ctr != READ_ONCE(sq->db))
		loopnic_hw_engine_kick(ch);
}

static void loopnic_hw_engine_work(struct work_struct *work)
{
	loopnic_hw_engine_run(container_of(work, struct loopnic_hw_ch, tx_work));
}

static void loopnic_hw_engine_tasklet(struct tasklet_struct *t)
{
	struct loopnic_hw_ch *ch = from_tasklet(ch, t, tx_tasklet);

	loopnic_hw_engine_run(ch);
}

void loopnic_hw_engine_init(struct loopnic_hw_ch *ch)
{
	INIT_WORK(&ch->tx_work, loopnic_hw_engine_work);
	tasklet_setup(&ch->tx_tasklet, loopnic_hw_engine_tasklet);
}

/*
 * Either way (LOOPNIC_REG_ENGINE), runs of one engine never overlap: a
 * work item, as a tasklet, runs on one CPU at a time, and the channel
 * takes its kind only while disabled, when neither is pending.
 */
void loopnic_hw_engine_kick(struct loopnic_hw_ch *ch)
{
	/* Pairs with the release in loopnic_hw_ch_enable(): ch->engine is set. */
	if (!smp_load_acquire(&ch->tx_on))
		return;
	if (ch->engine == LOOPNIC_ENGINE_SOFTIRQ)
		tasklet_schedule(&ch->tx_tasklet);
	else
		queue_work(loopnic_hw_wq, &ch->tx_work);
}

/*
 * Process context, with the engine's next runs stopped (tx_on clear or
 * sq_stopped set): wait for a run in flight, or one kicked before, and
 * one that kicked itself again.
 */
void loopnic_hw_engine_sync(struct loopnic_hw_ch *ch)
{
	cancel_work_sync(&ch->tx_work);
	tasklet_kill(&ch->tx_tasklet);
}
