/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loopnic device model: state private to src/hw/. The driver half never
 * includes this; it sees the device through include/loopnic/hw.h only.
 */
#ifndef LOOPNIC_HW_DEVICE_H
#define LOOPNIC_HW_DEVICE_H

#include <linux/atomic.h>
#include <linux/hrtimer.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/platform_device.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>

#include <loopnic/hw.h>

/* Frames the TX engine moves before it lets others run and interrupts. */
#define LOOPNIC_HW_TX_BATCH	64
/*
 * And frames on the wire, LSO segments each: a small MSS must not make one
 * run endless (TCP's smallest, 88 bytes, cuts a frame into up to 745).
 */
#define LOOPNIC_HW_TX_BATCH_SEGS	256

struct loopnic_hw_q {
	/* Programmed by the driver while the channel is disabled. */
	u64 base;
	u32 log_sz;
	/* Resolved from base when the channel is enabled. */
	void *va;
	u32 mask;
	/* Last doorbell value (SQ/RQ producer counter). */
	u32 db;
	/* Device side: consumer counter (SQ/RQ) or producer counter (CQ). */
	u32 ctr;
	/* CQ only, under ch->irq_lock: armed, and the consumer counter given. */
	bool armed;
	u32 arm_ci;
};

/* LOOPNIC_CH_*CQ_MOD of one CQ; fields under ch->irq_lock. */
struct loopnic_hw_cq_mod {
	struct loopnic_hw_ch *ch;
	enum loopnic_hw_queue q;
	u16 usecs;
	u16 frames;
	/* The period: started (under irq_lock) by the first entry after arming. */
	struct hrtimer timer;
};

#define LOOPNIC_HW_NUM_CQS	2

/* Fault injection state of one TX engine (fault.c); only the engine touches it. */
struct loopnic_hw_fault_ch {
	/*
	 * The faults (bit f: enum loopnic_hw_fault) decided for the frame at
	 * SQ counter dec_ctr (its LSO segment dec_seg): a frame the wire held
	 * is gathered and sent again, and must neither be counted twice nor
	 * draw anew.
	 */
	bool dec_valid;
	u32 dec_ctr;
	u32 dec_seg;
	unsigned long dec;
	/* REORDER: the frame held back (held_len 0: none), and until when. */
	u32 held_len;
	ktime_t held_until;
	/* Requeues the engine when the window ends with nothing behind. */
	struct hrtimer timer;
	u8 held[LOOPNIC_HW_MAX_FRAME];
};

/* What an RX CQE says about the frame besides its buffers. */
struct loopnic_hw_rx_info {
	u32 hash;
	u8 type;
	bool csum_valid;
	__sum16 csum;
	/* LRO: the segments (0: not a coalesced frame) and their payload. */
	u8 lro_segs;
	u16 lro_mss;
};

/*
 * LRO (lro.c): the frame the MAC is coalescing for one RQ, under its
 * channel's rx_lock. Its buffers are the RQ's from @ctr on, consumed but
 * not completed: their CQEs are written when it ends, within the TX
 * engine run that put its segments on the wire (loopnic_hw_wire_flush()).
 */
struct loopnic_hw_lro {
	/* Segments in it; 0: no frame is open. */
	u32 segs;
	u32 ctr;
	u32 bufs;
	/* Its length so far, and the size of its buffers. */
	u32 len;
	u32 room;
	u32 l4;
	u32 hdr_len;
	u32 mss;
	u32 next_seq;
	bool ipv6;
	bool psh;
	/* The first segment's RSS result and, for a frame of one, its sum. */
	struct loopnic_hw_rx_info rx;
	/* The first segment's headers, which the next ones must match. */
	u8 hdr[LOOPNIC_HW_LSO_MAX_HDR];
};

struct loopnic_hw_ch {
	struct loopnic_hw *hw;
	unsigned int idx;
	struct loopnic_hw_q q[LOOPNIC_NUM_QUEUES];
	/* The TX engine (engine.c), as LOOPNIC_REG_ENGINE said when enabled. */
	u8 engine;
	struct work_struct tx_work;
	struct tasklet_struct tx_tasklet;
	/* The TX engine may run: read without lock, cleared before its flush. */
	bool tx_on;
	/*
	 * Serializes frames arriving from the wire against RQ enable/disable;
	 * with bottom halves off, as engines may be tasklets.
	 */
	spinlock_t rx_lock;
	bool rx_on;
	struct loopnic_hw_lro lro;
	/*
	 * TX engines that stopped on a frame for our empty RQ (PAUSE): the
	 * RQ doorbell restarts them. Bit i is the peer's channel i, bit
	 * LOOPNIC_HW_MAX_CHANNELS + i our own (MAC loopback). See wire.c.
	 */
	unsigned long pause_waiters;

	/* The channel's MSI-X vector: its Linux IRQ and where it points. */
	spinlock_t irq_lock;
	unsigned int irq;
	unsigned int irq_cpu;
	unsigned long irq_pending;
	/* Deliveries raised and not finished, for loopnic_hw_irq_free(). */
	atomic_t irq_busy;
	struct irq_work irq_work;
	call_single_data_t irq_csd;
	atomic64_t irqs;
	/* Indexed by q - LOOPNIC_Q_TXCQ. */
	struct loopnic_hw_cq_mod cq_mod[LOOPNIC_HW_NUM_CQS];

	struct loopnic_hw_fault_ch fault;
	/*
	 * Recovery (health.c): the SQ engine must not run while stopped by
	 * LOOPNIC_SQ_CMD_STOP or stalled by an injected fault; held says its
	 * last run ended on a frame the wire keeps. lost_irqs: interrupts
	 * still to drop.
	 */
	bool sq_stopped;
	bool sq_stalled;
	bool sq_held;
	atomic_t lost_irqs;
	/*
	 * The frame at the head of the SQ waits for the line (LOOPNIC_REG_SPEED):
	 * the timer requeues the engine then. The flag, engine only, makes
	 * the frame count once in tx_shaped.
	 */
	struct hrtimer line_timer;
	bool line_waiting;
	/*
	 * Engine only: the clock as this run of the engine first read it for
	 * the line, 0 before. A read is dear (an HPET access where the TSC
	 * is not trusted, as under TCG: 4% of the CPU in a TCP stream when
	 * every segment read it), and one per run suffices (wire.c).
	 */
	u64 line_now;

	/*
	 * LSO (lso.c), engine only: the next segment of the head frame to
	 * send, when the wire held one (also what LOOPNIC_CH_SQ_HEAD_SEGS
	 * reads); the head frame's headers.
	 */
	u32 lso_seg;
	u8 lso_hdr[LOOPNIC_HW_LSO_MAX_HDR];

	/* TX engine scratch: the frame (or LSO segment) being gathered. */
	u8 frame[LOOPNIC_HW_MAX_FRAME];
};

struct loopnic_hw {
	struct platform_device *pdev;
	/* First of the LOOPNIC_HW_MAX_CHANNELS IRQ descriptors. */
	unsigned int irq_base;
	/* The other end of the cable; RCU, changed under loopnic_hw_cable_lock. */
	struct loopnic_hw __rcu *peer;
	atomic64_t rx_out_of_buffer;
	atomic64_t rx_discards;
	atomic64_t tx_discards;
	/* LOOPNIC_REG_RX_HOLD; read by the peer's engines under RCU. */
	bool rx_hold;
	/* LOOPNIC_REG_PAUSE: read by our engines (RX) and the peer's (TX). */
	u32 pause;
	atomic64_t tx_pause;
	atomic64_t rx_pause;
	atomic64_t mac[LOOPNIC_MAC_NUM];
	/* LOOPNIC_REG_LOOPBACK: read by our engines per frame. */
	u32 loopback;
	/* Faults injected (LOOPNIC_REG_FAULT_*). */
	atomic64_t fault_sq_stalls;
	atomic64_t fault_lost_irqs;
	/* LOOPNIC_REG_SPEED, in Mb/s: read by our engines per frame. */
	u32 speed;
	/* LOOPNIC_REG_RX_CSUM: read per frame by every engine that delivers to us. */
	bool rx_csum;
	/* LOOPNIC_REG_LRO: the same. */
	u32 lro_bufs;
	/* LOOPNIC_REG_ENGINE. */
	u8 engine;
	/*
	 * When, in ktime_get_ns() time, the line is done with every frame
	 * our engines sent so far (shared by them all: one line per port).
	 */
	atomic64_t line_tat;
	atomic64_t tx_shaped;
	/* RSS: written by the driver, read by every engine that delivers to us. */
	u8 rss_key[LOOPNIC_HW_RSS_KEY_SIZE];
	u8 rss_indir[LOOPNIC_HW_RSS_INDIR_SIZE];
	/* LOOPNIC_REG_FAULT*: written by the driver, read by our engines per frame. */
	u64 fault_cfg[LOOPNIC_FAULT_NUM];
	u32 fault_delay_us;
	atomic64_t fault_seen[LOOPNIC_FAULT_NUM];
	atomic64_t fault_hits[LOOPNIC_FAULT_NUM];
	struct loopnic_hw_ch ch[LOOPNIC_HW_MAX_CHANNELS];
};

extern struct workqueue_struct *loopnic_hw_wq;

/* device.c */
void *loopnic_hw_dma_va(struct loopnic_hw *hw, u64 addr);

/* engine.c */
void loopnic_hw_engine_init(struct loopnic_hw_ch *ch);
void loopnic_hw_engine_kick(struct loopnic_hw_ch *ch);
void loopnic_hw_engine_sync(struct loopnic_hw_ch *ch);
/* The frame at the head of an SQ, as its WQEs describe it. */
struct loopnic_hw_tx_frame {
	u32 n;
	u32 len;
	u16 flags;
	u16 csum_start;
	/* The MSS with LOOPNIC_TX_F_LSO. */
	u16 csum_offset;
};

void loopnic_hw_tx_read(struct loopnic_hw_ch *ch, const struct loopnic_hw_tx_frame *f,
			u32 off, u32 len, u8 *dst, __wsum *sum);

/*
 * A frame as the TX engine hands it to the MAC. Its first @staged bytes, at
 * least its headers, are in @data; the rest is still in the buffers of the
 * sending channel's head frame @tx, from offset @tx_off, and the receiving
 * MAC moves it from there straight into the RX buffers, as a cut-through
 * switch would. With @csum the checksum offload is still to complete: the
 * field at @csum_start + @csum_offset, among the staged bytes, holds the
 * pseudo-header sum, and the MAC adds in the rest as it moves it. So the
 * payload is read and summed once, from one host's memory to the other's.
 */
struct loopnic_hw_wire_frame {
	u8 *data;
	u32 len;
	u32 staged;
	const struct loopnic_hw_tx_frame *tx;
	u32 tx_off;
	bool csum;
	u16 csum_start;
	u16 csum_offset;
};

void loopnic_hw_csum_complete(u8 *data, u32 start, u32 off, u32 staged, __wsum rest);
void loopnic_hw_frame_stage(struct loopnic_hw_ch *ch, struct loopnic_hw_wire_frame *wf);

void loopnic_hw_cqe_write(struct loopnic_hw_ch *ch, enum loopnic_hw_queue q,
			  u32 byte_cnt, u32 wqe_counter, u8 flags,
			  const struct loopnic_hw_rx_info *rx);

/* mac.c */
void loopnic_hw_mac_count(struct loopnic_hw *hw, bool rx, const u8 *frame, u32 len);

/* wire.c */

/* What the MAC's parser finds in an IPv4 or IPv6 frame. */
struct loopnic_hw_ip {
	/* Source then destination address: 8 bytes for IPv4, 32 for IPv6. */
	const u8 *addrs;
	u32 alen;
	/* Offset of the L4 header; 0 in a fragment, where ports may be absent. */
	u32 l4;
	/* Offset past the IP packet, as its header says (not checked against len). */
	u32 end;
	u8 proto;
};

bool loopnic_hw_parse_ip(const u8 *frame, u32 len, struct loopnic_hw_ip *ip);
void loopnic_hw_ip_set_len(u8 *frame, bool ipv6, u32 len);

enum loopnic_hw_wire {
	LOOPNIC_WIRE_SENT,
	/* No cable: the frame is gone, counted in tx_discards. */
	LOOPNIC_WIRE_NO_CABLE,
	/*
	 * The peer holds its RX, or sent PAUSE: the frame stays in the SQ
	 * for later.
	 */
	LOOPNIC_WIRE_HELD,
	/*
	 * The line is busy (LOOPNIC_REG_SPEED): the frame stays in the SQ
	 * until the time given, in ktime_get_ns() time.
	 */
	LOOPNIC_WIRE_LINE_BUSY,
	/*
	 * Fault injection delays the frame (LOOPNIC_FAULT_DELAY): it, and
	 * everything behind it, stays in the SQ until the time given.
	 */
	LOOPNIC_WIRE_DELAYED,
};

/* The frame stays at the head of the SQ, to be sent again later. */
static inline bool loopnic_hw_wire_waits(enum loopnic_hw_wire ret)
{
	return ret == LOOPNIC_WIRE_HELD || ret == LOOPNIC_WIRE_LINE_BUSY ||
	       ret == LOOPNIC_WIRE_DELAYED;
}

enum loopnic_hw_wire loopnic_hw_wire_xmit(struct loopnic_hw_ch *src,
					  struct loopnic_hw_wire_frame *wf,
					  unsigned long *rx_chs, u64 *resume);

/* A frame all in @frame (fault injection keeps such copies). */
static inline enum loopnic_hw_wire
loopnic_hw_wire_xmit_staged(struct loopnic_hw_ch *src, u8 *frame, u32 len,
			    unsigned long *rx_chs, u64 *resume)
{
	struct loopnic_hw_wire_frame wf = {
		.data = frame, .len = len, .staged = len,
	};

	return loopnic_hw_wire_xmit(src, &wf, rx_chs, resume);
}

void loopnic_hw_wire_flush(struct loopnic_hw *hw, unsigned long rx_chs);
u32 loopnic_hw_rq_wqe_len(struct loopnic_hw_q *rq, u32 ctr);
u32 loopnic_hw_rq_bufs(struct loopnic_hw_q *rq, u32 pc, u32 len, u32 *roomp);
u8 *loopnic_hw_rq_buf(struct loopnic_hw *hw, struct loopnic_hw_q *rq, u32 ctr, u32 *len);
void loopnic_hw_rq_complete(struct loopnic_hw_ch *ch, u32 ctr, u32 n, u32 len,
			    u8 flags, const struct loopnic_hw_rx_info *rx);
void loopnic_hw_rx_hold(struct loopnic_hw *hw, bool hold);
void loopnic_hw_pause_set(struct loopnic_hw *hw, u32 val);
void loopnic_hw_rq_posted(struct loopnic_hw_ch *ch);
void loopnic_hw_pause_release(struct loopnic_hw_ch *ch);
void loopnic_hw_loopback_set(struct loopnic_hw *hw, u64 val);
void loopnic_hw_line_init(struct loopnic_hw_ch *ch);
void loopnic_hw_line_cancel(struct loopnic_hw_ch *ch);

/* fault.c */
void loopnic_hw_fault_ch_init(struct loopnic_hw_ch *ch);
void loopnic_hw_fault_ch_stop(struct loopnic_hw_ch *ch);
void loopnic_hw_fault_tick(struct loopnic_hw_ch *ch, unsigned long *rx_chs);
enum loopnic_hw_wire loopnic_hw_fault_xmit(struct loopnic_hw_ch *ch, u32 seg,
					   struct loopnic_hw_wire_frame *wf,
					   unsigned long *rx_chs, u64 *resume);
bool loopnic_hw_fault_reg_write(struct loopnic_hw *hw, u32 reg, u64 val);
bool loopnic_hw_fault_reg_read(struct loopnic_hw *hw, u32 reg, u64 *val);
/* lro.c */
bool loopnic_hw_lro_append(struct loopnic_hw_ch *ch, struct loopnic_hw_ch *src,
			   struct loopnic_hw_wire_frame *wf, u32 pc, u32 max_bufs);
bool loopnic_hw_lro_open(struct loopnic_hw_ch *ch, const struct loopnic_hw_wire_frame *wf,
			 u32 n, u32 room, const struct loopnic_hw_rx_info *rx, __sum16 sum,
			 u32 max_bufs);
void loopnic_hw_lro_flush(struct loopnic_hw_ch *ch);
void loopnic_hw_lro_drop(struct loopnic_hw_ch *ch);
u32 loopnic_hw_lro_bufs(u64 val);

/* lso.c */
bool loopnic_hw_lso_xmit(struct loopnic_hw_ch *ch, const struct loopnic_hw_tx_frame *f,
			 u32 *lenp, u32 *budget, unsigned long *rx_chs, u64 *resume,
			 enum loopnic_hw_wire *ret);

/* health.c */
void loopnic_hw_fault_inject(struct loopnic_hw *hw, u64 val);
void loopnic_hw_sq_cmd(struct loopnic_hw_ch *ch, u64 cmd);
u64 loopnic_hw_sq_status(struct loopnic_hw_ch *ch);
void loopnic_hw_health_reset(struct loopnic_hw_ch *ch);
void loopnic_hw_sq_bad_doorbell(struct loopnic_hw_ch *ch, u32 pc);
bool loopnic_hw_irq_lost(struct loopnic_hw_ch *ch);

/* irq.c */
void loopnic_hw_irq_init(struct loopnic_hw_ch *ch);
void loopnic_hw_cq_arm(struct loopnic_hw_ch *ch, enum loopnic_hw_queue q, u32 ci);
void loopnic_hw_cq_event(struct loopnic_hw_ch *ch, enum loopnic_hw_queue q);
void loopnic_hw_cq_disarm_all(struct loopnic_hw_ch *ch);
int loopnic_hw_irq_alloc(struct loopnic_hw *hw);
void loopnic_hw_irq_free(struct loopnic_hw *hw);
void loopnic_hw_cq_mod_write(struct loopnic_hw_ch *ch, enum loopnic_hw_queue q,
			     u64 val);
u64 loopnic_hw_cq_mod_read(struct loopnic_hw_ch *ch, enum loopnic_hw_queue q);

#endif /* LOOPNIC_HW_DEVICE_H */
