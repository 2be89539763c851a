// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: ethtool operations. Each path lists the counters it keeps: the
 * backlog path the ones it always had, the ring path mlx5's names.
 */
#include <linux/ethtool.h>
#include <linux/netdevice.h>

#include "en/en.h"
#include "loopnic.h"

static const char loopnic_counter_names[LOOPNIC_NUM_COUNTERS][ETH_GSTRING_LEN] = {
	[LOOPNIC_RX_PACKETS]		= "rx_packets",
	[LOOPNIC_RX_BYTES]		= "rx_bytes",
	[LOOPNIC_TX_PACKETS]		= "tx_packets",
	[LOOPNIC_TX_BYTES]		= "tx_bytes",
	[LOOPNIC_BACKLOG_POLLS]		= "backlog_polls",
	[LOOPNIC_BACKLOG_DROPS]		= "backlog_drops",
	[LOOPNIC_TX_DROPS]		= "tx_drops",
	[LOOPNIC_RX_DROPS]		= "rx_drops",
	[LOOPNIC_RX0_PACKETS]		= "rx0_packets",
	[LOOPNIC_RX0_BYTES]		= "rx0_bytes",
	[LOOPNIC_TX0_PACKETS]		= "tx0_packets",
	[LOOPNIC_TX0_BYTES]		= "tx0_bytes",
	[LOOPNIC_TX0_STOPPED]		= "tx0_stopped",
	[LOOPNIC_TX0_WAKE]		= "tx0_wake",
	[LOOPNIC_TX0_DOORBELLS]		= "tx0_doorbells",
	[LOOPNIC_CH0_EVENTS]		= "ch0_events",
	[LOOPNIC_CH0_POLL]		= "ch0_poll",
	[LOOPNIC_CH0_ARM]		= "ch0_arm",
	[LOOPNIC_CH0_IRQS]		= "ch0_irqs",
	[LOOPNIC_RX_OUT_OF_BUFFER]	= "rx_out_of_buffer",
	[LOOPNIC_RX_DISCARDS_PHY]	= "rx_discards_phy",
	[LOOPNIC_TX_DISCARDS_PHY]	= "tx_discards_phy",
};

static const u8 loopnic_backlog_counters[] = {
	LOOPNIC_RX_PACKETS, LOOPNIC_RX_BYTES, LOOPNIC_TX_PACKETS,
	LOOPNIC_TX_BYTES, LOOPNIC_BACKLOG_POLLS, LOOPNIC_BACKLOG_DROPS,
	LOOPNIC_TX_DROPS,
};

static const u8 loopnic_ring_counters[] = {
	LOOPNIC_RX_PACKETS, LOOPNIC_RX_BYTES, LOOPNIC_TX_PACKETS,
	LOOPNIC_TX_BYTES, LOOPNIC_TX_DROPS, LOOPNIC_RX_DROPS,
	LOOPNIC_RX_OUT_OF_BUFFER, LOOPNIC_RX_DISCARDS_PHY,
	LOOPNIC_TX_DISCARDS_PHY, LOOPNIC_RX0_PACKETS, LOOPNIC_RX0_BYTES,
	LOOPNIC_TX0_PACKETS, LOOPNIC_TX0_BYTES, LOOPNIC_TX0_STOPPED,
	LOOPNIC_TX0_WAKE, LOOPNIC_TX0_DOORBELLS, LOOPNIC_CH0_EVENTS,
	LOOPNIC_CH0_POLL, LOOPNIC_CH0_ARM, LOOPNIC_CH0_IRQS,
};

static const char loopnic_pflag_names[LOOPNIC_NUM_PFLAGS][ETH_GSTRING_LEN] = {
	[LOOPNIC_PFLAG_RX_NO_REFILL]	= "rx_no_refill",
};

static const u8 *loopnic_counters(struct net_device *dev, unsigned int *n)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (port->path == LOOPNIC_PATH_RING) {
		*n = ARRAY_SIZE(loopnic_ring_counters);
		return loopnic_ring_counters;
	}
	*n = ARRAY_SIZE(loopnic_backlog_counters);
	return loopnic_backlog_counters;
}

static bool loopnic_is_ring(struct net_device *dev)
{
	return ((struct loopnic_port *)netdev_priv(dev))->path == LOOPNIC_PATH_RING;
}

static void loopnic_get_drvinfo(struct net_device *dev,
				struct ethtool_drvinfo *info)
{
	struct loopnic_port *port = netdev_priv(dev);

	strscpy(info->driver, KBUILD_MODNAME, sizeof(info->driver));
	/* The emulated NIC's platform device, as a PCI NIC shows its address. */
	if (port->hw)
		strscpy(info->bus_info, dev_name(loopnic_hw_dma_dev(port->hw)),
			sizeof(info->bus_info));
}

static int loopnic_get_sset_count(struct net_device *dev, int sset)
{
	unsigned int n;

	switch (sset) {
	case ETH_SS_STATS:
		loopnic_counters(dev, &n);
		return n;
	case ETH_SS_PRIV_FLAGS:
		return loopnic_is_ring(dev) ? LOOPNIC_NUM_PFLAGS : 0;
	default:
		return -EOPNOTSUPP;
	}
}

static void loopnic_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	const u8 *idx;
	unsigned int i, n;

	switch (sset) {
	case ETH_SS_STATS:
		idx = loopnic_counters(dev, &n);
		for (i = 0; i < n; i++)
			memcpy(data + i * ETH_GSTRING_LEN,
			       loopnic_counter_names[idx[i]], ETH_GSTRING_LEN);
		break;
	case ETH_SS_PRIV_FLAGS:
		if (loopnic_is_ring(dev))
			memcpy(data, loopnic_pflag_names, sizeof(loopnic_pflag_names));
		break;
	}
}

static void loopnic_get_ethtool_stats(struct net_device *dev,
				      struct ethtool_stats *stats, u64 *data)
{
	u64 c[LOOPNIC_NUM_COUNTERS];
	const u8 *idx;
	unsigned int i, n;

	loopnic_stats_read(netdev_priv(dev), c);
	idx = loopnic_counters(dev, &n);
	for (i = 0; i < n; i++)
		data[i] = c[idx[i]];
}

static u32 loopnic_get_priv_flags(struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);

	return loopnic_is_ring(dev) ? READ_ONCE(port->pflags) : 0;
}

static int loopnic_set_priv_flags(struct net_device *dev, u32 flags)
{
	if (!loopnic_is_ring(dev))
		return flags ? -EOPNOTSUPP : 0;
	if (flags & ~(BIT(LOOPNIC_NUM_PFLAGS) - 1))
		return -EINVAL;
	loopnic_en_set_pflags(netdev_priv(dev), flags);
	return 0;
}

const struct ethtool_ops loopnic_ethtool_ops = {
	.get_drvinfo		= loopnic_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= loopnic_get_sset_count,
	.get_strings		= loopnic_get_strings,
	.get_ethtool_stats	= loopnic_get_ethtool_stats,
	.get_priv_flags		= loopnic_get_priv_flags,
	.set_priv_flags		= loopnic_set_priv_flags,
};
