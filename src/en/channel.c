// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic ring path: a port's channel (one for now) and its NAPI, after
 * mlx5e_open_channel() and mlx5e_napi_poll(). The channel owns an SQ and an
 * RQ, each with its CQ, and one interrupt vector shared by both CQs.
 */
#include <linux/dma-mapping.h>
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

static int loopnic_napi_poll(struct napi_struct *napi, int budget)
{
	struct loopnic_channel *ch = container_of(napi, struct loopnic_channel, napi);
	bool busy;
	int work;

	loopnic_count(ch->port, LOOPNIC_CH0_POLL, 1);

	busy = loopnic_poll_tx_cq(ch, budget);
	/* budget 0 is netpoll asking for TX completions only. */
	if (unlikely(!budget))
		return 0;

	work = loopnic_poll_rx_cq(ch, budget);
	busy |= work == budget;
	loopnic_post_rx_wqes(ch);

	trace_loopnic_napi_poll(ch->netdev, ch->ix, busy ? budget : work, budget);
	if (busy)
		return budget;
	if (unlikely(!napi_complete_done(napi, work)))
		return work;

	/* Entries written since the polls above make the device fire at once. */
	loopnic_cq_arm(ch, LOOPNIC_Q_TXCQ, &ch->txcq);
	loopnic_cq_arm(ch, LOOPNIC_Q_RXCQ, &ch->rxcq);
	loopnic_count(ch->port, LOOPNIC_CH0_ARM, 1);
	return work;
}

/* Hard-IRQ context, on ch->cpu. */
static irqreturn_t loopnic_ch_irq(int vec, void *data)
{
	struct loopnic_channel *ch = data;

	loopnic_count_irq(ch->port, LOOPNIC_CH0_EVENTS, 1);
	napi_schedule_irqoff(&ch->napi);
	return IRQ_HANDLED;
}

static void loopnic_q_program(struct loopnic_channel *ch, enum loopnic_hw_queue q,
			      dma_addr_t dma, u32 log_sz)
{
	loopnic_hw_reg_write(ch->hw, loopnic_reg_q(ch, q, LOOPNIC_Q_BASE), dma);
	loopnic_hw_reg_write(ch->hw, loopnic_reg_q(ch, q, LOOPNIC_Q_LOG_SZ), log_sz);
}

static void loopnic_ch_program(struct loopnic_channel *ch)
{
	loopnic_q_program(ch, LOOPNIC_Q_SQ, ch->sq.dma, ch->sq.log_sz);
	loopnic_q_program(ch, LOOPNIC_Q_RQ, ch->rq.dma, ch->rq.log_sz);
	loopnic_q_program(ch, LOOPNIC_Q_TXCQ, ch->txcq.dma, ch->txcq.log_sz);
	loopnic_q_program(ch, LOOPNIC_Q_RXCQ, ch->rxcq.dma, ch->rxcq.log_sz);
	loopnic_hw_reg_write(ch->hw, LOOPNIC_REG_CH(ch->ix) + LOOPNIC_CH_IRQ_CPU,
			     ch->cpu);
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

int loopnic_en_open(struct loopnic_port *port)
{
	struct net_device *dev = port->dev;
	struct loopnic_channel *ch;
	int err;

	ch = kzalloc(sizeof(*ch), GFP_KERNEL);
	if (!ch)
		return -ENOMEM;
	ch->port = port;
	ch->netdev = dev;
	ch->hw = port->hw;
	ch->pdev = loopnic_hw_dma_dev(port->hw);
	ch->ix = 0;
	/* Spread ports over CPUs, so the two ends of a pair interrupt different ones. */
	ch->cpu = cpumask_local_spread(dev->ifindex, dev_to_node(ch->pdev));
	netif_napi_add(dev, &ch->napi, loopnic_napi_poll);

	err = loopnic_cq_alloc(ch, &ch->txcq, loopnic_sq_size);
	if (!err)
		err = loopnic_cq_alloc(ch, &ch->rxcq, loopnic_rq_size);
	if (!err)
		err = loopnic_sq_alloc(ch, loopnic_sq_size);
	if (!err)
		err = loopnic_rq_alloc(ch, loopnic_rq_size);
	if (err)
		goto err_free;

	loopnic_ch_program(ch);
	err = loopnic_hw_request_irq(ch->hw, ch->ix, loopnic_ch_irq, ch);
	if (err)
		goto err_free;

	napi_enable(&ch->napi);
	loopnic_hw_reg_write(ch->hw, LOOPNIC_REG_CH(ch->ix) + LOOPNIC_CH_CTRL,
			     LOOPNIC_CH_CTRL_EN);
	if (!(loopnic_hw_reg_read(ch->hw, LOOPNIC_REG_CH(ch->ix) + LOOPNIC_CH_CTRL) &
	      LOOPNIC_CH_CTRL_EN)) {
		err = -EIO;
		goto err_irq;
	}

	/* Page pool allocations expect BH context, as in NAPI. */
	local_bh_disable();
	loopnic_post_rx_wqes(ch);
	local_bh_enable();
	loopnic_cq_arm(ch, LOOPNIC_Q_TXCQ, &ch->txcq);
	loopnic_cq_arm(ch, LOOPNIC_Q_RXCQ, &ch->rxcq);

	port->ch = ch;
	netdev_tx_reset_queue(ch->sq.txq);
	netif_tx_start_all_queues(dev);
	return 0;

err_irq:
	napi_disable(&ch->napi);
	loopnic_hw_free_irq(ch->hw, ch->ix);
err_free:
	loopnic_ch_free(ch);
	return err;
}

/*
 * Quiesce in the order a real NIC needs: the stack stops handing us frames,
 * the device stops touching our rings, no interrupt can come, NAPI is off;
 * only then are in-flight skbs and posted pages given back.
 */
void loopnic_en_stop(struct loopnic_port *port)
{
	struct loopnic_channel *ch = port->ch;

	if (!ch)
		return;
	netif_tx_disable(port->dev);
	loopnic_hw_reg_write(ch->hw, LOOPNIC_REG_CH(ch->ix) + LOOPNIC_CH_CTRL, 0);
	loopnic_hw_free_irq(ch->hw, ch->ix);
	napi_disable(&ch->napi);
	port->ch = NULL;
	loopnic_ch_free(ch);
}

int loopnic_en_init(struct loopnic_port *port)
{
	struct loopnic_hw *hw = loopnic_hw_create();

	if (IS_ERR(hw))
		return PTR_ERR(hw);
	if (loopnic_hw_reg_read(hw, LOOPNIC_REG_ID) != LOOPNIC_HW_ID) {
		loopnic_hw_destroy(hw);
		return -ENODEV;
	}
	port->hw = hw;
	return 0;
}

void loopnic_en_uninit(struct loopnic_port *port)
{
	loopnic_hw_destroy(port->hw);
	port->hw = NULL;
}

void loopnic_en_set_pflags(struct loopnic_port *port, u32 flags)
{
	struct loopnic_channel *ch;

	if (flags & BIT(LOOPNIC_PFLAG_RX_NO_REFILL)) {
		set_bit(LOOPNIC_PFLAG_RX_NO_REFILL, &port->pflags);
		return;
	}
	clear_bit(LOOPNIC_PFLAG_RX_NO_REFILL, &port->pflags);
	/* An empty RQ gets no RX interrupt to refill it: poll once now. */
	ch = port->ch;
	if (ch) {
		local_bh_disable();
		napi_schedule(&ch->napi);
		local_bh_enable();
	}
}
