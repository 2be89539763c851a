#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# One TCP stream of known bytes, for the LSO test: what arrives must be
# what was sent, byte for byte.
#
# Usage: loopnic_tcpstream.py recv ADDR PORT READY_FILE
#            accepts one connection on ADDR (0.0.0.0 or ::), reads to its
#            end; creates READY_FILE once listening.
#        loopnic_tcpstream.py send ADDR PORT BYTES [MSS]
#            sends BYTES pseudo-random bytes (seeded by BYTES) in large
#            writes, so that the stack builds GSO skbs, then waits for
#            the receiver to close; with MSS, in segments of at most that
#            many bytes (TCP_MAXSEG).
# Both print "BYTES SHA256" of what they received or sent.

import hashlib
import random
import socket
import sys

CHUNK = 256 << 10
# Only to end a hung test: on the debug kernel, a test that holds the
# stream while it reads registers can leave the sender blocked for minutes.
TIMEOUT = 300


def family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def recv(addr, port, ready):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(1)
    s.settimeout(TIMEOUT)
    open(ready, 'w').close()
    c, _ = s.accept()
    c.settimeout(TIMEOUT)
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(CHUNK)
        if not b:
            break
        h.update(b)
        n += len(b)
    c.close()
    print(n, h.hexdigest())


def send(addr, port, total, mss=None):
    rng = random.Random(total)
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    if mss:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    s.settimeout(TIMEOUT)
    s.connect((addr, port))
    h = hashlib.sha256()
    n = 0
    while n < total:
        b = rng.randbytes(min(CHUNK, total - n))
        s.sendall(b)
        h.update(b)
        n += len(b)
    s.shutdown(socket.SHUT_WR)
    # The receiver closes once it has read everything.
    while s.recv(CHUNK):
        pass
    s.close()
    print(n, h.hexdigest())


def main():
    if len(sys.argv) == 5 and sys.argv[1] == 'recv':
        recv(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) in (5, 6) and sys.argv[1] == 'send':
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]),
             int(sys.argv[5]) if len(sys.argv) == 6 else None)
    else:
        sys.exit(__doc__ or 'usage: see the header of ' + sys.argv[0])


if __name__ == '__main__':
    main()
