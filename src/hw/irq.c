// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic device model: MSI-X emulation. Each channel has one vector,
 * shared by its two CQs as mlx5 shares a completion EQ. An armed CQ that
 * gets an entry past the consumer counter it was armed with disarms itself
 * and raises the vector.
 *
 * Vectors are real Linux interrupts: descriptors of our own, with an
 * irq_chip standing for the MSI-X table, so /proc/interrupts counts them
 * per CPU and /proc/irq/N/smp_affinity moves them, as for a PCI NIC. The
 * message lands in hard-IRQ context on the CPU the vector targets: an IPI
 * (smp_call_function_single_async) when that is another CPU, a self-IPI
 * (irq_work) when it is this one, and there it enters the interrupt's flow
 * handler. irq_work_queue_on() would do both but is not exported to
 * modules. On PREEMPT_RT the IPI is followed by a self-IPI on the target
 * CPU (see loopnic_hw_irq_csd_fn()). With the engines in softirq context,
 * a message for this CPU raised in softirq or hard-IRQ context skips the
 * self-IPI (see loopnic_hw_irq_here()).
 *
 * Moderation (LOOPNIC_CH_*CQ_MOD) delays the firing of an armed CQ until
 * enough entries are there or a per-CQ hrtimer ends the period.
 */
#include <linux/bitfield.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/irq.h>

#include "device.h"
#include "../trace.h"

#define LOOPNIC_HW_IRQ_PENDING	0

/* On the vector's CPU, IRQs off: hard IRQ, or see loopnic_hw_irq_here(). */
static void loopnic_hw_irq_deliver(struct loopnic_hw_ch *ch)
{
	clear_bit(LOOPNIC_HW_IRQ_PENDING, &ch->irq_pending);
	/*
	 * Like an edge-triggered MSI: an event after this raises a new
	 * message, and the poll the handler schedules sees everything before.
	 */
	smp_mb__after_atomic();

	/* With no handler requested, the core only marks the IRQ pending. */
	generic_handle_irq(ch->irq);

	/* Last touch of ch: loopnic_hw_irq_free() waits for this. */
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

static enum hrtimer_restart loopnic_hw_cq_mod_timer(struct hrtimer *timer);

void loopnic_hw_irq_init(struct loopnic_hw_ch *ch)
{
	unsigned int i;

	spin_lock_init(&ch->irq_lock);
	ch->irq_work = IRQ_WORK_INIT_HARD(loopnic_hw_irq_work_fn);
	INIT_CSD(&ch->irq_csd, loopnic_hw_irq_csd_fn, ch);
	for (i = 0; i < LOOPNIC_HW_NUM_CQS; i++) {
		struct loopnic_hw_cq_mod *mod = &ch->cq_mod[i];

		mod->ch = ch;
		mod->q = LOOPNIC_Q_TXCQ + i;
		hrtimer_init(&mod->timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
		mod->timer.function = loopnic_hw_cq_mod_timer;
	}
}

/*
 * Whether @ch's message for @cpu enters its flow handler right here. A
 * self-IPI runs the handler as soon as interrupts are back on; from
 * softirq context (the softirq engine, a NAPI poll re-arming its CQs) or
 * hard-IRQ context (a moderation timer), running it now does the same a
 * little earlier, without the APIC write and the interrupt entry, which
 * cost tens of microseconds under TCG, twice per direction of a ping. The
 * handler schedules NAPI, and NET_RX runs before this CPU leaves the
 * softirq loop or the interrupt. The handler then runs outside hard-IRQ
 * context, which a learner tracing the default engine should not see:
 * only a device whose engines already run in softirq context, for
 * latency, does this. Not from process context, where nothing would run
 * that softirq, and not on PREEMPT_RT, whose handlers are threads.
 */
static bool loopnic_hw_irq_here(struct loopnic_hw_ch *ch, unsigned int cpu)
{
	return !IS_ENABLED(CONFIG_PREEMPT_RT) &&
	       READ_ONCE(ch->engine) == LOOPNIC_ENGINE_SOFTIRQ &&
	       cpu == smp_processor_id() && (in_serving_softirq() || in_hardirq());
}

/*
 * With interrupts off, so this CPU is stable; everything it touches is
 * atomic, so no lock is needed (callers hold ch->irq_lock for the CQs).
 * @may_enter: the caller holds no lock of the interrupt's descriptor, so
 * the message may enter its flow handler from here.
 */
static void loopnic_hw_irq_raise(struct loopnic_hw_ch *ch, bool may_enter)
{
	unsigned int cpu = READ_ONCE(ch->irq_cpu);

	/* An injected fault: the CQ disarmed itself, and nobody hears of it. */
	if (loopnic_hw_irq_lost(ch))
		return;
	/* A message still in flight has not reached the handler: it covers this one. */
	if (test_and_set_bit(LOOPNIC_HW_IRQ_PENDING, &ch->irq_pending))
		return;

	atomic_inc(&ch->irq_busy);
	atomic64_inc(&ch->irqs);
	trace_loopnic_hw_irq(&ch->hw->pdev->dev, ch->idx, cpu);
	if (may_enter && loopnic_hw_irq_here(ch, cpu))
		loopnic_hw_irq_deliver(ch);
	else if (cpu == smp_processor_id() || !cpu_online(cpu) ||
		 smp_call_function_single_async(cpu, &ch->irq_csd))
		irq_work_queue(&ch->irq_work);
}

static struct loopnic_hw_cq_mod *loopnic_hw_cq_mod(struct loopnic_hw_ch *ch,
						   enum loopnic_hw_queue q)
{
	return &ch->cq_mod[q - LOOPNIC_Q_TXCQ];
}

/* Entries written at or past arm_ci, wrap-safe; <= 0 when none. */
static s32 loopnic_hw_cq_new(struct loopnic_hw_q *cq)
{
	return READ_ONCE(cq->ctr) - cq->arm_ci;
}

/* Under ch->irq_lock. */
static void loopnic_hw_cq_fire(struct loopnic_hw_ch *ch, enum loopnic_hw_queue q)
{
	struct loopnic_hw_cq_mod *mod = loopnic_hw_cq_mod(ch, q);
	struct loopnic_hw_q *cq = &ch->q[q];
	s32 n;

	/*
	 * Fire once an entry at or past arm_ci is written, not as soon as ctr
	 * differs: the driver may consume a CQE as soon as its owner bit
	 * flips, before ctr moves, and arm one ahead of ctr; that must not
	 * interrupt.
	 */
	if (!cq->armed)
		return;
	n = loopnic_hw_cq_new(cq);
	if (n <= 0)
		return;
	if (mod->usecs && (!mod->frames || n < mod->frames)) {
		/* Not queued: this is the first entry of the period. */
		if (!hrtimer_is_queued(&mod->timer))
			hrtimer_start(&mod->timer,
				      ns_to_ktime((u64)mod->usecs * NSEC_PER_USEC),
				      HRTIMER_MODE_REL);
		return;
	}
	cq->armed = false;
	/* Cannot wait here; a callback already running finds the CQ disarmed. */
	hrtimer_try_to_cancel(&mod->timer);
	loopnic_hw_irq_raise(ch, true);
}

/*
 * The end of a moderation period. Not HRTIMER_MODE_REL_HARD: on
 * PREEMPT_RT, ch->irq_lock sleeps, so the callback must run in the
 * softirq thread there, which a plain REL timer does by itself; elsewhere
 * it runs in hard-IRQ context, as close as it gets to a device's own timer.
 */
static enum hrtimer_restart loopnic_hw_cq_mod_timer(struct hrtimer *timer)
{
	struct loopnic_hw_cq_mod *mod = container_of(timer, struct loopnic_hw_cq_mod,
						     timer);
	struct loopnic_hw_ch *ch = mod->ch;
	struct loopnic_hw_q *cq = &ch->q[mod->q];
	unsigned long flags;

	spin_lock_irqsave(&ch->irq_lock, flags);
	/*
	 * A period started again while we waited for the lock (the CQ fired
	 * on its count and was re-armed) is the one that decides now.
	 */
	if (!hrtimer_is_queued(timer) && cq->armed && loopnic_hw_cq_new(cq) > 0) {
		cq->armed = false;
		loopnic_hw_irq_raise(ch, true);
	}
	spin_unlock_irqrestore(&ch->irq_lock, flags);
	return HRTIMER_NORESTART;
}

/* Process context: waits for a period's callback that is running. */
static void loopnic_hw_cq_mod_cancel(struct loopnic_hw_ch *ch)
{
	unsigned int i;

	for (i = 0; i < LOOPNIC_HW_NUM_CQS; i++)
		hrtimer_cancel(&ch->cq_mod[i].timer);
}

void loopnic_hw_cq_mod_write(struct loopnic_hw_ch *ch, enum loopnic_hw_queue q,
			     u64 val)
{
	struct loopnic_hw_cq_mod *mod = loopnic_hw_cq_mod(ch, q);
	unsigned long flags;

	spin_lock_irqsave(&ch->irq_lock, flags);
	mod->usecs = FIELD_GET(LOOPNIC_CH_MOD_USECS, val);
	mod->frames = FIELD_GET(LOOPNIC_CH_MOD_FRAMES, val);
	/* Entries already there count against the new values at once. */
	loopnic_hw_cq_fire(ch, q);
	spin_unlock_irqrestore(&ch->irq_lock, flags);
}

u64 loopnic_hw_cq_mod_read(struct loopnic_hw_ch *ch, enum loopnic_hw_queue q)
{
	struct loopnic_hw_cq_mod *mod = loopnic_hw_cq_mod(ch, q);
	unsigned long flags;
	u64 val;

	spin_lock_irqsave(&ch->irq_lock, flags);
	val = FIELD_PREP(LOOPNIC_CH_MOD_USECS, mod->usecs) |
	      FIELD_PREP(LOOPNIC_CH_MOD_FRAMES, mod->frames);
	spin_unlock_irqrestore(&ch->irq_lock, flags);
	return val;
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
		loopnic_hw_cq_fire(ch, q);
	}
	spin_unlock_irqrestore(&ch->irq_lock, flags);
}

/* The device wrote entries to @q. */
void loopnic_hw_cq_event(struct loopnic_hw_ch *ch, enum loopnic_hw_queue q)
{
	unsigned long flags;

	spin_lock_irqsave(&ch->irq_lock, flags);
	loopnic_hw_cq_fire(ch, q);
	spin_unlock_irqrestore(&ch->irq_lock, flags);
}

void loopnic_hw_cq_disarm_all(struct loopnic_hw_ch *ch)
{
	unsigned long flags;

	spin_lock_irqsave(&ch->irq_lock, flags);
	ch->q[LOOPNIC_Q_TXCQ].armed = false;
	ch->q[LOOPNIC_Q_RXCQ].armed = false;
	spin_unlock_irqrestore(&ch->irq_lock, flags);
	/* Disarmed CQs start no period: none can be queued after this. */
	loopnic_hw_cq_mod_cancel(ch);
}

/*
 * The MSI-X table entry's address: the core calls this under the
 * descriptor's lock, from request_irq() and from /proc/irq/N/smp_affinity
 * (IRQ_MOVE_PCNTXT: at once, not at the next interrupt). A message already
 * in flight still lands on the old CPU, as on real hardware.
 */
static int loopnic_hw_msix_set_affinity(struct irq_data *d,
					const struct cpumask *mask, bool force)
{
	struct loopnic_hw_ch *ch = irq_data_get_irq_chip_data(d);
	unsigned int cpu = cpumask_first_and(mask, cpu_online_mask);

	if (cpu >= nr_cpu_ids)
		return -EINVAL;
	WRITE_ONCE(ch->irq_cpu, cpu);
	irq_data_update_effective_affinity(d, cpumask_of(cpu));
	return IRQ_SET_MASK_OK;
}

/*
 * The core resends a message that came while no handler was installed
 * once one is: send it again.
 */
static int loopnic_hw_msix_retrigger(struct irq_data *d)
{
	/*
	 * Under the descriptor's raw lock, which the flow handler takes: by
	 * IPI only. Not under ch->irq_lock, which may sleep on RT.
	 */
	loopnic_hw_irq_raise(irq_data_get_irq_chip_data(d), false);
	return 1;
}

/*
 * An MSI needs no acknowledging, and masking is left to the driver's CQ
 * arming, as mlx5 never masks its EQs.
 */
static void loopnic_hw_msix_noop(struct irq_data *d)
{
}

static struct irq_chip loopnic_hw_msix_chip = {
	.name			= "loopnic-msix",
	.irq_ack		= loopnic_hw_msix_noop,
	.irq_mask		= loopnic_hw_msix_noop,
	.irq_unmask		= loopnic_hw_msix_noop,
	.irq_set_affinity	= loopnic_hw_msix_set_affinity,
	.irq_retrigger		= loopnic_hw_msix_retrigger,
};

int loopnic_hw_irq_alloc(struct loopnic_hw *hw)
{
	unsigned int i;
	int base;

	/*
	 * No owner: request_irq() would pin it, and the driver that requests
	 * these is this very module, which could then never be removed.
	 */
	base = __irq_alloc_descs(-1, 1, LOOPNIC_HW_MAX_CHANNELS,
				 dev_to_node(&hw->pdev->dev), NULL, NULL);
	if (base < 0)
		return base;
	hw->irq_base = base;
	for (i = 0; i < LOOPNIC_HW_MAX_CHANNELS; i++) {
		struct loopnic_hw_ch *ch = &hw->ch[i];

		ch->irq = base + i;
		/*
		 * The edge flow, as x86 MSIs use: a message that lands while
		 * the previous one is handled on another CPU (the affinity
		 * just moved) is replayed there, not lost.
		 */
		irq_set_chip_and_handler_name(ch->irq, &loopnic_hw_msix_chip,
					      handle_edge_irq, "edge");
		irq_set_chip_data(ch->irq, ch);
		irq_modify_status(ch->irq, IRQ_NOREQUEST | IRQ_NOAUTOEN,
				  IRQ_NOPROBE | IRQ_MOVE_PCNTXT);
	}
	return 0;
}

/* Every channel is disabled and every handler freed by the driver. */
void loopnic_hw_irq_free(struct loopnic_hw *hw)
{
	unsigned int i;

	for (i = 0; i < LOOPNIC_HW_MAX_CHANNELS; i++) {
		struct loopnic_hw_ch *ch = &hw->ch[i];

		/* Messages already raised are delivered (to nobody) first. */
		while (atomic_read_acquire(&ch->irq_busy))
			usleep_range(10, 50);
		irq_work_sync(&ch->irq_work);
	}
	irq_free_descs(hw->irq_base, LOOPNIC_HW_MAX_CHANNELS);
}

int loopnic_hw_irq_vector(struct loopnic_hw *hw, unsigned int vec)
{
	if (vec >= LOOPNIC_HW_MAX_CHANNELS)
		return -EINVAL;
	return hw->ch[vec].irq;
}
