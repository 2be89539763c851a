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
 * 6.12 turned the NETIF_F_LLTX feature bit into the dev->lltx flag
 * ("netdev_features: convert NETIF_F_LLTX to dev->lltx").
 */
static inline void loopnic_set_lltx(struct net_device *dev)
{
#ifdef NETIF_F_LLTX
	dev->features |= NETIF_F_LLTX;
#else
	dev->lltx = true;
#endif
}

#endif /* LOOPNIC_COMPAT_H */
