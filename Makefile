# SPDX-License-Identifier: GPL-2.0
#
# loopnic: `make` builds loopnic.ko for one kernel (KDIR); `make check` and
# `make demo` run it inside a QEMU guest (see README.md).

# The running kernel's headers if it has them, else the newest Debian ones.
KDIR ?= $(or $(wildcard /lib/modules/$(shell uname -r)/build), \
	     $(lastword $(shell ls -d /lib/modules/*/build 2>/dev/null | sort -V)))

.PHONY: all modules clean check check-debug check-rt soak demo setup lint bench trace help

all: modules

modules:
	@test -n "$(KDIR)" || { echo "no kernel headers found: run 'make setup' or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

clean:
	@if [ -n "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; fi
	rm -rf build

setup:
	scripts/setup.sh

check:
	scripts/check.sh

demo:
	scripts/demo.sh

lint:
	scripts/lint.sh

# The debug kernel is built once (~15 min) and cached outside the tree.
# The whole suite takes over 2 h of VM time on it: PART=1/3, 2/3, 3/3
# runs it in three sittings.
check-debug:
	scripts/setup.sh -d
	kver=$$(scripts/debug-kernel.sh) && scripts/check.sh -k "$$kver" $(if $(PART),-p $(PART))

# `make check` runs a subset on PREEMPT_RT to fit the CI's time; this is
# the whole suite there.
check-rt:
	scripts/setup.sh
	kver=$$(scripts/kernels.sh | grep -e '-rt-' | tail -n 1); \
	test -n "$$kver" || { echo "no PREEMPT_RT kernel with headers installed" >&2; exit 1; }; \
	scripts/check.sh -k "$$kver"

bench:
	scripts/bench.sh

# CYCLES=... load/unload cycles of 32 pairs (default 1000, ~1 h); KVER=...
soak:
	scripts/soak.sh $(if $(KVER),-k $(KVER)) $(if $(CYCLES),-n $(CYCLES))

# KVER=... for another kernel than the newest; results in build/trace/KVER/
trace:
	scripts/trace.sh $(if $(KVER),-k $(KVER))

help:
	@echo "make [KDIR=...]  build loopnic.ko"
	@echo "make check       install, build for every kernel, run the suite in a VM"
	@echo "make demo        boot a VM, ping across a pair, show counters and RTTs"
	@echo "make check-debug the suite on a KASAN/lockdep/kmemleak kernel (built once)"
	@echo "make check-rt    the whole suite on the PREEMPT_RT kernel"
	@echo "make soak        1000 load/unload cycles of 32 pairs in a VM (CYCLES=, KVER=)"
	@echo "make lint        checkpatch --strict, sparse and W=1 on every kernel"
	@echo "make bench       boot a VM, compare lo, veth and loopnic (ping, TCP, UDP)"
	@echo "make trace       boot a VM, trace one ping's kernel call path over lo and loopnic"
