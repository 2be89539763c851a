#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build loopnic.ko for one installed kernel in a directory of its own, so
# builds for several kernels never share objects. W=1 always; the project
# allows no compiler or sparse diagnostic.
# Usage: scripts/build.sh [-d DIR] KVER [MAKE ARGS...]   (DIR: build/KVER)
# Exit: 0 clean; 3 built, but with diagnostics (printed); 1 not built.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=scripts/kernel-lib.sh
. scripts/kernel-lib.sh

dir=''
while getopts "d:" opt; do
	case $opt in
	d) dir=$OPTARG ;;
	*) echo "usage: $0 [-d DIR] KVER [MAKE ARGS...]" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
kver=${1:?usage: $0 [-d DIR] KVER [MAKE ARGS...]}
shift
dir=${dir:-build/$kver}
kdir=$(kernel_build "$kver")
[ -d "$kdir" ] || { echo "build: no headers for $kver in $kdir" >&2; exit 1; }

rm -rf "$dir"
mkdir -p "$dir"
cp -r Kbuild src include "$dir"/
out=$(make -C "$kdir" M="$top/$dir" W=1 "$@" modules 2>&1) && rc=0 || rc=$?
diag=$(grep -E 'warning:|error:|sparse:' <<<"$out" || true)
if [ "$rc" -ne 0 ] || [ ! -f "$dir/loopnic.ko" ]; then
	printf '%s\n' "${diag:-$out}" >&2
	echo "build: $kver failed (make rc=$rc)" >&2
	exit 1
fi
if [ -n "$diag" ]; then
	printf '%s\n' "$diag" >&2
	echo "build: $dir/loopnic.ko ($kver) built with diagnostics" >&2
	exit 3
fi
echo "build: $dir/loopnic.ko ($kver)"
