// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: net_device operations, the transmit entry point and stats64.
 */
#include <linux/etherdevice.h>
#include <linux/hrtimer.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#include "compat.h"
#include "loopnic.h"
#include "trace.h"

/* As veth: frames never leave memory, so every offload is free to claim. */
#define LOOPNIC_FEATURES (NETIF_F_SG | NETIF_F_FRAGLIST | NETIF_F_HW_CSUM | \
			  NETIF_F_RXCSUM | NETIF_F_SCTP_CRC | NETIF_F_HIGHDMA | \
			  NETIF_F_GSO_SOFTWARE | NETIF_F_GSO_ENCAP_ALL)
/*
 * The emulated NIC gathers and checksums a frame but does not segment it
 * (no TSO): the stack segments in software before xmit. It hashes received
 * frames for RSS and hands the hash over (NETIF_F_RXHASH).
 */
#define LOOPNIC_RING_FEATURES (NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_HIGHDMA | \
			       NETIF_F_RXHASH)

/*
 * Turn a frame leaving @dev into one arriving at @peer, as it would look after
 * a wire and a receiving NIC: no socket, no route, no state from the sender's
 * namespace. Returns false if @peer could not have received it.
 */
static bool loopnic_wire_prepare(struct sk_buff *skb, struct net_device *dev,
				 struct net_device *peer)
{
	/* MSG_ZEROCOPY pages belong to the sender; the receiver may keep them. */
	if (unlikely(skb_orphan_frags_rx(skb, GFP_ATOMIC)))
		return false;
	if (unlikely(!is_skb_forwardable(peer, skb) ||
		     !pskb_may_pull(skb, ETH_HLEN)))
		return false;

	/* Release the sender's socket memory now, as loopback_xmit() does. */
	skb_orphan(skb);
	skb_scrub_packet(skb, !net_eq(dev_net(dev), dev_net(peer)));
	skb->priority = 0;
	skb->protocol = eth_type_trans(skb, peer);
	skb_postpull_rcsum(skb, eth_hdr(skb), ETH_HLEN);
	return true;
}

/*
 * The bytes @skb takes on the line, framing included: a GSO skb as the
 * frames a NIC would segment it into, each with the headers again, as
 * qdisc_pkt_len_init() counts it for the qdiscs' rate limits.
 */
static u64 loopnic_skb_line_bytes(const struct sk_buff *skb)
{
	const struct skb_shared_info *shinfo = skb_shinfo(skb);
	unsigned int hdr, segs;

	if (!skb_is_gso(skb) || !skb_transport_header_was_set(skb))
		return loopnic_line_bytes(skb->len);
	hdr = skb_transport_offset(skb);
	if (shinfo->gso_type & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6))
		hdr += tcp_hdrlen(skb);
	else if (shinfo->gso_type & SKB_GSO_UDP_L4)
		hdr += sizeof(struct udphdr);
	if (hdr >= skb->len || !shinfo->gso_size)
		return loopnic_line_bytes(skb->len);
	segs = shinfo->gso_segs ?: DIV_ROUND_UP(skb->len - hdr, shinfo->gso_size);
	return skb->len + (u64)(segs - 1) * hdr + (u64)segs * LOOPNIC_LINE_OVERHEAD;
}

/*
 * Backlog path: the line rate, kept by the driver as the ring path's
 * device keeps it (loopnic_hw_line_take()), but after the fact: the frame
 * has gone, and if the line's backlog is now more than
 * LOOPNIC_LINE_AHEAD_NS, the TX queue stops until the timer finds it down
 * to LOOPNIC_LINE_RESUME_NS. The qdisc holds what comes meanwhile, so
 * nothing is dropped. Lockless: xmit may run on several CPUs at once.
 */
static void loopnic_line_charge(struct loopnic_port *port,
				struct netdev_queue *txq, u64 bytes)
{
	u64 cost = loopnic_line_ns(bytes, READ_ONCE(port->speed));
	s64 now = ktime_get_ns(), tat, next;

	tat = atomic64_read(&port->line_tat);
	do {
		next = max(tat, now) + cost;
	} while (!atomic64_try_cmpxchg(&port->line_tat, &tat, next));
	if (next - now <= LOOPNIC_LINE_AHEAD_NS)
		return;

	netif_tx_stop_queue(txq);
	loopnic_count(port, LOOPNIC_TX_SHAPED, 1);
	/* Armed after the stop: a callback running meanwhile cannot leave it stopped. */
	hrtimer_start(&port->line_timer, ns_to_ktime(next - LOOPNIC_LINE_RESUME_NS),
		      HRTIMER_MODE_ABS);
}

static enum hrtimer_restart loopnic_line_timer(struct hrtimer *timer)
{
	struct loopnic_port *port = container_of(timer, struct loopnic_port, line_timer);

	netif_tx_wake_all_queues(port->dev);
	return HRTIMER_NORESTART;
}

static netdev_tx_t loopnic_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);
	struct netdev_queue *txq = skb_get_tx_queue(dev, skb);
	u64 line = loopnic_skb_line_bytes(skb);
	unsigned int len = skb->len;
	struct net_device *peer;

	/* Keeps the peer, and its readiness, stable until the frame is queued. */
	rcu_read_lock();
	/* MAC loopback: the frame is ours to receive; the peer never sees it. */
	if (READ_ONCE(port->loopback))
		peer = dev;
	else
		peer = rcu_dereference(port->peer);
	if (unlikely(!peer || !loopnic_backlog_ready(netdev_priv(peer))))
		goto drop;

	skb_tx_timestamp(skb);
	if (unlikely(!loopnic_wire_prepare(skb, dev, peer)))
		goto drop;

	/* Counted first: once queued, another CPU may already free the skb. */
	loopnic_count_frame(port, LOOPNIC_TX_PACKETS, len);
	loopnic_count_mac(port, false, eth_hdr(skb)->h_dest, len);
	loopnic_backlog_enqueue(netdev_priv(peer), skb);
	rcu_read_unlock();
	loopnic_line_charge(port, txq, line);
	return NETDEV_TX_OK;

drop:
	rcu_read_unlock();
	loopnic_count(port, LOOPNIC_TX_DROPS, 1);
	kfree_skb_reason(skb, SKB_DROP_REASON_DEV_READY);
	return NETDEV_TX_OK;
}

static netdev_tx_t loopnic_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);

	trace_loopnic_xmit(dev, skb, port->path);
	if (port->path == LOOPNIC_PATH_RING)
		return loopnic_en_xmit(skb, dev);
	return loopnic_xmit(skb, dev);
}

static int loopnic_open(struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(port->peer);

	if (port->path == LOOPNIC_PATH_RING) {
		int err = loopnic_en_open(port);

		if (err)
			return err;
	} else {
		loopnic_backlog_open(port);
		/* The shaper may have stopped it before the port went down. */
		netif_tx_start_all_queues(dev);
	}
	/* Like a cable: the link is up once both ends are (a self-wired port is its own peer). */
	if (peer && netif_running(peer)) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int loopnic_stop(struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(port->peer);

	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	if (port->path == LOOPNIC_PATH_RING) {
		loopnic_en_stop(port);
	} else {
		loopnic_backlog_close(port);
		/* The stack transmits no more: nothing arms it again. */
		hrtimer_cancel(&port->line_timer);
	}
	return 0;
}

static int loopnic_init(struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);
	int err;

	port->dev = dev;
	port->stats = netdev_alloc_pcpu_stats(struct loopnic_pcpu_stats);
	if (!port->stats)
		return -ENOMEM;

	if (port->path == LOOPNIC_PATH_RING)
		err = loopnic_en_init(port);
	else
		err = loopnic_backlog_init(port);
	if (err) {
		free_percpu(port->stats);
		port->stats = NULL;
		return err;
	}

	/* No carrier until the peer is up too. */
	netif_carrier_off(dev);
	loopnic_debugfs_port_add(port);
	return 0;
}

static void loopnic_uninit(struct net_device *dev)
{
	loopnic_debugfs_port_del(netdev_priv(dev));
}

/*
 * Runs after the last reference is gone (or when registration fails), so
 * sysfs and ndo_get_stats64 readers are done with the counters by now.
 */
static void loopnic_destruct(struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);

	if (port->path == LOOPNIC_PATH_RING)
		loopnic_en_uninit(port);
	else
		loopnic_backlog_free(port);
	hrtimer_cancel(&port->line_timer);
	free_percpu(port->stats);
	port->stats = NULL;
}

/*
 * Under RTNL, from ndo_set_features or the self-test. Either way a frame
 * in flight is delivered whole to one side: the backlog xmit reads the
 * flag once per frame, the device its register once per frame.
 */
void loopnic_set_loopback(struct loopnic_port *port, bool on)
{
	WRITE_ONCE(port->loopback, on);
	if (port->hw)
		loopnic_hw_reg_write(port->hw, LOOPNIC_REG_LOOPBACK,
				     on ? LOOPNIC_LOOPBACK_MAC : 0);
}

/*
 * Under RTNL, from ethtool -s: live, under traffic. The next frame is
 * timed at the new rate; a queue or SQ waiting for the line wakes when
 * the old rate said, a few milliseconds at most.
 */
void loopnic_set_speed(struct loopnic_port *port, u32 mbps)
{
	WRITE_ONCE(port->speed, mbps);
	if (port->hw)
		loopnic_hw_reg_write(port->hw, LOOPNIC_REG_SPEED, mbps);
}

static int loopnic_set_features(struct net_device *dev,
				netdev_features_t features)
{
	if ((dev->features ^ features) & NETIF_F_LOOPBACK)
		loopnic_set_loopback(netdev_priv(dev), features & NETIF_F_LOOPBACK);
	return 0;
}

static void loopnic_get_stats64(struct net_device *dev,
				struct rtnl_link_stats64 *stats)
{
	u64 c[LOOPNIC_NUM_COUNTERS];

	loopnic_stats_read(netdev_priv(dev), c);
	stats->rx_packets = c[LOOPNIC_RX_PACKETS];
	stats->rx_bytes = c[LOOPNIC_RX_BYTES];
	stats->tx_packets = c[LOOPNIC_TX_PACKETS];
	stats->tx_bytes = c[LOOPNIC_TX_BYTES];
	/* Counters of the other path stay 0. */
	stats->rx_dropped = c[LOOPNIC_BACKLOG_DROPS] + c[LOOPNIC_RX_DROPS] +
			    c[LOOPNIC_RX_DISCARDS_PHY];
	/* Where mlx5 reports it: the NIC had no buffer for the frame. */
	stats->rx_missed_errors = c[LOOPNIC_RX_OUT_OF_BUFFER];
	stats->tx_dropped = c[LOOPNIC_TX_DROPS] + c[LOOPNIC_TX_DISCARDS_PHY];
}

/* Makes `ip link` print "loopnic0@loopnic1", as for veth. */
static int loopnic_get_iflink(const struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);
	struct net_device *peer;
	int iflink = 0;

	rcu_read_lock();
	peer = rcu_dereference(port->peer);
	if (peer)
		iflink = READ_ONCE(peer->ifindex);
	rcu_read_unlock();
	return iflink;
}

static const struct net_device_ops loopnic_netdev_ops = {
	.ndo_init		= loopnic_init,
	.ndo_uninit		= loopnic_uninit,
	.ndo_open		= loopnic_open,
	.ndo_stop		= loopnic_stop,
	.ndo_start_xmit		= loopnic_start_xmit,
	.ndo_get_stats64	= loopnic_get_stats64,
	.ndo_set_features	= loopnic_set_features,
	.ndo_get_iflink		= loopnic_get_iflink,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

/* A NIC with rings: a qdisc in front, xmit under the TX lock, room is finite. */
static void loopnic_setup_ring(struct net_device *dev)
{
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;

	dev->features |= LOOPNIC_RING_FEATURES;
	/* MAC loopback is a switch of the device (ethtool -K DEV loopback on). */
	dev->hw_features = LOOPNIC_RING_FEATURES | NETIF_F_LOOPBACK;
	dev->vlan_features = LOOPNIC_RING_FEATURES;

	/*
	 * Up to the MAC's largest frame. RX buffers do not depend on the MTU
	 * (a longer frame spans several), so it changes live with nothing
	 * to rebuild.
	 */
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = LOOPNIC_RING_MAX_MTU;
}

void loopnic_setup(struct net_device *dev)
{
	struct loopnic_port *port = netdev_priv(dev);

	ether_setup(dev);

	dev->netdev_ops = &loopnic_netdev_ops;
	dev->ethtool_ops = &loopnic_ethtool_ops;
	loopnic_set_stat_ops(dev);
	dev->needs_free_netdev = true;
	dev->priv_destructor = loopnic_destruct;
	eth_hw_addr_random(dev);

	/* Here, as the destructor cancels it even if ndo_init never ran. */
	hrtimer_init(&port->line_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	port->line_timer.function = loopnic_line_timer;
	port->speed = LOOPNIC_SPEED_DEFAULT;

	port->path = loopnic_default_path;
	if (port->path == LOOPNIC_PATH_RING) {
		loopnic_setup_ring(dev);
		return;
	}

	/*
	 * Like lo and veth, xmit is lockless and never says busy; unlike
	 * them the port has a qdisc (the default one), which holds frames
	 * while the line rate (ethtool -s speed) has the TX queue stopped.
	 */
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
	loopnic_set_lltx(dev);

	dev->features |= LOOPNIC_FEATURES;
	dev->hw_features = LOOPNIC_FEATURES | NETIF_F_LOOPBACK;
	dev->hw_enc_features = LOOPNIC_FEATURES;
	dev->vlan_features = LOOPNIC_FEATURES;

	/* Any size lo takes. */
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
}
