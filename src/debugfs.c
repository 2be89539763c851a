// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: debugfs, read-only. /sys/kernel/debug/loopnic/<port>/queues
 * shows, per ring-path channel, both sides of every queue: the driver's
 * counters and the device's (read through its registers), so a learner or
 * a driver engineer sees who is behind whom and whether a CQ is armed.
 * The directory is named after the port when it is registered.
 */
#include <linux/dcache.h>
#include <linux/debugfs.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>

#include "en/en.h"
#include "loopnic.h"

static struct dentry *loopnic_debugfs_root;

static const char * const loopnic_q_names[LOOPNIC_NUM_QUEUES] = {
	[LOOPNIC_Q_SQ]		= "sq",
	[LOOPNIC_Q_RQ]		= "rq",
	[LOOPNIC_Q_TXCQ]	= "txcq",
	[LOOPNIC_Q_RXCQ]	= "rxcq",
};

static u64 loopnic_debugfs_q_reg(struct loopnic_channel *ch,
				 enum loopnic_hw_queue q, u32 reg)
{
	return loopnic_hw_reg_read(ch->hw, loopnic_reg_q(ch, q, reg));
}

/* One queue: size, the driver's producer/consumer, the device's view. */
static void loopnic_debugfs_q(struct seq_file *m, struct loopnic_channel *ch,
			      enum loopnic_hw_queue q, u32 log_sz, u32 pc, u32 cc)
{
	u64 ctr = loopnic_debugfs_q_reg(ch, q, LOOPNIC_Q_CTR);

	seq_printf(m, "  %-4s size %5u  driver pc %10u cc %10u  device db %10llu ctr %10u%s\n",
		   loopnic_q_names[q], 1U << log_sz, pc, cc,
		   loopnic_debugfs_q_reg(ch, q, LOOPNIC_Q_DB), (u32)ctr,
		   ctr & LOOPNIC_Q_CTR_ARMED ? " armed" : "");
}

static int loopnic_debugfs_queues_show(struct seq_file *m, void *v)
{
	struct loopnic_port *port = m->private;
	struct loopnic_channels *chs;
	unsigned int i;

	/* Not rtnl_lock(): removing this file under RTNL waits for readers. */
	if (!rtnl_trylock())
		return restart_syscall();

	chs = port->chs;
	if (port->path != LOOPNIC_PATH_RING || !chs) {
		seq_printf(m, "%s: no rings (%s)\n", netdev_name(port->dev),
			   port->path == LOOPNIC_PATH_RING ? "down" : "backlog path");
		rtnl_unlock();
		return 0;
	}

	/* pc and cc are read while NAPI and xmit run: a snapshot, not a state. */
	for (i = 0; i < chs->num; i++) {
		struct loopnic_channel *ch = chs->c[i];

		seq_printf(m, "ch%u irq %d cpu %llu napi_id %u\n", ch->ix, ch->irq,
			   loopnic_hw_reg_read(ch->hw, LOOPNIC_REG_CH(ch->ix) +
					       LOOPNIC_CH_IRQ_CPU),
			   READ_ONCE(ch->napi.napi_id));
		loopnic_debugfs_q(m, ch, LOOPNIC_Q_SQ, ch->sq.log_sz,
				  READ_ONCE(ch->sq.pc), READ_ONCE(ch->sq.cc));
		loopnic_debugfs_q(m, ch, LOOPNIC_Q_TXCQ, ch->txcq.log_sz, 0,
				  READ_ONCE(ch->txcq.cc));
		loopnic_debugfs_q(m, ch, LOOPNIC_Q_RQ, ch->rq.log_sz,
				  READ_ONCE(ch->rq.pc), READ_ONCE(ch->rq.cc));
		loopnic_debugfs_q(m, ch, LOOPNIC_Q_RXCQ, ch->rxcq.log_sz, 0,
				  READ_ONCE(ch->rxcq.cc));
	}
	rtnl_unlock();
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(loopnic_debugfs_queues);

/* RTNL held (ndo_init). */
void loopnic_debugfs_port_add(struct loopnic_port *port)
{
	struct dentry *d;

	if (IS_ERR_OR_NULL(loopnic_debugfs_root))
		return;
	/* A port of that name in another netns has it already: none for us. */
	d = debugfs_lookup(netdev_name(port->dev), loopnic_debugfs_root);
	if (d) {
		dput(d);
		return;
	}
	port->debugfs = debugfs_create_dir(netdev_name(port->dev),
					   loopnic_debugfs_root);
	debugfs_create_file("queues", 0400, port->debugfs, port,
			    &loopnic_debugfs_queues_fops);
	loopnic_fault_debugfs_add(port);
	loopnic_en_health_debugfs(port, port->debugfs);
}

void loopnic_debugfs_port_del(struct loopnic_port *port)
{
	debugfs_remove_recursive(port->debugfs);
	port->debugfs = NULL;
}

void loopnic_debugfs_init(void)
{
	loopnic_debugfs_root = debugfs_create_dir(KBUILD_MODNAME, NULL);
}

void loopnic_debugfs_exit(void)
{
	debugfs_remove_recursive(loopnic_debugfs_root);
}
