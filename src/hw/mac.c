// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic emulated NIC: the MAC's statistics counters (LOOPNIC_REG_MAC),
 * kept apart from the driver's own counts as a real NIC's are, so that
 * each side can be checked against the other.
 */
#include "device.h"

void loopnic_hw_mac_count(struct loopnic_hw *hw, bool rx, const u8 *frame, u32 len)
{
	unsigned int i, n;
	u8 ctr[3];

	n = loopnic_mac_frame_ctrs(rx, frame, len, ctr);
	for (i = 0; i < n; i++)
		atomic64_inc(&hw->mac[ctr[i]]);
	atomic64_add(len, &hw->mac[rx ? LOOPNIC_MAC_RX_OCTETS : LOOPNIC_MAC_TX_OCTETS]);
}
