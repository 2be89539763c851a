// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: a loopback-style virtual NIC. Module entry points, parameters,
 * the "loopnic" rtnl link kind and the cross-wired port pairs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/netdevice.h>
#include <net/rtnetlink.h>

#include <loopnic/hw.h>

#include "en/en.h"
#include "loopnic.h"

/*
 * An unsigned module parameter that refuses values outside [min, max], and
 * with pow2 set, values that are not a power of two.
 */
struct loopnic_uint_param {
	unsigned int *value;
	unsigned int min;
	unsigned int max;
	bool pow2;
};

static int loopnic_param_set_uint(const char *val, const struct kernel_param *kp)
{
	const struct loopnic_uint_param *p = kp->arg;
	unsigned int n;

	/* val is NULL for a bare "pairs" with no "=". */
	if (!val || kstrtouint(val, 0, &n) || n < p->min || n > p->max ||
	    (p->pow2 && !is_power_of_2(n))) {
		pr_err("invalid %s=%s: must be %s%u..%u\n", kp->name, val ?: "",
		       p->pow2 ? "a power of two in " : "", p->min, p->max);
		return -EINVAL;
	}
	*p->value = n;
	return 0;
}

static int loopnic_param_get_uint(char *buf, const struct kernel_param *kp)
{
	const struct loopnic_uint_param *p = kp->arg;

	return sysfs_emit(buf, "%u\n", *p->value);
}

static const struct kernel_param_ops loopnic_uint_param_ops = {
	.set = loopnic_param_set_uint,
	.get = loopnic_param_get_uint,
};

static unsigned int loopnic_pairs = 1;
static struct loopnic_uint_param loopnic_pairs_param = {
	.value = &loopnic_pairs, .min = 1, .max = LOOPNIC_MAX_PAIRS,
};
module_param_cb(pairs, &loopnic_uint_param_ops, &loopnic_pairs_param, 0444);
MODULE_PARM_DESC(pairs, "Number of cross-wired port pairs to create (1..32, default 1)");

unsigned int loopnic_backlog_len = 1000;
static struct loopnic_uint_param loopnic_backlog_len_param = {
	.value = &loopnic_backlog_len, .min = 1, .max = LOOPNIC_BACKLOG_MAX,
};
module_param_cb(backlog_len, &loopnic_uint_param_ops, &loopnic_backlog_len_param, 0444);
MODULE_PARM_DESC(backlog_len, "Per-CPU receive backlog limit in frames (1..1048576, default 1000)");

unsigned int loopnic_sq_size = 1024;
static struct loopnic_uint_param loopnic_sq_size_param = {
	.value = &loopnic_sq_size, .pow2 = true,
	.min = 1U << 6, .max = 1U << LOOPNIC_HW_MAX_LOG_SZ,
};
module_param_cb(sq_size, &loopnic_uint_param_ops, &loopnic_sq_size_param, 0444);
MODULE_PARM_DESC(sq_size, "Ring path: TX descriptors per send queue (power of two, 64..8192, default 1024)");

unsigned int loopnic_rq_size = 1024;
static struct loopnic_uint_param loopnic_rq_size_param = {
	.value = &loopnic_rq_size, .pow2 = true,
	.min = 1U << LOOPNIC_HW_MIN_LOG_SZ, .max = 1U << LOOPNIC_HW_MAX_LOG_SZ,
};
module_param_cb(rq_size, &loopnic_uint_param_ops, &loopnic_rq_size_param, 0444);
MODULE_PARM_DESC(rq_size, "Ring path: RX buffers per receive queue (power of two, 8..8192, default 1024)");

/* 0: one channel per online CPU, up to what the NIC implements. */
unsigned int loopnic_channels;
static struct loopnic_uint_param loopnic_channels_param = {
	.value = &loopnic_channels, .min = 1, .max = LOOPNIC_HW_MAX_CHANNELS,
};
module_param_cb(channels, &loopnic_uint_param_ops, &loopnic_channels_param, 0444);
MODULE_PARM_DESC(channels, "Ring path: combined channels per port (1..8, default one per online CPU up to 8)");

/*
 * A module parameter that takes one of a list of names and stores the
 * index of the one given.
 */
struct loopnic_name_param {
	u32 *value;
	const char * const *names;
	unsigned int n;
	/* For the error message: "backlog or ring". */
	const char *choices;
};

static int loopnic_param_set_name(const char *val, const struct kernel_param *kp)
{
	const struct loopnic_name_param *p = kp->arg;
	unsigned int i;

	for (i = 0; val && i < p->n; i++) {
		if (sysfs_streq(val, p->names[i])) {
			*p->value = i;
			return 0;
		}
	}
	pr_err("invalid %s=%s: must be %s\n", kp->name, val ?: "", p->choices);
	return -EINVAL;
}

static int loopnic_param_get_name(char *buf, const struct kernel_param *kp)
{
	const struct loopnic_name_param *p = kp->arg;

	return sysfs_emit(buf, "%s\n", p->names[*p->value]);
}

static const struct kernel_param_ops loopnic_name_param_ops = {
	.set = loopnic_param_set_name,
	.get = loopnic_param_get_name,
};

static const char * const loopnic_path_names[] = {
	[LOOPNIC_PATH_BACKLOG]	= "backlog",
	[LOOPNIC_PATH_RING]	= "ring",
};

u32 loopnic_default_path = LOOPNIC_PATH_BACKLOG;
static struct loopnic_name_param loopnic_path_param = {
	.value = &loopnic_default_path, .names = loopnic_path_names,
	.n = ARRAY_SIZE(loopnic_path_names), .choices = "backlog or ring",
};
module_param_cb(path, &loopnic_name_param_ops, &loopnic_path_param, 0444);
MODULE_PARM_DESC(path, "Data path of new ports: backlog (default) or ring");

/* LOOPNIC_REG_ENGINE of every port's NIC, indexed by its value. */
static const char * const loopnic_hw_engine_names[] = {
	[LOOPNIC_ENGINE_THREAD]		= "thread",
	[LOOPNIC_ENGINE_SOFTIRQ]	= "softirq",
};

u32 loopnic_hw_engine = LOOPNIC_ENGINE_THREAD;
static struct loopnic_name_param loopnic_hw_engine_param = {
	.value = &loopnic_hw_engine, .names = loopnic_hw_engine_names,
	.n = ARRAY_SIZE(loopnic_hw_engine_names), .choices = "thread or softirq",
};
module_param_cb(hw_engine, &loopnic_name_param_ops, &loopnic_hw_engine_param, 0444);
MODULE_PARM_DESC(hw_engine,
		 "Ring path: where the emulated NIC's TX engines run: thread (default, a kworker beside the CPUs) or softirq (on the CPU that rings the doorbell)");

static void loopnic_wire(struct net_device *a, struct net_device *b)
{
	struct loopnic_port *pa = netdev_priv(a), *pb = netdev_priv(b);

	rcu_assign_pointer(pa->peer, b);
	rcu_assign_pointer(pb->peer, a);
	/* Every port has a NIC, whatever its path: a switch only opens channels. */
	loopnic_hw_connect(pa->hw, pb->hw);
}

/* `ip link add NAME type loopnic`: a port wired to itself, a NIC in MAC loopback. */
static int loopnic_newlink(struct net *src_net, struct net_device *dev,
			   struct nlattr *tb[], struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	int err;

	err = register_netdevice(dev);
	if (err)
		return err;
	loopnic_wire(dev, dev);
	return 0;
}

/* Cutting one end of the cable removes both ports, as veth does. */
static void loopnic_dellink(struct net_device *dev, struct list_head *head)
{
	struct loopnic_port *port = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(port->peer);

	RCU_INIT_POINTER(port->peer, NULL);
	unregister_netdevice_queue(dev, head);

	if (peer && peer != dev) {
		struct loopnic_port *peer_port = netdev_priv(peer);

		RCU_INIT_POINTER(peer_port->peer, NULL);
		unregister_netdevice_queue(peer, head);
	}
}

/*
 * A queue per channel a port may ever open, on either path: ring-path
 * on switches it at run time. The backlog path uses one of them.
 */
static unsigned int loopnic_num_queues(void)
{
	return LOOPNIC_HW_MAX_CHANNELS;
}

static struct rtnl_link_ops loopnic_link_ops = {
	.kind			= KBUILD_MODNAME,
	.priv_size		= sizeof(struct loopnic_port),
	.setup			= loopnic_setup,
	.newlink		= loopnic_newlink,
	.dellink		= loopnic_dellink,
	.get_num_tx_queues	= loopnic_num_queues,
	.get_num_rx_queues	= loopnic_num_queues,
};

static struct net_device *loopnic_alloc_port(unsigned int index)
{
	char name[IFNAMSIZ];
	struct net_device *dev;

	snprintf(name, sizeof(name), "%s%u", KBUILD_MODNAME, index);
	dev = alloc_netdev_mqs(sizeof(struct loopnic_port), name, NET_NAME_ENUM,
			       loopnic_setup, loopnic_num_queues(),
			       loopnic_num_queues());
	if (dev)
		dev->rtnl_link_ops = &loopnic_link_ops;
	return dev;
}

/* Ports 2n and 2n+1, wired to each other. Called under RTNL. */
static int loopnic_create_pair(unsigned int n)
{
	struct net_device *a, *b;
	int err = -ENOMEM;

	a = loopnic_alloc_port(2 * n);
	b = loopnic_alloc_port(2 * n + 1);
	if (!a || !b)
		goto err_free;

	err = register_netdevice(a);
	if (err)
		goto err_free;
	err = register_netdevice(b);
	if (err) {
		/* a is the core's now: unregistering it also frees it. */
		unregister_netdevice(a);
		a = NULL;
		goto err_free;
	}
	loopnic_wire(a, b);
	return 0;

err_free:
	if (b)
		free_netdev(b);
	if (a)
		free_netdev(a);
	return err;
}

static int __init loopnic_module_init(void)
{
	unsigned int n;
	int err;

	loopnic_ethtool_init();
	err = loopnic_hw_module_init();
	if (err)
		return err;
	loopnic_debugfs_init();
	err = rtnl_link_register(&loopnic_link_ops);
	if (err) {
		loopnic_debugfs_exit();
		loopnic_hw_module_exit();
		return err;
	}

	rtnl_lock();
	for (n = 0; n < loopnic_pairs; n++) {
		err = loopnic_create_pair(n);
		if (err)
			break;
	}
	rtnl_unlock();

	if (err) {
		pr_err("creating port pair %u failed: %d\n", n, err);
		/* Also removes the pairs already created. */
		rtnl_link_unregister(&loopnic_link_ops);
		loopnic_debugfs_exit();
		loopnic_hw_module_exit();
	}
	return err;
}

static void __exit loopnic_module_exit(void)
{
	/* Deletes every loopnic port in every namespace through dellink. */
	rtnl_link_unregister(&loopnic_link_ops);
	loopnic_debugfs_exit();
	/* After the ports: their devices' engines run on it. */
	loopnic_hw_module_exit();
}

module_init(loopnic_module_init);
module_exit(loopnic_module_exit);

MODULE_AUTHOR("The loopnic developers");
MODULE_DESCRIPTION("Loopback-style virtual NIC with cross-wired port pairs");
MODULE_LICENSE("GPL");
MODULE_ALIAS_RTNL_LINK(KBUILD_MODNAME);
