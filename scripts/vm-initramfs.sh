#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse from cache) the tiny initramfs that lets kernel KVER mount
# the host root over virtio-9p and switch_root into it. Prints its path.
# Usage: scripts/vm-initramfs.sh KVER
set -euo pipefail

kver=${1:?usage: vm-initramfs.sh KVER}
# shellcheck source=scripts/kernel-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/kernel-lib.sh"
image=$(kernel_image "$kver")
# A kernel without a modules tree (scripts/debug-kernel.sh) has 9p built in.
moddep=/lib/modules/$kver/modules.dep
cache=${LOOPNIC_CACHE:-/var/cache/loopnic}/vm/$kver
busybox=/bin/busybox
# virtio_pci first, so the 9p device is bound as soon as 9pnet_virtio loads
mods=(virtio_pci 9pnet_virtio 9p)

# The key covers this script (it embeds the init), the kernel package and
# files (catches upgrades and local rebuilds) and busybox.
key_input() {
	local pkg
	cat "${BASH_SOURCE[0]}"
	pkg=$(dpkg-query -S "$image" 2>/dev/null | cut -d: -f1) || true
	if [ -n "$pkg" ]; then
		dpkg-query -W -f='${Package} ${Version}\n' "$pkg"
	fi
	stat -L -c '%n %s %Y' "$image" "$busybox"
	if [ -e "$moddep" ]; then
		stat -L -c '%n %s %Y' "$moddep"
	fi
}

[ -e "$image" ] || { echo "vm-initramfs: no kernel image $image" >&2; exit 1; }
key=$(key_input | sha256sum | cut -c1-16)
img=$cache/initramfs-$key.cpio
if [ -s "$img" ]; then
	echo "$img"
	exit 0
fi

mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
mkdir -p "$root"/{bin,dev,proc,sys,newroot,lib/modules}
cp "$busybox" "$root/bin/busybox"

# Ask kmod for the modules (and their order) rather than keeping a list per
# kernel: 6.1 has virtio_pci/fscache as modules, 6.12 has .ko.xz files, etc.
# busybox insmod only takes plain .ko, so decompress.
if [ -e "$moddep" ]; then
	modprobe -S "$kver" --show-depends -a "${mods[@]}" |
		awk '$1 == "insmod" && !seen[$2]++ { print $2 }' |
		while read -r ko; do
			name=${ko##*/}
			name=${name%%.ko*}
			case $ko in
			*.ko) cat "$ko" ;;
			*.ko.xz) xz -dc "$ko" ;;
			*.ko.zst) zstd -dc "$ko" ;;
			*.ko.gz) gzip -dc "$ko" ;;
			*) echo "vm-initramfs: unknown module format $ko" >&2; exit 1 ;;
			esac >"$root/lib/modules/$name.ko"
			echo "$name" >>"$root/modules"
		done
fi
touch "$root/modules"

# Stage 1 init. Stage 2 is whatever init= names on the kernel command line
# (vm.sh passes scripts/vm-guest-init.sh); root mount options come from
# rootflags=. switch_root rather than chroot: the kernel's request_module()
# must find the host's modprobe and /lib/modules.
cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
die() {
	echo "vm-initramfs: $*"
	echo o >/proc/sysrq-trigger
	sleep 60
}
for m in $(cat /modules); do
	insmod "/lib/modules/$m.ko" || die "insmod $m failed"
done
init= flags=
for arg in $(cat /proc/cmdline); do
	case $arg in
	init=*) init=${arg#init=} ;;
	rootflags=*) flags=,${arg#rootflags=} ;;
	esac
done
[ -n "$init" ] || die "no init= on the kernel command line"
mount -t 9p -o "trans=virtio,version=9p2000.L,ro$flags" hostroot /newroot ||
	die "cannot mount the host root over 9p"
for d in proc sys dev; do
	mount --move "/$d" "/newroot/$d"
done
# the root is read-only: give the usual writable places a tmpfs
mount -t tmpfs -o mode=1777 tmpfs /newroot/tmp
mount -t tmpfs -o mode=1777 tmpfs /newroot/var/tmp
mount -t tmpfs -o mode=755 tmpfs /newroot/run
mount -t tmpfs -o mode=755 tmpfs /newroot/var/log
mount -t tmpfs -o mode=700 tmpfs /newroot/root
[ -r "/newroot$init" ] || die "init $init not visible in the guest"
exec switch_root /newroot /bin/bash "$init"
EOF
chmod +x "$root/init"

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$tmp/img"
rm -f "$cache"/initramfs-*.cpio
mv "$tmp/img" "$img"
echo "$img"
