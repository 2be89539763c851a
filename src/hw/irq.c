// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic device model: MSI-X emulation. Each channel has one vector,
 * shared by its two CQs as mlx5 shares a completion EQ. An armed CQ that
 * gets an entry past the consumer counter it was armed with disarms itself
 * and raises the vector. The message lands in hard-IRQ context on the CPU
 * the vector targets: an IPI (smp_call_function_single_async) when that is
 * another CPU, a self-IPI (irq_work) when it is this one. irq_work_queue_on()
 * would do both but is not exported to modules. On PREEMPT_RT the IPI is
 * followed by a self-IPI on the target CPU (see loopnic_hw_irq_csd_fn()).
 */
#include <linux/cpumask.h>
#include <linux/delay.h>

#include "device.h"
#include "../trace.h"

#define LOOPNIC_HW_IRQ_PENDING	0

/* Hard-IRQ context, on the vector's CPU. */
static void loopnic_hw_irq_deliver(struct loopnic_hw_ch *ch)
{
	loopnic_hw_irq_handler_t handler;

	clear_bit(LOOPNIC_HW_IRQ_PENDING, &ch->irq_pending);
	/*
	 * Like an edge-triggered MSI: an event after this raises a new
	 * message, and the poll scheduled below sees everything before it.
	 */
	smp_mb__after_atomic();

	/* Pairs with smp_store_release() in loopnic_hw_request_irq(). */
	handler = smp_load_acquire(&ch->irq_handler);
	if (handler)
		handler(ch->idx, READ_ONCE(ch->irq_data));

	/* Last touch of ch: loopnic_hw_free_irq() waits for this. */
	atomic_dec_return_release(&ch->irq_busy);
}

static void loopnic_hw_irq_work_fn(struct irq_work *work)
{
	loopnic_hw_irq_deliver(container_of(work, struct loopnic_hw_ch, irq_work));
}

static void loopnic_hw_irq_csd_fn(void *info)
{
	struct loopnic_hw_ch *ch = info;

	/*
	 * An IPI's function may run from the idle loop's queue flush, where
	 * PREEMPT_RT forbids raising a softirq (the handler schedules NAPI):
	 * there, go on with a self-IPI, whose handler is a real hard IRQ.
	 */
	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		irq_work_queue(&ch->irq_work);
	else
		loopnic_hw_irq_deliver(ch);
}

void loopnic_hw_irq_init(struct loopnic_hw_ch *ch)
{
	spin_lock_init(&ch->irq_lock);
	ch->irq_work = IRQ_WORK_INIT_HARD(loopnic_hw_irq_work_fn);
	INIT_CSD(&ch->irq_csd, loopnic_hw_irq_csd_fn, ch);
}

/* Under ch->irq_lock, with interrupts off (so this CPU is stable). */
static void loopnic_hw_irq_raise(struct loopnic_hw_ch *ch)
{
	unsigned int cpu = READ_ONCE(ch->irq_cpu);

	if (!ch->irq_handler)
		return;
	/* A message still in flight has not reached the handler: it covers this one. */
	if (test_and_set_bit(LOOPNIC_HW_IRQ_PENDING, &ch->irq_pending))
		return;

	atomic_inc(&ch->irq_busy);
	atomic64_inc(&ch->irqs);
	trace_loopnic_hw_irq(&ch->hw->pdev->dev, ch->idx, cpu);
	if (cpu == smp_processor_id() || !cpu_online(cpu) ||
	    smp_call_function_single_async(cpu, &ch->irq_csd))
		irq_work_queue(&ch->irq_work);
}

static bool loopnic_hw_cq_fire(struct loopnic_hw_ch *ch, struct loopnic_hw_q *cq)
{
	/*
	 * Fire once an entry at or past arm_ci is written: the producer
	 * counter is past arm_ci, wrap-safe. Not just "differs": the driver
	 * may consume a CQE as soon as its owner bit flips, before ctr moves,
	 * and arm one ahead of ctr; that must not interrupt.
	 */
	if (!cq->armed || (s32)(READ_ONCE(cq->ctr) - cq->arm_ci) <= 0)
		return false;
	cq->armed = false;
	loopnic_hw_irq_raise(ch);
	return true;
}

/* The driver's CQ doorbell: arm, and fire at once if entries are already there. */
void loopnic_hw_cq_arm(struct loopnic_hw_ch *ch, enum loopnic_hw_queue q, u32 ci)
{
	struct loopnic_hw_q *cq = &ch->q[q];
	unsigned long flags;

	spin_lock_irqsave(&ch->irq_lock, flags);
	if (READ_ONCE(ch->tx_on)) {
		cq->armed = true;
		cq->arm_ci = ci;
		loopnic_hw_cq_fire(ch, cq);
	}
	spin_unlock_irqrestore(&ch->irq_lock, flags);
}

/* The device wrote entries to @q. */
void loopnic_hw_cq_event(struct loopnic_hw_ch *ch, enum loopnic_hw_queue q)
{
	unsigned long flags;

	spin_lock_irqsave(&ch->irq_lock, flags);
	loopnic_hw_cq_fire(ch, &ch->q[q]);
	spin_unlock_irqrestore(&ch->irq_lock, flags);
}

void loopnic_hw_cq_disarm_all(struct loopnic_hw_ch *ch)
{
	unsigned long flags;

	spin_lock_irqsave(&ch->irq_lock, flags);
	ch->q[LOOPNIC_Q_TXCQ].armed = false;
	ch->q[LOOPNIC_Q_RXCQ].armed = false;
	spin_unlock_irqrestore(&ch->irq_lock, flags);
}

int loopnic_hw_request_irq(struct loopnic_hw *hw, int vec,
			   loopnic_hw_irq_handler_t handler, void *data)
{
	struct loopnic_hw_ch *ch;
	unsigned long flags;
	int err = 0;

	if (vec < 0 || vec >= LOOPNIC_HW_MAX_CHANNELS)
		return -EINVAL;
	ch = &hw->ch[vec];

	spin_lock_irqsave(&ch->irq_lock, flags);
	if (ch->irq_handler) {
		err = -EBUSY;
	} else {
		WRITE_ONCE(ch->irq_data, data);
		/* Publishes irq_data; pairs with loopnic_hw_irq_deliver(). */
		smp_store_release(&ch->irq_handler, handler);
	}
	spin_unlock_irqrestore(&ch->irq_lock, flags);
	return err;
}

void loopnic_hw_free_irq(struct loopnic_hw *hw, int vec)
{
	struct loopnic_hw_ch *ch;
	unsigned long flags;

	if (vec < 0 || vec >= LOOPNIC_HW_MAX_CHANNELS)
		return;
	ch = &hw->ch[vec];

	spin_lock_irqsave(&ch->irq_lock, flags);
	WRITE_ONCE(ch->irq_handler, NULL);
	spin_unlock_irqrestore(&ch->irq_lock, flags);

	/* Messages already raised are delivered (to nobody) before we return. */
	while (atomic_read_acquire(&ch->irq_busy))
		usleep_range(10, 50);
	irq_work_sync(&ch->irq_work);
}
