#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Queries of the netdev netlink family for loopnic_netdev_nl.sh, through
# the ynl library of a kernel source tree (KSRC: tools/net/ynl/lib and
# Documentation/netlink/specs). One command per run, plain text out:
#   probe                 exit 0 if the kernel answers qstats-get, 4 if not
#   queues IFINDEX        "rx|tx ID NAPI-ID" per queue (NAPI-ID 0: none)
#   napis IFINDEX         "NAPI-ID IRQ" per NAPI instance
#   qstats IFINDEX        device scope: "KEY VALUE" per statistic
#   qstats IFINDEX queue  queue scope: "rx|tx ID KEY VALUE"

import os
import sys


def family(ksrc):
    sys.path.append(os.path.join(ksrc, 'tools'))
    from net.ynl.lib import YnlFamily, NlError  # noqa: E402
    spec = os.path.join(ksrc, 'Documentation/netlink/specs/netdev.yaml')
    return YnlFamily(spec, schema=''), NlError


def main():
    ksrc = os.environ['KSRC']
    cmd = sys.argv[1]
    if cmd == 'probe':
        # The kernel lacks the feature (exit 4) only if the family is not
        # registered or does not know qstats-get; anything else is an error.
        try:
            nl, NlError = family(ksrc)
        except Exception as e:  # ynl's own, for a family the kernel lacks
            if 'not supported by the kernel' not in str(e):
                raise
            print(e)
            return 4
        try:
            nl.qstats_get({}, dump=True)
        except NlError as e:
            print('netdev netlink qstats-get: %s' % e)
            return 4
        return 0
    nl, NlError = family(ksrc)
    ifindex = int(sys.argv[2])
    if cmd == 'queues':
        for q in nl.queue_get({'ifindex': ifindex}, dump=True):
            print(q['type'], q['id'], q.get('napi-id', 0))
    elif cmd == 'napis':
        for n in nl.napi_get({'ifindex': ifindex}, dump=True):
            print(n['id'], n.get('irq', -1))
    elif cmd == 'qstats' and len(sys.argv) > 3:
        for q in nl.qstats_get({'ifindex': ifindex, 'scope': 'queue'}, dump=True):
            for k, v in q.items():
                if k not in ('ifindex', 'queue-type', 'queue-id'):
                    print(q['queue-type'], q['queue-id'], k, v)
    elif cmd == 'qstats':
        for q in nl.qstats_get({'ifindex': ifindex}, dump=True):
            for k, v in q.items():
                if k != 'ifindex':
                    print(k, v)
    else:
        raise SystemExit('usage: see the header')
    return 0


if __name__ == '__main__':
    sys.exit(main())
