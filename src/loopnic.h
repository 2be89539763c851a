/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loopnic: private definitions shared by the driver's source files.
 */
#ifndef LOOPNIC_H
#define LOOPNIC_H

#include <linux/ethtool.h>
#include <linux/hrtimer.h>
#include <linux/if_vlan.h>
#include <linux/netdevice.h>
#include <linux/u64_stats_sync.h>

#include <loopnic/hw.h>

#define LOOPNIC_MAX_PAIRS	32
/*
 * The line rate a port starts with (ethtool -s DEV speed), in Mb/s: as
 * fast as the fastest speed it takes, which no TCG guest comes near, so
 * a port is in effect unshaped until told otherwise.
 */
#define LOOPNIC_SPEED_DEFAULT	SPEED_100000
#define LOOPNIC_BACKLOG_MAX	1048576
/*
 * Ring path: dev->watchdog_timeo. Long enough that no healthy queue, even
 * under TCG emulation, goes that long without a completion; short enough
 * for a test to wait for it. The core checks every timeout period, so a
 * stalled queue is reported between 5 and 10 s after its last frame.
 */
#define LOOPNIC_WATCHDOG_TIMEO	(5 * HZ)
/* Ring path: the largest frame the emulated MAC carries, minus a VLAN header. */
#define LOOPNIC_RING_MAX_MTU	(LOOPNIC_HW_MAX_FRAME - VLAN_ETH_HLEN)

enum loopnic_path {
	LOOPNIC_PATH_BACKLOG,
	LOOPNIC_PATH_RING,
};

/* Per channel, in the order ethtool -S lists them (mlx5's names). */
enum loopnic_ch_counter {
	LOOPNIC_CHSTAT_RX_PACKETS,
	LOOPNIC_CHSTAT_RX_BYTES,
	/* RX buffers added to a frame's skb as page fragments. */
	LOOPNIC_CHSTAT_RX_FRAGS,
	LOOPNIC_CHSTAT_TX_PACKETS,
	LOOPNIC_CHSTAT_TX_BYTES,
	LOOPNIC_CHSTAT_TX_STOPPED,
	LOOPNIC_CHSTAT_TX_WAKE,
	LOOPNIC_CHSTAT_TX_DOORBELLS,
	LOOPNIC_CHSTAT_EVENTS,
	LOOPNIC_CHSTAT_POLL,
	LOOPNIC_CHSTAT_BUDGET_EXHAUSTED,
	LOOPNIC_CHSTAT_ARM,
	/* Read from the device's registers. */
	LOOPNIC_CHSTAT_IRQS,
	LOOPNIC_CHSTAT_NUM,
};

/*
 * Every counter a port keeps. A *_PACKETS entry is always directly followed by
 * its *_BYTES entry: loopnic_count_frame() relies on it.
 */
enum loopnic_counter {
	LOOPNIC_RX_PACKETS,
	LOOPNIC_RX_BYTES,
	LOOPNIC_TX_PACKETS,
	LOOPNIC_TX_BYTES,
	LOOPNIC_BACKLOG_POLLS,
	LOOPNIC_BACKLOG_DROPS,
	LOOPNIC_BACKLOG_BUDGET_EXHAUSTED,
	LOOPNIC_TX_DROPS,
	/* Ring path: the totals above are summed from the per-channel ones. */
	LOOPNIC_RX_DROPS,
	/* Ring path, read from the device's registers by loopnic_stats_read(). */
	LOOPNIC_RX_OUT_OF_BUFFER,
	LOOPNIC_RX_DISCARDS_PHY,
	LOOPNIC_TX_DISCARDS_PHY,
	/* Injected faults (fault.c): the wire's from the device's registers. */
	LOOPNIC_FAULT_WIRE,
	LOOPNIC_FAULT_RX_ALLOC = LOOPNIC_FAULT_WIRE + LOOPNIC_FAULT_NUM,
	LOOPNIC_FAULT_TX_DMA_MAP,
	LOOPNIC_FAULT_CH_ACTIVATE,
	/* Ring path, TX timeout recovery (en/health.c). */
	LOOPNIC_TX_TIMEOUT,
	LOOPNIC_TX_TIMEOUT_RECOVER_EQ,
	LOOPNIC_TX_TIMEOUT_HELD,
	LOOPNIC_TX_RECOVER,
	/* Ring path, faults injected into the device (its registers). */
	LOOPNIC_FAULT_SQ_STALL,
	LOOPNIC_FAULT_LOST_IRQ,
	/*
	 * Transmission paused for the line rate: backlog path, the driver's
	 * shaper stopped the TX queue; ring path, read from the device
	 * (LOOPNIC_REG_TX_SHAPED): an SQ stopped on a frame.
	 */
	LOOPNIC_TX_SHAPED,
	/* Ring path: GSO skbs the device segmented (LSO), and their payload. */
	LOOPNIC_TX_TSO_PACKETS,
	LOOPNIC_TX_TSO_BYTES,
	/*
	 * Ring path: skbs validated for the backlog path before a switch whose
	 * offloads the device lacks (segmentation other than TCP, a frag_list,
	 * a CRC32c) the driver did in software (en/tx.c, loopnic_tx_sw()).
	 */
	LOOPNIC_TX_SW_FALLBACK,
	/* Ring path: frames the device built by LRO, and their bytes. */
	LOOPNIC_RX_LRO_PACKETS,
	LOOPNIC_RX_LRO_BYTES,
	/* Ring path: LOOPNIC_HW_MAX_CHANNELS blocks of enum loopnic_ch_counter. */
	LOOPNIC_CH_COUNTERS,
	LOOPNIC_NUM_COUNTERS = LOOPNIC_CH_COUNTERS +
			       LOOPNIC_HW_MAX_CHANNELS * LOOPNIC_CHSTAT_NUM,
};

/* Counter @c of channel @ix, as an enum loopnic_counter index. */
#define LOOPNIC_CH_CTR(ix, c) \
	(LOOPNIC_CH_COUNTERS + (ix) * LOOPNIC_CHSTAT_NUM + (c))

/* Interrupt moderation of one kind of CQ (ethtool -C rx-* or tx-*). */
struct loopnic_coal {
	u32 usecs;
	u32 frames;
};

/* Ring path: what a set of channels is built with. */
struct loopnic_params {
	unsigned int num_ch;
	unsigned int sq_size;
	unsigned int rq_size;
	struct loopnic_coal rx_coal;
	struct loopnic_coal tx_coal;
	/* DIM picks the moderation instead of rx_coal/tx_coal. */
	bool rx_adaptive;
	bool tx_adaptive;
	/* ethtool -A: honour PAUSE from the peer (rx), send it (tx). */
	bool rx_pause;
	bool tx_pause;
};

struct loopnic_pcpu_stats {
	u64_stats_t c[LOOPNIC_NUM_COUNTERS];
	/* Backlog path: the MAC statistics the device keeps on the ring path. */
	u64_stats_t mac[LOOPNIC_MAC_NUM];
	struct u64_stats_sync syncp;
};

/* Faults the driver injects into itself (debugfs faults/, fault.c). */
enum loopnic_drv_fault {
	LOOPNIC_DRV_FAULT_RX_ALLOC,
	LOOPNIC_DRV_FAULT_TX_DMA_MAP,
	LOOPNIC_DRV_FAULT_CH_ACTIVATE,
	LOOPNIC_DRV_FAULT_NUM,
};

struct loopnic_port;

/* One file of faults/: the knob it sets (enum loopnic_fault_knob). */
struct loopnic_fault_file {
	struct loopnic_port *port;
	unsigned int knob;
};

#define LOOPNIC_FAULT_KNOBS	(LOOPNIC_FAULT_NUM + 1 + LOOPNIC_DRV_FAULT_NUM)

struct loopnic_backlog;
struct loopnic_channels;
struct loopnic_hw;
struct loopnic_selftest;
struct ethtool_test;

/* netdev_priv() of every loopnic port. */
struct loopnic_port {
	struct net_device *dev;
	/* The port our TX lands on: the other end of the pair, or ourselves. */
	struct net_device __rcu *peer;
	struct loopnic_backlog __percpu *backlog;
	struct loopnic_pcpu_stats __percpu *stats;
	/*
	 * Set (release) once our NAPIs are enabled, cleared before they are
	 * disabled; the peer's xmit reads it (acquire) before queueing to us.
	 */
	bool rx_ready;
	/*
	 * The same on both ends of a pair: set at creation from the module
	 * parameter, switched for the pair by the ring-path private flag
	 * (loopnic_switch_path(), under RTNL). xmit reads it under the TX
	 * lock, which the switch waits for with every queue stopped.
	 */
	enum loopnic_path path;
	/* Every port has its NIC (cabled to the peer's); channels while up on the ring path. */
	struct loopnic_hw *hw;
	struct loopnic_channels *chs;
	/* Ring path, under RTNL: applied at open, or live by reconfiguration. */
	struct loopnic_params params;
	/* Channels listed by ethtool -S: the most ever opened, as mlx5. */
	unsigned int stats_nch;
	u32 rss_indir[LOOPNIC_HW_RSS_INDIR_SIZE];
	u8 rss_key[LOOPNIC_HW_RSS_KEY_SIZE];
	unsigned long pflags;
	/*
	 * NETIF_F_LOOPBACK, or an offline self-test, put the port in MAC
	 * loopback: read per frame by the backlog path's xmit; the ring
	 * path's device has its own bit (LOOPNIC_REG_LOOPBACK).
	 */
	bool loopback;
	/*
	 * ethtool -s speed, in Mb/s; written under RTNL, read by the
	 * backlog path's xmit (the ring path's device has LOOPNIC_REG_SPEED).
	 */
	u32 speed;
	/*
	 * Backlog path: when (ktime_get_ns()) the line is done with all that
	 * was sent, and the timer that restarts the TX queue once it is
	 * nearly so. See loopnic_line_charge().
	 */
	atomic64_t line_tat;
	struct hrtimer line_timer;
	/* Set while a path switch has the TX queues stopped: no timer wakes them. */
	bool line_hold;
	/* Set while an offline self-test waits for its frames; RCU. */
	struct loopnic_selftest __rcu *selftest;
	/* debugfs directory, if the port got one. */
	struct dentry *debugfs;
	/*
	 * Ring path, the driver's injected faults: LOOPNIC_REG_FAULT format,
	 * written from debugfs, read per buffer or frame.
	 */
	u64 fault_cfg[LOOPNIC_DRV_FAULT_NUM];
	atomic64_t fault_seen[LOOPNIC_DRV_FAULT_NUM];
	struct loopnic_fault_file fault_files[LOOPNIC_FAULT_KNOBS];
	/*
	 * Ring path, TX timeout recovery (en/health.c): the TX queues the
	 * watchdog reported, recovered by the work while health_on is set
	 * (from open to stop).
	 */
	struct work_struct tx_timeout_work;
	unsigned long tx_timeout_pending;
	bool health_on;
};

/*
 * A path switch lets frames in flight reach the other end for this long
 * before it drops (and counts) what is left.
 */
#define LOOPNIC_SWITCH_DRAIN_TIMEOUT	(2 * HZ)

extern unsigned int loopnic_backlog_len;
extern unsigned int loopnic_channels;
/* enum loopnic_path, as a module parameter stores it. */
extern u32 loopnic_default_path;
extern u32 loopnic_hw_engine;
extern const struct ethtool_ops loopnic_ethtool_ops;
void loopnic_ethtool_init(void);

/* debugfs.c */
void loopnic_debugfs_port_add(struct loopnic_port *port);
void loopnic_debugfs_port_del(struct loopnic_port *port);
void loopnic_debugfs_init(void);
void loopnic_debugfs_exit(void);

/* fault.c */
void loopnic_fault_debugfs_add(struct loopnic_port *port);

/* Whether the driver's next buffer or frame suffers fault @f. */
static inline bool loopnic_drv_fault(struct loopnic_port *port,
				     enum loopnic_drv_fault f)
{
	return unlikely(loopnic_fault_hit(READ_ONCE(port->fault_cfg[f]),
					  &port->fault_seen[f]));
}

/* netdev.c */
void loopnic_setup(struct net_device *dev);
void loopnic_set_loopback(struct loopnic_port *port, bool on);
int loopnic_switch_path(struct loopnic_port *port, enum loopnic_path path);
void loopnic_set_speed(struct loopnic_port *port, u32 mbps);
void loopnic_set_rx_csum(struct loopnic_port *port, bool on);

/* selftest.c: ethtool -t */
int loopnic_selftest_count(struct net_device *dev);
void loopnic_selftest_strings(struct net_device *dev, u8 *data);
void loopnic_selftest_run(struct net_device *dev, struct ethtool_test *etest,
			  u64 *data);
bool __loopnic_selftest_rx(struct loopnic_port *port, struct sk_buff *skb);

/*
 * NAPI, after eth_type_trans(): true if @skb was a frame of a running
 * offline self-test, which consumed it; it must not go up the stack.
 */
static inline bool loopnic_selftest_rx(struct loopnic_port *port,
				       struct sk_buff *skb)
{
	if (likely(!rcu_access_pointer(port->selftest)))
		return false;
	return __loopnic_selftest_rx(port, skb);
}

/* backlog.c: the lo-style receive side of a port */
int loopnic_backlog_init(struct loopnic_port *port);
void loopnic_backlog_free(struct loopnic_port *port);
void loopnic_backlog_open(struct loopnic_port *port);
void loopnic_backlog_close(struct loopnic_port *port);
void loopnic_backlog_drain(struct loopnic_port *port, unsigned long deadline);
bool loopnic_backlog_ready(const struct loopnic_port *port);
void loopnic_backlog_enqueue(struct loopnic_port *port, struct sk_buff *skb);

/* en/channel.c: the ring path, mlx5e-style */
int loopnic_en_init(struct loopnic_port *port);
void loopnic_en_uninit(struct loopnic_port *port);
int loopnic_en_open(struct loopnic_port *port);
void loopnic_en_stop(struct loopnic_port *port);
void loopnic_en_set_pflags(struct loopnic_port *port, u32 flags);
void loopnic_en_set_pause(struct loopnic_port *port, bool rx, bool tx);
void loopnic_en_close_tx(struct loopnic_port *port, unsigned long deadline);
void loopnic_en_close_rx(struct loopnic_port *port, unsigned long deadline);
void loopnic_en_rx_hold(struct loopnic_port *port, bool hold);
int loopnic_en_reconfigure(struct loopnic_port *port,
			   const struct loopnic_params *params);
void loopnic_en_set_coalesce(struct loopnic_port *port);
void loopnic_en_set_lro(struct loopnic_port *port, bool on);
/* en/health.c: TX timeout recovery and the fault knobs */
void loopnic_en_health_init(struct loopnic_port *port);
void loopnic_en_health_start(struct loopnic_port *port);
void loopnic_en_health_stop(struct loopnic_port *port);
void loopnic_en_tx_timeout(struct net_device *dev, unsigned int txqueue);
void loopnic_en_health_debugfs(struct loopnic_port *port, struct dentry *dir);
/* en/tx.c */
netdev_tx_t loopnic_en_xmit(struct sk_buff *skb, struct net_device *dev);
netdev_features_t loopnic_en_features_check(struct sk_buff *skb,
					    struct net_device *dev,
					    netdev_features_t features);

/* stats.c */
void loopnic_stats_read(struct loopnic_port *port, u64 *out);
void loopnic_stats_mac(struct loopnic_port *port, u64 *mac);

/* Caller runs with BH disabled (datapath) or has disabled it. */
static inline void loopnic_count(struct loopnic_port *port,
				 enum loopnic_counter c, u64 n)
{
	struct loopnic_pcpu_stats *s = this_cpu_ptr(port->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->c[c], n);
	u64_stats_update_end(&s->syncp);
}

/* Hard-IRQ context, which may interrupt a BH-context update on 32-bit. */
static inline void loopnic_count_irq(struct loopnic_port *port,
				     enum loopnic_counter c, u64 n)
{
	struct loopnic_pcpu_stats *s = this_cpu_ptr(port->stats);
	unsigned long flags;

	flags = u64_stats_update_begin_irqsave(&s->syncp);
	u64_stats_add(&s->c[c], n);
	u64_stats_update_end_irqrestore(&s->syncp, flags);
}

/* @n frames of @bytes in all: bumps @packets and the bytes counter after it. */
static inline void loopnic_count_frames(struct loopnic_port *port,
					enum loopnic_counter packets,
					unsigned int n, u64 bytes)
{
	struct loopnic_pcpu_stats *s = this_cpu_ptr(port->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->c[packets], n);
	u64_stats_add(&s->c[packets + 1], bytes);
	u64_stats_update_end(&s->syncp);
}

static inline void loopnic_count_frame(struct loopnic_port *port,
				       enum loopnic_counter packets,
				       unsigned int len)
{
	loopnic_count_frames(port, packets, 1, len);
}

/* Backlog path: a frame of @len bytes to @dst crossing the "MAC". */
static inline void loopnic_count_mac(struct loopnic_port *port, bool rx,
				     const u8 *dst, unsigned int len)
{
	struct loopnic_pcpu_stats *s = this_cpu_ptr(port->stats);
	unsigned int i, n;
	u8 ctr[3];

	n = loopnic_mac_frame_ctrs(rx, dst, len, ctr);
	u64_stats_update_begin(&s->syncp);
	for (i = 0; i < n; i++)
		u64_stats_inc(&s->mac[ctr[i]]);
	u64_stats_add(&s->mac[rx ? LOOPNIC_MAC_RX_OCTETS : LOOPNIC_MAC_TX_OCTETS], len);
	u64_stats_update_end(&s->syncp);
}

#endif /* LOOPNIC_H */
