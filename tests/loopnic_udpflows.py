#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# UDP flows with exact accounting (for the ring path's RSS tests).
#
# Usage: loopnic_udpflows.py recv PORT EXPECT READY_FILE
#            prints the number of datagrams received: stops at EXPECT, or
#            on SIGUSR1 (see loopnic_udprecv.py). Creates READY_FILE once
#            bound.
#        loopnic_udpflows.py send DST PORT FLOWS COUNT SIZE [SEGS]
#            COUNT datagrams of SIZE bytes on each of FLOWS flows (source
#            ports 20001..), round robin; prints the number sent. With
#            SEGS, each send is SEGS datagrams in one UDP GSO frame, and
#            the number sent counts them all.

import socket
import sys
import time

from loopnic_udprecv import receive

# linux/udp.h; the socket module has no name for it.
UDP_SEGMENT = 103


def recv(port, expect, ready):
    print(receive(port, ready, lambda datagram: None, expect))


def send(dst, port, flows, count, size, segs=1):
    socks = []
    for i in range(flows):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(('0.0.0.0', 20001 + i))
        if segs > 1:
            s.setsockopt(socket.SOL_UDP, UDP_SEGMENT, size)
        socks.append(s)
    data = b'x' * (size * segs)
    n = 0
    for _ in range(count):
        for s in socks:
            s.sendto(data, (dst, port))
            n += segs
        # Paced, so neither the RX ring nor the qdisc overflows under TCG.
        time.sleep(0.002)
    print(n)


if sys.argv[1] == 'recv':
    recv(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
else:
    send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
         int(sys.argv[6]), *(int(a) for a in sys.argv[7:8]))
