/* SPDX-License-Identifier: GPL-2.0 */
/*
 * loopnic emulated NIC: the hardware interface.
 *
 * This header is the only contract between the driver half (src/en/) and the
 * device model (src/hw/), as a real NIC's programmer's reference manual would
 * be: descriptor and completion formats as they sit in DMA memory
 * (little-endian, fixed sizes) and the register map. The device reaches
 * driver memory only through the DMA addresses it is given here.
 */
#ifndef LOOPNIC_HW_H
#define LOOPNIC_HW_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/device.h>
#include <linux/etherdevice.h>
#include <linux/interrupt.h>
#include <linux/random.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/time64.h>
#include <linux/types.h>

/*
 * Largest frame (Ethernet header included, FCS excluded) the MAC carries:
 * 9216 bytes, the jumbo frame size switches commonly take, which leaves
 * room for a 9000-byte MTU with VLAN tags.
 */
#define LOOPNIC_HW_MAX_FRAME		9216

#define LOOPNIC_HW_MAX_CHANNELS		8
#define LOOPNIC_HW_MIN_LOG_SZ		3
#define LOOPNIC_HW_MAX_LOG_SZ		13

/*
 * TX work queue element: one buffer of a frame. A frame is described by
 * consecutive WQEs; the last carries LOOPNIC_TX_F_EOP. Offloads are
 * requested in the first WQE of a frame, with offsets from the start of
 * the frame:
 *  - LOOPNIC_TX_F_CSUM: the device sums from csum_start to the end of the
 *    frame and stores the folded result at csum_start + csum_offset.
 *  - LOOPNIC_TX_F_LSO (large send): the frame is an Ethernet + IPv4 or
 *    IPv6 (no extension headers) + TCP header, csum_start the TCP
 *    header's offset, then up to LOOPNIC_HW_MAX_LSO bytes in all. The
 *    device cuts the payload into segments of mss bytes (the last may be
 *    shorter), each sent as a frame of its own behind a copy of the
 *    headers: IPv4 total length, ID (+1 a segment) and header checksum,
 *    or IPv6 payload length, TCP sequence number and checksum are its
 *    own; FIN and PSH stay on the last segment only, CWR on the first
 *    only. A segment longer than LOOPNIC_HW_MAX_FRAME, or headers the
 *    device does not parse, fail the frame (LOOPNIC_CQE_F_ERR) before any
 *    segment is sent.
 * A frame without LSO is at most LOOPNIC_HW_MAX_FRAME bytes long.
 */
struct loopnic_tx_wqe {
	__le64 addr;
	__le16 len;
	__le16 flags;
	__le16 csum_start;
	union {
		__le16 csum_offset;	/* LOOPNIC_TX_F_CSUM */
		__le16 mss;		/* LOOPNIC_TX_F_LSO */
	};
};

#define LOOPNIC_TX_F_EOP		BIT(0)
#define LOOPNIC_TX_F_CSUM		BIT(1)
#define LOOPNIC_TX_F_LSO		BIT(2)

/* The longest LSO frame, headers included (the stack's legacy GSO limit). */
#define LOOPNIC_HW_MAX_LSO		65536
/* Ethernet, IPv4 with options, TCP with options: the most headers LSO copies. */
#define LOOPNIC_HW_LSO_MAX_HDR		(ETH_HLEN + 60 + 60)

/*
 * RX work queue element: one posted receive buffer. A frame longer than the
 * buffer continues in the buffers of the following WQEs, each filled before
 * the next is used, and takes one RX CQE per buffer (see below). A frame
 * is only delivered if the WQEs posted then hold all of it; otherwise no
 * buffer is touched and the frame is dropped (rx_out_of_buffer) or held
 * by PAUSE, as a frame finding no WQE at all. A frame longer than the
 * buffers of a whole RQ can hold is dropped (rx_discards).
 */
struct loopnic_rx_wqe {
	__le64 addr;
	__le32 len;
	__le32 rsvd;
};

/*
 * Completion queue entry. The device writes every other field, then
 * (after a write barrier) op_own, whose owner bit it sets to the parity of
 * the pass it is on: bit log_sz of its producer counter. Entries start with
 * the owner bit set, so the first pass (parity 0) is told from stale ones.
 * wqe_counter is the low 16 bits of the counter of the WQE completed (for TX,
 * the frame's EOP WQE).
 *
 * TX: one CQE per frame, byte_cnt the frame length (for LSO, the sum of its
 * segments' lengths). RX: one CQE per buffer, byte_cnt the bytes in that
 * buffer; every CQE of a frame but the last has LOOPNIC_CQE_F_MORE, so the
 * frame is the buffers up to and including the first CQE without it, and its
 * length the sum of their byte_cnt. Each CQE of a frame carries the frame's
 * RSS hash and type; its last, with LOOPNIC_CQE_F_CSUM, its checksum: the 16-bit
 * ones' complement sum of every byte after the 14-byte Ethernet header (VLAN
 * tags and padding included), not complemented, in the byte order of the
 * frame: what the stack takes as CHECKSUM_COMPLETE. The CQEs of a frame are
 * written in order and without CQEs of other frames between them, but the
 * driver may see the first ones before the last.
 *
 * A frame LRO coalesced (LOOPNIC_REG_LRO) has LOOPNIC_CQE_F_LRO on each of
 * its CQEs and no LOOPNIC_CQE_F_CSUM; its last CQE says how many segments
 * it holds (lro_segs, at least 2) and the payload of each but the last
 * (lro_mss).
 */
struct loopnic_cqe {
	__le32 byte_cnt;
	__le16 wqe_counter;
	u8 flags;
	u8 op_own;
	/* RX only: the RSS hash of the frame and what it covered. */
	__le32 rss_hash;
	u8 rss_type;
	/* RX, LOOPNIC_CQE_F_LRO, last CQE: segments in the frame; else 0. */
	u8 lro_segs;
	union {
		/* RX, LOOPNIC_CQE_F_CSUM: the frame's checksum, as described above. */
		__sum16 csum;
		/* RX, LOOPNIC_CQE_F_LRO, last CQE: the segments' TCP payload. */
		__le16 lro_mss;
	};
};

/* cqe->rss_type */
#define LOOPNIC_CQE_RSS_NONE		0	/* not IP: rss_hash is 0 */
#define LOOPNIC_CQE_RSS_L3		1	/* IP addresses */
#define LOOPNIC_CQE_RSS_L4		2	/* IP addresses and TCP/UDP ports */

#define LOOPNIC_CQE_OWNER		BIT(0)
/* TX: the frame was not sent: too long or malformed descriptors. */
#define LOOPNIC_CQE_F_ERR		BIT(0)
/* RX: the frame continues in the buffer of the next CQE. */
#define LOOPNIC_CQE_F_MORE		BIT(1)
/* RX: csum is the frame's checksum (LOOPNIC_REG_RX_CSUM was 1); else 0. */
#define LOOPNIC_CQE_F_CSUM		BIT(2)
/* RX: a frame LRO built of several TCP segments (LOOPNIC_REG_LRO). */
#define LOOPNIC_CQE_F_LRO		BIT(3)

static_assert(sizeof(struct loopnic_tx_wqe) == 16);
static_assert(sizeof(struct loopnic_rx_wqe) == 16);
static_assert(sizeof(struct loopnic_cqe) == 16);

/*
 * Registers are 64 bits wide (think readq/writeq). Global registers first,
 * then one block per channel. Counters are read-only and never reset.
 */
#define LOOPNIC_REG_ID			0x0000	/* ro: LOOPNIC_HW_ID */
#define LOOPNIC_REG_NUM_CH		0x0008	/* ro: channels implemented */
#define LOOPNIC_REG_RX_OUT_OF_BUFFER	0x0010	/* ro: frames dropped, too few RX WQEs */
#define LOOPNIC_REG_RX_DISCARDS		0x0018	/* ro: frames dropped, RQ off or too long */
#define LOOPNIC_REG_TX_DISCARDS		0x0020	/* ro: frames sent with no cable */
/*
 * rw: 1 makes the wire hold frames for this port in the sender's SQ
 * instead of delivering them, so the driver can rebuild its receive side
 * without losing any; the write returns once no frame is being delivered.
 * 0 releases them.
 */
#define LOOPNIC_REG_RX_HOLD		0x0028
/*
 * rw: link-level flow control, as IEEE 802.3x PAUSE. A frame arriving for
 * an RQ without enough posted WQEs for it is dropped into rx_out_of_buffer
 * unless the receiving port has LOOPNIC_PAUSE_TX (it sends PAUSE) and the
 * sending port has LOOPNIC_PAUSE_RX (it honours PAUSE): then the wire
 * holds the frame in the sender's SQ, whose engine stops on it, and the
 * sender resends it once the receiver rings that RQ's doorbell. An RQ that
 * is disabled, or a cable that is gone, still drops. Writable at any time;
 * a bit cleared releases the frames it held, which are then delivered or
 * dropped.
 */
#define LOOPNIC_REG_PAUSE		0x0030
#define LOOPNIC_PAUSE_RX		BIT(0)
#define LOOPNIC_PAUSE_TX		BIT(1)
/* ro: PAUSE this port sent (frames held for lack of an RX WQE of ours). */
#define LOOPNIC_REG_TX_PAUSE		0x0038
/* ro: PAUSE this port honoured (frames of ours held by the peer). */
#define LOOPNIC_REG_RX_PAUSE		0x0040
/*
 * rw: LOOPNIC_LOOPBACK_MAC puts the MAC in loopback: every frame the port
 * sends is received by its own RQs (steered by its own RSS, held by its
 * own RX_HOLD, paused by its own PAUSE bits) instead of going down the
 * cable, which then carries nothing from this port; frames from the peer
 * are still received. Writable at any time, also with traffic in flight:
 * each frame goes one way or the other, whole. Reset value 0.
 */
#define LOOPNIC_REG_LOOPBACK		0x0048
#define LOOPNIC_LOOPBACK_MAC		BIT(0)
/*
 * rw: the line rate of the port's transmitter, in Mb/s; 0 is no limit.
 * Reset value LOOPNIC_HW_SPEED_DEFAULT. Each frame occupies the line for
 * loopnic_line_ns() of its length, whatever its destination (the peer,
 * or the port itself in MAC loopback). The MAC may run ahead of the line
 * by LOOPNIC_LINE_AHEAD_NS at most (a short burst); a frame that would
 * take it further waits at the head of its SQ, which stops there, until
 * it is LOOPNIC_LINE_RESUME_NS ahead, so frames are held, never
 * dropped. A frame held by the receiver (RX_HOLD, PAUSE) or with no
 * cable does not use the line. Writable at any time: the next frame
 * is timed at the new rate.
 */
#define LOOPNIC_REG_SPEED		0x0050
#define LOOPNIC_HW_SPEED_DEFAULT	100000
/*
 * ro: times an SQ stopped for the line rate: a frame at its head found
 * the line busy. A frame counts once, however often its engine looks
 * again before it goes.
 */
#define LOOPNIC_REG_TX_SHAPED		0x0058
/*
 * rw: 1 (the reset value), the MAC sums every frame it receives into its
 * RX CQE's csum; 0, it leaves csum 0 and saves the pass over the frame.
 */
#define LOOPNIC_REG_RX_CSUM		0x0060
/*
 * rw: where the TX engines run; a channel takes the value as it is
 * enabled. LOOPNIC_ENGINE_THREAD (the reset value): a kworker of their
 * own, beside the CPU that rang the doorbell, as a NIC's DMA engines work
 * beside the host's CPUs: the copying runs in parallel with the stack.
 * LOOPNIC_ENGINE_SOFTIRQ: a tasklet on the CPU that rang the doorbell,
 * which runs the engine as that CPU leaves the section with bottom halves
 * off it rang it from: no wake-up, no context switch, no IPI, so a frame
 * crosses the device with the latency of a real NIC's, not of a kworker's
 * wake-up; the CPU that sends does the copying. Other values read back
 * as LOOPNIC_ENGINE_THREAD.
 */
#define LOOPNIC_REG_ENGINE		0x0068
#define LOOPNIC_ENGINE_THREAD		0
#define LOOPNIC_ENGINE_SOFTIRQ		1
/*
 * rw: large receive offload, as a NIC's LRO or RSC engine. 0 (the reset
 * value) is off; else the most RX buffers one coalesced frame may fill,
 * which the device takes as 2 at least and LOOPNIC_HW_LRO_MAX_BUFS at
 * most (read back as taken). The MAC then merges TCP segments arriving in
 * order for the same RQ into one frame: the same Ethernet header, IPv4
 * without options, unfragmented and its header checksum right, or IPv6
 * without extension headers, the same addresses, TOS or traffic class and
 * flow label, TTL or hop limit, ports, ACK number, window and TCP
 * options, no flag but ACK and PSH, each segment's TCP checksum right,
 * each segment's payload that of the first but the last's, which may be
 * shorter. A segment with PSH, a shorter one, LOOPNIC_HW_LRO_MAX_SEGS
 * segments, a frame that would pass LOOPNIC_HW_MAX_LSO bytes or the
 * buffer limit, a segment that does not match, the end of the sender's
 * TX engine run (a short batch of frames: the device needs no timer) and
 * RX_HOLD end the frame; disabling the channel drops it (rx_discards).
 * Its payload fills the buffers back to back behind the first segment's
 * headers, in which the device rewrites IPv4 total length and header
 * checksum or IPv6 payload length, and sets PSH if a segment had it; the
 * TCP checksum stays the first segment's. The CQEs of a frame are written
 * when it ends (see struct loopnic_cqe). A frame of one segment is
 * delivered as any other. LOOPNIC_REG_RX_CSUM does not matter to it.
 */
#define LOOPNIC_REG_LRO			0x0070
#define LOOPNIC_HW_LRO_MAX_BUFS		64
#define LOOPNIC_HW_LRO_MAX_SEGS		255

/*
 * What a frame costs on the line besides its bytes (which exclude the FCS
 * and are padded to ETH_ZLEN): FCS, preamble and start delimiter, and the
 * inter-frame gap, as IEEE 802.3 counts them: 4 + 8 + 12 bytes.
 */
#define LOOPNIC_LINE_OVERHEAD		(ETH_FCS_LEN + 8 + 12)
/*
 * The MAC's FIFO, in time: wide enough that an engine woken late (a TCG
 * guest takes milliseconds under load) still finds frames left to send,
 * short enough to be a burst of a few frames at 10 Mb/s and invisible
 * over a second.
 */
#define LOOPNIC_LINE_AHEAD_NS		(10 * NSEC_PER_MSEC)
#define LOOPNIC_LINE_RESUME_NS		(5 * NSEC_PER_MSEC)

/* The bytes a frame of @len bytes takes on the line. */
static inline u64 loopnic_line_bytes(u32 len)
{
	return max_t(u32, len, ETH_ZLEN) + LOOPNIC_LINE_OVERHEAD;
}

/* Nanoseconds @bytes of line (loopnic_line_bytes()) last at @mbps Mb/s. */
static inline u64 loopnic_line_ns(u64 bytes, u32 mbps)
{
	/* One bit at 1 Mb/s lasts 1000 ns. */
	return div_u64(bytes * 8 * 1000, mbps);
}

/*
 * Receive side scaling. The MAC hashes each received frame with Toeplitz
 * over the IPv4/IPv6 addresses and, for TCP and UDP (unfragmented), the
 * ports; other frames hash to 0. Entry (hash % LOOPNIC_HW_RSS_INDIR_SIZE)
 * of the indirection table names the channel whose RQ takes the frame.
 * Key register i holds key bytes 8i..8i+7, byte 8i in bits 7:0. Both may
 * be rewritten at any time; a frame in flight uses old or new values.
 */
#define LOOPNIC_HW_RSS_KEY_SIZE		40
#define LOOPNIC_HW_RSS_INDIR_SIZE	128
#define LOOPNIC_REG_RSS_KEY(i)		(0x0100 + (i) * 8)	/* rw */
#define LOOPNIC_REG_RSS_INDIR(i)	(0x0200 + (i) * 8)	/* rw: channel */

/*
 * MAC statistics (IEEE 802.3 clause 30 and RMON, RFC 2819), one read-only
 * register each at LOOPNIC_REG_MAC(ctr). A frame counts when it leaves the
 * MAC for the wire (TX; also when the peer then has no buffer for it) and
 * when it is written into a posted RX buffer (RX), at its length without
 * FCS (the wire has none). Multicast excludes broadcast. A received frame
 * shorter than ETH_ZLEN counts as undersize instead of in the histogram,
 * whose buckets end at LOOPNIC_MAC_HIST_HIGH (the first starts at 0: the
 * MAC does not pad what it sends).
 */
enum loopnic_mac_ctr {
	LOOPNIC_MAC_TX_FRAMES,
	LOOPNIC_MAC_TX_OCTETS,
	LOOPNIC_MAC_TX_MCAST,
	LOOPNIC_MAC_TX_BCAST,
	LOOPNIC_MAC_RX_FRAMES,
	LOOPNIC_MAC_RX_OCTETS,
	LOOPNIC_MAC_RX_MCAST,
	LOOPNIC_MAC_RX_BCAST,
	LOOPNIC_MAC_RX_UNDERSIZE,
	LOOPNIC_MAC_TX_HIST,
	LOOPNIC_MAC_HIST_BUCKETS = 10,
	LOOPNIC_MAC_RX_HIST = LOOPNIC_MAC_TX_HIST + LOOPNIC_MAC_HIST_BUCKETS,
	LOOPNIC_MAC_NUM = LOOPNIC_MAC_RX_HIST + LOOPNIC_MAC_HIST_BUCKETS,
};

#define LOOPNIC_REG_MAC(ctr)		(0x0800 + (ctr) * 8)

/* Longer frames (a GSO frame on the backlog path) share the last bucket. */
#define LOOPNIC_MAC_HIST_HIGH \
	{ 64, 127, 255, 511, 1023, 1518, 2047, 4095, 9216, 65535 }

/* The histogram bucket a frame of @len bytes counts in. */
static inline unsigned int loopnic_mac_hist_bucket(u32 len)
{
	static const u16 high[LOOPNIC_MAC_HIST_BUCKETS] = LOOPNIC_MAC_HIST_HIGH;
	unsigned int i;

	for (i = 0; i < LOOPNIC_MAC_HIST_BUCKETS - 1; i++)
		if (len <= high[i])
			break;
	return i;
}

/*
 * The counters a frame of @len bytes to @dst adds one to (its octets
 * aside): stored in @ctr, their number returned.
 */
static inline unsigned int loopnic_mac_frame_ctrs(bool rx, const u8 *dst, u32 len,
						  u8 ctr[3])
{
	unsigned int n = 0;

	ctr[n++] = rx ? LOOPNIC_MAC_RX_FRAMES : LOOPNIC_MAC_TX_FRAMES;
	if (len >= ETH_ALEN && is_broadcast_ether_addr(dst))
		ctr[n++] = rx ? LOOPNIC_MAC_RX_BCAST : LOOPNIC_MAC_TX_BCAST;
	else if (len >= ETH_ALEN && is_multicast_ether_addr(dst))
		ctr[n++] = rx ? LOOPNIC_MAC_RX_MCAST : LOOPNIC_MAC_TX_MCAST;
	if (rx && len < ETH_ZLEN)
		ctr[n++] = LOOPNIC_MAC_RX_UNDERSIZE;
	else
		ctr[n++] = (rx ? LOOPNIC_MAC_RX_HIST : LOOPNIC_MAC_TX_HIST) +
			   loopnic_mac_hist_bucket(len);
	return n;
}

/*
 * Fault injection, for testing the driver's recovery, as a real NIC's
 * debug firmware offers. Write LOOPNIC_FAULT_KIND_* in KIND and a channel in CH:
 *  SQ_STALL: the channel's SQ engine stops fetching WQEs. Doorbells are
 *    recorded and ignored, so the frames posted stay unsent and get no CQE,
 *    until LOOPNIC_SQ_CMD_RESET (or the channel is disabled and enabled).
 *  LOST_IRQ: the channel's next interrupt is not sent. The CQE is in
 *    memory and the CQ disarmed itself as usual, so nothing fires again
 *    until the driver arms the CQ.
 * Faults for a channel that is not enabled are ignored. The counters are
 * read-only: stalls injected, interrupts lost.
 */
#define LOOPNIC_REG_FAULT_INJECT	0x0e00	/* wo */
#define LOOPNIC_FAULT_CH		GENMASK_ULL(7, 0)
#define LOOPNIC_FAULT_KIND		GENMASK_ULL(15, 8)
#define LOOPNIC_FAULT_KIND_SQ_STALL	1
#define LOOPNIC_FAULT_KIND_LOST_IRQ	2
#define LOOPNIC_REG_FAULT_SQ_STALLS	0x0e08	/* ro */
#define LOOPNIC_REG_FAULT_LOST_IRQS	0x0e10	/* ro */

#define LOOPNIC_HW_ID			0x4c4f4f504e494331ULL

/*
 * Fault injection, for testing drivers and stacks against a bad link: a
 * test-only block, as NIC firmware keeps for its vendor's validation.
 * LOOPNIC_REG_FAULT(f) (rw, reset value 0) picks which frames this port
 * sends suffer fault f: 0 none; N (1..2^32-1) every Nth frame, counted
 * from the last write of the register; LOOPNIC_FAULT_RANDOM with a rate
 * in parts per million each frame independently. The driver's own
 * faults (RX buffer allocation, TX DMA mapping) take the same format.
 * LOOPNIC_REG_FAULT_HITS(f) (ro) counts the frames affected.
 *
 * DROP: lost on the wire (the sender completes it as sent). CORRUPT: one
 * bit flipped in the last byte of an IPv4/IPv6 packet carrying a TCP, UDP
 * (with a checksum), ICMP or ICMPv6 checksum, after checksum offload;
 * other frames are neither corrupted nor counted towards N. DUP: sent
 * twice; counted when the copy went on the wire. REORDER: held until the
 * next frame of the same SQ went out, or LOOPNIC_HW_REORDER_WINDOW_US
 * passed; a frame arriving while one is held is not held itself. DELAY:
 * the TX engine holds the frame LOOPNIC_REG_FAULT_DELAY_US microseconds
 * (at most LOOPNIC_HW_DELAY_MAX_US) before it goes out, and what is
 * behind it in that SQ waits too, as on a slow link.
 */
enum loopnic_hw_fault {
	LOOPNIC_FAULT_DROP,
	LOOPNIC_FAULT_CORRUPT,
	LOOPNIC_FAULT_DUP,
	LOOPNIC_FAULT_REORDER,
	LOOPNIC_FAULT_DELAY,
	LOOPNIC_FAULT_NUM,
};

#define LOOPNIC_REG_FAULT(f)		(0x0a00 + (f) * 8)
#define LOOPNIC_REG_FAULT_DELAY_US	0x0a40
#define LOOPNIC_REG_FAULT_HITS(f)	(0x0a80 + (f) * 8)
#define LOOPNIC_FAULT_RANDOM		BIT_ULL(63)
#define LOOPNIC_FAULT_RATE		GENMASK_ULL(31, 0)
#define LOOPNIC_FAULT_PPM		1000000
#define LOOPNIC_HW_DELAY_MAX_US		100000
#define LOOPNIC_HW_REORDER_WINDOW_US	10000

/*
 * Whether the frame @seen frames were counted before (the caller's
 * counter, incremented here) suffers a fault set to @cfg.
 */
static inline bool loopnic_fault_hit(u64 cfg, atomic64_t *seen)
{
	u64 rate = cfg & LOOPNIC_FAULT_RATE;

	if (!cfg)
		return false;
	if (cfg & LOOPNIC_FAULT_RANDOM)
		return ((u64)get_random_u32() * LOOPNIC_FAULT_PPM >> 32) < rate;
	return rate && !(atomic64_inc_return(seen) % rate);
}

#define LOOPNIC_REG_CH(ch)		(0x1000 + (ch) * 0x100)
/* Channel block. */
#define LOOPNIC_CH_CTRL			0x00	/* rw: LOOPNIC_CH_CTRL_EN */
/* ro: the CPU the vector's message targets, set through its IRQ affinity */
#define LOOPNIC_CH_IRQ_CPU		0x08
#define LOOPNIC_CH_IRQS			0x10	/* ro: interrupts raised */
#define LOOPNIC_CH_CTRL_EN		BIT(0)

/*
 * Send queue commands, for recovering an SQ without touching the rest of
 * the channel (wo). STOP: the SQ engine stops; the write returns once it is
 * idle, after which no TX CQE is written. RESET (of a stopped SQ): the SQ
 * and the TX CQ restart from counter 0 (the TX CQ disarmed, its
 * moderation period ended), WQEs posted and not fetched are forgotten, an
 * injected stall is cleared, and the engine may run again.
 * LOOPNIC_CH_SQ_STATUS (ro) tells why an SQ does not move: STOPPED by the
 * command, STALLED by an injected fault or a doorbell the device refused
 * (see the queue blocks below), HELD on a frame the wire keeps for the
 * receiver (PAUSE or LOOPNIC_REG_RX_HOLD).
 */
#define LOOPNIC_CH_SQ_CMD		0xe0
#define LOOPNIC_SQ_CMD_STOP		1
#define LOOPNIC_SQ_CMD_RESET		2
#define LOOPNIC_CH_SQ_STATUS		0xe8
#define LOOPNIC_SQ_ST_STOPPED		BIT(0)
#define LOOPNIC_SQ_ST_STALLED		BIT(1)
#define LOOPNIC_SQ_ST_HELD		BIT(2)
/*
 * ro: of the LSO frame at the SQ's head, the segments already on the wire
 * (the wire held the next one). Read once the SQ is stopped or the channel
 * disabled, it tells the driver how much of a frame it will never see a
 * CQE for was sent; it reads 0 again after RESET or the next enable.
 */
#define LOOPNIC_CH_SQ_HEAD_SEGS		0xf0

/*
 * Queue blocks inside a channel block: base DMA address and log2 of the
 * entry count, written while the channel is disabled, and a doorbell. For
 * the SQ and RQ the doorbell takes the driver's producer counter (entries
 * before it are valid); for a CQ it takes the driver's consumer counter and
 * arms the CQ: one interrupt once an entry at or past it is written. Each
 * reads back the last value written. An SQ or RQ doorbell further ahead
 * of the device's counter than the ring has entries is a driver's error:
 * the SQ then stalls (STALLED, until RESET), the RQ gives none of its
 * buffers to frames, which the MAC discards (rx_discards), until a doorbell
 * is right again. An RX WQE's len above LOOPNIC_HW_MAX_FRAME counts as
 * LOOPNIC_HW_MAX_FRAME. LOOPNIC_Q_CTR is the device's own
 * counter, for diagnostics: how far it consumed an SQ or RQ, or produced a
 * CQ; a CQ's has LOOPNIC_Q_CTR_ARMED set while it is armed.
 */
enum loopnic_hw_queue {
	LOOPNIC_Q_SQ,
	LOOPNIC_Q_RQ,
	LOOPNIC_Q_TXCQ,
	LOOPNIC_Q_RXCQ,
	LOOPNIC_NUM_QUEUES,
};

#define LOOPNIC_CH_Q(q)			(0x20 + (q) * 0x20)
#define LOOPNIC_Q_BASE			0x00
#define LOOPNIC_Q_LOG_SZ		0x08
#define LOOPNIC_Q_DB			0x10
#define LOOPNIC_Q_CTR			0x18	/* ro */
#define LOOPNIC_Q_CTR_ARMED		BIT_ULL(32)

#define LOOPNIC_REG_Q(ch, q, r)		(LOOPNIC_REG_CH(ch) + LOOPNIC_CH_Q(q) + (r))
/* The register space ends after the last channel block. */
#define LOOPNIC_REG_SPACE		LOOPNIC_REG_CH(LOOPNIC_HW_MAX_CHANNELS)

/*
 * Interrupt moderation, one register per CQ, rw at any time (reset value 0).
 * An armed CQ raises the vector once FRAMES entries were written past the
 * consumer counter it was armed with, or USECS microseconds after the first
 * such entry, whichever comes first; the count is evaluated at the end of
 * each engine batch, not per entry. FRAMES 0 leaves only the timer. USECS
 * 0 turns moderation off: the CQ fires at its first entry, whatever FRAMES
 * says, as the count alone could hold a lone entry forever. A write applies
 * at once to the entries already there (a CQ past its new FRAMES fires); a
 * period already running keeps the expiry it started with.
 */
#define LOOPNIC_CH_TXCQ_MOD		0xa0
#define LOOPNIC_CH_RXCQ_MOD		0xa8
#define LOOPNIC_CH_CQ_MOD(q)		(LOOPNIC_CH_TXCQ_MOD + ((q) - LOOPNIC_Q_TXCQ) * 8)
#define LOOPNIC_CH_MOD_USECS		GENMASK_ULL(15, 0)
#define LOOPNIC_CH_MOD_FRAMES		GENMASK_ULL(31, 16)
#define LOOPNIC_HW_MOD_MAX		0xffff	/* largest USECS and FRAMES */

/*
 * The bus: how the driver finds the device, maps memory for it and
 * learns its interrupts (the equivalent of probe, pci_iomap and
 * pci_irq_vector). Everything else goes through the registers.
 */
struct loopnic_hw;

struct loopnic_hw *loopnic_hw_create(void);
void loopnic_hw_destroy(struct loopnic_hw *hw);
struct device *loopnic_hw_dma_dev(struct loopnic_hw *hw);
/* Plug a cable between two devices (or from a device to itself). */
void loopnic_hw_connect(struct loopnic_hw *a, struct loopnic_hw *b);

u64 loopnic_hw_reg_read(struct loopnic_hw *hw, u32 reg);
void loopnic_hw_reg_write(struct loopnic_hw *hw, u32 reg, u64 val);

/*
 * The Linux IRQ number of MSI-X vector @vec, channel @vec's, for
 * request_irq(); its affinity (/proc/irq/N/smp_affinity) picks the CPU the
 * message lands on. Valid while the device exists.
 */
int loopnic_hw_irq_vector(struct loopnic_hw *hw, unsigned int vec);

int loopnic_hw_module_init(void);
void loopnic_hw_module_exit(void);

#endif /* LOOPNIC_HW_H */
