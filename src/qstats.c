// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: per-queue statistics for the netdev netlink family (qstats-get),
 * read from the same counters as ndo_get_stats64 and ethtool -S, so that the
 * active queues plus the base add up to the device's totals exactly.
 * Built only for kernels with struct netdev_stat_ops (see Kbuild).
 */
#include <net/netdev_queues.h>

#include "compat.h"
#include "loopnic.h"

/*
 * Ring path, channel @idx: RX and TX queue @idx. Its counters live on while
 * the port is down, as the core still sums the real_num_*_queues there.
 */
static bool loopnic_qstats_ch(struct net_device *dev, int idx, u64 *c)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (port->path != LOOPNIC_PATH_RING || idx >= LOOPNIC_HW_MAX_CHANNELS)
		return false;
	loopnic_stats_read(port, c);
	return true;
}

static void loopnic_get_queue_stats_rx(struct net_device *dev, int idx,
				       struct netdev_queue_stats_rx *rx)
{
	u64 c[LOOPNIC_NUM_COUNTERS];

	if (!loopnic_qstats_ch(dev, idx, c))
		return;
	rx->packets = c[LOOPNIC_CH_CTR(idx, LOOPNIC_CHSTAT_RX_PACKETS)];
	rx->bytes = c[LOOPNIC_CH_CTR(idx, LOOPNIC_CHSTAT_RX_BYTES)];
}

static void loopnic_get_queue_stats_tx(struct net_device *dev, int idx,
				       struct netdev_queue_stats_tx *tx)
{
	u64 c[LOOPNIC_NUM_COUNTERS];

	if (!loopnic_qstats_ch(dev, idx, c))
		return;
	tx->packets = c[LOOPNIC_CH_CTR(idx, LOOPNIC_CHSTAT_TX_PACKETS)];
	tx->bytes = c[LOOPNIC_CH_CTR(idx, LOOPNIC_CHSTAT_TX_BYTES)];
	tx->stop = c[LOOPNIC_CH_CTR(idx, LOOPNIC_CHSTAT_TX_STOPPED)];
	tx->wake = c[LOOPNIC_CH_CTR(idx, LOOPNIC_CHSTAT_TX_WAKE)];
}

/*
 * What no active queue holds: the totals less the queues the core will ask
 * for. That is the channels removed by ethtool -L on the ring path, and
 * everything on the backlog path, whose per-CPU NAPIs are no queue's.
 */
static void loopnic_get_base_stats(struct net_device *dev,
				   struct netdev_queue_stats_rx *rx,
				   struct netdev_queue_stats_tx *tx)
{
	struct loopnic_port *port = netdev_priv(dev);
	unsigned int i, nrx = 0, ntx = 0;
	u64 c[LOOPNIC_NUM_COUNTERS];

	loopnic_stats_read(port, c);
	rx->packets = c[LOOPNIC_RX_PACKETS];
	rx->bytes = c[LOOPNIC_RX_BYTES];
	tx->packets = c[LOOPNIC_TX_PACKETS];
	tx->bytes = c[LOOPNIC_TX_BYTES];
	tx->stop = 0;
	tx->wake = 0;
	if (port->path == LOOPNIC_PATH_RING) {
		nrx = min(dev->real_num_rx_queues, LOOPNIC_HW_MAX_CHANNELS);
		ntx = min(dev->real_num_tx_queues, LOOPNIC_HW_MAX_CHANNELS);
	}
	for (i = 0; i < LOOPNIC_HW_MAX_CHANNELS; i++) {
		const u64 *ch = &c[LOOPNIC_CH_CTR(i, 0)];

		if (i < nrx) {
			rx->packets -= ch[LOOPNIC_CHSTAT_RX_PACKETS];
			rx->bytes -= ch[LOOPNIC_CHSTAT_RX_BYTES];
		}
		if (i < ntx) {
			tx->packets -= ch[LOOPNIC_CHSTAT_TX_PACKETS];
			tx->bytes -= ch[LOOPNIC_CHSTAT_TX_BYTES];
		} else {
			tx->stop += ch[LOOPNIC_CHSTAT_TX_STOPPED];
			tx->wake += ch[LOOPNIC_CHSTAT_TX_WAKE];
		}
	}
}

const struct netdev_stat_ops loopnic_stat_ops = {
	.get_queue_stats_rx	= loopnic_get_queue_stats_rx,
	.get_queue_stats_tx	= loopnic_get_queue_stats_tx,
	.get_base_stats		= loopnic_get_base_stats,
};
