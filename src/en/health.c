// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic ring path: recovery from a TX timeout, after mlx5e's TX reporter
 * (mlx5e_reporter_tx_timeout() and mlx5e_tx_timeout_work()).
 *
 * The core's watchdog calls ndo_tx_timeout once a stopped TX queue made no
 * progress for dev->watchdog_timeo (LOOPNIC_WATCHDOG_TIMEO). That runs in the
 * timer softirq with the TX locks held, so it only records the queue and
 * queues a work item, which under RTNL (serialized with ethtool -G/-L and
 * the self-test) recovers the queue's channel:
 *  - completions written and never polled mean the interrupt was lost: a
 *    NAPI poll is enough (counted in tx_timeout_recover_eq);
 *  - an SQ held by PAUSE is flow control doing its job: left alone
 *    (counted in tx_timeout_held);
 *  - anything else is an SQ the device stopped serving: it is reset (the
 *    channel's SQ and TX CQ only; its RQ keeps running), the frames it held
 *    are dropped and counted in tx_drops (tx_recover).
 *
 * Also the debugfs knobs that make the device misbehave so (root only):
 * /sys/kernel/debug/loopnic/<port>/fault_sq_stall and fault_lost_irq take a
 * channel number and read back how often the fault happened; and one that
 * makes the driver misbehave, fault_sq_bad_db (write-only): it rings the
 * channel's SQ doorbell with a counter a ring ahead of its own, which the
 * device refuses by stalling the SQ.
 */
#include <linux/bitfield.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/sched/signal.h>

#include "en.h"

static u64 loopnic_sq_reg_read(struct loopnic_channel *ch, u32 reg)
{
	return loopnic_hw_reg_read(ch->hw, loopnic_reg_q(ch, LOOPNIC_Q_SQ, reg));
}

static u64 loopnic_ch_reg_read(struct loopnic_channel *ch, u32 reg)
{
	return loopnic_hw_reg_read(ch->hw, LOOPNIC_REG_CH(ch->ix) + reg);
}

static void loopnic_ch_sq_cmd(struct loopnic_channel *ch, u64 cmd)
{
	loopnic_hw_reg_write(ch->hw, LOOPNIC_REG_CH(ch->ix) + LOOPNIC_CH_SQ_CMD, cmd);
}

/* The CQ as allocated: every entry the device's until its next pass 0. */
static void loopnic_cq_reset(struct loopnic_cq *cq)
{
	u32 i;

	for (i = 0; i <= cq->mask; i++)
		cq->cqe[i].op_own = LOOPNIC_CQE_OWNER;
	cq->cc = 0;
}

/*
 * Quiesce the SQ, have the device stop and reset it, give back what it
 * held and start again from 0 on both sides, as mlx5e's SQ recovery
 * (modify the SQ to RST and back to RDY) does.
 */
static void loopnic_sq_reset(struct loopnic_channel *ch)
{
	struct loopnic_sq *sq = &ch->sq;
	unsigned int done, lost;

	/*
	 * No poll runs, then no xmit posts. The queue is stopped only once
	 * NAPI is off: a poll that saw enabled set just before would wake it
	 * again, and xmit would post to the SQ being reset.
	 */
	WRITE_ONCE(sq->enabled, false);
	napi_disable(&ch->napi);
	__netif_tx_lock_bh(sq->txq);
	netif_tx_stop_queue(sq->txq);
	__netif_tx_unlock_bh(sq->txq);

	loopnic_ch_sq_cmd(ch, LOOPNIC_SQ_CMD_STOP);
	local_bh_disable();
	done = loopnic_sq_complete_sent(ch);
	lost = loopnic_sq_drop_all(ch);
	local_bh_enable();

	loopnic_cq_reset(&ch->txcq);
	WRITE_ONCE(sq->pc, 0);
	WRITE_ONCE(sq->cc, 0);
	sq->db_pc = 0;
	/* The device finds the CQ's entries its own before it may write one. */
	dma_wmb();
	loopnic_ch_sq_cmd(ch, LOOPNIC_SQ_CMD_RESET);
	netdev_tx_reset_queue(sq->txq);

	napi_enable(&ch->napi);
	/*
	 * An interrupt that came while NAPI was off scheduled nothing and left
	 * its CQ disarmed: one poll handles both CQs and arms them again.
	 */
	local_bh_disable();
	napi_schedule(&ch->napi);
	loopnic_count(ch->port, LOOPNIC_TX_RECOVER, 1);
	local_bh_enable();

	WRITE_ONCE(sq->enabled, true);
	netif_tx_wake_queue(sq->txq);
	netdev_info(ch->netdev, "ch%u: SQ reset: %u WQEs completed, %u frames dropped\n",
		    ch->ix, done, lost);
}

/* Under RTNL, the channel active. */
static void loopnic_ch_tx_recover(struct loopnic_channel *ch)
{
	struct loopnic_sq *sq = &ch->sq;
	u32 cq_ctr;
	u64 st;

	/*
	 * The watchdog's own test again: a completion may have come since,
	 * or the queue woke and stopped anew while we waited for RTNL.
	 */
	if (!netif_xmit_stopped(sq->txq) ||
	    time_before(jiffies, READ_ONCE(sq->txq->trans_start) +
				 ch->netdev->watchdog_timeo))
		return;

	st = loopnic_ch_reg_read(ch, LOOPNIC_CH_SQ_STATUS);
	/* The armed flag aside. */
	cq_ctr = loopnic_hw_reg_read(ch->hw, loopnic_reg_q(ch, LOOPNIC_Q_TXCQ,
							   LOOPNIC_Q_CTR));
	netdev_warn(ch->netdev,
		    "ch%u: TX timeout: SQ pc %u cc %u, device db %llu ctr %llu status %#llx; TX CQ cc %u, device ctr %u\n",
		    ch->ix, READ_ONCE(sq->pc), READ_ONCE(sq->cc),
		    loopnic_sq_reg_read(ch, LOOPNIC_Q_DB),
		    loopnic_sq_reg_read(ch, LOOPNIC_Q_CTR), st,
		    READ_ONCE(ch->txcq.cc), cq_ctr);

	/* The EQ check of mlx5: work is there and nobody was told. */
	if (loopnic_cq_pending(&ch->txcq) || loopnic_cq_pending(&ch->rxcq)) {
		local_bh_disable();
		napi_schedule(&ch->napi);
		loopnic_count(ch->port, LOOPNIC_TX_TIMEOUT_RECOVER_EQ, 1);
		local_bh_enable();
		netdev_info(ch->netdev, "ch%u: completions not polled, interrupt lost: NAPI scheduled\n",
			    ch->ix);
		return;
	}
	/* The receiver's PAUSE: resetting would drop what flow control keeps. */
	if (st & LOOPNIC_SQ_ST_HELD) {
		local_bh_disable();
		loopnic_count(ch->port, LOOPNIC_TX_TIMEOUT_HELD, 1);
		local_bh_enable();
		netdev_info(ch->netdev, "ch%u: SQ held by flow control, not reset\n",
			    ch->ix);
		return;
	}
	loopnic_sq_reset(ch);
}

static void loopnic_tx_timeout_work(struct work_struct *work)
{
	struct loopnic_port *port = container_of(work, struct loopnic_port,
						 tx_timeout_work);
	struct loopnic_channels *chs;
	unsigned int ix;

	/*
	 * RTNL keeps the channels as they are, as for ethtool -G/-L. But
	 * loopnic_en_health_stop() waits for this work holding RTNL: never
	 * block on it, give up once the port is going down.
	 */
	while (!rtnl_trylock()) {
		if (!READ_ONCE(port->health_on))
			return;
		msleep(20);
	}
	chs = port->chs;
	if (READ_ONCE(port->health_on) && chs) {
		for (ix = 0; ix < chs->num; ix++)
			if (test_and_clear_bit(ix, &port->tx_timeout_pending))
				loopnic_ch_tx_recover(chs->c[ix]);
	}
	rtnl_unlock();
}

/* ndo_tx_timeout: timer softirq, every TX lock of the port held. */
void loopnic_en_tx_timeout(struct net_device *dev, unsigned int txqueue)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (port->path != LOOPNIC_PATH_RING)
		return;
	loopnic_count(port, LOOPNIC_TX_TIMEOUT, 1);
	if (!READ_ONCE(port->health_on) || txqueue >= LOOPNIC_HW_MAX_CHANNELS)
		return;
	set_bit(txqueue, &port->tx_timeout_pending);
	schedule_work(&port->tx_timeout_work);
}

void loopnic_en_health_init(struct loopnic_port *port)
{
	INIT_WORK(&port->tx_timeout_work, loopnic_tx_timeout_work);
}

/* Under RTNL, the channels active. */
void loopnic_en_health_start(struct loopnic_port *port)
{
	port->tx_timeout_pending = 0;
	WRITE_ONCE(port->health_on, true);
}

/*
 * Under RTNL, before the channels go: the watchdog is already stopped
 * (dev_deactivate()), so nothing queues the work again.
 */
void loopnic_en_health_stop(struct loopnic_port *port)
{
	WRITE_ONCE(port->health_on, false);
	cancel_work_sync(&port->tx_timeout_work);
}

/* A fault for channel @val; the device ignores one for a disabled channel. */
static int loopnic_fault_inject(struct loopnic_port *port, u64 val, u64 kind)
{
	if (READ_ONCE(port->path) != LOOPNIC_PATH_RING)
		return -EOPNOTSUPP;
	if (!READ_ONCE(port->chs))
		return -ENETDOWN;
	if (val >= READ_ONCE(port->params.num_ch))
		return -EINVAL;
	loopnic_hw_reg_write(port->hw, LOOPNIC_REG_FAULT_INJECT,
			     FIELD_PREP(LOOPNIC_FAULT_CH, val) |
			     FIELD_PREP(LOOPNIC_FAULT_KIND, kind));
	return 0;
}

static int loopnic_fault_sq_stall_get(void *data, u64 *val)
{
	struct loopnic_port *port = data;

	*val = loopnic_hw_reg_read(port->hw, LOOPNIC_REG_FAULT_SQ_STALLS);
	return 0;
}

static int loopnic_fault_sq_stall_set(void *data, u64 val)
{
	return loopnic_fault_inject(data, val, LOOPNIC_FAULT_KIND_SQ_STALL);
}

DEFINE_DEBUGFS_ATTRIBUTE(loopnic_fault_sq_stall_fops, loopnic_fault_sq_stall_get,
			 loopnic_fault_sq_stall_set, "%llu\n");

static int loopnic_fault_lost_irq_get(void *data, u64 *val)
{
	struct loopnic_port *port = data;

	*val = loopnic_hw_reg_read(port->hw, LOOPNIC_REG_FAULT_LOST_IRQS);
	return 0;
}

static int loopnic_fault_lost_irq_set(void *data, u64 val)
{
	return loopnic_fault_inject(data, val, LOOPNIC_FAULT_KIND_LOST_IRQ);
}

DEFINE_DEBUGFS_ATTRIBUTE(loopnic_fault_lost_irq_fops, loopnic_fault_lost_irq_get,
			 loopnic_fault_lost_irq_set, "%llu\n");

/*
 * How long the bad doorbell's writer waits for the device to stall the SQ;
 * the engine runs at once, unless the guest is very busy.
 */
#define LOOPNIC_BAD_DB_WAIT_MS	2000

/*
 * Under the TX queue's lock the driver's own doorbells cannot pass ours;
 * one written after it, before the engine ran, would hide it: the write
 * fails with -EAGAIN then. RTNL keeps the channels; its trylock, as in
 * net-sysfs, since the port's debugfs files go under RTNL, and their
 * removal waits for this writer.
 */
static int loopnic_fault_sq_bad_db_set(void *data, u64 val)
{
	struct loopnic_port *port = data;
	struct loopnic_channel *ch;
	unsigned long deadline;
	int err = 0;

	if (!rtnl_trylock())
		return restart_syscall();
	if (port->path != LOOPNIC_PATH_RING) {
		err = -EOPNOTSUPP;
		goto out;
	}
	if (!port->chs) {
		err = -ENETDOWN;
		goto out;
	}
	if (val >= port->chs->num) {
		err = -EINVAL;
		goto out;
	}
	ch = port->chs->c[val];
	__netif_tx_lock_bh(ch->sq.txq);
	loopnic_hw_reg_write(ch->hw, loopnic_reg_q(ch, LOOPNIC_Q_SQ, LOOPNIC_Q_DB),
			     ch->sq.db_pc + ch->sq.mask + 2);
	__netif_tx_unlock_bh(ch->sq.txq);

	deadline = jiffies + msecs_to_jiffies(LOOPNIC_BAD_DB_WAIT_MS);
	while (!(loopnic_ch_reg_read(ch, LOOPNIC_CH_SQ_STATUS) & LOOPNIC_SQ_ST_STALLED)) {
		if (time_after(jiffies, deadline)) {
			err = -EAGAIN;
			break;
		}
		msleep(20);
	}
out:
	rtnl_unlock();
	return err;
}

DEFINE_DEBUGFS_ATTRIBUTE(loopnic_fault_sq_bad_db_fops, NULL, loopnic_fault_sq_bad_db_set,
			 "%llu\n");

/* The port's debugfs directory is removed (and its users waited for) before port->hw goes. */
void loopnic_en_health_debugfs(struct loopnic_port *port, struct dentry *dir)
{
	debugfs_create_file_unsafe("fault_sq_stall", 0600, dir, port,
				   &loopnic_fault_sq_stall_fops);
	debugfs_create_file_unsafe("fault_lost_irq", 0600, dir, port,
				   &loopnic_fault_lost_irq_fops);
	debugfs_create_file_unsafe("fault_sq_bad_db", 0200, dir, port,
				   &loopnic_fault_sq_bad_db_fops);
}
