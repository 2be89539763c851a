/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loopnic: private definitions shared by the driver's source files.
 */
#ifndef LOOPNIC_H
#define LOOPNIC_H

#include <linux/netdevice.h>
#include <linux/u64_stats_sync.h>

#define LOOPNIC_MAX_PAIRS	32
#define LOOPNIC_BACKLOG_MAX	1048576

enum loopnic_path {
	LOOPNIC_PATH_BACKLOG,
	LOOPNIC_PATH_RING,
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
	LOOPNIC_TX_DROPS,
	LOOPNIC_NUM_COUNTERS,
};

struct loopnic_pcpu_stats {
	u64_stats_t c[LOOPNIC_NUM_COUNTERS];
	struct u64_stats_sync syncp;
};

struct loopnic_backlog;

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
};

extern unsigned int loopnic_backlog_len;
extern const struct ethtool_ops loopnic_ethtool_ops;

/* netdev.c */
void loopnic_setup(struct net_device *dev);

/* backlog.c: the lo-style receive side of a port */
int loopnic_backlog_init(struct loopnic_port *port);
void loopnic_backlog_free(struct loopnic_port *port);
void loopnic_backlog_open(struct loopnic_port *port);
void loopnic_backlog_close(struct loopnic_port *port);
bool loopnic_backlog_ready(const struct loopnic_port *port);
void loopnic_backlog_enqueue(struct loopnic_port *port, struct sk_buff *skb);

/* stats.c */
void loopnic_stats_read(struct loopnic_port *port, u64 *out);

/* Caller runs with BH disabled (datapath) or has disabled it. */
static inline void loopnic_count(struct loopnic_port *port,
				 enum loopnic_counter c, u64 n)
{
	struct loopnic_pcpu_stats *s = this_cpu_ptr(port->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_add(&s->c[c], n);
	u64_stats_update_end(&s->syncp);
}

/* One frame of @len bytes: bumps @packets and the bytes counter after it. */
static inline void loopnic_count_frame(struct loopnic_port *port,
				       enum loopnic_counter packets,
				       unsigned int len)
{
	struct loopnic_pcpu_stats *s = this_cpu_ptr(port->stats);

	u64_stats_update_begin(&s->syncp);
	u64_stats_inc(&s->c[packets]);
	u64_stats_add(&s->c[packets + 1], len);
	u64_stats_update_end(&s->syncp);
}

#endif /* LOOPNIC_H */
