#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# One UDP flow of numbered datagrams, for the fault injection test.
#
# Usage: loopnic_seqflow.py recv PORT IDLE_S READY_FILE
#            receives until IDLE_S seconds pass without a datagram (the
#            first may take up to FIRST_WAIT_S: a sender's start is slow
#            under TCG on a busy host); prints
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

FIRST_WAIT_S = 30


def recv(port, idle, ready):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Root may exceed rmem_max: no datagram may be lost to a slow reader.
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
    s.bind(('0.0.0.0', port))
    s.settimeout(FIRST_WAIT_S)
    open(ready, 'w').close()
    n = inv = 0
    top = -1
    while True:
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        s.settimeout(idle)
        n += 1
        seq = struct.unpack('!I', data[:4])[0]
        if seq < top:
            inv += 1
        top = max(top, seq)
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
    recv(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
else:
    send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),
         float(sys.argv[6]))
