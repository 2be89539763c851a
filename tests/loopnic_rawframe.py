#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Send hand-made, mostly malformed, Ethernet frames out of a port with an
# AF_PACKET socket (for loopnic_badframes.sh). Prints "sent" or the errno
# name sendto() failed with, once per frame.
#
# Usage: loopnic_rawframe.py DEV DST_MAC SRC_IP DST_IP CASE COUNT

import errno
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload, tot_len=None, ihl=5, good_csum=True):
    tot = 20 + len(payload) if tot_len is None else tot_len
    hdr = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, tot, 0x1234, 0x4000,
                      64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    c = csum(hdr)
    if not good_csum:
        c ^= 0x5a5a
    return hdr[:10] + struct.pack('!H', c) + hdr[12:] + payload


def udp(src, dst, data, good_csum=True):
    ln = 8 + len(data)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 17, ln)
    hdr = struct.pack('!HHHH', 40000, 9, ln, 0)
    c = csum(pseudo + hdr + data) or 0xffff
    if not good_csum:
        c = (c ^ 0x0f0f) or 1
    return hdr[:6] + struct.pack('!H', c) + data


def frame(dev_mac, dst_mac, ethertype, payload):
    return dst_mac + dev_mac + struct.pack('!H', ethertype) + payload


def build(case, dev_mac, dst_mac, src, dst, mtu):
    data = b'loopnic badframes'
    if case == 'short':
        # Not even a whole Ethernet header.
        return (dst_mac + dev_mac)[:10]
    if case == 'runt':
        # An Ethernet header announcing IPv4, and nothing after it.
        return frame(dev_mac, dst_mac, 0x0800, b'')
    if case == 'ethertype':
        return frame(dev_mac, dst_mac, 0x88b5, data.ljust(46, b'\0'))
    if case == 'ip-csum':
        return frame(dev_mac, dst_mac, 0x0800, ipv4(src, dst, 17, udp(src, dst, data), good_csum=False))
    if case == 'ip-trunc':
        pkt = ipv4(src, dst, 17, udp(src, dst, data))
        return frame(dev_mac, dst_mac, 0x0800, ipv4(src, dst, 17, udp(src, dst, data), tot_len=len(pkt) + 100))
    if case == 'udp-trunc':
        # The IP header says 4 bytes of payload: half a UDP header.
        return frame(dev_mac, dst_mac, 0x0800, ipv4(src, dst, 17, b'\x9c\x40\x00\x09'))
    if case == 'tcp-doff':
        # A whole TCP header whose data offset claims 8 bytes.
        tcp = struct.pack('!HHIIBBHHH', 40000, 9, 1, 0, 2 << 4, 0x02, 1024, 0, 0)
        return frame(dev_mac, dst_mac, 0x0800, ipv4(src, dst, 6, tcp))
    if case == 'udp-csum':
        return frame(dev_mac, dst_mac, 0x0800, ipv4(src, dst, 17, udp(src, dst, data, good_csum=False)))
    if case == 'udp-good':
        return frame(dev_mac, dst_mac, 0x0800, ipv4(src, dst, 17, udp(src, dst, data)))
    if case == 'oversize':
        return frame(dev_mac, dst_mac, 0x0800, ipv4(src, dst, 17, udp(src, dst, b'x' * (mtu + 64))))
    raise SystemExit('unknown case ' + case)


def main():
    dev, dst_mac, src, dst, case, count = sys.argv[1:7]
    with open('/sys/class/net/%s/address' % dev) as f:
        dev_mac = bytes.fromhex(f.read().strip().replace(':', ''))
    with open('/sys/class/net/%s/mtu' % dev) as f:
        mtu = int(f.read())
    pkt = build(case, dev_mac, bytes.fromhex(dst_mac.replace(':', '')), src, dst, mtu)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((dev, 0))
    for _ in range(int(count)):
        try:
            s.send(pkt)
            print('sent')
        except OSError as e:
            print(errno.errorcode.get(e.errno, str(e.errno)))


if __name__ == '__main__':
    main()
