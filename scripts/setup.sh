#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages loopnic needs and cache the few kernel-tree
# files we use from linux-source-6.1. Idempotent: a second run takes < 1 s.
# Usage: scripts/setup.sh [-d]   (as root; no stdin needed)
#   -d  also what building the debug kernel needs (make check-debug)
set -euo pipefail

CACHE=${LOOPNIC_CACHE:-/var/cache/loopnic}

PKGS=(
	# kernels to build against and boot under QEMU (6.1 LTS + 6.12 LTS)
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	# 6.1 with PREEMPT_RT: the driver's locking must hold there too
	linux-image-rt-amd64 linux-headers-rt-amd64
	linux-source-6.1
	# module build
	make gcc libc6-dev bc flex bison sparse perl
	# VM harness (scripts/vm.sh)
	qemu-system-x86 busybox-static kmod cpio xz-utils procps
	# used by tests inside the VM
	ethtool iproute2 iputils-ping iperf3 python3 trace-cmd
	# the upstream forwarding/loopback.sh (tests/loopnic_loopback.sh):
	# mausezahn, and jq for its tc -j parsing
	netsniff-ng jq
	# make bench's chart
	gnuplot-nox
	# lint
	shellcheck
)
# scripts/debug-kernel.sh: a full kernel build (objtool, certs)
DEBUG_PKGS=(libelf-dev libssl-dev)

while getopts "d" opt; do
	case $opt in
	d) PKGS+=("${DEBUG_PKGS[@]}") ;;
	*) echo "usage: $0 [-d]" >&2; exit 2 ;;
	esac
done

log() { printf 'setup: %s\n' "$*"; }

install_pkgs() {
	local missing
	# db:Status-Abbrev is "ii " for installed packages; unknown ones print nothing
	missing=$(comm -23 <(printf '%s\n' "${PKGS[@]}" | sort -u) \
		<(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${PKGS[@]}" 2>/dev/null |
			awk '$1 == "ii" { print $2 }' | sort -u))
	if [ -z "$missing" ]; then
		log "all ${#PKGS[@]} packages installed"
		return
	fi
	log "installing: ${missing//$'\n'/ }"
	if [ "$(id -u)" != 0 ]; then
		log "must run as root to install packages" >&2
		exit 1
	fi
	mkdir -p "$CACHE"
	local aptlog=$CACHE/apt.log
	export DEBIAN_FRONTEND=noninteractive
	# wait for a concurrent apt/dpkg instead of failing on its lock
	local apt=(apt-get -q -o DPkg::Lock::Timeout=600)
	# $missing is a newline-separated list of package names
	# shellcheck disable=SC2086
	if ! { "${apt[@]}" update && "${apt[@]}" install -y --no-install-recommends $missing; } \
		</dev/null >"$aptlog" 2>&1; then
		tail -n 40 "$aptlog" >&2
		log "apt-get failed, full log: $aptlog" >&2
		exit 1
	fi
	log "packages installed (log: $aptlog)"
}

# checkpatch and the kselftest runner come from the distro kernel source, so
# that no kernel git tree is needed.
SRC_TAR=/usr/src/linux-source-6.1.tar.xz
SRC_DIR=$CACHE/linux-source-6.1
SRC_FILES=(
	scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
	tools/testing/selftests/kselftest/ tools/testing/selftests/kselftest.h
	tools/testing/selftests/lib.mk
)

extract_src() {
	local ver stamp=$SRC_DIR/.loopnic-stamp tmp
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver ${SRC_FILES[*]}" ]; then
		log "kernel source files cached in $SRC_DIR"
		return
	fi
	log "extracting checkpatch/kselftest files from $SRC_TAR ($ver)"
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/.src.XXXXXX")
	# shellcheck disable=SC2064 # expand $tmp now
	trap "rm -rf '$tmp'" EXIT
	tar -C "$tmp" -xJf "$SRC_TAR" "${SRC_FILES[@]/#/linux-source-6.1/}"
	echo "$ver ${SRC_FILES[*]}" >"$tmp/linux-source-6.1/.loopnic-stamp"
	rm -rf "$SRC_DIR"
	mv "$tmp/linux-source-6.1" "$SRC_DIR"
	rm -rf "$tmp"
	trap - EXIT
	log "kernel source files in $SRC_DIR"
}

# The upstream net/forwarding selftests that run against a loopnic port
# (tests/loopnic_loopback.sh), in a directory of their own with its own
# stamp: a checkout whose SRC_FILES differ then does not re-extract them,
# nor remove them while another checkout's tests use them.
FWD_DIR=$CACHE/ksft-net-6.1
FWD_FILES=(tools/testing/selftests/net/forwarding/)

extract_fwd() {
	local ver stamp=$FWD_DIR/.loopnic-stamp tmp
	ver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver ${FWD_FILES[*]}" ]; then
		log "net/forwarding selftests cached in $FWD_DIR"
		return
	fi
	log "extracting the net/forwarding selftests from $SRC_TAR ($ver)"
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/.fwd.XXXXXX")
	# shellcheck disable=SC2064 # expand $tmp now
	trap "rm -rf '$tmp'" EXIT
	tar -C "$tmp" -xJf "$SRC_TAR" "${FWD_FILES[@]/#/linux-source-6.1/}"
	echo "$ver ${FWD_FILES[*]}" >"$tmp/linux-source-6.1/.loopnic-stamp"
	rm -rf "$FWD_DIR"
	mv "$tmp/linux-source-6.1" "$FWD_DIR"
	rm -rf "$tmp"
	trap - EXIT
	log "net/forwarding selftests in $FWD_DIR"
}

install_pkgs
extract_src
extract_fwd
