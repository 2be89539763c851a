#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# One UDP flow of numbered datagrams, for the fault injection test.
#
# Usage: loopnic_seqflow.py recv PORT READY_FILE
#            receives until SIGUSR1 (see loopnic_udprecv.py); prints
#            "RECEIVED INVERSIONS": datagrams, and those that came after
#            one with a higher number (reordered); creates READY_FILE once
#            bound.
#        loopnic_seqflow.py send DST PORT COUNT SIZE GAP_MS
#            COUNT datagrams of SIZE bytes (at least 4: the number), GAP_MS
#            milliseconds apart; prints the number sent.

import socket
import struct
import sys
import time

from loopnic_udprecv import receive


def recv(port, ready):
    top = -1
    inv = 0

    def take(datagram):
        nonlocal top, inv
        seq = struct.unpack('!I', datagram[:4])[0]
        if seq < top:
            inv += 1
        top = max(top, seq)

    n = receive(port, ready, take)
    print(n, inv)


def send(dst, port, count, size, gap):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pad = b'x' * (size - 4)
    for i in range(count):
        s.sendto(struct.pack('!I', i) + pad, (dst, port))
        if gap:
            time.sleep(gap / 1000.0)
    print(count)


if sys.argv[1] == 'recv':
    recv(int(sys.argv[2]), sys.argv[3])
else:
    send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
         float(sys.argv[6]))
