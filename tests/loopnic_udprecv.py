# SPDX-License-Identifier: GPL-2.0
#
# The receiving end of loopnic_udpflows.py and loopnic_seqflow.py: a UDP
# socket read until the expected number of datagrams came, or until the
# test, knowing the sender is done and the NICs quiet, says stop with
# SIGUSR1 (lib.sh's udp_rx_start and udp_rx_stop). Unlike an idle limit,
# that holds at any guest speed, a debug kernel's or a sender held by
# pause.

import os
import select
import signal
import socket


def receive(port, ready, take, expect=None):
    """Bind PORT, create the file READY, pass each datagram to take();
    return how many came."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # Root may exceed rmem_max: no datagram may be lost to a slow reader.
    s.setsockopt(socket.SOL_SOCKET, 33, 8 << 20)  # SO_RCVBUFFORCE
    s.bind(('0.0.0.0', port))
    s.setblocking(False)
    # The signal only wakes select(): a stop reads what the socket holds
    # first, so no datagram that reached it is left uncounted.
    stop_r, stop_w = os.pipe()
    os.set_blocking(stop_w, False)
    signal.set_wakeup_fd(stop_w)
    signal.signal(signal.SIGUSR1, lambda signum, frame: None)
    open(ready, 'w').close()
    n = 0
    stopping = False
    while expect is None or n < expect:
        try:
            take(s.recv(65536))
            n += 1
            continue
        except BlockingIOError:
            pass
        if stopping:
            break
        readable, _, _ = select.select([s, stop_r], [], [])
        stopping = stop_r in readable
    return n
