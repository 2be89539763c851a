#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: install what is needed, build loopnic for the newest installed
# kernel, boot it in a VM and run scripts/demo-guest.sh there.
# Usage: scripts/demo.sh [-k KVER]
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

kver=''
while getopts "k:" opt; do
	case $opt in
	k) kver=$OPTARG ;;
	*) echo "usage: $0 [-k KVER]" >&2; exit 2 ;;
	esac
done

scripts/setup.sh
[ -n "$kver" ] || kver=$(scripts/kernels.sh | tail -n 1)
scripts/build.sh "$kver"
exec scripts/vm.sh -k "$kver" -t 600 -- scripts/demo-guest.sh "$top/build/$kver/loopnic.ko"
