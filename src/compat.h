/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one place where loopnic copes with kernel API differences between the
 * Debian kernels it supports (6.1 LTS and 6.12 LTS). Everything else calls
 * the helpers below. Tests are on the feature, not on LINUX_VERSION_CODE,
 * because distributions backport features into older version numbers.
 */
#ifndef LOOPNIC_COMPAT_H
#define LOOPNIC_COMPAT_H

#include <linux/netdevice.h>

/*
 * 6.6 split <net/page_pool.h> into <net/page_pool/types.h> and
 * <net/page_pool/helpers.h> ("net: page_pool: split the page_pool.h into 2
 * headers"); the calls loopnic makes (page_pool_create,
 * page_pool_dev_alloc_pages, page_pool_put_full_page(pool, page,
 * allow_direct), page_pool_get_dma_addr, skb_mark_for_recycle(skb)) kept
 * their signatures across 6.1..6.12. Until the split, <linux/skbuff.h>
 * included the old header itself, which is the test used here: sparse
 * (0.6.4) does not know __has_include().
 */
#include <linux/skbuff.h>
#ifndef _NET_PAGE_POOL_H
#include <net/page_pool/helpers.h>
#endif

/*
 * Until 6.6 a pool handed out page fragments (page_pool_dev_alloc_frag())
 * only if created with PP_FLAG_PAGE_FRAG; "page_pool: unify frag_count
 * handling in page_pool_is_last_frag()" made every pool able to, and
 * removed the flag.
 */
#ifdef PP_FLAG_PAGE_FRAG
#define LOOPNIC_PP_FLAG_FRAG	PP_FLAG_PAGE_FRAG
#else
#define LOOPNIC_PP_FLAG_FRAG	0
#endif

/*
 * 6.4 moved skb_gso_segment() from <linux/netdevice.h>, and the GSO
 * control block from <linux/skbuff.h>, to <net/gso.h> ("net: move gso
 * declarations and functions to their own files"). SKB_GSO_CB_OFFSET went
 * with them: its absence from <linux/skbuff.h> is the test.
 */
#ifndef SKB_GSO_CB_OFFSET
#include <net/gso.h>
#endif

/*
 * 6.12 moved <asm/unaligned.h> to <linux/unaligned.h>; <linux/etherdevice.h>
 * includes whichever the kernel has.
 */
#include <linux/etherdevice.h>

/*
 * 6.8 passes the RSS configuration to .get_rxfh/.set_rxfh in a struct
 * ethtool_rxfh_param ("net: ethtool: pass a pointer to parameters to
 * get/set_rxfh ethtool ops"); 6.1 passes indir, key and hfunc one by one.
 * RXH_XFRM_SYM_XOR arrived in the same release with the struct's
 * input_xfrm field, and is a macro a test can see. The driver implements
 * loopnic_get_rxfh() and loopnic_set_rxfh() with the 6.1 arguments;
 * LOOPNIC_RXFH_OPS names the adapters for its ethtool_ops.
 */
#include <linux/ethtool.h>

int loopnic_get_rxfh(struct net_device *dev, u32 *indir, u8 *key, u8 *hfunc);
int loopnic_set_rxfh(struct net_device *dev, const u32 *indir, const u8 *key,
		     u8 hfunc, struct netlink_ext_ack *extack);

#ifdef RXH_XFRM_SYM_XOR
static inline int loopnic_get_rxfh_compat(struct net_device *dev,
					  struct ethtool_rxfh_param *rxfh)
{
	return loopnic_get_rxfh(dev, rxfh->indir, rxfh->key, &rxfh->hfunc);
}

static inline int loopnic_set_rxfh_compat(struct net_device *dev,
					  struct ethtool_rxfh_param *rxfh,
					  struct netlink_ext_ack *extack)
{
	/* No symmetric hashing: the MAC hashes fields in wire order only. */
	if (rxfh->input_xfrm && rxfh->input_xfrm != RXH_XFRM_NO_CHANGE) {
		NL_SET_ERR_MSG_MOD(extack, "input transformation not supported");
		return -EOPNOTSUPP;
	}
	return loopnic_set_rxfh(dev, rxfh->indir, rxfh->key, rxfh->hfunc, extack);
}
#else
static inline int loopnic_get_rxfh_compat(struct net_device *dev, u32 *indir,
					  u8 *key, u8 *hfunc)
{
	return loopnic_get_rxfh(dev, indir, key, hfunc);
}

static inline int loopnic_set_rxfh_compat(struct net_device *dev,
					  const u32 *indir, const u8 *key,
					  const u8 hfunc)
{
	return loopnic_set_rxfh(dev, indir, key, hfunc, NULL);
}
#endif

/*
 * 6.10 dropped __assign_str()'s source argument, which now comes from the
 * field's __string() ("tracing/treewide: Remove second parameter of
 * __assign_str()"). The preprocessor cannot see a macro's arity, so Kbuild
 * looks at the kernel's definition and defines LOOPNIC_ASSIGN_STR_SRC.
 */
#ifdef LOOPNIC_ASSIGN_STR_SRC
#define loopnic_assign_str(dst, src)	__assign_str(dst, src)
#else
#define loopnic_assign_str(dst, src)	__assign_str(dst)
#endif

/*
 * 6.8 lets a driver tell the core which NAPI instance serves each queue and
 * which IRQ each NAPI is on (netdev netlink queue-get, napi-get), and 6.9
 * added per-queue statistics (struct netdev_stat_ops, qstats-get, in
 * src/qstats.c). Kbuild defines LOOPNIC_HAVE_QSTATS and builds qstats.c
 * when the kernel's <net/netdev_queues.h> has the latter; before, there is
 * nothing to tell.
 */
#ifdef LOOPNIC_HAVE_QSTATS
#include <net/netdev_queues.h>

extern const struct netdev_stat_ops loopnic_stat_ops;

static inline void loopnic_set_stat_ops(struct net_device *dev)
{
	dev->stat_ops = &loopnic_stat_ops;
}

/* Under RTNL. @napi NULL unlinks queue pair @ix. */
static inline void loopnic_queue_set_napi(struct net_device *dev, unsigned int ix,
					  struct napi_struct *napi, int irq)
{
	if (napi)
		netif_napi_set_irq(napi, irq);
	netif_queue_set_napi(dev, ix, NETDEV_QUEUE_TYPE_RX, napi);
	netif_queue_set_napi(dev, ix, NETDEV_QUEUE_TYPE_TX, napi);
}
#else
static inline void loopnic_set_stat_ops(struct net_device *dev)
{
}

static inline void loopnic_queue_set_napi(struct net_device *dev, unsigned int ix,
					  struct napi_struct *napi, int irq)
{
}
#endif

#endif /* LOOPNIC_COMPAT_H */
