#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot an installed Debian kernel under QEMU with the host root as the
# (read-only) guest root and run a command as root in the guest, in the same
# directory as on the host.
#
# Usage: scripts/vm.sh [-k KVER] [-t TIMEOUT] [-m MEM_MB] [-o DIR]
#                      [-e NAME=VALUE]... -- CMD...
#   -k  kernel version (default: newest from scripts/kernels.sh)
#   -t  seconds before qemu is killed (default 1800)
#   -m  guest memory in MiB (default 2048)
#   -o  host dir shared writable as $LOOPNIC_OUT in the guest (default: a
#       temp dir that is thrown away)
#   -e  export NAME=VALUE to CMD (repeatable); LOOPNIC_KVER, LOOPNIC_OUT and
#       LOOPNIC_VM=1 are always set
# CMD is joined with spaces and run by sh -c. Output streams to stdout; the
# guest dmesg lands in build/vm/KVER/dmesg.log (console in console.log).
# Exit: CMD's status; 125 if the guest gave none (crash, timeout); 124 if
# CMD succeeded but the kernel log shows a splat (see dmesg-splat.sh).
# Env knobs: LOOPNIC_VM_APPEND (extra kernel args), LOOPNIC_VM_ROOTFLAGS
# (9p root mount options, default msize=262144,cache=loose), LOOPNIC_VM_ACCEL
# (kvm or tcg; default: kvm where usable, see vm_accel in kernel-lib.sh).
set -euo pipefail

scripts=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
# shellcheck source=scripts/kernel-lib.sh
. "$scripts/kernel-lib.sh"
kver='' timeout=1800 mem=2048 outdir=''
env=()

usage() {
	sed -n '/^# Usage:/,/^[^#]/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}" >&2
	exit 2
}
die() {
	echo "vm: $*" >&2
	exit 125
}

while getopts "k:t:m:o:e:h" opt; do
	case $opt in
	k) kver=$OPTARG ;;
	t) timeout=$OPTARG ;;
	m) mem=$OPTARG ;;
	o) outdir=$OPTARG ;;
	e)
		[[ $OPTARG =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || usage
		env+=("$OPTARG")
		;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
[[ $timeout =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ ]] || usage

[ -n "$kver" ] || kver=$("$scripts/kernels.sh" | tail -n 1)
[ -n "$kver" ] || die "no kernel with headers installed (run scripts/setup.sh)"
image=$(kernel_image "$kver")
[ -e "$image" ] || die "no kernel image $image"

# The guest sees the host root, except where its init mounts a tmpfs.
cwd=$(pwd -P)
for p in "$cwd" "$scripts"; do
	case $p/ in
	*[[:space:]]*) die "path '$p' contains whitespace" ;;
	/tmp/* | /run/* | /var/tmp/* | /var/log/* | /root/*)
		die "'$p' is hidden by a tmpfs in the guest; use a checkout elsewhere" ;;
	esac
done

initrd=$("$scripts/vm-initramfs.sh" "$kver")
logdir=$cwd/build/vm/$kver
mkdir -p "$logdir"

# Control share: command, cwd and env in; status and dmesg out.
tmp=$(mktemp -d /tmp/loopnic-vm.XXXXXX)
running=0
# shellcheck disable=SC2317 # called from the traps
cleanup() {
	# do not leave qemu behind when we are interrupted or killed
	if [ "$running" = 1 ] && [ -s "$tmp/qemu.pid" ]; then
		kill "$(cat "$tmp/qemu.pid")" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
ctl=$tmp/ctl
mkdir -p "$ctl" "$tmp/out"
token=$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
echo "$token" >"$ctl/token"
printf '%s\n' "$*" >"$ctl/cmd"
echo "$cwd" >"$ctl/cwd"
if [ ${#env[@]} -gt 0 ]; then
	printf '%s\0' "${env[@]}"
fi >"$ctl/env"
outdir=${outdir:-$tmp/out}
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd -P)

accel=$(vm_accel)

share() { # TAG HOST_DIR: a writable 9p share
	printf '%s\n' -fsdev "local,id=$1,path=$2,security_model=none,multidevs=remap" \
		-device "virtio-9p-pci,fsdev=$1,mount_tag=$1"
}

# Root 9p options: the root does not change under a short-lived VM, so let
# the guest cache it (boots 2x faster on 6.1); a larger msize cuts round
# trips (6.1 defaults to 8 KiB).
rootflags=${LOOPNIC_VM_ROOTFLAGS-msize=262144,cache=loose}
# A big log buffer, so that the dmesg of a long run does not wrap. No
# command-name recording for trace events: with it, every enabling of an
# event while none is on (tests/lib.sh traced() does it often) registers
# probes on sched_switch and sched_wakeup, which rewrites those hot sites
# with text_poke_bp() and back; under TCG, 6.12 once died of an int3 left
# at ttwu_do_activate's sched_wakeup site ("Oops: int3") as it did so.
append="console=ttyS0 quiet panic=-1 log_buf_len=16M trace_options=norecord-cmd"
# QEMU's "max" CPU has LA57, and Debian's kernels then use 5-level paging.
# Under TCG that has shown faults no kernel code explains: the KASAN kernel
# of scripts/debug-kernel.sh (6.1.192) reported a wild access in
# rcu_is_watching() from a timer interrupt during identify_cpu() at boot,
# before any module loaded, and booted clean with 4-level paging; 6.12
# guests twice died of a double fault on a plain load of a kmem_cache in
# kmem_cache_alloc_node(). Every guest uses 4-level paging, as most
# machines do; nothing in loopnic depends on the paging depth.
append+=" no5lvl"
append+="${LOOPNIC_VM_APPEND:+ $LOOPNIC_VM_APPEND}"
append+=" init=$scripts/vm-guest-init.sh rootflags=$rootflags"
qemu=(qemu-system-x86_64 -machine q35 -accel "$accel" -cpu max -smp 2 -m "$mem"
	-nographic -no-reboot -vga none -nic none -monitor none -serial stdio
	-kernel "$image" -initrd "$initrd"
	-append "$append"
	-fsdev "local,id=r,path=/,security_model=none,readonly=on,multidevs=remap"
	-device "virtio-9p-pci,fsdev=r,mount_tag=hostroot")
mapfile -t -O ${#qemu[@]} qemu < <(share loopnic-ctl "$ctl"; share loopnic-out "$outdir")

# Log the whole console (minus the serial line's \r) to fd 3 and print only
# the command's output, between the begin and end markers. bash reads the
# few boot lines (to time the boot), sed the bulk, which is much faster.
filter() {
	local line t0=$EPOCHREALTIME end="@@loopnic-vm:end:$token@@"
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line//$'\r'/}
		printf '%s\n' "$line" >&3
		case $line in
		*"@@loopnic-vm:begin:$token:"*)
			line=${line##*:begin:"$token":}
			printf 'vm: %s booted in %.1f s (guest uptime %s s)\n' \
				"$kver" "$(bc <<<"$EPOCHREALTIME - $t0")" "${line%@@}" >&2
			break
			;;
		esac
	done
	# after the end marker keep reading (and logging) until qemu exits
	sed -u 's/\r//g' | tee -a /dev/fd/3 |
		sed -u -n -e "/$end/{s/$end.*//;/./p;:a;n;ba;}" -e p
}

# A guest that dies before the command began (seen once: an int3 oops in
# sched_clock_cpu while booting 6.12 under TCG) never loaded the module:
# boot it once more, and say so, rather than fail every test.
for attempt in 1 2; do
	# In the background, so that our signal traps run while we wait.
	running=1
	{
		rc=0
		timeout -k 10 "$timeout" "${qemu[@]}" -pidfile "$tmp/qemu.pid" </dev/null || rc=$?
		# tmp is gone if we were killed meanwhile
		{ echo "$rc" >"$tmp/qemu.rc"; } 2>/dev/null || true
	} | filter 3>"$logdir/console.log" &
	wait $! || true
	running=0
	qemu_rc=$(cat "$tmp/qemu.rc" 2>/dev/null || echo "?")
	if [ $attempt = 2 ] || [ -s "$ctl/status" ] || [ "$qemu_rc" = 124 ] ||
		grep -q "@@loopnic-vm:begin:$token:" "$logdir/console.log"; then
		break
	fi
	cp "$logdir/console.log" "$logdir/console.boot-crash.log"
	echo "vm: the guest died while booting, before the command began" \
		"(qemu rc $qemu_rc); last console lines:" >&2
	tail -n 12 "$logdir/console.log" >&2
	echo "vm: booting again; first console log: $logdir/console.boot-crash.log" >&2
done

dmesg=$logdir/dmesg.log
if [ -f "$ctl/dmesg" ]; then
	cp "$ctl/dmesg" "$dmesg"
elif [ -f "$ctl/dmesg.stream" ]; then
	cp "$ctl/dmesg.stream" "$dmesg"
else
	: >"$dmesg"
fi

if [ ! -s "$ctl/status" ]; then
	if [ "$qemu_rc" = 124 ]; then
		echo "vm: timed out after $timeout s, qemu killed" >&2
	else
		echo "vm: guest died without an exit status (qemu rc $qemu_rc)" >&2
	fi
	# a crash after the command started has already streamed to stdout
	if ! grep -q "@@loopnic-vm:begin:$token:" "$logdir/console.log"; then
		echo "vm: the command never started; last console lines:" >&2
		tail -n 30 "$logdir/console.log" >&2
	fi
	echo "vm: console log: $logdir/console.log" >&2
	"$scripts/dmesg-splat.sh" "$dmesg" >&2 || true
	exit 125
fi

status=$(cat "$ctl/status")
if ! "$scripts/dmesg-splat.sh" "$dmesg" >&2; then
	echo "vm: kernel splat in $dmesg" >&2
	if [ "$status" = 0 ]; then
		exit 124
	fi
fi
exit "$status"
