#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# List installed kernels we can both build modules for and boot in the VM:
# those with /boot/vmlinuz-KVER and headers at /lib/modules/KVER/build.
# Usage: scripts/kernels.sh   (one KVER per line, oldest first)
set -euo pipefail

for img in /boot/vmlinuz-*; do
	[ -e "$img" ] || continue
	kver=${img#/boot/vmlinuz-}
	if [ -e "/lib/modules/$kver/build/Makefile" ]; then
		printf '%s\n' "$kver"
	fi
done | sort -V
