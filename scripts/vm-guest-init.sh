#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Second-stage init of the test VM, run as PID 1 in the host root (read-only
# 9p) by the initramfs of vm-initramfs.sh. Runs the command that vm.sh left
# in the control share, then writes back its exit status and dmesg and
# powers off. Not meant to be run by hand.
set -euo pipefail

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CTL=/run/loopnic-ctl
OUT=/run/loopnic-out

# PID 1 must never just exit (that panics); always power off instead.
poweroff() {
	sync
	echo o >/proc/sysrq-trigger
	while :; do sleep 60; done
}
trap poweroff EXIT

# Nice-to-have mounts: a kernel without one of these should still run tests.
try_mount() {
	mount "$@" || echo "vm-guest-init: mount $* failed" >&2
}
try_mount -t debugfs debugfs /sys/kernel/debug
try_mount -t tracefs tracefs /sys/kernel/tracing
try_mount -t cgroup2 cgroup2 /sys/fs/cgroup
try_mount -t bpf -o mode=700 bpf /sys/fs/bpf
mkdir -p /dev/pts /dev/shm /run/netns "$CTL" "$OUT"
try_mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
try_mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# devtmpfs lacks these; bash process substitution needs /dev/fd
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
echo loopnic-vm >/proc/sys/kernel/hostname
ip link set lo up
# keep kernel messages off the console: it carries the command's output
dmesg -n 1

p9=trans=virtio,version=9p2000.L,msize=262144
mount -t 9p -o "$p9" loopnic-ctl "$CTL"
mount -t 9p -o "$p9" loopnic-out "$OUT"

# Stream the kernel log to the host as we go, so a hang or crash still
# leaves a dmesg behind.
dmesg -w >"$CTL/dmesg.stream" 2>&1 &
dmesg_pid=$!

token=$(cat "$CTL/token")
cmd=$(cat "$CTL/cmd")
cwd=$(cat "$CTL/cwd")
env=(PATH="$PATH" HOME=/root USER=root LOGNAME=root TERM=dumb LANG=C.UTF-8
	PYTHONDONTWRITEBYTECODE=1 LOOPNIC_VM=1 LOOPNIC_KVER="$(uname -r)"
	LOOPNIC_OUT="$OUT")
while IFS= read -r -d '' kv; do
	env+=("$kv")
done <"$CTL/env"
cd -- "$cwd"

read -r uptime _ </proc/uptime
echo "@@loopnic-vm:begin:$token:$uptime@@"
set +e
env -i "${env[@]}" /bin/sh -c "$cmd" </dev/null
status=$?
set -e
echo "@@loopnic-vm:end:$token@@"

kill "$dmesg_pid" 2>/dev/null || true
dmesg >"$CTL/dmesg"
echo "$status" >"$CTL/status"
