// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: per-CPU counters, summed for ndo_get_stats64 and ethtool -S so
 * that both always report the same numbers.
 */
#include "loopnic.h"

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
}
