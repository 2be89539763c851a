# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Sourced by the scripts that boot or build for a kernel KVER: where its
# image and its build tree are. A kernel is either an installed Debian one
# (/boot/vmlinuz-KVER, /lib/modules/KVER/build) or one registered under
# $LOOPNIC_CACHE/kernels/KVER/{vmlinuz,build} by scripts/debug-kernel.sh,
# which has no /lib/modules tree: its drivers are all built in.

kernel_registered()
{
	echo "${LOOPNIC_CACHE:-/var/cache/loopnic}/kernels/$1"
}

# kernel_file KVER NAME FALLBACK: the registered kernel's NAME, else FALLBACK
kernel_file()
{
	local reg

	reg=$(kernel_registered "$1")
	if [ -e "$reg/$2" ]; then
		echo "$reg/$2"
	else
		echo "$3"
	fi
}

kernel_image()
{
	kernel_file "$1" vmlinuz "/boot/vmlinuz-$1"
}

kernel_build()
{
	kernel_file "$1" build "/lib/modules/$1/build"
}

# kvm or tcg: KVM only where it can run a guest. A /dev/kvm we can open is
# not enough: a host without hardware virtualisation (no vmx/svm flag) can
# still offer one that fails the first vCPU's MSR setup (qemu aborts with
# "failed to set MSR 0x10a"). LOOPNIC_VM_ACCEL=kvm|tcg overrides.
vm_accel()
{
	case ${LOOPNIC_VM_ACCEL:-} in
	kvm | tcg) echo "$LOOPNIC_VM_ACCEL"; return ;;
	esac
	# -c first: opening a missing /dev/kvm with <> would create a plain file
	if [ -c /dev/kvm ] && { : <>/dev/kvm; } 2>/dev/null &&
		grep -qwE 'vmx|svm' /proc/cpuinfo; then
		echo kvm
	else
		echo tcg
	fi
}
