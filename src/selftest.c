// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: ethtool -t. Online, the port keeps its traffic: the link and the
 * device's registers are checked. Offline, the port is also put in MAC
 * loopback and sends frames of a known pattern through its own data path
 * (the backlog, or the rings and the emulated device), which NAPI takes off
 * the receive path before the stack sees them and compares byte for byte.
 */
#include <linux/completion.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/random.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>

#include "en/en.h"
#include "loopnic.h"

enum loopnic_selftest_id {
	LOOPNIC_ST_LINK,
	LOOPNIC_ST_REGS,
	LOOPNIC_ST_LOOPBACK,
	LOOPNIC_ST_NUM,
};

static const char loopnic_selftest_names[LOOPNIC_ST_NUM][ETH_GSTRING_LEN] = {
	[LOOPNIC_ST_LINK]	= "Link test        (on/offline)",
	[LOOPNIC_ST_REGS]	= "Register test    (on/offline)",
	[LOOPNIC_ST_LOOPBACK]	= "Loopback test    (offline)",
};

/*
 * A test frame: to and from the port's own address, with the IEEE "local
 * experimental" EtherType, a magic and a cookie of this run, its sequence
 * number and length, then a pattern that depends on both.
 */
#define LOOPNIC_ST_ETHERTYPE	ETH_P_802_EX1
#define LOOPNIC_ST_MAGIC	0x4c4e5354	/* "LNST" */

struct loopnic_st_hdr {
	__be32 magic;
	__be32 cookie;
	__be16 seq;
	__be16 len;
} __packed;

#define LOOPNIC_ST_HLEN		(ETH_HLEN + sizeof(struct loopnic_st_hdr))
/* Sizes sent, capped by the MTU: the smallest frame up to a full one. */
static const u16 loopnic_st_sizes[] = { 60, 64, 128, 256, 512, 1000, 1400, 1514 };
#define LOOPNIC_ST_FRAMES	ARRAY_SIZE(loopnic_st_sizes)
/* Under TCG a frame takes milliseconds; a lost one must not hang RTNL. */
#define LOOPNIC_ST_TIMEOUT	(2 * HZ)

struct loopnic_selftest {
	u32 cookie;
	u16 len[LOOPNIC_ST_FRAMES];
	/* Frames received intact, once each (bit = sequence number). */
	unsigned long seen;
	atomic_t good;
	atomic_t bad;
	struct completion done;
};

static u8 loopnic_st_byte(unsigned int seq, unsigned int off)
{
	return (u8)(seq * 31 + off);
}

int loopnic_selftest_count(struct net_device *dev)
{
	return LOOPNIC_ST_NUM;
}

void loopnic_selftest_strings(struct net_device *dev, u8 *data)
{
	memcpy(data, loopnic_selftest_names, sizeof(loopnic_selftest_names));
}

/* The link is up when the port is up and has carrier (its peer is up). */
static u64 loopnic_st_link(struct net_device *dev)
{
	return netif_running(dev) && netif_carrier_ok(dev) ? 0 : 1;
}

static bool loopnic_st_reg_is(struct loopnic_port *port, u32 reg, u64 want)
{
	u64 got = loopnic_hw_reg_read(port->hw, reg);

	if (got == want)
		return true;
	netdev_err(port->dev, "self-test: register 0x%04x reads 0x%llx, expected 0x%llx\n",
		   reg, got, want);
	return false;
}

static bool loopnic_st_q_regs(struct loopnic_channel *ch, enum loopnic_hw_queue q,
			      dma_addr_t dma, u32 log_sz)
{
	return loopnic_st_reg_is(ch->port, loopnic_reg_q(ch, q, LOOPNIC_Q_BASE), dma) &&
	       loopnic_st_reg_is(ch->port, loopnic_reg_q(ch, q, LOOPNIC_Q_LOG_SZ), log_sz);
}

/*
 * Ring path: the device answers with its ID and reads back what the driver
 * programmed (RSS, flow control, loopback, each open channel's enable and
 * queues). Read-only, so it is safe online. The backlog path has no device:
 * its receive side must be ready exactly while the port is up.
 */
static u64 loopnic_st_regs(struct loopnic_port *port)
{
	struct loopnic_channels *chs = port->chs;
	u64 pause = 0, lb;
	unsigned int i;

	if (port->path != LOOPNIC_PATH_RING)
		return loopnic_backlog_ready(port) == netif_running(port->dev) ? 0 : 1;

	if (port->params.rx_pause)
		pause |= LOOPNIC_PAUSE_RX;
	if (port->params.tx_pause)
		pause |= LOOPNIC_PAUSE_TX;
	lb = READ_ONCE(port->loopback) ? LOOPNIC_LOOPBACK_MAC : 0;
	if (!loopnic_st_reg_is(port, LOOPNIC_REG_ID, LOOPNIC_HW_ID) ||
	    !loopnic_st_reg_is(port, LOOPNIC_REG_NUM_CH, LOOPNIC_HW_MAX_CHANNELS) ||
	    !loopnic_st_reg_is(port, LOOPNIC_REG_LOOPBACK, lb) ||
	    !loopnic_st_reg_is(port, LOOPNIC_REG_SPEED, READ_ONCE(port->speed)))
		return 1;
	/* Programmed at open: only an open port's device holds them. */
	if (!chs)
		return 0;
	if (!loopnic_st_reg_is(port, LOOPNIC_REG_PAUSE, pause) ||
	    !loopnic_st_reg_is(port, LOOPNIC_REG_RX_CSUM,
			       !!(port->dev->features & NETIF_F_RXCSUM)))
		return 1;
	for (i = 0; i < LOOPNIC_HW_RSS_INDIR_SIZE; i++)
		if (!loopnic_st_reg_is(port, LOOPNIC_REG_RSS_INDIR(i), port->rss_indir[i]))
			return 1;
	for (i = 0; i < LOOPNIC_HW_MAX_CHANNELS; i++) {
		u32 ctrl = LOOPNIC_REG_CH(i) + LOOPNIC_CH_CTRL;
		struct loopnic_channel *ch;

		if (i >= chs->num) {
			if (!loopnic_st_reg_is(port, ctrl, 0))
				return 1;
			continue;
		}
		ch = chs->c[i];
		if (!loopnic_st_reg_is(port, ctrl, LOOPNIC_CH_CTRL_EN) ||
		    !loopnic_st_q_regs(ch, LOOPNIC_Q_SQ, ch->sq.dma, ch->sq.log_sz) ||
		    !loopnic_st_q_regs(ch, LOOPNIC_Q_RQ, ch->rq.dma, ch->rq.log_sz) ||
		    !loopnic_st_q_regs(ch, LOOPNIC_Q_TXCQ, ch->txcq.dma, ch->txcq.log_sz) ||
		    !loopnic_st_q_regs(ch, LOOPNIC_Q_RXCQ, ch->rxcq.dma, ch->rxcq.log_sz))
			return 1;
	}
	return 0;
}

/* Whether @skb, from the test's EtherType on, is test frame @seq as sent. */
static bool loopnic_st_intact(struct loopnic_selftest *st, struct sk_buff *skb,
			      unsigned int seq)
{
	const struct ethhdr *eth = eth_hdr(skb);
	unsigned int off;

	if (skb->len + ETH_HLEN != st->len[seq] ||
	    !ether_addr_equal(eth->h_dest, skb->dev->dev_addr) ||
	    !ether_addr_equal(eth->h_source, skb->dev->dev_addr))
		return false;
	for (off = LOOPNIC_ST_HLEN; off < st->len[seq]; off++)
		if (skb->data[off - ETH_HLEN] != loopnic_st_byte(seq, off))
			return false;
	return true;
}

/* NAPI context, with the test running (port->selftest was set). */
bool __loopnic_selftest_rx(struct loopnic_port *port, struct sk_buff *skb)
{
	const struct loopnic_st_hdr *h;
	struct loopnic_selftest *st;
	unsigned int seq;
	bool mine = false;

	if (skb->protocol != htons(LOOPNIC_ST_ETHERTYPE))
		return false;
	/* The test sends linear frames; the ring path receives them linear. */
	if (skb_linearize(skb) || skb->len < sizeof(*h))
		return false;
	h = (const struct loopnic_st_hdr *)skb->data;
	if (h->magic != htonl(LOOPNIC_ST_MAGIC))
		return false;

	rcu_read_lock();
	st = rcu_dereference(port->selftest);
	/* A frame of an earlier, timed out, run: not ours to judge. */
	if (!st || h->cookie != htonl(st->cookie))
		goto out;
	mine = true;
	seq = ntohs(h->seq);
	if (seq >= LOOPNIC_ST_FRAMES || ntohs(h->len) != st->len[seq] ||
	    !loopnic_st_intact(st, skb, seq) || test_and_set_bit(seq, &st->seen)) {
		atomic_inc(&st->bad);
		complete(&st->done);
		goto out;
	}
	if (atomic_inc_return(&st->good) == LOOPNIC_ST_FRAMES)
		complete(&st->done);
out:
	rcu_read_unlock();
	if (mine)
		consume_skb(skb);
	return mine;
}

static struct sk_buff *loopnic_st_frame(struct net_device *dev,
					struct loopnic_selftest *st,
					unsigned int seq)
{
	unsigned int len = st->len[seq], off;
	struct loopnic_st_hdr *h;
	struct sk_buff *skb;
	struct ethhdr *eth;
	u8 *p;

	skb = alloc_skb(NET_IP_ALIGN + len, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, NET_IP_ALIGN);
	p = skb_put(skb, len);
	eth = (struct ethhdr *)p;
	ether_addr_copy(eth->h_dest, dev->dev_addr);
	ether_addr_copy(eth->h_source, dev->dev_addr);
	eth->h_proto = htons(LOOPNIC_ST_ETHERTYPE);
	h = (struct loopnic_st_hdr *)(p + ETH_HLEN);
	h->magic = htonl(LOOPNIC_ST_MAGIC);
	h->cookie = htonl(st->cookie);
	h->seq = htons(seq);
	h->len = htons(len);
	for (off = LOOPNIC_ST_HLEN; off < len; off++)
		p[off] = loopnic_st_byte(seq, off);

	skb->dev = dev;
	skb->protocol = eth->h_proto;
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, ETH_HLEN);
	return skb;
}

/*
 * Under RTNL. The port goes into MAC loopback for the test's duration and
 * back to what NETIF_F_LOOPBACK says after; frames the stack sends meanwhile
 * come back to the port, as on a NIC under an offline test. Returns 0 if
 * every frame came back intact.
 */
static u64 loopnic_st_loopback(struct loopnic_port *port)
{
	struct net_device *dev = port->dev;
	struct loopnic_selftest *st;
	unsigned int seq, sent = 0;
	u64 ret = 1;

	if (!netif_running(dev))
		return 1;
	st = kzalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return 1;
	st->cookie = get_random_u32();
	for (seq = 0; seq < LOOPNIC_ST_FRAMES; seq++)
		st->len[seq] = clamp_t(unsigned int, loopnic_st_sizes[seq],
				       LOOPNIC_ST_HLEN, dev->mtu + ETH_HLEN);
	atomic_set(&st->good, 0);
	atomic_set(&st->bad, 0);
	init_completion(&st->done);

	loopnic_set_loopback(port, true);
	rcu_assign_pointer(port->selftest, st);

	for (seq = 0; seq < LOOPNIC_ST_FRAMES; seq++) {
		struct sk_buff *skb = loopnic_st_frame(dev, st, seq);

		/* Through the qdisc and ndo_start_xmit, as the stack sends. */
		if (skb && dev_queue_xmit(skb) == NET_XMIT_SUCCESS)
			sent++;
	}
	if (sent == LOOPNIC_ST_FRAMES) {
		/* Each bad frame completes too: wait for the last verdict. */
		unsigned long end = jiffies + LOOPNIC_ST_TIMEOUT;

		while (atomic_read(&st->good) + atomic_read(&st->bad) < LOOPNIC_ST_FRAMES &&
		       wait_for_completion_timeout(&st->done,
						   max_t(long, end - jiffies, 1)) &&
		       time_before(jiffies, end))
			;
		if (atomic_read(&st->good) == LOOPNIC_ST_FRAMES && !atomic_read(&st->bad))
			ret = 0;
	}
	if (ret)
		netdev_err(dev, "self-test: loopback: %u of %zu frames sent, %d came back intact, %d bad\n",
			   sent, LOOPNIC_ST_FRAMES, atomic_read(&st->good),
			   atomic_read(&st->bad));

	RCU_INIT_POINTER(port->selftest, NULL);
	/* No NAPI poll still looks at st; a late frame goes up the stack. */
	synchronize_net();
	kfree(st);
	loopnic_set_loopback(port, dev->features & NETIF_F_LOOPBACK);
	return ret;
}

void loopnic_selftest_run(struct net_device *dev, struct ethtool_test *etest,
			  u64 *data)
{
	struct loopnic_port *port = netdev_priv(dev);

	ASSERT_RTNL();
	memset(data, 0, LOOPNIC_ST_NUM * sizeof(*data));
	data[LOOPNIC_ST_LINK] = loopnic_st_link(dev);
	data[LOOPNIC_ST_REGS] = loopnic_st_regs(port);
	if (etest->flags & ETH_TEST_FL_OFFLINE)
		data[LOOPNIC_ST_LOOPBACK] = loopnic_st_loopback(port);
	if (data[LOOPNIC_ST_LINK] || data[LOOPNIC_ST_REGS] || data[LOOPNIC_ST_LOOPBACK])
		etest->flags |= ETH_TEST_FL_FAILED;
}
