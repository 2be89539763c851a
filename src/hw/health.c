// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic device model: injected faults and the SQ commands a driver
 * recovers from them with. A stalled SQ and a lost interrupt are what an
 * mlx5 driver's TX timeout handling is for: the first needs the queue
 * reset, the second only a look at the completion queue.
 */
#include <linux/bitfield.h>

#include "device.h"

void loopnic_hw_fault_inject(struct loopnic_hw *hw, u64 val)
{
	u32 idx = FIELD_GET(LOOPNIC_FAULT_CH, val);
	struct loopnic_hw_ch *ch;

	if (idx >= LOOPNIC_HW_MAX_CHANNELS)
		return;
	ch = &hw->ch[idx];
	if (!READ_ONCE(ch->tx_on))
		return;

	switch (FIELD_GET(LOOPNIC_FAULT_KIND, val)) {
	case LOOPNIC_FAULT_KIND_SQ_STALL:
		/* A run in progress finishes its batch; the next one does nothing. */
		WRITE_ONCE(ch->sq_stalled, true);
		atomic64_inc(&hw->fault_sq_stalls);
		break;
	case LOOPNIC_FAULT_KIND_LOST_IRQ:
		atomic_inc(&ch->lost_irqs);
		break;
	}
}

/*
 * From loopnic_hw_irq_raise(), interrupts off: true if this interrupt is
 * one to lose.
 */
bool loopnic_hw_irq_lost(struct loopnic_hw_ch *ch)
{
	if (likely(!atomic_read(&ch->lost_irqs)))
		return false;
	if (!atomic_add_unless(&ch->lost_irqs, -1, 0))
		return false;
	atomic64_inc(&ch->hw->fault_lost_irqs);
	return true;
}

/*
 * A TX engine run found the SQ's doorbell further ahead of its consumer
 * counter than the ring is long: the driver rang it wrong, and nothing in
 * the ring is known to be a frame. The SQ goes into error as a stalled
 * one, which the driver's TX timeout recovers by STOP and RESET.
 */
void loopnic_hw_sq_bad_doorbell(struct loopnic_hw_ch *ch, u32 pc)
{
	struct loopnic_hw_q *sq = &ch->q[LOOPNIC_Q_SQ];

	WRITE_ONCE(ch->sq_stalled, true);
	dev_err_ratelimited(&ch->hw->pdev->dev,
			    "ch%u: SQ doorbell %u is %u entries past WQE %u, the ring has %u: SQ stalled\n",
			    ch->idx, pc, pc - sq->ctr, sq->ctr, sq->mask + 1);
}

/* Channel enable: a fresh channel carries no fault of its previous life. */
void loopnic_hw_health_reset(struct loopnic_hw_ch *ch)
{
	WRITE_ONCE(ch->sq_stopped, false);
	WRITE_ONCE(ch->sq_stalled, false);
	WRITE_ONCE(ch->sq_held, false);
	WRITE_ONCE(ch->lso_seg, 0);
	atomic_set(&ch->lost_irqs, 0);
}

static void loopnic_hw_sq_stop(struct loopnic_hw_ch *ch)
{
	WRITE_ONCE(ch->sq_stopped, true);
	/* Also waits for a run that requeued itself; later runs return at once. */
	loopnic_hw_engine_sync(ch);
}

static void loopnic_hw_sq_reset(struct loopnic_hw_ch *ch)
{
	struct loopnic_hw_q *sq = &ch->q[LOOPNIC_Q_SQ];
	struct loopnic_hw_q *cq = &ch->q[LOOPNIC_Q_TXCQ];
	unsigned long flags;

	if (!READ_ONCE(ch->sq_stopped))
		return;
	spin_lock_irqsave(&ch->irq_lock, flags);
	cq->armed = false;
	WRITE_ONCE(cq->ctr, 0);
	cq->arm_ci = 0;
	spin_unlock_irqrestore(&ch->irq_lock, flags);
	/* Disarmed: no new period can start, an old one must not fire (TX CQ's is [0]). */
	hrtimer_cancel(&ch->cq_mod[0].timer);

	WRITE_ONCE(sq->db, 0);
	sq->ctr = 0;
	/*
	 * Engine-only state of the frame that was at the head, which is
	 * gone: fault injection's decisions for it, its wait for the line,
	 * the LSO segment it had got to.
	 */
	ch->fault.dec_valid = false;
	ch->line_waiting = false;
	WRITE_ONCE(ch->lso_seg, 0);
	WRITE_ONCE(ch->sq_stalled, false);
	WRITE_ONCE(ch->sq_held, false);
	/* The engine's next run sees the counters above: queue_work() orders them. */
	smp_wmb();
	WRITE_ONCE(ch->sq_stopped, false);
}

/* Process context: STOP waits for the engine. */
void loopnic_hw_sq_cmd(struct loopnic_hw_ch *ch, u64 cmd)
{
	if (!READ_ONCE(ch->tx_on))
		return;
	switch (cmd) {
	case LOOPNIC_SQ_CMD_STOP:
		loopnic_hw_sq_stop(ch);
		break;
	case LOOPNIC_SQ_CMD_RESET:
		loopnic_hw_sq_reset(ch);
		break;
	}
}

u64 loopnic_hw_sq_status(struct loopnic_hw_ch *ch)
{
	u64 st = 0;

	if (READ_ONCE(ch->sq_stopped))
		st |= LOOPNIC_SQ_ST_STOPPED;
	if (READ_ONCE(ch->sq_stalled))
		st |= LOOPNIC_SQ_ST_STALLED;
	if (READ_ONCE(ch->sq_held))
		st |= LOOPNIC_SQ_ST_HELD;
	return st;
}
