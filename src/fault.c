// SPDX-License-Identifier: GPL-2.0
/*
 * loopnic: fault injection knobs, /sys/kernel/debug/loopnic/<port>/faults/.
 * The wire's faults (drop, corrupt, duplicate, reorder, delay) are the
 * emulated device's (LOOPNIC_REG_FAULT*, src/hw/fault.c); rx_alloc,
 * tx_dma_map and ch_activate make the driver's own page_pool refill, DMA
 * mapping and channel activation (its request_irq()) fail.
 *
 * A rate file takes "N" (every Nth frame or buffer, counted from this
 * write; 0 is off) or "P%" (each one with probability P percent, up to
 * four decimals). delay_us takes the microseconds a delayed frame is held.
 * Ring path only: the backlog path hands skbs straight to the peer, with
 * no device in between to misbehave, so a write there is refused.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "loopnic.h"

enum loopnic_fault_knob {
	/* 0..LOOPNIC_FAULT_NUM - 1: enum loopnic_hw_fault */
	LOOPNIC_KNOB_DELAY_US = LOOPNIC_FAULT_NUM,
	LOOPNIC_KNOB_DRV,
};

static_assert(LOOPNIC_KNOB_DRV + LOOPNIC_DRV_FAULT_NUM == LOOPNIC_FAULT_KNOBS);

static const char * const loopnic_fault_names[LOOPNIC_FAULT_KNOBS] = {
	[LOOPNIC_FAULT_DROP]		= "drop",
	[LOOPNIC_FAULT_CORRUPT]		= "corrupt",
	[LOOPNIC_FAULT_DUP]		= "duplicate",
	[LOOPNIC_FAULT_REORDER]		= "reorder",
	[LOOPNIC_FAULT_DELAY]		= "delay",
	[LOOPNIC_KNOB_DELAY_US]		= "delay_us",
	[LOOPNIC_KNOB_DRV + LOOPNIC_DRV_FAULT_RX_ALLOC]		= "rx_alloc",
	[LOOPNIC_KNOB_DRV + LOOPNIC_DRV_FAULT_TX_DMA_MAP]	= "tx_dma_map",
	[LOOPNIC_KNOB_DRV + LOOPNIC_DRV_FAULT_CH_ACTIVATE]	= "ch_activate",
};

static u64 loopnic_fault_get(struct loopnic_port *port, unsigned int knob)
{
	if (knob >= LOOPNIC_KNOB_DRV)
		return READ_ONCE(port->fault_cfg[knob - LOOPNIC_KNOB_DRV]);
	if (!port->hw)
		return 0;
	if (knob == LOOPNIC_KNOB_DELAY_US)
		return loopnic_hw_reg_read(port->hw, LOOPNIC_REG_FAULT_DELAY_US);
	return loopnic_hw_reg_read(port->hw, LOOPNIC_REG_FAULT(knob));
}

static void loopnic_fault_set(struct loopnic_port *port, unsigned int knob,
			      u64 val)
{
	if (knob >= LOOPNIC_KNOB_DRV) {
		/* The count restarts before the new rate applies. */
		atomic64_set(&port->fault_seen[knob - LOOPNIC_KNOB_DRV], 0);
		WRITE_ONCE(port->fault_cfg[knob - LOOPNIC_KNOB_DRV], val);
	} else if (knob == LOOPNIC_KNOB_DELAY_US) {
		loopnic_hw_reg_write(port->hw, LOOPNIC_REG_FAULT_DELAY_US, val);
	} else {
		loopnic_hw_reg_write(port->hw, LOOPNIC_REG_FAULT(knob), val);
	}
}

/* "P%", P with up to four decimals, into parts per million. */
static int loopnic_fault_parse_pct(char *s, u64 *ppm)
{
	char *dot = strchr(s, '.');
	unsigned int i, n = 0;
	u32 whole;
	int err;

	if (dot)
		*dot = '\0';
	err = kstrtou32(s, 10, &whole);
	if (err)
		return err;
	if (whole > 100)
		return -ERANGE;
	*ppm = (u64)whole * (LOOPNIC_FAULT_PPM / 100);
	if (!dot)
		return 0;
	/* Four decimals of a percent are parts per million. */
	for (i = 1; dot[i]; i++) {
		if (i > 4 || !isdigit(dot[i]))
			return -EINVAL;
		n = n * 10 + dot[i] - '0';
	}
	if (i == 1)
		return -EINVAL;
	for (; i <= 4; i++)
		n *= 10;
	*ppm += n;
	return *ppm > LOOPNIC_FAULT_PPM ? -ERANGE : 0;
}

/* The LOOPNIC_REG_FAULT value a rate file's text stands for. */
static int loopnic_fault_parse_rate(char *s, u64 *val)
{
	size_t len = strlen(s);
	u64 ppm;
	u32 n;
	int err;

	if (len && s[len - 1] == '%') {
		s[len - 1] = '\0';
		err = loopnic_fault_parse_pct(s, &ppm);
		if (err)
			return err;
		*val = ppm ? LOOPNIC_FAULT_RANDOM | ppm : 0;
		return 0;
	}
	err = kstrtou32(s, 10, &n);
	if (err)
		return err;
	*val = n;
	return 0;
}

static ssize_t loopnic_fault_write(struct file *file, const char __user *ubuf,
				   size_t count, loff_t *ppos)
{
	struct loopnic_fault_file *ff = file->private_data;
	struct loopnic_port *port = ff->port;
	char buf[24], *s;
	u64 val;
	u32 us;
	int err;

	if (port->path != LOOPNIC_PATH_RING)
		return -EOPNOTSUPP;
	if (*ppos || count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	s = strim(buf);

	if (ff->knob == LOOPNIC_KNOB_DELAY_US) {
		err = kstrtou32(s, 10, &us);
		if (err)
			return err;
		if (us > LOOPNIC_HW_DELAY_MAX_US)
			return -ERANGE;
		val = us;
	} else {
		err = loopnic_fault_parse_rate(s, &val);
		if (err)
			return err;
	}
	/*
	 * Every buffer failing would leave the RQ empty for good, with NAPI
	 * trying again forever.
	 */
	if (ff->knob == LOOPNIC_KNOB_DRV + LOOPNIC_DRV_FAULT_RX_ALLOC &&
	    (val == 1 || val == (LOOPNIC_FAULT_RANDOM | LOOPNIC_FAULT_PPM)))
		return -EINVAL;

	loopnic_fault_set(port, ff->knob, val);
	*ppos += count;
	return count;
}

static ssize_t loopnic_fault_read(struct file *file, char __user *ubuf,
				  size_t count, loff_t *ppos)
{
	struct loopnic_fault_file *ff = file->private_data;
	u64 val = loopnic_fault_get(ff->port, ff->knob);
	u64 rate = val & LOOPNIC_FAULT_RATE;
	char buf[24];
	int len;

	if (ff->knob == LOOPNIC_KNOB_DELAY_US || !(val & LOOPNIC_FAULT_RANDOM))
		len = scnprintf(buf, sizeof(buf), "%llu\n", rate);
	else if (rate % (LOOPNIC_FAULT_PPM / 100))
		len = scnprintf(buf, sizeof(buf), "%llu.%04llu%%\n",
				rate / (LOOPNIC_FAULT_PPM / 100),
				rate % (LOOPNIC_FAULT_PPM / 100));
	else
		len = scnprintf(buf, sizeof(buf), "%llu%%\n",
				rate / (LOOPNIC_FAULT_PPM / 100));
	return simple_read_from_buffer(ubuf, count, ppos, buf, len);
}

static const struct file_operations loopnic_fault_fops = {
	.owner	= THIS_MODULE,
	.open	= simple_open,
	.read	= loopnic_fault_read,
	.write	= loopnic_fault_write,
	.llseek	= default_llseek,
};

/* RTNL held (ndo_init), after the port's debugfs directory was made. */
void loopnic_fault_debugfs_add(struct loopnic_port *port)
{
	struct dentry *dir;
	unsigned int i;

	dir = debugfs_create_dir("faults", port->debugfs);
	for (i = 0; i < LOOPNIC_FAULT_KNOBS; i++) {
		port->fault_files[i].port = port;
		port->fault_files[i].knob = i;
		debugfs_create_file(loopnic_fault_names[i], 0600, dir,
				    &port->fault_files[i], &loopnic_fault_fops);
	}
}
