#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build, or find in the cache, the debug kernel of `make check-debug`:
# linux-source-6.1 with x86_64_defconfig + kvm_guest.config +
# scripts/debug-kernel.config (KASAN, lockdep, kmemleak, DEBUG_NET, ...).
# It lives outside the repository, under $LOOPNIC_CACHE/debug-kernel, and
# is rebuilt only when its key changes (source package version, config
# fragment, this script). The result is registered as
# $LOOPNIC_CACHE/kernels/KVER/{vmlinuz,build}, where scripts/kernel-lib.sh
# finds it; KVER is printed on stdout.
#
# Usage: scripts/debug-kernel.sh [-n]
#   -n  do not build: print KVER if the cached kernel is current, else exit 1
set -euo pipefail

scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
cache=${LOOPNIC_CACHE:-/var/cache/loopnic}
base=$cache/debug-kernel
tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$scripts/debug-kernel.config

check_only=0
while getopts "n" opt; do
	case $opt in
	n) check_only=1 ;;
	*) sed -n 's/^# \{0,1\}//; /^Usage:/,/^$/p' "${BASH_SOURCE[0]}" >&2; exit 2 ;;
	esac
done

log() { echo "debug-kernel: $*" >&2; }

pkgver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) || pkgver=''
if [ -z "$pkgver" ] || [ ! -r "$tarball" ]; then
	log "linux-source-6.1 is not installed (scripts/setup.sh installs it)"
	exit 1
fi
key=$( { echo "$pkgver"; cat "$fragment" "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-12)
out=$base/build-$key
stamp=$out/.loopnic-done

if [ -s "$stamp" ]; then
	cat "$stamp"
	exit 0
fi
if [ "$check_only" = 1 ]; then
	log "no current debug kernel in $base (make check-debug builds it)"
	exit 1
fi

# The source tree is shared by all keys of one package version.
src=$base/linux-source-6.1
if [ "$(cat "$src/.loopnic-pkgver" 2>/dev/null)" != "$pkgver" ]; then
	log "unpacking $tarball"
	rm -rf "$src"
	mkdir -p "$base"
	tar -C "$base" -xf "$tarball"
	echo "$pkgver" >"$src/.loopnic-pkgver"
fi

t0=$SECONDS
rm -rf "$out"
mkdir -p "$out"
log "configuring in $out"
make -s -C "$src" O="$out" x86_64_defconfig >&2
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
	"$src/kernel/configs/kvm_guest.config" "$fragment" >/dev/null
make -s -C "$src" O="$out" olddefconfig >&2

# merge_config only warns about options that olddefconfig dropped (an
# unmet dependency): a debug lane without, say, KASAN must not pass.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) opt=$line ;;
	"# CONFIG_"*" is not set") opt=$line ;;
	*) continue ;;
	esac
	if ! grep -qxF "$opt" "$out/.config"; then
		log "config: '$opt' did not survive olddefconfig"
		missing=1
	fi
done <"$fragment"
[ "$missing" = 0 ] || exit 1

# nice: a background build must not slow the VMs of a concurrent check.
log "building (about 30 min on 2 cores)"
nice -n 19 make -s -C "$src" O="$out" -j"$(nproc)" >"$out/build.log" 2>&1 || {
	tail -n 30 "$out/build.log" >&2
	log "build failed, log in $out/build.log"
	exit 1
}
kver=$(make -s -C "$src" O="$out" kernelrelease)
reg=$cache/kernels/$kver
mkdir -p "$reg"
ln -sfn "$out/arch/x86/boot/bzImage" "$reg/vmlinuz"
ln -sfn "$out" "$reg/build"
log "built $kver in $(((SECONDS - t0) / 60)) min $(((SECONDS - t0) % 60)) s"
echo "$kver" >"$stamp"
# Only the current key is ever used again; an old build is a GiB of disk.
for old in "$base"/build-*; do
	[ "$old" = "$out" ] || rm -rf "$old"
done
echo "$kver"
