// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: net_device operations, the transmit entry point and stats64.
 */
#include <linux/etherdevice.h>
#include <linux/hrtimer.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/timekeeping.h>
#include <linux/udp.h>

#include "compat.h"
#include "loopnic.h"
#include "trace.h"

/* As veth: frames never leave memory, so every offload is free to claim. */
#define LOOPNIC_FEATURES (NETIF_F_SG | NETIF_F_FRAGLIST | NETIF_F_HW_CSUM | \
			  NETIF_F_RXCSUM | NETIF_F_SCTP_CRC | NETIF_F_HIGHDMA | \
			  NETIF_F_GSO_SOFTWARE | NETIF_F_GSO_ENCAP_ALL)
/*
 * The emulated NIC gathers and checksums a frame, and segments TCP (LSO:
 * TSO and TSO6; the stack segments the rest in software before xmit). It
 * hashes received frames for RSS and hands the hash over (NETIF_F_RXHASH),
 * and their sum (NETIF_F_RXCSUM, CHECKSUM_COMPLETE), and coalesces TCP
 * segments (NETIF_F_LRO).
 */
#define LOOPNIC_RING_FEATURES (NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_HIGHDMA | \
			       NETIF_F_TSO | NETIF_F_TSO6 | \
			       NETIF_F_RXHASH | NETIF_F_RXCSUM | NETIF_F_LRO)
/*
 * Offered, but off until asked for, as on most NICs: LRO rewrites what
 * arrives, which a bridge or a router must not get (the core turns it off
 * for them, dev_disable_lro()).
 */
#define LOOPNIC_OFF_FEATURES NETIF_F_LRO

/* Every offload either path may claim; the rest of dev->features is the core's. */
#define LOOPNIC_PATH_FEATURES (LOOPNIC_FEATURES | LOOPNIC_RING_FEATURES)
/*
 * Always on for the backlog path, as on lo: the skb keeps the sender's
 * checksum state, and memory does not corrupt a frame.
 */
#define LOOPNIC_FIXED_FEATURES NETIF_F_RXCSUM

/*
 * What a port offers on @path. On a registered port, under RTNL and with
 * its TX queues stopped: the core then segments and checksums what the
 * new path cannot, from the next frame it dequeues on.
 */
static void loopnic_path_features(struct net_device *dev, enum loopnic_path path)
{
	netdev_features_t f = path == LOOPNIC_PATH_RING ? LOOPNIC_RING_FEATURES :
							  LOOPNIC_FEATURES;
	/* What ethtool -K may change. */
	netdev_features_t hw = path == LOOPNIC_PATH_RING ? f :
							   f & ~LOOPNIC_FIXED_FEATURES;
	netdev_features_t off;

	/* The ring path's MAC carries LOOPNIC_HW_MAX_FRAME at most; lo-style, any size. */
	dev->max_mtu = path == LOOPNIC_PATH_RING ? LOOPNIC_RING_MAX_MTU : ETH_MAX_MTU;
	dev->vlan_features = f;
	dev->hw_enc_features = path == LOOPNIC_PATH_RING ? 0 : f;
	if (dev->reg_state != NETREG_REGISTERED) {
		/* MAC loopback is a switch of either path (ethtool -K DEV loopback on). */
		dev->hw_features = hw | NETIF_F_LOOPBACK;
		dev->features |= f & ~LOOPNIC_OFF_FEATURES;
		return;
	}

	/* What the user turned off with ethtool -K stays off if the new path has it. */
	off = dev->hw_features & ~dev->wanted_features & LOOPNIC_PATH_FEATURES;
	dev->hw_features = (dev->hw_features & ~LOOPNIC_PATH_FEATURES) | hw;
	dev->wanted_features = (dev->wanted_features & ~LOOPNIC_PATH_FEATURES) |
			       (hw & ~off & ~LOOPNIC_OFF_FEATURES);
	/*
	 * Lets the core see the change, and tell the stack and upper devices;
	 * it keeps what is on but not in hw_features, the fixed ones.
	 */
	dev->features = (dev->features & ~LOOPNIC_PATH_FEATURES) | (f & ~hw);
	netdev_update_features(dev);
}

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
	/*
	 * TCP hands over a clone of the skb it keeps for retransmission, and
	 * the two share their skb_shared_info. GRO at the receiver appends
	 * to the first skb's frags or frag_list, so that must be the
	 * receiver's own: else a SACK that later shifts the sender's copy
	 * finds frags it never had (BUG() in skb_shift(), seen under the
	 * line rate's retransmits). A NIC's receiver never shares either.
	 */
	if (unlikely(skb_unclone(skb, GFP_ATOMIC)))
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
 *
 * "now" is first the coarse clock, the last tick's time, which touches
 * no clocksource: a guest without a stable TSC reads an emulated HPET,
 * and under TCG that read took 6% of the sending CPU in a flood of small
 * frames. The coarse time can only be early, so the backlog it shows is
 * never smaller than the true one, and only when that is too large is
 * the clock read. While the line is busy, frames are charged from
 * line_tat as with an exact clock; after an idle spell the line starts
 * again up to a tick in the past.
 */
static void loopnic_line_charge(struct loopnic_port *port,
				struct netdev_queue *txq, u64 bytes)
{
	u64 cost = loopnic_line_ns(bytes, READ_ONCE(port->speed));
	s64 now = ktime_get_coarse_ns(), tat, next;

	tat = atomic64_read(&port->line_tat);
	do {
		next = max(tat, now) + cost;
	} while (!atomic64_try_cmpxchg(&port->line_tat, &tat, next));
	if (next - now <= LOOPNIC_LINE_AHEAD_NS)
		return;
	now = ktime_get_ns();
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

	/* A path switch has them stopped, and wakes them when done. */
	if (!READ_ONCE(port->line_hold))
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

	enum loopnic_path path = READ_ONCE(port->path);

	trace_loopnic_xmit(dev, skb, path);
	if (path == LOOPNIC_PATH_RING)
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
	}
	/*
	 * Stopped by ndo_stop or the shaper. Only here: a path switch opens
	 * a path with the qdiscs holding frames, and must wake the queues
	 * (which schedules the qdiscs) rather than start them, which would
	 * leave those frames waiting for the next one on the same queue.
	 */
	netif_tx_start_all_queues(dev);
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
		/* The qdiscs are empty now: drop the queues a path switch left. */
		netif_set_real_num_tx_queues(dev, 1);
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

	/* Both paths' state: the ring-path flag may switch the port at any time. */
	err = loopnic_backlog_init(port);
	if (err)
		goto err_free_stats;
	err = loopnic_en_init(port);
	if (err)
		goto err_free_backlog;
	if (port->path == LOOPNIC_PATH_BACKLOG) {
		/* Not registered yet: cannot fail. */
		netif_set_real_num_tx_queues(dev, 1);
		netif_set_real_num_rx_queues(dev, 1);
	}

	/* No carrier until the peer is up too. */
	netif_carrier_off(dev);
	loopnic_debugfs_port_add(port);
	return 0;

err_free_backlog:
	loopnic_backlog_free(port);
err_free_stats:
	free_percpu(port->stats);
	port->stats = NULL;
	return err;
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

	loopnic_en_uninit(port);
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

/*
 * The device sums frames only for a driver that uses the sum; a frame it
 * summed before the write still reaches the stack, which then ignores it.
 */
void loopnic_set_rx_csum(struct loopnic_port *port, bool on)
{
	if (port->hw)
		loopnic_hw_reg_write(port->hw, LOOPNIC_REG_RX_CSUM, on);
}

/*
 * The TCP checksum of a frame LRO built is its first segment's: the
 * device's check of each segment is all that vouches for it, so LRO goes
 * with the device's checksum, or not at all.
 */
static netdev_features_t loopnic_fix_features(struct net_device *dev,
					      netdev_features_t features)
{
	if (!(features & NETIF_F_RXCSUM))
		features &= ~NETIF_F_LRO;
	return features;
}

static int loopnic_set_features(struct net_device *dev,
				netdev_features_t features)
{
	struct loopnic_port *port = netdev_priv(dev);

	if ((dev->features ^ features) & NETIF_F_LOOPBACK)
		loopnic_set_loopback(port, features & NETIF_F_LOOPBACK);
	if ((dev->features ^ features) & NETIF_F_RXCSUM)
		loopnic_set_rx_csum(port, features & NETIF_F_RXCSUM);
	if ((dev->features ^ features) & NETIF_F_LRO)
		loopnic_en_set_lro(port, features & NETIF_F_LRO);
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
	/* Both paths' counters: totals survive a path switch. */
	stats->rx_dropped = c[LOOPNIC_BACKLOG_DROPS] + c[LOOPNIC_RX_DROPS] +
			    c[LOOPNIC_RX_DISCARDS_PHY];
	/* Where mlx5 reports it: the NIC had no buffer for the frame. */
	stats->rx_missed_errors = c[LOOPNIC_RX_OUT_OF_BUFFER];
	stats->tx_dropped = c[LOOPNIC_TX_DROPS] + c[LOOPNIC_TX_DISCARDS_PHY];
}

/*
 * Path switch of one end of a running pair, in steps taken on every
 * running end before the next step on any: no end stops receiving while
 * the other may still send to it.
 */
static void loopnic_path_close_tx(struct loopnic_port *port, unsigned long deadline)
{
	if (port->path == LOOPNIC_PATH_RING) {
		loopnic_en_close_tx(port, deadline);
		return;
	}
	/*
	 * The line rate's timer must not wake the queues: set the hold, then
	 * wait for a callback that may not have seen it. An xmit arming the
	 * timer again before the queues stop finds the hold set.
	 */
	WRITE_ONCE(port->line_hold, true);
	hrtimer_cancel(&port->line_timer);
	/*
	 * Frames wait in the qdisc. Once every queue's TX lock was taken, no
	 * xmit is still queueing to the peer's backlog.
	 */
	netif_tx_disable(port->dev);
}

static void loopnic_path_close_rx(struct loopnic_port *port, unsigned long deadline)
{
	if (port->path == LOOPNIC_PATH_RING) {
		loopnic_en_close_rx(port, deadline);
		return;
	}
	loopnic_backlog_drain(port, deadline);
	/* Counts what did not drain in time in backlog_drops. */
	loopnic_backlog_close(port);
}

/*
 * Under RTNL: growing a queue count adds sysfs entries, and may fail. A
 * running port keeps its TX queues on the backlog path, which takes a
 * frame from any of them: fewer would reset the qdiscs of the others,
 * dropping what they hold. ndo_stop leaves it one.
 */
static int loopnic_path_queues(struct loopnic_port *port)
{
	unsigned int n = port->path == LOOPNIC_PATH_RING ? port->params.num_ch : 1;
	int err = 0;

	if (n > 1 || !netif_running(port->dev))
		err = netif_set_real_num_tx_queues(port->dev, n);
	if (!err)
		err = netif_set_real_num_rx_queues(port->dev, n);
	return err;
}

static int loopnic_path_open(struct loopnic_port *port)
{
	if (port->path == LOOPNIC_PATH_RING)
		return loopnic_en_open(port);
	loopnic_path_queues(port);
	loopnic_backlog_open(port);
	return 0;
}

static void loopnic_path_set(struct loopnic_port *port, enum loopnic_path path)
{
	WRITE_ONCE(port->path, path);
	loopnic_path_features(port->dev, path);
}

/*
 * Open the new path on every running end of @ends; on a failure, close
 * what opened. The ends opening their channels hold their receive sides
 * until all are open, so the first cannot send into RQs not yet posted.
 */
static int loopnic_paths_open(struct loopnic_port **ends, unsigned int n)
{
	bool ring = ends[0]->path == LOOPNIC_PATH_RING;
	unsigned int i, opened = 0;
	int err = 0;

	for (i = 0; ring && i < n; i++)
		if (netif_running(ends[i]->dev))
			loopnic_en_rx_hold(ends[i], true);
	for (i = 0; i < n && !err; i++) {
		if (netif_running(ends[i]->dev))
			err = loopnic_path_open(ends[i]);
		else
			err = loopnic_path_queues(ends[i]);
		if (!err)
			opened++;
	}
	for (i = 0; ring && i < n; i++)
		if (netif_running(ends[i]->dev))
			loopnic_en_rx_hold(ends[i], false);
	if (!err)
		return 0;

	/* Only the ring path can fail to open: it drops, and counts, what it holds. */
	for (i = 0; i < opened; i++)
		if (netif_running(ends[i]->dev))
			loopnic_en_close_tx(ends[i], jiffies);
	for (i = 0; i < opened; i++)
		if (netif_running(ends[i]->dev))
			loopnic_en_close_rx(ends[i], jiffies);
	return err;
}

/*
 * ethtool --set-priv-flags DEV ring-path on|off, under RTNL. The path is
 * a property of the pair: the emulated wire connects two NICs, and the
 * backlog path queues straight to the peer's backlog, so a frame could
 * not cross from one path to the other without one half reaching into
 * the other. Both ends switch. On a running end the old path is quiesced
 * (no new frames, what is in flight received or counted as dropped), the
 * new one opened, and the frames the qdisc held meanwhile are sent on it.
 */
int loopnic_switch_path(struct loopnic_port *port, enum loopnic_path path)
{
	struct net_device *peer = rtnl_dereference(port->peer);
	enum loopnic_path old = port->path;
	struct loopnic_port *ends[2] = { port };
	unsigned long deadline;
	unsigned int i, n = 1;
	int err;

	ASSERT_RTNL();
	if (path == old)
		return 0;
	if (peer && peer != port->dev)
		ends[n++] = netdev_priv(peer);
	for (i = 0; path == LOOPNIC_PATH_RING && i < n; i++) {
		if (ends[i]->dev->mtu > LOOPNIC_RING_MAX_MTU) {
			netdev_err(port->dev, "%s: MTU %u above the ring path's %u\n",
				   ends[i]->dev->name, ends[i]->dev->mtu,
				   LOOPNIC_RING_MAX_MTU);
			return -EINVAL;
		}
	}

	deadline = jiffies + LOOPNIC_SWITCH_DRAIN_TIMEOUT;
	for (i = 0; i < n; i++)
		if (netif_running(ends[i]->dev))
			loopnic_path_close_tx(ends[i], deadline);
	for (i = 0; i < n; i++)
		if (netif_running(ends[i]->dev))
			loopnic_path_close_rx(ends[i], deadline);

	for (i = 0; i < n; i++)
		loopnic_path_set(ends[i], path);
	err = loopnic_paths_open(ends, n);
	if (err) {
		netdev_err(port->dev, "cannot switch to the %s path: %d\n",
			   path == LOOPNIC_PATH_RING ? "ring" : "backlog", err);
		for (i = 0; i < n; i++)
			loopnic_path_set(ends[i], old);
		/* Back to where we came from, which cannot fail from here. */
		if (loopnic_paths_open(ends, n))
			netdev_err(port->dev, "path switch: old path did not reopen\n");
	}

	/* Frames the qdiscs held meanwhile go out on the new path now. */
	for (i = 0; i < n; i++) {
		WRITE_ONCE(ends[i]->line_hold, false);
		if (netif_running(ends[i]->dev))
			netif_tx_wake_all_queues(ends[i]->dev);
	}
	return err;
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

static netdev_features_t loopnic_features_check(struct sk_buff *skb,
						struct net_device *dev,
						netdev_features_t features)
{
	struct loopnic_port *port = netdev_priv(dev);

	/* The backlog path hands any skb over whole, as lo does. */
	if (READ_ONCE(port->path) == LOOPNIC_PATH_RING)
		return loopnic_en_features_check(skb, dev, features);
	return vlan_features_check(skb, features);
}

static const struct net_device_ops loopnic_netdev_ops = {
	.ndo_init		= loopnic_init,
	.ndo_uninit		= loopnic_uninit,
	.ndo_open		= loopnic_open,
	.ndo_stop		= loopnic_stop,
	.ndo_start_xmit		= loopnic_start_xmit,
	.ndo_features_check	= loopnic_features_check,
	.ndo_tx_timeout		= loopnic_en_tx_timeout,
	.ndo_get_stats64	= loopnic_get_stats64,
	.ndo_fix_features	= loopnic_fix_features,
	.ndo_set_features	= loopnic_set_features,
	.ndo_get_iflink		= loopnic_get_iflink,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_validate_addr	= eth_validate_addr,
};

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

	/*
	 * Unlike lo, a qdisc in front and xmit under the TX lock on both
	 * paths: the ring path needs them (its room is finite), and a port
	 * can switch to it while up, when neither can change any more. The
	 * qdisc also holds frames while the line rate (ethtool -s speed) has
	 * the backlog path's TX queue stopped.
	 */
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_LIVE_ADDR_CHANGE;
	dev->min_mtu = ETH_MIN_MTU;
	/*
	 * Ring path: a TX queue stopped this long without a completion is
	 * recovered (en/health.c). The backlog path stops one only for a
	 * path switch or its line rate, for far less, and is never reset.
	 */
	dev->watchdog_timeo = LOOPNIC_WATCHDOG_TIMEO;

	port->path = loopnic_default_path;
	loopnic_path_features(dev, port->path);
}
