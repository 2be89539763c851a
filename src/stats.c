// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: per-CPU counters, summed for ndo_get_stats64 and ethtool -S so
 * that both always report the same numbers.
 */
#include "loopnic.h"

/*
 * Ring path: the totals are the sums of the per-channel counters (of every
 * channel ever used: a channel removed by ethtool -L keeps what it counted),
 * and what only the device sees comes from its registers, as mlx5 reads its
 * vport and queue counters from firmware.
 */
static void loopnic_stats_ring(struct loopnic_port *port, u64 *out)
{
	unsigned int ix;

	for (ix = 0; ix < LOOPNIC_HW_MAX_CHANNELS; ix++) {
		const u64 *ch = &out[LOOPNIC_CH_CTR(ix, 0)];

		out[LOOPNIC_RX_PACKETS] += ch[LOOPNIC_CHSTAT_RX_PACKETS];
		out[LOOPNIC_RX_BYTES] += ch[LOOPNIC_CHSTAT_RX_BYTES];
		out[LOOPNIC_TX_PACKETS] += ch[LOOPNIC_CHSTAT_TX_PACKETS];
		out[LOOPNIC_TX_BYTES] += ch[LOOPNIC_CHSTAT_TX_BYTES];
		if (port->hw)
			out[LOOPNIC_CH_CTR(ix, LOOPNIC_CHSTAT_IRQS)] =
				loopnic_hw_reg_read(port->hw, LOOPNIC_REG_CH(ix) +
						    LOOPNIC_CH_IRQS);
	}

	if (!port->hw)
		return;
	out[LOOPNIC_RX_OUT_OF_BUFFER] = loopnic_hw_reg_read(port->hw,
							    LOOPNIC_REG_RX_OUT_OF_BUFFER);
	out[LOOPNIC_RX_DISCARDS_PHY] = loopnic_hw_reg_read(port->hw,
							   LOOPNIC_REG_RX_DISCARDS);
	out[LOOPNIC_TX_DISCARDS_PHY] = loopnic_hw_reg_read(port->hw,
							   LOOPNIC_REG_TX_DISCARDS);
	for (ix = 0; ix < LOOPNIC_FAULT_NUM; ix++)
		out[LOOPNIC_FAULT_WIRE + ix] =
			loopnic_hw_reg_read(port->hw, LOOPNIC_REG_FAULT_HITS(ix));
	out[LOOPNIC_FAULT_SQ_STALL] = loopnic_hw_reg_read(port->hw,
							  LOOPNIC_REG_FAULT_SQ_STALLS);
	out[LOOPNIC_FAULT_LOST_IRQ] = loopnic_hw_reg_read(port->hw,
							  LOOPNIC_REG_FAULT_LOST_IRQS);
	/* Added to the backlog path's own count: both paths shape the line. */
	out[LOOPNIC_TX_SHAPED] += loopnic_hw_reg_read(port->hw, LOOPNIC_REG_TX_SHAPED);
}

/*
 * Every CPU's @n counters at @off in struct loopnic_pcpu_stats (its c[] or
 * its mac[]), summed into @out.
 */
static void loopnic_pcpu_sum(struct loopnic_port *port, size_t off,
			     unsigned int n, u64 *out)
{
	unsigned int i;
	int cpu;

	BUILD_BUG_ON((int)LOOPNIC_MAC_NUM > (int)LOOPNIC_NUM_COUNTERS);
	memset(out, 0, n * sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct loopnic_pcpu_stats *s = per_cpu_ptr(port->stats, cpu);
		const u64_stats_t *c = (const void *)s + off;
		u64 snap[LOOPNIC_NUM_COUNTERS];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < n; i++)
				snap[i] = u64_stats_read(&c[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));

		for (i = 0; i < n; i++)
			out[i] += snap[i];
	}
}

void loopnic_stats_read(struct loopnic_port *port, u64 *out)
{
	loopnic_pcpu_sum(port, offsetof(struct loopnic_pcpu_stats, c),
			 LOOPNIC_NUM_COUNTERS, out);
	/*
	 * Always: the ring path's totals, kept in its channels, stay in the
	 * port's after it switched to the backlog path.
	 */
	loopnic_stats_ring(port, out);
}

/*
 * The MAC statistics: what the device counted in its registers plus what
 * the backlog path counted itself. A frame crosses one of the two, so the
 * sum holds whichever path a port has used.
 */
void loopnic_stats_mac(struct loopnic_port *port, u64 *mac)
{
	unsigned int i;

	loopnic_pcpu_sum(port, offsetof(struct loopnic_pcpu_stats, mac),
			 LOOPNIC_MAC_NUM, mac);
	if (port->hw)
		for (i = 0; i < LOOPNIC_MAC_NUM; i++)
			mac[i] += loopnic_hw_reg_read(port->hw, LOOPNIC_REG_MAC(i));
}
