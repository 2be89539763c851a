#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages loopnic needs and cache the few kernel-tree
# files we use from linux-source-6.1 and -6.12. Idempotent: a second run takes < 1 s.
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
	# the upstream driver selftests (stats.py, queues.py) and their ynl
	linux-source-6.12 python3-yaml
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
	# lint (scripts/rst-check.py runs under Debian's python3)
	shellcheck python3-docutils
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
# that no kernel git tree is needed; so do 6.12's driver selftests, which
# run in tree (lib/py finds ynl and the netlink specs from there).
SRC_FILES=(
	scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch
	tools/testing/selftests/kselftest/ tools/testing/selftests/kselftest.h
	tools/testing/selftests/lib.mk
)
SRC612_FILES=(
	tools/testing/selftests/drivers/net/stats.py
	tools/testing/selftests/drivers/net/queues.py
	tools/testing/selftests/drivers/net/lib/
	tools/testing/selftests/net/lib/py/
	tools/net/ynl/lib/
	Documentation/netlink/specs/
)

# The upstream net/forwarding selftests that run against a loopnic port
# (tests/loopnic_loopback.sh), in a directory of their own with its own
# stamp: a checkout whose SRC_FILES differ then does not re-extract them,
# nor remove them while another checkout's tests use them.
FWD_FILES=(tools/testing/selftests/net/forwarding/)

# extract_src PACKAGE DIR FILE...: FILEs of /usr/src/PACKAGE.tar.xz into
# DIR, again only when the package or the list changed.
extract_src() {
	local pkg=$1 dir=$2 ver stamp tmp
	shift 2
	stamp=$dir/.loopnic-stamp
	ver=$(dpkg-query -W -f='${Version}' "$pkg")
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$ver $*" ]; then
		log "kernel source files cached in $dir"
		return
	fi
	log "extracting ${#@} paths from /usr/src/$pkg.tar.xz ($ver)"
	mkdir -p "$CACHE"
	tmp=$(mktemp -d "$CACHE/.src.XXXXXX")
	# shellcheck disable=SC2064 # expand $tmp now
	trap "rm -rf '$tmp'" EXIT
	tar -C "$tmp" -xJf "/usr/src/$pkg.tar.xz" "${@/#/$pkg/}"
	echo "$ver $*" >"$tmp/$pkg/.loopnic-stamp"
	rm -rf "$dir"
	mv "$tmp/$pkg" "$dir"
	rm -rf "$tmp"
	trap - EXIT
	log "kernel source files in $dir"
}

install_pkgs
extract_src linux-source-6.1 "$CACHE/linux-source-6.1" "${SRC_FILES[@]}"
extract_src linux-source-6.1 "$CACHE/ksft-net-6.1" "${FWD_FILES[@]}"
extract_src linux-source-6.12 "$CACHE/linux-source-6.12" "${SRC612_FILES[@]}"
