// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic device model: the device itself. Each port's NIC is a platform
 * device with a 64-bit DMA mask, so the driver maps memory for it with the
 * real DMA API; this file decodes its registers and plugs its cable.
 */
#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "device.h"
#include "../trace.h"

struct workqueue_struct *loopnic_hw_wq;

/* Serializes cable changes: ports are freed without RTNL held. */
static DEFINE_MUTEX(loopnic_hw_cable_lock);

/*
 * What the device's DMA engine does with a bus address: with dma-direct (no
 * IOMMU), a bus address is a physical one, possibly a swiotlb bounce buffer.
 */
void *loopnic_hw_dma_va(struct loopnic_hw *hw, u64 addr)
{
	return phys_to_virt(dma_to_phys(&hw->pdev->dev, addr));
}

struct device *loopnic_hw_dma_dev(struct loopnic_hw *hw)
{
	return &hw->pdev->dev;
}

struct loopnic_hw *loopnic_hw_create(void)
{
	const struct platform_device_info info = {
		.name		= "loopnic-hw",
		.id		= PLATFORM_DEVID_AUTO,
		.dma_mask	= DMA_BIT_MASK(64),
	};
	struct loopnic_hw *hw;
	unsigned int i;
	int err;

	/* Eight channels of frame scratch: larger than a page order is worth. */
	hw = kvzalloc(sizeof(*hw), GFP_KERNEL);
	if (!hw)
		return ERR_PTR(-ENOMEM);

	hw->pdev = platform_device_register_full(&info);
	if (IS_ERR(hw->pdev)) {
		struct platform_device *pdev = hw->pdev;

		kvfree(hw);
		return ERR_CAST(pdev);
	}

	for (i = 0; i < LOOPNIC_HW_MAX_CHANNELS; i++) {
		struct loopnic_hw_ch *ch = &hw->ch[i];

		ch->hw = hw;
		ch->idx = i;
		loopnic_hw_engine_init(ch);
		spin_lock_init(&ch->rx_lock);
		loopnic_hw_irq_init(ch);
		loopnic_hw_fault_ch_init(ch);
		loopnic_hw_line_init(ch);
	}
	hw->speed = LOOPNIC_HW_SPEED_DEFAULT;
	hw->rx_csum = true;
	err = loopnic_hw_irq_alloc(hw);
	if (err) {
		platform_device_unregister(hw->pdev);
		kvfree(hw);
		return ERR_PTR(err);
	}
	return hw;
}

void loopnic_hw_connect(struct loopnic_hw *a, struct loopnic_hw *b)
{
	mutex_lock(&loopnic_hw_cable_lock);
	rcu_assign_pointer(a->peer, b);
	rcu_assign_pointer(b->peer, a);
	mutex_unlock(&loopnic_hw_cable_lock);
}

static void loopnic_hw_ch_disable(struct loopnic_hw_ch *ch)
{
	WRITE_ONCE(ch->tx_on, false);
	/* Also waits for a run that requeued itself. */
	loopnic_hw_engine_sync(ch);
	loopnic_hw_fault_ch_stop(ch);
	/*
	 * Only the engine arms the line timer, and it no longer runs; a
	 * callback that still ran may have queued it once more.
	 */
	loopnic_hw_line_cancel(ch);
	loopnic_hw_engine_sync(ch);
	/*
	 * ch->lso_seg stays until the channel is enabled again: the driver
	 * reads it (LOOPNIC_CH_SQ_HEAD_SEGS) to account for the frame.
	 */

	/* The peer's engine delivers under rx_lock: none is in flight after. */
	spin_lock_bh(&ch->rx_lock);
	ch->rx_on = false;
	loopnic_hw_lro_drop(ch);
	spin_unlock_bh(&ch->rx_lock);
	/*
	 * A sender paused on this RQ would wait for a doorbell that never
	 * comes: it tries again and finds the RQ off (rx_discards). Any bit
	 * it set is visible: it set it under rx_lock.
	 */
	loopnic_hw_pause_release(ch);

	loopnic_hw_cq_disarm_all(ch);
}

/* The driver has removed every interrupt handler and disabled the channels. */
void loopnic_hw_destroy(struct loopnic_hw *hw)
{
	struct loopnic_hw *peer;
	unsigned int i;

	if (!hw)
		return;

	mutex_lock(&loopnic_hw_cable_lock);
	peer = rcu_dereference_protected(hw->peer,
					 lockdep_is_held(&loopnic_hw_cable_lock));
	if (peer && peer != hw &&
	    rcu_access_pointer(peer->peer) == hw)
		RCU_INIT_POINTER(peer->peer, NULL);
	RCU_INIT_POINTER(hw->peer, NULL);
	mutex_unlock(&loopnic_hw_cable_lock);
	/*
	 * The peer's engine reaches us under RCU only. Without a peer, no
	 * engine can: the peer's destroy already cut both ends and waited.
	 */
	if (peer)
		synchronize_rcu();

	for (i = 0; i < LOOPNIC_HW_MAX_CHANNELS; i++)
		loopnic_hw_ch_disable(&hw->ch[i]);
	loopnic_hw_irq_free(hw);
	platform_device_unregister(hw->pdev);
	kvfree(hw);
}

static int loopnic_hw_ch_enable(struct loopnic_hw_ch *ch)
{
	unsigned int i;

	for (i = 0; i < LOOPNIC_NUM_QUEUES; i++) {
		struct loopnic_hw_q *q = &ch->q[i];

		if (q->log_sz < LOOPNIC_HW_MIN_LOG_SZ ||
		    q->log_sz > LOOPNIC_HW_MAX_LOG_SZ || !q->base)
			return -EINVAL;
		q->va = loopnic_hw_dma_va(ch->hw, q->base);
		q->mask = (1U << q->log_sz) - 1;
		q->db = 0;
		q->ctr = 0;
	}

	loopnic_hw_health_reset(ch);
	/* No run of either kind is in flight: the channel was disabled. */
	ch->engine = READ_ONCE(ch->hw->engine);

	spin_lock_bh(&ch->rx_lock);
	ch->rx_on = true;
	spin_unlock_bh(&ch->rx_lock);
	/* Pairs with the acquire in loopnic_hw_engine_kick(). */
	smp_store_release(&ch->tx_on, true);
	return 0;
}

/*
 * Disabling a channel is a command that completes only once the device no
 * longer touches the channel's rings (the driver may free them after), so
 * the write sleeps.
 */
static void loopnic_hw_ch_ctrl(struct loopnic_hw_ch *ch, u64 val)
{
	bool on = val & LOOPNIC_CH_CTRL_EN;

	if (on == READ_ONCE(ch->tx_on))
		return;
	if (!on) {
		loopnic_hw_ch_disable(ch);
		return;
	}
	if (loopnic_hw_ch_enable(ch))
		dev_err(&ch->hw->pdev->dev, "ch%u: invalid queue setup, not enabled\n",
			ch->idx);
}

static void loopnic_hw_q_write(struct loopnic_hw_ch *ch, enum loopnic_hw_queue qi,
			       u32 off, u64 val)
{
	struct loopnic_hw_q *q = &ch->q[qi];

	switch (off) {
	case LOOPNIC_Q_BASE:
		if (!READ_ONCE(ch->tx_on))
			q->base = val;
		break;
	case LOOPNIC_Q_LOG_SZ:
		if (!READ_ONCE(ch->tx_on))
			q->log_sz = val;
		break;
	case LOOPNIC_Q_DB:
		trace_loopnic_hw_doorbell(&ch->hw->pdev->dev, ch->idx, qi, val);
		if (qi == LOOPNIC_Q_TXCQ || qi == LOOPNIC_Q_RXCQ) {
			loopnic_hw_cq_arm(ch, qi, val);
			break;
		}
		WRITE_ONCE(q->db, val);
		/* The wire looks for RX buffers per frame; only a paused sender waits. */
		if (qi == LOOPNIC_Q_RQ)
			loopnic_hw_rq_posted(ch);
		else
			loopnic_hw_engine_kick(ch);
		break;
	}
}

/* For diagnostics: a snapshot, without the locks the device's work takes. */
static u64 loopnic_hw_q_read(struct loopnic_hw_ch *ch, enum loopnic_hw_queue qi,
			     u32 off)
{
	bool cq = qi == LOOPNIC_Q_TXCQ || qi == LOOPNIC_Q_RXCQ;
	struct loopnic_hw_q *q = &ch->q[qi];

	switch (off) {
	case LOOPNIC_Q_BASE:
		return READ_ONCE(q->base);
	case LOOPNIC_Q_LOG_SZ:
		return READ_ONCE(q->log_sz);
	case LOOPNIC_Q_DB:
		return cq ? READ_ONCE(q->arm_ci) : READ_ONCE(q->db);
	case LOOPNIC_Q_CTR:
		return READ_ONCE(q->ctr) |
		       (cq && READ_ONCE(q->armed) ? LOOPNIC_Q_CTR_ARMED : 0);
	}
	return ~0ULL;
}

static struct loopnic_hw_ch *loopnic_hw_reg_ch(struct loopnic_hw *hw, u32 reg,
					       u32 *off)
{
	u32 ch = (reg - LOOPNIC_REG_CH(0)) / 0x100;

	if (reg < LOOPNIC_REG_CH(0) || ch >= LOOPNIC_HW_MAX_CHANNELS)
		return NULL;
	*off = reg - LOOPNIC_REG_CH(ch);
	return &hw->ch[ch];
}

/* Global registers; false if @reg is not one. */
static bool loopnic_hw_global_write(struct loopnic_hw *hw, u32 reg, u64 val)
{
	unsigned int i;

	if (reg == LOOPNIC_REG_RX_HOLD) {
		loopnic_hw_rx_hold(hw, val & 1);
		return true;
	}
	if (reg == LOOPNIC_REG_PAUSE) {
		loopnic_hw_pause_set(hw, val);
		return true;
	}
	if (reg == LOOPNIC_REG_LOOPBACK) {
		loopnic_hw_loopback_set(hw, val);
		return true;
	}
	if (reg == LOOPNIC_REG_FAULT_INJECT) {
		loopnic_hw_fault_inject(hw, val);
		return true;
	}
	if (reg == LOOPNIC_REG_RX_CSUM) {
		WRITE_ONCE(hw->rx_csum, val & 1);
		return true;
	}
	if (reg == LOOPNIC_REG_LRO) {
		/* A frame open ends with the run that sends its next segment. */
		WRITE_ONCE(hw->lro_bufs, loopnic_hw_lro_bufs(val));
		return true;
	}
	if (reg == LOOPNIC_REG_ENGINE) {
		/* Channels take it as they are enabled (loopnic_hw_ch_enable()). */
		WRITE_ONCE(hw->engine, val == LOOPNIC_ENGINE_SOFTIRQ ?
			   LOOPNIC_ENGINE_SOFTIRQ : LOOPNIC_ENGINE_THREAD);
		return true;
	}
	if (reg == LOOPNIC_REG_SPEED) {
		/* Engines waiting for the line wake as the old rate said. */
		WRITE_ONCE(hw->speed, min_t(u64, val, U32_MAX));
		return true;
	}
	if (reg >= LOOPNIC_REG_RSS_KEY(0) &&
	    reg < LOOPNIC_REG_RSS_KEY(LOOPNIC_HW_RSS_KEY_SIZE / 8)) {
		u8 *key = &hw->rss_key[reg - LOOPNIC_REG_RSS_KEY(0)];

		for (i = 0; i < 8; i++)
			WRITE_ONCE(key[i], (u8)(val >> (8 * i)));
		return true;
	}
	if (reg >= LOOPNIC_REG_RSS_INDIR(0) &&
	    reg < LOOPNIC_REG_RSS_INDIR(LOOPNIC_HW_RSS_INDIR_SIZE)) {
		i = (reg - LOOPNIC_REG_RSS_INDIR(0)) / 8;
		WRITE_ONCE(hw->rss_indir[i], val < LOOPNIC_HW_MAX_CHANNELS ? val : 0);
		return true;
	}
	return false;
}

void loopnic_hw_reg_write(struct loopnic_hw *hw, u32 reg, u64 val)
{
	struct loopnic_hw_ch *ch;
	u32 off;

	if (loopnic_hw_global_write(hw, reg, val) ||
	    loopnic_hw_fault_reg_write(hw, reg, val))
		return;
	ch = loopnic_hw_reg_ch(hw, reg, &off);
	if (!ch)
		return;

	switch (off) {
	case LOOPNIC_CH_CTRL:
		loopnic_hw_ch_ctrl(ch, val);
		return;
	case LOOPNIC_CH_TXCQ_MOD:
		loopnic_hw_cq_mod_write(ch, LOOPNIC_Q_TXCQ, val);
		return;
	case LOOPNIC_CH_RXCQ_MOD:
		loopnic_hw_cq_mod_write(ch, LOOPNIC_Q_RXCQ, val);
		return;
	case LOOPNIC_CH_SQ_CMD:
		loopnic_hw_sq_cmd(ch, val);
		return;
	}
	if (off >= LOOPNIC_CH_Q(0) && off < LOOPNIC_CH_Q(LOOPNIC_NUM_QUEUES)) {
		off -= LOOPNIC_CH_Q(0);
		loopnic_hw_q_write(ch, off / 0x20, off % 0x20, val);
	}
}

u64 loopnic_hw_reg_read(struct loopnic_hw *hw, u32 reg)
{
	struct loopnic_hw_ch *ch;
	u64 fault;
	u32 off;

	switch (reg) {
	case LOOPNIC_REG_ID:
		return LOOPNIC_HW_ID;
	case LOOPNIC_REG_NUM_CH:
		return LOOPNIC_HW_MAX_CHANNELS;
	case LOOPNIC_REG_RX_OUT_OF_BUFFER:
		return atomic64_read(&hw->rx_out_of_buffer);
	case LOOPNIC_REG_RX_DISCARDS:
		return atomic64_read(&hw->rx_discards);
	case LOOPNIC_REG_TX_DISCARDS:
		return atomic64_read(&hw->tx_discards);
	case LOOPNIC_REG_RX_HOLD:
		return READ_ONCE(hw->rx_hold);
	case LOOPNIC_REG_PAUSE:
		return READ_ONCE(hw->pause);
	case LOOPNIC_REG_LOOPBACK:
		return READ_ONCE(hw->loopback);
	case LOOPNIC_REG_SPEED:
		return READ_ONCE(hw->speed);
	case LOOPNIC_REG_TX_SHAPED:
		return atomic64_read(&hw->tx_shaped);
	case LOOPNIC_REG_RX_CSUM:
		return READ_ONCE(hw->rx_csum);
	case LOOPNIC_REG_LRO:
		return READ_ONCE(hw->lro_bufs);
	case LOOPNIC_REG_ENGINE:
		return READ_ONCE(hw->engine);
	case LOOPNIC_REG_TX_PAUSE:
		return atomic64_read(&hw->tx_pause);
	case LOOPNIC_REG_RX_PAUSE:
		return atomic64_read(&hw->rx_pause);
	case LOOPNIC_REG_FAULT_SQ_STALLS:
		return atomic64_read(&hw->fault_sq_stalls);
	case LOOPNIC_REG_FAULT_LOST_IRQS:
		return atomic64_read(&hw->fault_lost_irqs);
	}
	if (reg >= LOOPNIC_REG_RSS_KEY(0) &&
	    reg < LOOPNIC_REG_RSS_KEY(LOOPNIC_HW_RSS_KEY_SIZE / 8)) {
		const u8 *key = &hw->rss_key[reg - LOOPNIC_REG_RSS_KEY(0)];
		u64 val = 0;
		u32 i;

		for (i = 0; i < 8; i++)
			val |= (u64)READ_ONCE(key[i]) << (8 * i);
		return val;
	}
	if (reg >= LOOPNIC_REG_RSS_INDIR(0) &&
	    reg < LOOPNIC_REG_RSS_INDIR(LOOPNIC_HW_RSS_INDIR_SIZE))
		return READ_ONCE(hw->rss_indir[(reg - LOOPNIC_REG_RSS_INDIR(0)) / 8]);
	if (reg >= LOOPNIC_REG_MAC(0) && reg < LOOPNIC_REG_MAC(LOOPNIC_MAC_NUM) &&
	    !(reg % 8))
		return atomic64_read(&hw->mac[(reg - LOOPNIC_REG_MAC(0)) / 8]);
	if (loopnic_hw_fault_reg_read(hw, reg, &fault))
		return fault;

	ch = loopnic_hw_reg_ch(hw, reg, &off);
	if (!ch)
		return ~0ULL;
	switch (off) {
	case LOOPNIC_CH_CTRL:
		return READ_ONCE(ch->tx_on) ? LOOPNIC_CH_CTRL_EN : 0;
	case LOOPNIC_CH_IRQ_CPU:
		return READ_ONCE(ch->irq_cpu);
	case LOOPNIC_CH_IRQS:
		return atomic64_read(&ch->irqs);
	case LOOPNIC_CH_TXCQ_MOD:
		return loopnic_hw_cq_mod_read(ch, LOOPNIC_Q_TXCQ);
	case LOOPNIC_CH_RXCQ_MOD:
		return loopnic_hw_cq_mod_read(ch, LOOPNIC_Q_RXCQ);
	case LOOPNIC_CH_SQ_STATUS:
		return loopnic_hw_sq_status(ch);
	case LOOPNIC_CH_SQ_HEAD_SEGS:
		return READ_ONCE(ch->lso_seg);
	}
	if (off >= LOOPNIC_CH_Q(0) && off < LOOPNIC_CH_Q(LOOPNIC_NUM_QUEUES)) {
		off -= LOOPNIC_CH_Q(0);
		return loopnic_hw_q_read(ch, off / 0x20, off % 0x20);
	}
	return ~0ULL;
}

int loopnic_hw_module_init(void)
{
	/* Unbound and high priority: the "device" runs beside the CPUs. */
	loopnic_hw_wq = alloc_workqueue("loopnic_hw", WQ_UNBOUND | WQ_HIGHPRI, 0);
	return loopnic_hw_wq ? 0 : -ENOMEM;
}

void loopnic_hw_module_exit(void)
{
	destroy_workqueue(loopnic_hw_wq);
}
