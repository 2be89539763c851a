// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: ethtool operations.
 */
#include <linux/ethtool.h>
#include <linux/netdevice.h>

#include "loopnic.h"

static const char loopnic_counter_names[LOOPNIC_NUM_COUNTERS][ETH_GSTRING_LEN] = {
	[LOOPNIC_RX_PACKETS]	= "rx_packets",
	[LOOPNIC_RX_BYTES]	= "rx_bytes",
	[LOOPNIC_TX_PACKETS]	= "tx_packets",
	[LOOPNIC_TX_BYTES]	= "tx_bytes",
	[LOOPNIC_BACKLOG_POLLS]	= "backlog_polls",
	[LOOPNIC_BACKLOG_DROPS]	= "backlog_drops",
	[LOOPNIC_TX_DROPS]	= "tx_drops",
};

static void loopnic_get_drvinfo(struct net_device *dev,
				struct ethtool_drvinfo *info)
{
	strscpy(info->driver, KBUILD_MODNAME, sizeof(info->driver));
}

static int loopnic_get_sset_count(struct net_device *dev, int sset)
{
	switch (sset) {
	case ETH_SS_STATS:
		return LOOPNIC_NUM_COUNTERS;
	default:
		return -EOPNOTSUPP;
	}
}

static void loopnic_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	if (sset == ETH_SS_STATS)
		memcpy(data, loopnic_counter_names, sizeof(loopnic_counter_names));
}

static void loopnic_get_ethtool_stats(struct net_device *dev,
				      struct ethtool_stats *stats, u64 *data)
{
	loopnic_stats_read(netdev_priv(dev), data);
}

const struct ethtool_ops loopnic_ethtool_ops = {
	.get_drvinfo		= loopnic_get_drvinfo,
	.get_link		= ethtool_op_get_link,
	.get_sset_count		= loopnic_get_sset_count,
	.get_strings		= loopnic_get_strings,
	.get_ethtool_stats	= loopnic_get_ethtool_stats,
};
