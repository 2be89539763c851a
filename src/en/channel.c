// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic ring path: a port's channels and their NAPI, after
 * mlx5e_open_channel() and mlx5e_napi_poll(). Each channel owns an SQ and
 * an RQ, each with its CQ, and one interrupt vector shared by both CQs; the
 * device's RSS spreads received frames over the channels' RQs.
 */
#include <linux/bitfield.h>
#include <linux/dma-mapping.h>
#include <linux/ethtool.h>
#include <linux/interrupt.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <linux/topology.h>

#include "en.h"
#include "../trace.h"

int loopnic_cq_alloc(struct loopnic_channel *ch, struct loopnic_cq *cq,
		     unsigned int size)
{
	unsigned int i;

	cq->log_sz = ilog2(size);
	cq->mask = size - 1;
	cq->cc = 0;
	cq->cqe = dma_alloc_coherent(ch->pdev, size * sizeof(*cq->cqe), &cq->dma,
				     GFP_KERNEL);
	if (!cq->cqe)
		return -ENOMEM;
	/* Owned by the device until it writes them on its first pass (parity 0). */
	for (i = 0; i < size; i++)
		cq->cqe[i].op_own = LOOPNIC_CQE_OWNER;
	return 0;
}

void loopnic_cq_free(struct loopnic_channel *ch, struct loopnic_cq *cq)
{
	if (!cq->cqe)
		return;
	dma_free_coherent(ch->pdev, (cq->mask + 1) * sizeof(*cq->cqe), cq->cqe,
			  cq->dma);
	cq->cqe = NULL;
}

static void loopnic_cq_arm(struct loopnic_channel *ch, enum loopnic_hw_queue q,
			   struct loopnic_cq *cq)
{
	loopnic_hw_reg_write(ch->hw, loopnic_reg_q(ch, q, LOOPNIC_Q_DB), cq->cc);
}

/* NAPI, once a poll completed: one DIM sample per direction that is adaptive. */
static void loopnic_ch_dim_sample(struct loopnic_channel *ch)
{
	u16 events = READ_ONCE(ch->dim_events);
	struct dim_sample s;

	if (READ_ONCE(ch->rx_dim_on)) {
		dim_update_sample(events, ch->dim_rx_packets, ch->dim_rx_bytes, &s);
		net_dim(&ch->rx_dim, s);
	}
	if (READ_ONCE(ch->tx_dim_on)) {
		dim_update_sample(events, ch->dim_tx_packets, ch->dim_tx_bytes, &s);
		net_dim(&ch->tx_dim, s);
	}
}

static int loopnic_napi_poll(struct napi_struct *napi, int budget)
{
	struct loopnic_channel *ch = container_of(napi, struct loopnic_channel, napi);
	bool busy;
	int work;

	loopnic_ch_count(ch, LOOPNIC_CHSTAT_POLL, 1);

	busy = loopnic_poll_tx_cq(ch, budget);
	/* budget 0 is netpoll asking for TX completions only. */
	if (unlikely(!budget))
		return 0;

	work = loopnic_poll_rx_cq(ch, budget);
	busy |= work == budget;
	busy |= loopnic_post_rx_wqes(ch);

	trace_loopnic_napi_poll(ch->netdev, ch->ix, busy ? budget : work, budget);
	if (busy) {
		/* net_rx_action() polls us again, here or in ksoftirqd. */
		loopnic_ch_count(ch, LOOPNIC_CHSTAT_BUDGET_EXHAUSTED, 1);
		return budget;
	}
	if (unlikely(!napi_complete_done(napi, work)))
		return work;

	loopnic_ch_dim_sample(ch);
	/* Entries written since the polls above make the device fire at once. */
	loopnic_cq_arm(ch, LOOPNIC_Q_TXCQ, &ch->txcq);
	loopnic_cq_arm(ch, LOOPNIC_Q_RXCQ, &ch->rxcq);
	loopnic_ch_count(ch, LOOPNIC_CHSTAT_ARM, 1);
	return work;
}

/* Hard-IRQ context (an IRQ thread on PREEMPT_RT), on the vector's CPU. */
static irqreturn_t loopnic_ch_irq(int irq, void *data)
{
	struct loopnic_channel *ch = data;

	loopnic_count_irq(ch->port, LOOPNIC_CH_CTR(ch->ix, LOOPNIC_CHSTAT_EVENTS), 1);
	WRITE_ONCE(ch->dim_events, ch->dim_events + 1);
	napi_schedule_irqoff(&ch->napi);
	return IRQ_HANDLED;
}

static void loopnic_q_program(struct loopnic_channel *ch, enum loopnic_hw_queue q,
			      dma_addr_t dma, u32 log_sz)
{
	loopnic_hw_reg_write(ch->hw, loopnic_reg_q(ch, q, LOOPNIC_Q_BASE), dma);
	loopnic_hw_reg_write(ch->hw, loopnic_reg_q(ch, q, LOOPNIC_Q_LOG_SZ), log_sz);
}

static u64 loopnic_coal_reg(const struct loopnic_coal *coal)
{
	return FIELD_PREP(LOOPNIC_CH_MOD_USECS, coal->usecs) |
	       FIELD_PREP(LOOPNIC_CH_MOD_FRAMES, coal->frames);
}

static struct loopnic_coal loopnic_dim_coal(struct dim_cq_moder m)
{
	return (struct loopnic_coal){ .usecs = m.usec, .frames = m.pkts };
}

/*
 * The device takes new values at any time, also while the channel runs.
 * Called with DIM off for the channel (activation, or -C with the work
 * cancelled): an adaptive direction starts from DIM's current profile.
 */
static void loopnic_ch_program_coal(struct loopnic_channel *ch)
{
	const struct loopnic_params *params = &ch->port->params;
	struct loopnic_coal rx = params->rx_coal, tx = params->tx_coal;

	if (params->rx_adaptive)
		rx = loopnic_dim_coal(net_dim_get_rx_moderation(ch->rx_dim.mode,
								ch->rx_dim.profile_ix));
	if (params->tx_adaptive)
		tx = loopnic_dim_coal(net_dim_get_tx_moderation(ch->tx_dim.mode,
								ch->tx_dim.profile_ix));
	loopnic_hw_reg_write(ch->hw, LOOPNIC_REG_CH(ch->ix) + LOOPNIC_CH_RXCQ_MOD,
			     loopnic_coal_reg(&rx));
	loopnic_hw_reg_write(ch->hw, LOOPNIC_REG_CH(ch->ix) + LOOPNIC_CH_TXCQ_MOD,
			     loopnic_coal_reg(&tx));
}

/* DIM settled on a profile: program it (process context). */
static void loopnic_dim_apply(struct loopnic_channel *ch, struct dim *dim, bool rx)
{
	struct loopnic_coal c;

	/* -C turned it off and cancels us: its values win. */
	if (rx ? READ_ONCE(ch->rx_dim_on) : READ_ONCE(ch->tx_dim_on)) {
		c = loopnic_dim_coal(rx ? net_dim_get_rx_moderation(dim->mode, dim->profile_ix) :
				     net_dim_get_tx_moderation(dim->mode, dim->profile_ix));
		loopnic_hw_reg_write(ch->hw, LOOPNIC_REG_CH(ch->ix) +
				     (rx ? LOOPNIC_CH_RXCQ_MOD : LOOPNIC_CH_TXCQ_MOD),
				     loopnic_coal_reg(&c));
		trace_loopnic_dim(ch->netdev, ch->ix, rx, dim->profile_ix, c.usecs, c.frames);
	}
	dim->state = DIM_START_MEASURE;
}

static void loopnic_rx_dim_work(struct work_struct *work)
{
	struct dim *dim = container_of(work, struct dim, work);

	loopnic_dim_apply(container_of(dim, struct loopnic_channel, rx_dim), dim, true);
}

static void loopnic_tx_dim_work(struct work_struct *work)
{
	struct dim *dim = container_of(work, struct dim, work);

	loopnic_dim_apply(container_of(dim, struct loopnic_channel, tx_dim), dim, false);
}

/*
 * NAPI feeds DIM no more: after its work, the registers are ours. A work
 * cancelled before it ran would leave DIM waiting for it for ever.
 */
static void loopnic_ch_dim_stop(struct loopnic_channel *ch)
{
	cancel_work_sync(&ch->rx_dim.work);
	cancel_work_sync(&ch->tx_dim.work);
	ch->rx_dim.state = DIM_START_MEASURE;
	ch->tx_dim.state = DIM_START_MEASURE;
}

/*
 * DIM as a new channel has it: the first profile, no history. Else one
 * turned on again would compare the traffic with what it measured before
 * it was turned off, and stay parked where it was if that looks the same.
 */
static void loopnic_dim_reset(struct dim *dim)
{
	dim->prev_stats = (struct dim_stats){};
	dim->start_sample = (struct dim_sample){};
	dim->measuring_sample = (struct dim_sample){};
	dim->profile_ix = 0;
	dim->tune_state = DIM_PARKING_ON_TOP;
	dim->steps_right = 0;
	dim->steps_left = 0;
	dim->tired = 0;
}

static void loopnic_ch_program(struct loopnic_channel *ch)
{
	loopnic_q_program(ch, LOOPNIC_Q_SQ, ch->sq.dma, ch->sq.log_sz);
	loopnic_q_program(ch, LOOPNIC_Q_RQ, ch->rq.dma, ch->rq.log_sz);
	loopnic_q_program(ch, LOOPNIC_Q_TXCQ, ch->txcq.dma, ch->txcq.log_sz);
	loopnic_q_program(ch, LOOPNIC_Q_RXCQ, ch->rxcq.dma, ch->rxcq.log_sz);
	loopnic_ch_program_coal(ch);
}

static int loopnic_ch_request_irq(struct loopnic_channel *ch)
{
	int err;

	/* Stands for the allocations request_irq() may fail. */
	if (loopnic_drv_fault(ch->port, LOOPNIC_DRV_FAULT_CH_ACTIVATE)) {
		local_bh_disable();
		loopnic_count(ch->port, LOOPNIC_FAULT_CH_ACTIVATE, 1);
		local_bh_enable();
		return -ENOMEM;
	}
	snprintf(ch->irq_name, sizeof(ch->irq_name), "%s-ch%u",
		 ch->netdev->name, ch->ix);
	err = request_irq(ch->irq, loopnic_ch_irq, 0, ch->irq_name, ch);
	if (err)
		return err;
	/*
	 * As mlx5 spreads its completion vectors: a starting point and a
	 * hint for irqbalance; the administrator may move it later.
	 */
	irq_set_affinity_and_hint(ch->irq, cpumask_of(ch->cpu));
	/*
	 * And XPS to match, as mlx5 sets its default: a CPU transmits on the
	 * channel whose completions it handles. Only a hint for the stack,
	 * so a failure (no memory) leaves the hash to pick the queue.
	 */
	netif_set_xps_queue(ch->netdev, cpumask_of(ch->cpu), ch->ix);
	return 0;
}

static void loopnic_ch_free_irq(struct loopnic_channel *ch)
{
	irq_update_affinity_hint(ch->irq, NULL);
	free_irq(ch->irq, ch);
}

static void loopnic_ch_free(struct loopnic_channel *ch)
{
	loopnic_rq_free(ch);
	loopnic_sq_free(ch);
	loopnic_cq_free(ch, &ch->rxcq);
	loopnic_cq_free(ch, &ch->txcq);
	netif_napi_del(&ch->napi);
	kfree(ch);
}

/* Memory only: the device is not told about it until activation. */
static struct loopnic_channel *loopnic_ch_alloc(struct loopnic_port *port,
						unsigned int ix,
						const struct loopnic_params *params)
{
	struct net_device *dev = port->dev;
	struct loopnic_channel *ch;
	int err;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return ERR_PTR(-ENOMEM);
	ch->port = port;
	ch->netdev = dev;
	ch->hw = port->hw;
	ch->pdev = loopnic_hw_dma_dev(port->hw);
	ch->ix = ix;
	/*
	 * Channel i of every port on the i-th CPU after one picked per port,
	 * so the two ends of a pair interrupt different CPUs.
	 */
	ch->cpu = cpumask_local_spread(dev->ifindex + ix, dev_to_node(ch->pdev));
	ch->irq = loopnic_hw_irq_vector(port->hw, ix);
	netif_napi_add(dev, &ch->napi, loopnic_napi_poll);
	INIT_WORK(&ch->rx_dim.work, loopnic_rx_dim_work);
	INIT_WORK(&ch->tx_dim.work, loopnic_tx_dim_work);
	/* The device's period starts at the first CQE after arming, not per CQE. */
	ch->rx_dim.mode = DIM_CQ_PERIOD_MODE_START_FROM_EQE;
	ch->tx_dim.mode = DIM_CQ_PERIOD_MODE_START_FROM_EQE;

	err = loopnic_cq_alloc(ch, &ch->txcq, params->sq_size);
	if (!err)
		err = loopnic_cq_alloc(ch, &ch->rxcq, params->rq_size);
	if (!err)
		err = loopnic_sq_alloc(ch, params->sq_size);
	if (!err)
		err = loopnic_rq_alloc(ch, params->rq_size);
	if (err) {
		loopnic_ch_free(ch);
		return ERR_PTR(err);
	}
	return ch;
}

/*
 * Hand the rings to the device, post buffers, then enable the vector and
 * NAPI. Only one context at a time may post: the RQ and its page_pool's
 * lockless cache have no lock. So the buffers go in while NAPI is still
 * off, since it may run on another CPU as soon as it is on: request_irq()
 * replays a message that reached the vector while it had no handler (the
 * channel's last one, sent before the device stopped).
 */
static int loopnic_ch_activate(struct loopnic_channel *ch)
{
	int err;

	/*
	 * The device keeps the rings it has while the channel is on: it would
	 * go on writing into the old, freed ones.
	 */
	if (WARN_ON_ONCE(loopnic_hw_reg_read(ch->hw, LOOPNIC_REG_CH(ch->ix) +
					     LOOPNIC_CH_CTRL) & LOOPNIC_CH_CTRL_EN))
		return -EBUSY;
	loopnic_ch_program(ch);
	loopnic_hw_reg_write(ch->hw, LOOPNIC_REG_CH(ch->ix) + LOOPNIC_CH_CTRL,
			     LOOPNIC_CH_CTRL_EN);
	if (!(loopnic_hw_reg_read(ch->hw, LOOPNIC_REG_CH(ch->ix) + LOOPNIC_CH_CTRL) &
	      LOOPNIC_CH_CTRL_EN))
		return -EIO;

	/* Page pool allocations expect BH context, as in NAPI. */
	local_bh_disable();
	loopnic_post_rx_wqes(ch);
	local_bh_enable();

	err = loopnic_ch_request_irq(ch);
	if (err) {
		loopnic_hw_reg_write(ch->hw, LOOPNIC_REG_CH(ch->ix) + LOOPNIC_CH_CTRL, 0);
		return err;
	}
	netdev_tx_reset_queue(ch->sq.txq);
	napi_enable(&ch->napi);
	/*
	 * The CQs are disarmed: the first poll arms them, and posts what an
	 * (injected) allocation failure left out.
	 */
	local_bh_disable();
	napi_schedule(&ch->napi);
	local_bh_enable();
	loopnic_queue_set_napi(ch->netdev, ch->ix, &ch->napi, ch->irq);
	WRITE_ONCE(ch->sq.enabled, true);
	WRITE_ONCE(ch->rx_dim_on, ch->port->params.rx_adaptive);
	WRITE_ONCE(ch->tx_dim_on, ch->port->params.tx_adaptive);
	return 0;
}

/*
 * In the order a real NIC needs: the device stops touching the rings, no
 * interrupt can come, NAPI is off. The rings may be freed after.
 */
static void loopnic_ch_deactivate(struct loopnic_channel *ch)
{
	/* No completion polled from here on may wake the stack's queue. */
	WRITE_ONCE(ch->sq.enabled, false);
	loopnic_hw_reg_write(ch->hw, LOOPNIC_REG_CH(ch->ix) + LOOPNIC_CH_CTRL, 0);
	/* A message still in flight finds no handler. */
	loopnic_ch_free_irq(ch);
	loopnic_queue_set_napi(ch->netdev, ch->ix, NULL, 0);
	napi_disable(&ch->napi);
	loopnic_ch_dim_stop(ch);
	/*
	 * What the device sent but no poll completed yet is not a drop:
	 * loopnic_sq_free() counts only the frames still posted.
	 */
	local_bh_disable();
	loopnic_sq_complete_sent(ch);
	local_bh_enable();
	/*
	 * The frames still posted are never completed: BQL would keep them
	 * in flight, and its stop of the queue, after a switch to the
	 * backlog path, which does not use BQL. The stack's queue is
	 * disabled, and the channels that take it over next are activated
	 * only after this.
	 */
	netdev_tx_reset_queue(ch->sq.txq);
}

static void loopnic_chs_free(struct loopnic_channels *chs)
{
	unsigned int i;

	for (i = 0; i < chs->num; i++)
		loopnic_ch_free(chs->c[i]);
	kfree(chs);
}

static struct loopnic_channels *
loopnic_chs_alloc(struct loopnic_port *port, const struct loopnic_params *params)
{
	struct loopnic_channels *chs;
	unsigned int i;

	chs = kzalloc(sizeof(*chs), GFP_KERNEL);
	if (!chs)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < params->num_ch; i++) {
		struct loopnic_channel *ch = loopnic_ch_alloc(port, i, params);

		if (IS_ERR(ch)) {
			loopnic_chs_free(chs);
			return ERR_CAST(ch);
		}
		chs->c[chs->num++] = ch;
	}
	return chs;
}

/*
 * Stop the stack's TX queues for good: a TX completion polled meanwhile
 * would otherwise wake a queue and let xmit post to an SQ being drained or
 * freed (mlx5e_deactivate_txqsq() does the same).
 */
static void loopnic_chs_tx_disable(struct loopnic_port *port,
				   struct loopnic_channels *chs)
{
	unsigned int i;

	for (i = 0; i < chs->num; i++)
		WRITE_ONCE(chs->c[i]->sq.enabled, false);
	/* A NAPI poll that saw enabled set has finished its wake. */
	synchronize_net();
	netif_tx_disable(port->dev);
}

static void loopnic_chs_tx_enable(struct loopnic_port *port,
				  struct loopnic_channels *chs)
{
	unsigned int i;

	for (i = 0; i < chs->num; i++)
		WRITE_ONCE(chs->c[i]->sq.enabled, true);
	netif_tx_wake_all_queues(port->dev);
}

static void loopnic_chs_deactivate(struct loopnic_channels *chs)
{
	unsigned int i;

	for (i = 0; i < chs->num; i++)
		loopnic_ch_deactivate(chs->c[i]);
}

static int loopnic_chs_activate(struct loopnic_channels *chs)
{
	unsigned int i;
	int err;

	for (i = 0; i < chs->num; i++) {
		err = loopnic_ch_activate(chs->c[i]);
		if (err) {
			while (i--)
				loopnic_ch_deactivate(chs->c[i]);
			return err;
		}
	}
	return 0;
}

/* The device steers by what the port last configured. */
void loopnic_rss_program(struct loopnic_port *port)
{
	unsigned int i, b;

	for (i = 0; i < LOOPNIC_HW_RSS_KEY_SIZE / 8; i++) {
		u64 val = 0;

		for (b = 0; b < 8; b++)
			val |= (u64)port->rss_key[i * 8 + b] << (8 * b);
		loopnic_hw_reg_write(port->hw, LOOPNIC_REG_RSS_KEY(i), val);
	}
	for (i = 0; i < LOOPNIC_HW_RSS_INDIR_SIZE; i++)
		loopnic_hw_reg_write(port->hw, LOOPNIC_REG_RSS_INDIR(i),
				     port->rss_indir[i]);
}

/* The default spread over @num_ch channels, unless the user set a table. */
void loopnic_rss_default(struct loopnic_port *port, unsigned int num_ch)
{
	unsigned int i;

	if (netif_is_rxfh_configured(port->dev))
		return;
	for (i = 0; i < LOOPNIC_HW_RSS_INDIR_SIZE; i++)
		port->rss_indir[i] = ethtool_rxfh_indir_default(i, num_ch);
}

/* Under RTNL; the netdev's queues are stopped. */
static int loopnic_set_real_num_queues(struct loopnic_port *port, unsigned int n)
{
	int err;

	err = netif_set_real_num_tx_queues(port->dev, n);
	if (!err)
		err = netif_set_real_num_rx_queues(port->dev, n);
	return err;
}

/* Flow control is the MAC's, not a channel's: it outlives reconfiguration. */
static void loopnic_pause_program(struct loopnic_port *port)
{
	u64 val = 0;

	if (port->params.rx_pause)
		val |= LOOPNIC_PAUSE_RX;
	if (port->params.tx_pause)
		val |= LOOPNIC_PAUSE_TX;
	loopnic_hw_reg_write(port->hw, LOOPNIC_REG_PAUSE, val);
}

/* Under RTNL. While the port is down only stored, as the ring sizes. */
void loopnic_en_set_pause(struct loopnic_port *port, bool rx, bool tx)
{
	port->params.rx_pause = rx;
	port->params.tx_pause = tx;
	if (port->chs)
		loopnic_pause_program(port);
}

int loopnic_en_open(struct loopnic_port *port)
{
	struct loopnic_channels *chs;
	int err;

	chs = loopnic_chs_alloc(port, &port->params);
	if (IS_ERR(chs))
		return PTR_ERR(chs);
	err = loopnic_set_real_num_queues(port, chs->num);
	if (err)
		goto err_free;
	loopnic_rss_program(port);
	loopnic_pause_program(port);
	/* The offloads a path switch may have changed while the port had no channels. */
	loopnic_set_rx_csum(port, port->dev->features & NETIF_F_RXCSUM);
	loopnic_en_set_lro(port, port->dev->features & NETIF_F_LRO);
	err = loopnic_chs_activate(chs);
	if (err)
		goto err_free;

	port->stats_nch = max(port->stats_nch, chs->num);
	port->chs = chs;
	loopnic_en_health_start(port);
	return 0;

err_free:
	loopnic_chs_free(chs);
	return err;
}

/*
 * The stack stops handing us frames, then every channel is quiesced; only
 * then are in-flight skbs and posted pages given back.
 */
void loopnic_en_stop(struct loopnic_port *port)
{
	struct loopnic_channels *chs = port->chs;

	loopnic_en_health_stop(port);
	if (!chs)
		return;
	loopnic_chs_tx_disable(port, chs);
	loopnic_chs_deactivate(chs);
	port->chs = NULL;
	loopnic_chs_free(chs);
}

/*
 * Frames the stack already handed to the old SQs are sent and completed:
 * the device keeps running, NAPI keeps polling. Whatever is left when the
 * time is up is freed and counted in tx_drops by loopnic_sq_free().
 */
static void loopnic_chs_drain_tx(struct loopnic_channels *chs,
				 unsigned long deadline)
{
	unsigned int i;

	for (i = 0; i < chs->num; i++) {
		struct loopnic_sq *sq = &chs->c[i]->sq;

		while (READ_ONCE(sq->cc) != sq->pc && time_before(jiffies, deadline))
			usleep_range(200, 500);
	}
}

/*
 * With the wire holding new frames, frames the device already wrote into
 * the RX CQs are polled into the stack; what is left when the time is up
 * is counted in rx_drops by loopnic_rq_free().
 */
static void loopnic_chs_drain_rx(struct loopnic_channels *chs,
				 unsigned long deadline)
{
	unsigned int i;

	for (i = 0; i < chs->num; i++) {
		struct loopnic_channel *ch = chs->c[i];

		while (loopnic_cq_pending(&ch->rxcq) && time_before(jiffies, deadline)) {
			/* Harmless if already scheduled: never wait on an interrupt here. */
			local_bh_disable();
			napi_schedule(&ch->napi);
			local_bh_enable();
			usleep_range(200, 500);
		}
	}
}

/*
 * Apply @params (channel count, ring sizes) under RTNL. While the port is
 * down they are only stored. While up, as mlx5e_safe_switch_params(): the
 * new channels are allocated first (a failure leaves the port as it was),
 * then the old ones are quiesced without losing frames (the stack's TX
 * queues stop, the old SQs drain, the wire holds frames for us while the
 * old RQs drain), the new ones take over, and the old ones are freed.
 */
int loopnic_en_reconfigure(struct loopnic_port *port,
			   const struct loopnic_params *params)
{
	struct loopnic_params old_params = port->params;
	struct loopnic_channels *old = port->chs, *chs;
	struct net_device *dev = port->dev;
	unsigned long deadline;
	int err;

	ASSERT_RTNL();
	if (!old) {
		err = loopnic_set_real_num_queues(port, params->num_ch);
		if (err)
			return err;
		port->params = *params;
		port->stats_nch = max(port->stats_nch, params->num_ch);
		loopnic_rss_default(port, params->num_ch);
		return 0;
	}

	chs = loopnic_chs_alloc(port, params);
	if (IS_ERR(chs))
		return PTR_ERR(chs);

	/*
	 * Fewer TX queues first, while the old channels still run: the core
	 * then resets the qdiscs of the queues going away while they are empty.
	 */
	if (params->num_ch < old->num) {
		err = netif_set_real_num_tx_queues(dev, params->num_ch);
		if (err)
			goto err_free;
	}

	loopnic_chs_tx_disable(port, old);
	/* More queues only now: the stack must not pick one before it exists. */
	if (params->num_ch > old->num) {
		err = loopnic_set_real_num_queues(port, params->num_ch);
		if (err) {
			loopnic_set_real_num_queues(port, old->num);
			loopnic_chs_tx_enable(port, old);
			goto err_free;
		}
	}

	deadline = jiffies + LOOPNIC_DRAIN_TIMEOUT;
	loopnic_chs_drain_tx(old, deadline);
	loopnic_hw_reg_write(port->hw, LOOPNIC_REG_RX_HOLD, 1);
	loopnic_chs_drain_rx(old, deadline);
	loopnic_chs_deactivate(old);

	port->params = *params;
	loopnic_rss_default(port, params->num_ch);
	loopnic_rss_program(port);
	err = loopnic_chs_activate(chs);
	if (err) {
		/*
		 * Back to the old parameters on new rings: the device restarts
		 * a ring's counters at 0 on enable, the old ones are past it.
		 */
		loopnic_chs_free(chs);
		port->params = old_params;
		loopnic_rss_default(port, old_params.num_ch);
		loopnic_rss_program(port);
		netdev_warn(dev, "reconfiguration failed (%pe), back to the old settings\n",
			    ERR_PTR(err));
		chs = loopnic_chs_alloc(port, &old_params);
		if (IS_ERR(chs) || loopnic_set_real_num_queues(port, old_params.num_ch) ||
		    loopnic_chs_activate(chs)) {
			/* Down in all but name: no queue wakes to reach xmit. */
			netdev_err(dev, "reconfiguration failed, port left without channels\n");
			loopnic_hw_reg_write(port->hw, LOOPNIC_REG_RX_HOLD, 0);
			port->chs = NULL;
			if (!IS_ERR(chs))
				loopnic_chs_free(chs);
			loopnic_chs_free(old);
			netif_carrier_off(dev);
			return err;
		}
	} else if (params->num_ch < old_params.num_ch) {
		/* Fewer RX queues cannot fail. */
		netif_set_real_num_rx_queues(dev, params->num_ch);
	}

	port->chs = chs;
	port->stats_nch = max(port->stats_nch, chs->num);
	loopnic_hw_reg_write(port->hw, LOOPNIC_REG_RX_HOLD, 0);
	netif_tx_wake_all_queues(dev);
	if (old)
		loopnic_chs_free(old);
	return err;

err_free:
	loopnic_chs_free(chs);
	return err;
}

/*
 * Path switch of a running port, first step (on both ends before the
 * second step on either): the stack stops handing us frames and the SQs
 * drain into the peer, which still receives. The TX queue count stays:
 * shrinking it resets the qdiscs of the queues going away, with whatever
 * they hold, and the backlog path takes a frame from any queue.
 */
void loopnic_en_close_tx(struct loopnic_port *port, unsigned long deadline)
{
	struct loopnic_channels *chs = port->chs;

	if (!chs)
		return;
	loopnic_chs_tx_disable(port, chs);
	loopnic_chs_drain_tx(chs, deadline);
}

/*
 * Second step: nothing is sent to us any more but frames the wire may
 * still deliver if the peer's SQ did not drain in time; those are held,
 * what the RX CQs hold reaches the stack, then the channels go. A frame
 * left over is counted by loopnic_sq_free() or loopnic_rq_free().
 */
void loopnic_en_close_rx(struct loopnic_port *port, unsigned long deadline)
{
	struct loopnic_channels *chs = port->chs;

	if (!chs)
		return;
	loopnic_hw_reg_write(port->hw, LOOPNIC_REG_RX_HOLD, 1);
	loopnic_chs_drain_rx(chs, deadline);
	loopnic_en_stop(port);
	loopnic_hw_reg_write(port->hw, LOOPNIC_REG_RX_HOLD, 0);
}

/*
 * While both ends of a pair open their channels: the first one open must
 * not send into the other's RQs before they exist.
 */
void loopnic_en_rx_hold(struct loopnic_port *port, bool hold)
{
	loopnic_hw_reg_write(port->hw, LOOPNIC_REG_RX_HOLD, hold);
}

/* ndo_init: before registration, so the queue counts need no RTNL dance. */
int loopnic_en_init(struct loopnic_port *port)
{
	struct loopnic_hw *hw = loopnic_hw_create();
	int err;

	if (IS_ERR(hw))
		return PTR_ERR(hw);
	if (loopnic_hw_reg_read(hw, LOOPNIC_REG_ID) != LOOPNIC_HW_ID) {
		loopnic_hw_destroy(hw);
		return -ENODEV;
	}
	port->hw = hw;
	loopnic_en_health_init(port);
	loopnic_hw_reg_write(hw, LOOPNIC_REG_SPEED, port->speed);
	/* Before any channel is enabled: they take it then. */
	loopnic_hw_reg_write(hw, LOOPNIC_REG_ENGINE, loopnic_hw_engine);
	port->params.num_ch = loopnic_channels ?:
			      min_t(unsigned int, num_online_cpus(),
				    loopnic_hw_reg_read(hw, LOOPNIC_REG_NUM_CH));
	port->params.num_ch = min_t(unsigned int, port->params.num_ch,
				    port->dev->num_tx_queues);
	port->stats_nch = port->params.num_ch;
	port->params.sq_size = loopnic_sq_size;
	port->params.rq_size = loopnic_rq_size;
	/* No moderation: a CQ fires at its first entry, as before ethtool -C. */
	port->params.rx_coal.frames = 1;
	port->params.tx_coal.frames = 1;
	netdev_rss_key_fill(port->rss_key, sizeof(port->rss_key));
	loopnic_rss_default(port, port->params.num_ch);
	err = loopnic_set_real_num_queues(port, port->params.num_ch);
	if (err) {
		loopnic_hw_destroy(hw);
		port->hw = NULL;
	}
	return err;
}

void loopnic_en_uninit(struct loopnic_port *port)
{
	loopnic_hw_destroy(port->hw);
	port->hw = NULL;
}

/* Under RTNL: port->params holds the new values; running channels take them now. */
void loopnic_en_set_coalesce(struct loopnic_port *port)
{
	struct loopnic_channels *chs = port->chs;
	unsigned int i;

	ASSERT_RTNL();
	if (!chs)
		return;
	for (i = 0; i < chs->num; i++) {
		WRITE_ONCE(chs->c[i]->rx_dim_on, false);
		WRITE_ONCE(chs->c[i]->tx_dim_on, false);
	}
	/* No poll still feeds DIM, so no work gets queued after the cancel. */
	synchronize_net();
	for (i = 0; i < chs->num; i++) {
		struct loopnic_channel *ch = chs->c[i];

		loopnic_ch_dim_stop(ch);
		/* Adaptive kept on keeps its DIM; turned on again starts anew. */
		if (!port->params.rx_adaptive)
			loopnic_dim_reset(&ch->rx_dim);
		if (!port->params.tx_adaptive)
			loopnic_dim_reset(&ch->tx_dim);
		loopnic_ch_program_coal(ch);
		WRITE_ONCE(ch->rx_dim_on, port->params.rx_adaptive);
		WRITE_ONCE(ch->tx_dim_on, port->params.tx_adaptive);
	}
}

void loopnic_en_set_pflags(struct loopnic_port *port, u32 flags)
{
	struct loopnic_channels *chs;
	unsigned int i;

	if (flags & BIT(LOOPNIC_PFLAG_RX_NO_REFILL)) {
		set_bit(LOOPNIC_PFLAG_RX_NO_REFILL, &port->pflags);
		return;
	}
	clear_bit(LOOPNIC_PFLAG_RX_NO_REFILL, &port->pflags);
	/* An empty RQ gets no RX interrupt to refill it: poll once now. */
	chs = port->chs;
	if (!chs)
		return;
	local_bh_disable();
	for (i = 0; i < chs->num; i++)
		napi_schedule(&chs->c[i]->napi);
	local_bh_enable();
}
