#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# UDP flows with exact accounting (for the ring path's RSS tests).
#
# Usage: loopnic_udpflows.py recv PORT EXPECT READY_FILE
#            prints the number of datagrams received: stops at EXPECT, or
#            on SIGUSR1 once it has read what its socket holds (lib.sh's
#            udp_rx_start and udp_rx_stop). Creates READY_FILE once bound.
#        loopnic_udpflows.py send DST PORT FLOWS COUNT SIZE
#            COUNT datagrams of SIZE bytes on each of FLOWS flows (source
#            ports 20001..), round robin; prints the number sent.

import os
import select
import signal
import socket
import sys
import time


def recv(port, expect, ready):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Root may exceed rmem_max: no datagram may be lost to a slow reader.
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
    s.bind(('0.0.0.0', port))
    s.setblocking(False)
    # A test that knows the sender is done and the receiving NIC quiet says
    # so with SIGUSR1: unlike an idle limit, that holds at any guest speed,
    # a debug kernel's or a sender held by pause.
    # The signal only wakes select(): no datagram read is left uncounted.
    stop_r, stop_w = os.pipe()
    os.set_blocking(stop_w, False)
    signal.set_wakeup_fd(stop_w)
    signal.signal(signal.SIGUSR1, lambda signum, frame: None)
    open(ready, 'w').close()
    n = 0
    stopping = False
    while n < expect:
        try:
            s.recv(65536)
            n += 1
            continue
        except BlockingIOError:
            pass
        if stopping:
            break
        readable, _, _ = select.select([s, stop_r], [], [])
        stopping = stop_r in readable
    print(n)


def send(dst, port, flows, count, size):
    socks = []
    for i in range(flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('0.0.0.0', 20001 + i))
        socks.append(s)
    data = b'x' * size
    n = 0
    for _ in range(count):
        for s in socks:
            s.sendto(data, (dst, port))
            n += 1
        # Paced, so neither the RX ring nor the qdisc overflows under TCG.
        time.sleep(0.002)
    print(n)


if sys.argv[1] == 'recv':
    recv(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
else:
    send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
         int(sys.argv[6]))
