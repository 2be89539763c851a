// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: ethtool operations. Each path lists the counters it keeps: the
 * backlog path the ones it always had, the ring path mlx5's names.
 */
#include <linux/ethtool.h>
#include <linux/log2.h>
#include <linux/netdevice.h>
#include <linux/slab.h>

#include "en/en.h"
#include "loopnic.h"

static const char loopnic_counter_names[LOOPNIC_CH_COUNTERS][ETH_GSTRING_LEN] = {
	[LOOPNIC_RX_PACKETS]		= "rx_packets",
	[LOOPNIC_RX_BYTES]		= "rx_bytes",
	[LOOPNIC_TX_PACKETS]		= "tx_packets",
	[LOOPNIC_TX_BYTES]		= "tx_bytes",
	[LOOPNIC_BACKLOG_POLLS]		= "backlog_polls",
	[LOOPNIC_BACKLOG_DROPS]		= "backlog_drops",
	[LOOPNIC_BACKLOG_BUDGET_EXHAUSTED] = "backlog_budget_exhausted",
	[LOOPNIC_TX_DROPS]		= "tx_drops",
	[LOOPNIC_RX_DROPS]		= "rx_drops",
	[LOOPNIC_RX_OUT_OF_BUFFER]	= "rx_out_of_buffer",
	[LOOPNIC_RX_DISCARDS_PHY]	= "rx_discards_phy",
	[LOOPNIC_TX_DISCARDS_PHY]	= "tx_discards_phy",
	[LOOPNIC_FAULT_WIRE + LOOPNIC_FAULT_DROP]	= "fault_wire_drop",
	[LOOPNIC_FAULT_WIRE + LOOPNIC_FAULT_CORRUPT]	= "fault_wire_corrupt",
	[LOOPNIC_FAULT_WIRE + LOOPNIC_FAULT_DUP]	= "fault_wire_dup",
	[LOOPNIC_FAULT_WIRE + LOOPNIC_FAULT_REORDER]	= "fault_wire_reorder",
	[LOOPNIC_FAULT_WIRE + LOOPNIC_FAULT_DELAY]	= "fault_wire_delay",
	[LOOPNIC_FAULT_RX_ALLOC]	= "fault_rx_alloc",
	[LOOPNIC_FAULT_TX_DMA_MAP]	= "fault_tx_dma_map",
	[LOOPNIC_FAULT_CH_ACTIVATE]	= "fault_ch_activate",
	[LOOPNIC_TX_TIMEOUT]		= "tx_timeout",
	[LOOPNIC_TX_TIMEOUT_RECOVER_EQ]	= "tx_timeout_recover_eq",
	[LOOPNIC_TX_TIMEOUT_HELD]	= "tx_timeout_held",
	[LOOPNIC_TX_RECOVER]		= "tx_recover",
	[LOOPNIC_FAULT_SQ_STALL]	= "fault_sq_stall",
	[LOOPNIC_FAULT_LOST_IRQ]	= "fault_lost_irq",
	[LOOPNIC_TX_SHAPED]		= "tx_shaped",
	[LOOPNIC_TX_TSO_PACKETS]	= "tx_tso_packets",
	[LOOPNIC_TX_TSO_BYTES]		= "tx_tso_bytes",
	[LOOPNIC_TX_SW_FALLBACK]	= "tx_sw_fallback",
	[LOOPNIC_RX_LRO_PACKETS]	= "rx_lro_packets",
	[LOOPNIC_RX_LRO_BYTES]		= "rx_lro_bytes",
};

/* Per channel: printed as "<prefix><channel>_<suffix>", e.g. rx3_packets. */
static const char * const loopnic_ch_counter_names[LOOPNIC_CHSTAT_NUM][2] = {
	[LOOPNIC_CHSTAT_RX_PACKETS]		= { "rx", "packets" },
	[LOOPNIC_CHSTAT_RX_BYTES]		= { "rx", "bytes" },
	[LOOPNIC_CHSTAT_RX_FRAGS]		= { "rx", "frags" },
	[LOOPNIC_CHSTAT_TX_PACKETS]		= { "tx", "packets" },
	[LOOPNIC_CHSTAT_TX_BYTES]		= { "tx", "bytes" },
	[LOOPNIC_CHSTAT_TX_STOPPED]		= { "tx", "stopped" },
	[LOOPNIC_CHSTAT_TX_WAKE]		= { "tx", "wake" },
	[LOOPNIC_CHSTAT_TX_DOORBELLS]	= { "tx", "doorbells" },
	[LOOPNIC_CHSTAT_EVENTS]		= { "ch", "events" },
	[LOOPNIC_CHSTAT_POLL]		= { "ch", "poll" },
	[LOOPNIC_CHSTAT_BUDGET_EXHAUSTED]	= { "ch", "budget_exhausted" },
	[LOOPNIC_CHSTAT_ARM]		= { "ch", "arm" },
	[LOOPNIC_CHSTAT_IRQS]		= { "ch", "irqs" },
};

static const u8 loopnic_backlog_counters[] = {
	LOOPNIC_RX_PACKETS, LOOPNIC_RX_BYTES, LOOPNIC_TX_PACKETS,
	LOOPNIC_TX_BYTES, LOOPNIC_BACKLOG_POLLS, LOOPNIC_BACKLOG_DROPS,
	LOOPNIC_TX_DROPS, LOOPNIC_BACKLOG_BUDGET_EXHAUSTED, LOOPNIC_TX_SHAPED,
};

/* Followed by the per-channel blocks. */
static const u8 loopnic_ring_counters[] = {
	LOOPNIC_RX_PACKETS, LOOPNIC_RX_BYTES, LOOPNIC_TX_PACKETS,
	LOOPNIC_TX_BYTES, LOOPNIC_TX_DROPS, LOOPNIC_RX_DROPS,
	LOOPNIC_RX_OUT_OF_BUFFER, LOOPNIC_RX_DISCARDS_PHY,
	LOOPNIC_TX_DISCARDS_PHY,
	LOOPNIC_FAULT_WIRE + LOOPNIC_FAULT_DROP,
	LOOPNIC_FAULT_WIRE + LOOPNIC_FAULT_CORRUPT,
	LOOPNIC_FAULT_WIRE + LOOPNIC_FAULT_DUP,
	LOOPNIC_FAULT_WIRE + LOOPNIC_FAULT_REORDER,
	LOOPNIC_FAULT_WIRE + LOOPNIC_FAULT_DELAY,
	LOOPNIC_FAULT_RX_ALLOC, LOOPNIC_FAULT_TX_DMA_MAP,
	LOOPNIC_FAULT_CH_ACTIVATE, LOOPNIC_TX_TIMEOUT, LOOPNIC_TX_TIMEOUT_RECOVER_EQ,
	LOOPNIC_TX_TIMEOUT_HELD, LOOPNIC_TX_RECOVER, LOOPNIC_FAULT_SQ_STALL, LOOPNIC_FAULT_LOST_IRQ,
	LOOPNIC_TX_SHAPED, LOOPNIC_TX_TSO_PACKETS, LOOPNIC_TX_TSO_BYTES,
	LOOPNIC_TX_SW_FALLBACK, LOOPNIC_RX_LRO_PACKETS, LOOPNIC_RX_LRO_BYTES,
};

static const char loopnic_pflag_names[LOOPNIC_NUM_PFLAGS][ETH_GSTRING_LEN] = {
	[LOOPNIC_PFLAG_RX_NO_REFILL]	= "rx_no_refill",
	[LOOPNIC_PFLAG_RING_PATH]	= "ring-path",
};

static bool loopnic_is_ring(struct net_device *dev)
{
	return ((struct loopnic_port *)netdev_priv(dev))->path == LOOPNIC_PATH_RING;
}

/*
 * The counters ethtool -S lists: the path's fixed ones, then (ring path)
 * those of every channel the port ever opened. Called under RTNL, so the
 * list cannot change between the count, the names and the values.
 */
static unsigned int loopnic_num_stats(struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (!loopnic_is_ring(dev))
		return ARRAY_SIZE(loopnic_backlog_counters);
	return ARRAY_SIZE(loopnic_ring_counters) +
	       port->stats_nch * LOOPNIC_CHSTAT_NUM;
}

static unsigned int loopnic_stat_at(struct net_device *dev, unsigned int i)
{
	if (!loopnic_is_ring(dev))
		return loopnic_backlog_counters[i];
	if (i < ARRAY_SIZE(loopnic_ring_counters))
		return loopnic_ring_counters[i];
	return LOOPNIC_CH_COUNTERS + i - ARRAY_SIZE(loopnic_ring_counters);
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

/*
 * ethtool -d: the emulated device's whole register space as 64-bit words,
 * offset / 8 being the index, in the CPU's byte order; holes read as ~0.
 */
#define LOOPNIC_REGS_VERSION	1

static int loopnic_get_regs_len(struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);

	return port->hw ? LOOPNIC_REG_SPACE : 0;
}

static void loopnic_get_regs(struct net_device *dev, struct ethtool_regs *regs,
			     void *p)
{
	struct loopnic_port *port = netdev_priv(dev);
	u64 *word = p;
	u32 off;

	regs->version = LOOPNIC_REGS_VERSION;
	if (!port->hw)
		return;
	for (off = 0; off < LOOPNIC_REG_SPACE; off += sizeof(*word))
		word[off / sizeof(*word)] = loopnic_hw_reg_read(port->hw, off);
}

static int loopnic_get_sset_count(struct net_device *dev, int sset)
{
	switch (sset) {
	case ETH_SS_STATS:
		return loopnic_num_stats(dev);
	case ETH_SS_PRIV_FLAGS:
		return LOOPNIC_NUM_PFLAGS;
	case ETH_SS_TEST:
		return loopnic_selftest_count(dev);
	default:
		return -EOPNOTSUPP;
	}
}

static void loopnic_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	unsigned int i, n, c;

	switch (sset) {
	case ETH_SS_STATS:
		n = loopnic_num_stats(dev);
		for (i = 0; i < n; i++) {
			c = loopnic_stat_at(dev, i);
			if (c < LOOPNIC_CH_COUNTERS) {
				ethtool_sprintf(&data, "%s", loopnic_counter_names[c]);
				continue;
			}
			c -= LOOPNIC_CH_COUNTERS;
			ethtool_sprintf(&data, "%s%u_%s",
					loopnic_ch_counter_names[c % LOOPNIC_CHSTAT_NUM][0],
					c / LOOPNIC_CHSTAT_NUM,
					loopnic_ch_counter_names[c % LOOPNIC_CHSTAT_NUM][1]);
		}
		break;
	case ETH_SS_PRIV_FLAGS:
		memcpy(data, loopnic_pflag_names, sizeof(loopnic_pflag_names));
		break;
	case ETH_SS_TEST:
		loopnic_selftest_strings(dev, data);
		break;
	}
}

static void loopnic_get_ethtool_stats(struct net_device *dev,
				      struct ethtool_stats *stats, u64 *data)
{
	u64 *c;
	unsigned int i, n;

	/* Too large for the stack with eight channels' worth. */
	c = kmalloc_array(LOOPNIC_NUM_COUNTERS, sizeof(*c), GFP_KERNEL);
	if (!c)
		return;
	loopnic_stats_read(netdev_priv(dev), c);
	n = loopnic_num_stats(dev);
	for (i = 0; i < n; i++)
		data[i] = c[loopnic_stat_at(dev, i)];
	kfree(c);
}

static void loopnic_get_channels(struct net_device *dev,
				 struct ethtool_channels *ch)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (!loopnic_is_ring(dev))
		return;
	ch->max_combined = loopnic_hw_reg_read(port->hw, LOOPNIC_REG_NUM_CH);
	ch->combined_count = port->params.num_ch;
}

/* rx_no_refill is only ever set on the ring path: it reads off elsewhere. */
static u32 loopnic_get_priv_flags(struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);
	u32 flags = READ_ONCE(port->pflags) & BIT(LOOPNIC_PFLAG_RX_NO_REFILL);

	if (loopnic_is_ring(dev))
		flags |= BIT(LOOPNIC_PFLAG_RING_PATH);
	return flags;
}

/* A ring-path-only flag on @dev keeps the pair from leaving the ring path. */
static bool loopnic_rx_no_refill(struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);

	return test_bit(LOOPNIC_PFLAG_RX_NO_REFILL, &port->pflags);
}

static int loopnic_set_priv_flags(struct net_device *dev, u32 flags)
{
	struct loopnic_port *port = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(port->peer);
	bool ring = flags & BIT(LOOPNIC_PFLAG_RING_PATH);
	int err;

	if (flags & ~(BIT(LOOPNIC_NUM_PFLAGS) - 1))
		return -EINVAL;
	if (!ring && (flags & BIT(LOOPNIC_PFLAG_RX_NO_REFILL))) {
		netdev_err(dev, "rx_no_refill needs ring-path on\n");
		return -EOPNOTSUPP;
	}
	if (!ring && peer && peer != dev && loopnic_rx_no_refill(peer)) {
		netdev_err(dev, "ring-path off switches the pair: turn %s's rx_no_refill off first\n",
			   peer->name);
		return -EOPNOTSUPP;
	}

	/* Off before a switch away, so the RX rings refill while they drain. */
	if (!ring && loopnic_is_ring(dev))
		loopnic_en_set_pflags(port, 0);
	err = loopnic_switch_path(port, ring ? LOOPNIC_PATH_RING : LOOPNIC_PATH_BACKLOG);
	if (err)
		return err;
	if (ring)
		loopnic_en_set_pflags(port, flags);
	return 0;
}

/* RTNL held by the ethtool core, as for every set operation below. */
static int loopnic_set_channels(struct net_device *dev,
				struct ethtool_channels *ch)
{
	struct loopnic_port *port = netdev_priv(dev);
	struct loopnic_params params = port->params;

	if (!loopnic_is_ring(dev))
		return -EOPNOTSUPP;
	/* The core already refused counts above the maximums we report. */
	if (!ch->combined_count || ch->rx_count || ch->tx_count || ch->other_count)
		return -EINVAL;
	if (ch->combined_count == params.num_ch)
		return 0;
	params.num_ch = ch->combined_count;
	return loopnic_en_reconfigure(port, &params);
}

static void loopnic_get_ringparam(struct net_device *dev,
				  struct ethtool_ringparam *ring,
				  struct kernel_ethtool_ringparam *kring,
				  struct netlink_ext_ack *extack)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (!loopnic_is_ring(dev))
		return;
	ring->rx_max_pending = LOOPNIC_RING_MAX;
	ring->tx_max_pending = LOOPNIC_RING_MAX;
	ring->rx_pending = port->params.rq_size;
	ring->tx_pending = port->params.sq_size;
}

static int loopnic_set_ringparam(struct net_device *dev,
				 struct ethtool_ringparam *ring,
				 struct kernel_ethtool_ringparam *kring,
				 struct netlink_ext_ack *extack)
{
	struct loopnic_port *port = netdev_priv(dev);
	struct loopnic_params params = port->params;

	if (!loopnic_is_ring(dev))
		return -EOPNOTSUPP;
	if (ring->rx_pending < LOOPNIC_RING_MIN || ring->tx_pending < LOOPNIC_RING_MIN) {
		NL_SET_ERR_MSG_MOD(extack, "ring sizes below 64 are not supported");
		return -EINVAL;
	}
	if (ring->rx_pending > LOOPNIC_RING_MAX || ring->tx_pending > LOOPNIC_RING_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "ring sizes above 8192 are not supported");
		return -EINVAL;
	}
	if (ring->rx_mini_pending || ring->rx_jumbo_pending) {
		NL_SET_ERR_MSG_MOD(extack, "no mini or jumbo RX rings");
		return -EINVAL;
	}
	/* The rings are powers of two: round up, as mlx5 does. */
	params.rq_size = roundup_pow_of_two(ring->rx_pending);
	params.sq_size = roundup_pow_of_two(ring->tx_pending);
	if (params.rq_size == port->params.rq_size &&
	    params.sq_size == port->params.sq_size)
		return 0;
	return loopnic_en_reconfigure(port, &params);
}

static int loopnic_get_coalesce(struct net_device *dev,
				struct ethtool_coalesce *ec,
				struct kernel_ethtool_coalesce *kec,
				struct netlink_ext_ack *extack)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (!loopnic_is_ring(dev))
		return -EOPNOTSUPP;
	ec->rx_coalesce_usecs = port->params.rx_coal.usecs;
	ec->rx_max_coalesced_frames = port->params.rx_coal.frames;
	ec->tx_coalesce_usecs = port->params.tx_coal.usecs;
	ec->tx_max_coalesced_frames = port->params.tx_coal.frames;
	ec->use_adaptive_rx_coalesce = port->params.rx_adaptive;
	ec->use_adaptive_tx_coalesce = port->params.tx_adaptive;
	return 0;
}

/* The device's moderation register has 16 bits for each value. */
static int loopnic_check_coalesce(const struct ethtool_coalesce *ec,
				  struct netlink_ext_ack *extack)
{
	if (ec->rx_coalesce_usecs > LOOPNIC_HW_MOD_MAX ||
	    ec->tx_coalesce_usecs > LOOPNIC_HW_MOD_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "rx-usecs and tx-usecs above 65535 are not supported");
		return -EINVAL;
	}
	if (ec->rx_max_coalesced_frames > LOOPNIC_HW_MOD_MAX ||
	    ec->tx_max_coalesced_frames > LOOPNIC_HW_MOD_MAX) {
		NL_SET_ERR_MSG_MOD(extack, "rx-frames and tx-frames above 65535 are not supported");
		return -EINVAL;
	}
	/* As the ethtool API has it: no interrupt would ever come. */
	if ((!ec->rx_coalesce_usecs && !ec->rx_max_coalesced_frames) ||
	    (!ec->tx_coalesce_usecs && !ec->tx_max_coalesced_frames)) {
		NL_SET_ERR_MSG_MOD(extack, "usecs and frames cannot both be 0");
		return -EINVAL;
	}
	return 0;
}

static int loopnic_set_coalesce(struct net_device *dev,
				struct ethtool_coalesce *ec,
				struct kernel_ethtool_coalesce *kec,
				struct netlink_ext_ack *extack)
{
	struct loopnic_port *port = netdev_priv(dev);
	int err;

	if (!loopnic_is_ring(dev))
		return -EOPNOTSUPP;
	err = loopnic_check_coalesce(ec, extack);
	if (err)
		return err;
	port->params.rx_coal.usecs = ec->rx_coalesce_usecs;
	port->params.rx_coal.frames = ec->rx_max_coalesced_frames;
	port->params.tx_coal.usecs = ec->tx_coalesce_usecs;
	port->params.tx_coal.frames = ec->tx_max_coalesced_frames;
	port->params.rx_adaptive = ec->use_adaptive_rx_coalesce;
	port->params.tx_adaptive = ec->use_adaptive_tx_coalesce;
	loopnic_en_set_coalesce(port);
	return 0;
}

static u32 loopnic_get_rxfh_key_size(struct net_device *dev)
{
	return loopnic_is_ring(dev) ? LOOPNIC_HW_RSS_KEY_SIZE : 0;
}

static u32 loopnic_get_rxfh_indir_size(struct net_device *dev)
{
	return loopnic_is_ring(dev) ? LOOPNIC_HW_RSS_INDIR_SIZE : 0;
}

/* The core validates an indirection table against the RX ring count. */
static int loopnic_get_rxnfc(struct net_device *dev, struct ethtool_rxnfc *info,
			     u32 *rules)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (!loopnic_is_ring(dev) || info->cmd != ETHTOOL_GRXRINGS)
		return -EOPNOTSUPP;
	info->data = port->params.num_ch;
	return 0;
}

int loopnic_get_rxfh(struct net_device *dev, u32 *indir, u8 *key, u8 *hfunc)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (!loopnic_is_ring(dev))
		return -EOPNOTSUPP;
	if (hfunc)
		*hfunc = ETH_RSS_HASH_TOP;
	if (indir)
		memcpy(indir, port->rss_indir, sizeof(port->rss_indir));
	if (key)
		memcpy(key, port->rss_key, sizeof(port->rss_key));
	return 0;
}

/* RTNL held; entries of @indir are below the RX ring count (checked by the core). */
int loopnic_set_rxfh(struct net_device *dev, const u32 *indir, const u8 *key,
		     u8 hfunc, struct netlink_ext_ack *extack)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (!loopnic_is_ring(dev))
		return -EOPNOTSUPP;
	if (hfunc != ETH_RSS_HASH_NO_CHANGE && hfunc != ETH_RSS_HASH_TOP) {
		NL_SET_ERR_MSG_MOD(extack, "only the Toeplitz hash is supported");
		return -EOPNOTSUPP;
	}
	if (indir)
		memcpy(port->rss_indir, indir, sizeof(port->rss_indir));
	if (key)
		memcpy(port->rss_key, key, sizeof(port->rss_key));
	/* Live: the device steers the next frame by the new values. */
	if (port->chs)
		loopnic_rss_program(port);
	return 0;
}

/* No autonegotiation: the MAC does what it is told, as with a fixed link. */
static void loopnic_get_pauseparam(struct net_device *dev,
				   struct ethtool_pauseparam *pause)
{
	struct loopnic_port *port = netdev_priv(dev);

	pause->autoneg = AUTONEG_DISABLE;
	if (!loopnic_is_ring(dev))
		return;
	pause->rx_pause = port->params.rx_pause;
	pause->tx_pause = port->params.tx_pause;
}

static int loopnic_set_pauseparam(struct net_device *dev,
				  struct ethtool_pauseparam *pause)
{
	if (!loopnic_is_ring(dev))
		return -EOPNOTSUPP;
	/* This op gets no extack: the reason goes to the log instead. */
	if (pause->autoneg) {
		netdev_info(dev, "pause autonegotiation is not supported, only autoneg off\n");
		return -EINVAL;
	}
	loopnic_en_set_pause(netdev_priv(dev), pause->rx_pause, pause->tx_pause);
	return 0;
}

/* Fields not written stay "not set" for the core: none on the backlog path. */
static void loopnic_get_pause_stats(struct net_device *dev,
				    struct ethtool_pause_stats *stats)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (!loopnic_is_ring(dev) || !port->hw)
		return;
	stats->tx_pause_frames = loopnic_hw_reg_read(port->hw, LOOPNIC_REG_TX_PAUSE);
	stats->rx_pause_frames = loopnic_hw_reg_read(port->hw, LOOPNIC_REG_RX_PAUSE);
}

static void loopnic_get_eth_mac_stats(struct net_device *dev,
				      struct ethtool_eth_mac_stats *st)
{
	u64 mac[LOOPNIC_MAC_NUM];

	loopnic_stats_mac(netdev_priv(dev), mac);
	st->FramesTransmittedOK = mac[LOOPNIC_MAC_TX_FRAMES];
	st->OctetsTransmittedOK = mac[LOOPNIC_MAC_TX_OCTETS];
	st->MulticastFramesXmittedOK = mac[LOOPNIC_MAC_TX_MCAST];
	st->BroadcastFramesXmittedOK = mac[LOOPNIC_MAC_TX_BCAST];
	st->FramesReceivedOK = mac[LOOPNIC_MAC_RX_FRAMES];
	st->OctetsReceivedOK = mac[LOOPNIC_MAC_RX_OCTETS];
	st->MulticastFramesReceivedOK = mac[LOOPNIC_MAC_RX_MCAST];
	st->BroadcastFramesReceivedOK = mac[LOOPNIC_MAC_RX_BCAST];
}

/*
 * The device's buckets, each starting after the one before; filled from
 * LOOPNIC_MAC_HIST_HIGH at load so that what ethtool prints is what the
 * device counts. The last entry ends the list. loopnic_stdstats.sh sends
 * frames to both edges of each.
 */
static struct ethtool_rmon_hist_range
	loopnic_rmon_ranges[LOOPNIC_MAC_HIST_BUCKETS + 1] __ro_after_init;

void __init loopnic_ethtool_init(void)
{
	static const u16 high[LOOPNIC_MAC_HIST_BUCKETS] __initconst =
		LOOPNIC_MAC_HIST_HIGH;
	u16 low = 0;
	unsigned int i;

	for (i = 0; i < LOOPNIC_MAC_HIST_BUCKETS; i++) {
		loopnic_rmon_ranges[i].low = low;
		loopnic_rmon_ranges[i].high = high[i];
		low = high[i] + 1;
	}
}

static void loopnic_get_rmon_stats(struct net_device *dev,
				   struct ethtool_rmon_stats *st,
				   const struct ethtool_rmon_hist_range **ranges)
{
	u64 mac[LOOPNIC_MAC_NUM];
	unsigned int i;

	BUILD_BUG_ON(LOOPNIC_MAC_HIST_BUCKETS > ETHTOOL_RMON_HIST_MAX);
	loopnic_stats_mac(netdev_priv(dev), mac);
	st->undersize_pkts = mac[LOOPNIC_MAC_RX_UNDERSIZE];
	for (i = 0; i < LOOPNIC_MAC_HIST_BUCKETS; i++) {
		st->hist[i] = mac[LOOPNIC_MAC_RX_HIST + i];
		st->hist_tx[i] = mac[LOOPNIC_MAC_TX_HIST + i];
	}
	*ranges = loopnic_rmon_ranges;
}

/*
 * ethtool -s speed: the rates of common Ethernet MACs. 10 and 100 Mb/s
 * are what a TCG guest can fill; the rest are for the record.
 */
static const u32 loopnic_speeds[] = {
	SPEED_10, SPEED_100, SPEED_1000, SPEED_2500, SPEED_5000, SPEED_10000,
	SPEED_25000, SPEED_40000, SPEED_50000, SPEED_100000,
};

/*
 * A fixed full-duplex link with no PHY: no link modes to report, no
 * autonegotiation. The speed is the one set, whether the link is up or not.
 */
static int loopnic_get_link_ksettings(struct net_device *dev,
				      struct ethtool_link_ksettings *ks)
{
	struct loopnic_port *port = netdev_priv(dev);

	ethtool_link_ksettings_zero_link_mode(ks, supported);
	ethtool_link_ksettings_zero_link_mode(ks, advertising);
	ks->base.speed = READ_ONCE(port->speed);
	ks->base.duplex = DUPLEX_FULL;
	ks->base.autoneg = AUTONEG_DISABLE;
	ks->base.port = PORT_OTHER;
	return 0;
}

/*
 * The core hands over the current settings with the changes asked for.
 * This op gets no extack on 6.1 or 6.12: the reason goes to the log.
 */
static int loopnic_set_link_ksettings(struct net_device *dev,
				      const struct ethtool_link_ksettings *ks)
{
	u32 speed = ks->base.speed;
	unsigned int i;

	if (ks->base.autoneg != AUTONEG_DISABLE) {
		netdev_info(dev, "autonegotiation is not supported, only autoneg off\n");
		return -EINVAL;
	}
	if (ks->base.duplex != DUPLEX_FULL) {
		netdev_info(dev, "only full duplex is supported\n");
		return -EINVAL;
	}
	if (ks->base.port != PORT_OTHER) {
		netdev_info(dev, "the port type cannot be changed\n");
		return -EINVAL;
	}
	for (i = 0; i < ARRAY_SIZE(loopnic_speeds); i++)
		if (speed == loopnic_speeds[i])
			break;
	if (i == ARRAY_SIZE(loopnic_speeds)) {
		netdev_info(dev, "speed %u is not supported: 10, 100, 1000, 2500, 5000, 10000, 25000, 40000, 50000 or 100000 Mb/s\n",
			    speed);
		return -EINVAL;
	}
	loopnic_set_speed(netdev_priv(dev), speed);
	return 0;
}

const struct ethtool_ops loopnic_ethtool_ops = {
	.supported_coalesce_params = ETHTOOL_COALESCE_USECS |
				     ETHTOOL_COALESCE_MAX_FRAMES |
				     ETHTOOL_COALESCE_USE_ADAPTIVE,
	.get_drvinfo		= loopnic_get_drvinfo,
	.get_regs_len		= loopnic_get_regs_len,
	.get_regs		= loopnic_get_regs,
	.get_link		= ethtool_op_get_link,
	.get_link_ksettings	= loopnic_get_link_ksettings,
	.set_link_ksettings	= loopnic_set_link_ksettings,
	.get_sset_count		= loopnic_get_sset_count,
	.get_strings		= loopnic_get_strings,
	.get_ethtool_stats	= loopnic_get_ethtool_stats,
	.self_test		= loopnic_selftest_run,
	.get_channels		= loopnic_get_channels,
	.set_channels		= loopnic_set_channels,
	.get_ringparam		= loopnic_get_ringparam,
	.set_ringparam		= loopnic_set_ringparam,
	.get_coalesce		= loopnic_get_coalesce,
	.set_coalesce		= loopnic_set_coalesce,
	.get_rxnfc		= loopnic_get_rxnfc,
	.get_rxfh_key_size	= loopnic_get_rxfh_key_size,
	.get_rxfh_indir_size	= loopnic_get_rxfh_indir_size,
	.get_rxfh		= loopnic_get_rxfh_compat,
	.set_rxfh		= loopnic_set_rxfh_compat,
	.get_priv_flags		= loopnic_get_priv_flags,
	.set_priv_flags		= loopnic_set_priv_flags,
	.get_pauseparam		= loopnic_get_pauseparam,
	.set_pauseparam		= loopnic_set_pauseparam,
	.get_pause_stats	= loopnic_get_pause_stats,
	.get_eth_mac_stats	= loopnic_get_eth_mac_stats,
	.get_rmon_stats		= loopnic_get_rmon_stats,
};
