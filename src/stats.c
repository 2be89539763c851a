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
}

void loopnic_stats_read(struct loopnic_port *port, u64 *out)
{
	int cpu, i;

	memset(out, 0, LOOPNIC_NUM_COUNTERS * sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct loopnic_pcpu_stats *s = per_cpu_ptr(port->stats, cpu);
		u64 snap[LOOPNIC_NUM_COUNTERS];
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&s->syncp);
			for (i = 0; i < LOOPNIC_NUM_COUNTERS; i++)
				snap[i] = u64_stats_read(&s->c[i]);
		} while (u64_stats_fetch_retry(&s->syncp, start));

		for (i = 0; i < LOOPNIC_NUM_COUNTERS; i++)
			out[i] += snap[i];
	}

	/*
	 * Always: the ring path's totals, kept in its channels, stay in the
	 * port's after it switched to the backlog path.
	 */
	loopnic_stats_ring(port, out);
}
