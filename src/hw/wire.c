// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic device model: the cable and the receiving MAC. A frame leaving one
 * device lands in the peer device's next posted RX buffer, found through the
 * peer's RQ, and is announced by an RX CQE. No buffer posted: the frame is
 * dropped and counted in the peer's rx_out_of_buffer, as on mlx5.
 */
#include <linux/rcupdate.h>
#include <linux/string.h>

#include "device.h"
#include "../trace.h"

/* Runs in the sender's TX engine; the receiving channel is always ch0 (no RSS yet). */
static void loopnic_hw_rx_frame(struct loopnic_hw *hw, const u8 *frame, u32 len)
{
	struct loopnic_hw_ch *ch = &hw->ch[0];
	struct loopnic_hw_q *rq = &ch->q[LOOPNIC_Q_RQ];
	struct loopnic_rx_wqe *wqe;
	u32 pc;

	spin_lock(&ch->rx_lock);
	if (!ch->rx_on) {
		trace_loopnic_hw_wire(&hw->pdev->dev, ch->idx, len, LOOPNIC_WIRE_RQ_OFF);
		atomic64_inc(&hw->rx_discards);
		goto out;
	}

	pc = READ_ONCE(rq->db);
	if (rq->ctr == pc) {
		trace_loopnic_hw_wire(&hw->pdev->dev, ch->idx, len, LOOPNIC_WIRE_NO_BUFFER);
		atomic64_inc(&hw->rx_out_of_buffer);
		goto out;
	}
	/* The WQE is read only after the doorbell that posted it. */
	dma_rmb();
	wqe = (struct loopnic_rx_wqe *)rq->va + (rq->ctr & rq->mask);
	trace_loopnic_hw_wqe_fetch(&hw->pdev->dev, ch->idx, LOOPNIC_Q_RQ, rq->ctr, 1,
				   le32_to_cpu(wqe->len));
	if (len > le32_to_cpu(wqe->len)) {
		/* Multi-buffer frames are not supported: the buffer stays posted. */
		trace_loopnic_hw_wire(&hw->pdev->dev, ch->idx, len, LOOPNIC_WIRE_TOO_LONG);
		atomic64_inc(&hw->rx_discards);
		goto out;
	}

	memcpy(loopnic_hw_dma_va(hw, le64_to_cpu(wqe->addr)), frame, len);
	trace_loopnic_hw_wire(&hw->pdev->dev, ch->idx, len, LOOPNIC_WIRE_DELIVERED);
	loopnic_hw_cqe_write(ch, LOOPNIC_Q_RXCQ, len, rq->ctr, 0);
	rq->ctr++;
out:
	spin_unlock(&ch->rx_lock);
}

/* Returns false if the frame went nowhere (no cable). */
bool loopnic_hw_wire_xmit(struct loopnic_hw *hw, const u8 *frame, u32 len)
{
	struct loopnic_hw *peer;
	bool sent = false;

	rcu_read_lock();
	peer = rcu_dereference(hw->peer);
	if (peer) {
		loopnic_hw_rx_frame(peer, frame, len);
		sent = true;
	} else {
		trace_loopnic_hw_wire(&hw->pdev->dev, 0, len, LOOPNIC_WIRE_NO_CABLE);
		atomic64_inc(&hw->tx_discards);
	}
	rcu_read_unlock();
	return sent;
}

/* End of a TX batch: the peer's RX CQ may interrupt. */
void loopnic_hw_wire_flush(struct loopnic_hw *hw)
{
	struct loopnic_hw *peer;

	rcu_read_lock();
	peer = rcu_dereference(hw->peer);
	if (peer)
		loopnic_hw_cq_event(&peer->ch[0], LOOPNIC_Q_RXCQ);
	rcu_read_unlock();
}
