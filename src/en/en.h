/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loopnic ring path, driver half: the rings and channel of a port, named
 * after mlx5e's. Talks to the device through include/loopnic/hw.h only.
 */
#ifndef LOOPNIC_EN_H
#define LOOPNIC_EN_H

#include <linux/dim.h>
#include <linux/netdevice.h>
#include <loopnic/hw.h>

#include "../compat.h"
#include "../loopnic.h"

/* Headroom before a received frame, as most drivers leave for the stack. */
#define LOOPNIC_RX_HEADROOM	(NET_SKB_PAD + NET_IP_ALIGN)
/*
 * Every RQ entry is half a page, a page_pool fragment, as mlx5e's legacy
 * RQ strides a page for the standard MTU: a 1500-byte frame charges its
 * socket 2 KiB, not 4, so that TCP's receive buffer holds what its window
 * promised (tcp_adv_win_scale counts on at least half of the memory being
 * payload) instead of collapsing its queue by copies. The buffer follows
 * the headroom and leaves room for the skb_shared_info that
 * napi_build_skb() puts at the end of the stride when the buffer is a
 * frame's first. Any buffer may be a frame's first, so all have that size
 * (1664 bytes with 4 KiB pages); a longer frame takes several, the later
 * ones added to the skb as page fragments.
 */
#define LOOPNIC_RX_STRIDE	(PAGE_SIZE / 2)
#define LOOPNIC_RX_BUF_LEN	(SKB_WITH_OVERHEAD(LOOPNIC_RX_STRIDE) - LOOPNIC_RX_HEADROOM)
/* The largest frame, in buffers: the first is the head, the rest fragments. */
#define LOOPNIC_RX_MAX_BUFS	DIV_ROUND_UP(LOOPNIC_HW_MAX_FRAME, LOOPNIC_RX_BUF_LEN)
/*
 * The most buffers a frame LRO builds may fill (LOOPNIC_REG_LRO): as many
 * as its longest takes, as GRO would build it. Beyond an skb's fragments
 * they go into skbs on its frag_list, as GRO's would.
 */
#define LOOPNIC_RX_LRO_BUFS	min_t(u32, DIV_ROUND_UP(LOOPNIC_HW_MAX_LSO, LOOPNIC_RX_BUF_LEN), \
				      LOOPNIC_HW_LRO_MAX_BUFS)

/* ethtool -G: ring sizes are powers of two in this range. */
#define LOOPNIC_RING_MIN	64
#define LOOPNIC_RING_MAX	BIT(LOOPNIC_HW_MAX_LOG_SZ)
/* How long reconfiguration waits for in-flight frames before dropping them. */
#define LOOPNIC_DRAIN_TIMEOUT	(2 * HZ)

/* A frame with every fragment needs this many free SQ entries. */
#define LOOPNIC_SQ_STOP_ROOM	(MAX_SKB_FRAGS + 1)
/* TX CQEs handled per NAPI poll, as mlx5's MLX5E_TX_CQ_POLL_BUDGET. */
#define LOOPNIC_TX_CQ_POLL_BUDGET	128

/* ethtool private flags */
enum {
	LOOPNIC_PFLAG_RX_NO_REFILL,
	/* Not kept in pflags: reads port->path, and switches it. */
	LOOPNIC_PFLAG_RING_PATH,
	LOOPNIC_NUM_PFLAGS,
};

enum loopnic_tx_map {
	LOOPNIC_TX_MAP_NONE,
	LOOPNIC_TX_MAP_SINGLE,
	LOOPNIC_TX_MAP_PAGE,
};

/* What the driver must undo when an SQ entry completes. */
struct loopnic_tx_buf {
	dma_addr_t addr;
	u32 len;
	u8 map;
	/*
	 * On a frame's last entry only: the skb, the bytes it takes on the
	 * wire (for BQL) and the frames it makes there (LSO segments).
	 */
	struct sk_buff *skb;
	u32 bytes;
	u16 packets;
};

struct loopnic_cq {
	struct loopnic_cqe *cqe;
	dma_addr_t dma;
	u32 cc;
	u32 log_sz;
	u32 mask;
};

struct loopnic_sq {
	struct loopnic_tx_wqe *wqe;
	dma_addr_t dma;
	/* pc: xmit only; cc: NAPI only, read by xmit for the room check. */
	u32 pc;
	u32 cc;
	/* Producer counter last written to the doorbell. */
	u32 db_pc;
	u32 log_sz;
	u32 mask;
	struct loopnic_tx_buf *buf;
	struct netdev_queue *txq;
	/* Completions may wake the queue: not while it is being quiesced. */
	bool enabled;
};

/* A posted RX buffer: LOOPNIC_RX_STRIDE bytes at @offset in @page. */
struct loopnic_rq_buf {
	struct page *page;
	u32 offset;
};

struct loopnic_rq {
	struct loopnic_rx_wqe *wqe;
	dma_addr_t dma;
	u32 pc;
	u32 cc;
	u32 log_sz;
	u32 mask;
	struct loopnic_rq_buf *buf;
	struct page_pool *pool;
	/*
	 * A frame whose first buffers were polled and whose last was not
	 * yet (the device may still be writing its CQEs): kept across polls.
	 */
	struct sk_buff *skb;
	/*
	 * The skb that takes its next buffer as a page fragment: skb itself,
	 * or, once its fragments are full (only a frame LRO built gets so
	 * long), the last skb of its frag_list.
	 */
	struct sk_buff *frags;
	/* The rest of a frame already dropped (and counted): recycle it. */
	bool skip;
};

struct loopnic_channel {
	struct loopnic_port *port;
	struct net_device *netdev;
	struct loopnic_hw *hw;
	struct device *pdev;
	unsigned int ix;
	/* The CPU the channel's interrupt is pointed at when it opens. */
	int cpu;
	int irq;
	/* The action's name in /proc/interrupts: "<dev>-ch<ix>". */
	char irq_name[IFNAMSIZ + 8];
	struct napi_struct napi;
	struct loopnic_sq sq;
	struct loopnic_cq txcq;
	struct loopnic_rq rq;
	struct loopnic_cq rxcq;

	/*
	 * Adaptive moderation: NAPI feeds DIM while the flag is set (changed
	 * under RTNL with NAPI quiesced by synchronize_net()); DIM's work
	 * writes the moderation register it picks.
	 */
	bool rx_dim_on;
	bool tx_dim_on;
	struct dim rx_dim;
	struct dim tx_dim;
	/* Interrupts, and what NAPI completed: DIM's samples. */
	u16 dim_events;
	u64 dim_rx_packets;
	u64 dim_rx_bytes;
	u64 dim_tx_packets;
	u64 dim_tx_bytes;
};

/* The channels of an open port, replaced as a whole on reconfiguration. */
struct loopnic_channels {
	unsigned int num;
	struct loopnic_channel *c[LOOPNIC_HW_MAX_CHANNELS];
};

extern unsigned int loopnic_sq_size;
extern unsigned int loopnic_rq_size;

static inline void loopnic_ch_count(struct loopnic_channel *ch,
				    enum loopnic_ch_counter c, u64 n)
{
	loopnic_count(ch->port, LOOPNIC_CH_CTR(ch->ix, c), n);
}

static inline u32 loopnic_reg_q(struct loopnic_channel *ch,
				enum loopnic_hw_queue q, u32 reg)
{
	return LOOPNIC_REG_Q(ch->ix, q, reg);
}

/* The next CQE if software owns it, else NULL. */
static inline struct loopnic_cqe *loopnic_cqe_get(struct loopnic_cq *cq)
{
	struct loopnic_cqe *cqe = &cq->cqe[cq->cc & cq->mask];
	u8 sw_owner = (cq->cc >> cq->log_sz) & LOOPNIC_CQE_OWNER;

	if ((READ_ONCE(cqe->op_own) & LOOPNIC_CQE_OWNER) != sw_owner)
		return NULL;
	/* The CQE body is read only once its owner bit says it is ours. */
	dma_rmb();
	return cqe;
}

/* Entries written by the device and not yet polled (racy, for draining). */
static inline bool loopnic_cq_pending(struct loopnic_cq *cq)
{
	u32 cc = READ_ONCE(cq->cc);
	struct loopnic_cqe *cqe = &cq->cqe[cc & cq->mask];

	return (READ_ONCE(cqe->op_own) & LOOPNIC_CQE_OWNER) ==
	       ((cc >> cq->log_sz) & LOOPNIC_CQE_OWNER);
}

/* tx.c */
int loopnic_sq_alloc(struct loopnic_channel *ch, unsigned int size);
void loopnic_sq_free(struct loopnic_channel *ch);
u32 loopnic_sq_complete_sent(struct loopnic_channel *ch);
unsigned int loopnic_sq_drop_all(struct loopnic_channel *ch);
bool loopnic_poll_tx_cq(struct loopnic_channel *ch, int napi_budget);
netdev_tx_t loopnic_en_xmit(struct sk_buff *skb, struct net_device *dev);

/* rx.c */
int loopnic_rq_alloc(struct loopnic_channel *ch, unsigned int size);
void loopnic_rq_free(struct loopnic_channel *ch);
int loopnic_poll_rx_cq(struct loopnic_channel *ch, int budget);
bool loopnic_post_rx_wqes(struct loopnic_channel *ch);

/* channel.c */
void loopnic_rss_program(struct loopnic_port *port);
void loopnic_rss_default(struct loopnic_port *port, unsigned int num_ch);
int loopnic_cq_alloc(struct loopnic_channel *ch, struct loopnic_cq *cq,
		     unsigned int size);
void loopnic_cq_free(struct loopnic_channel *ch, struct loopnic_cq *cq);

#endif /* LOOPNIC_EN_H */
