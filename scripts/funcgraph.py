#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Read an ftrace function_graph capture (tracefs 'trace', with the
funcgraph-proc option) and print it as an indented call tree, as folded
stacks, or as a flame graph in SVG.

Debian 12 packages no flame graph renderer: flamegraph.pl is not packaged,
and perf's 'perf script report flamegraph' needs the d3-flame-graph HTML
template (libjs-d3-flame-graph, not in bookworm) and a sampled perf.data,
not a function_graph trace. So this small renderer, python3 only, offline.

Usage: funcgraph.py tree TRACE
       funcgraph.py folded TRACE          (flamegraph.pl's input format, ns)
       funcgraph.py svg TRACE [TITLE]     (SVG on stdout)

Widths are the functions' own durations as function_graph measured them
(inclusive of their children and of any time the task slept inside them),
not samples; the tracer's overhead inflates short functions. Frames are
merged per task name and kept in the order they first ran, so the graph
reads left to right as the journey.
"""
import html
import re
import sys
import zlib

LINE = re.compile(r'^\s*(\d+)\)\s+(\S.*?)\s+\|\s*(?:[-+!#*@$]\s*)?([\d.]+)?\s*(?:us)?\s*\|(.*)$')


class Node:
    __slots__ = ('name', 'dur', 'children', 'cpu', 'task')

    def __init__(self, name, cpu, task, dur=None):
        self.name, self.cpu, self.task, self.dur = name, cpu, task, dur
        self.children = []

    def total(self):
        if self.dur is not None:
            return self.dur
        return sum(c.total() for c in self.children)


def parse(path):
    """Return (roots, lines): top-level calls in trace order, and for the
    tree view (cpu, task, depth, node) for every call, in trace order."""
    stacks = {}   # task -> open nodes
    roots, lines = [], []
    with open(path, encoding='utf-8', errors='replace') as f:
        for raw in f:
            if raw.startswith('#'):
                continue
            m = LINE.match(raw.rstrip('\n'))
            if not m:
                continue    # context-switch banners, blank lines
            cpu, task, dur, body = m.groups()
            cpu, dur = int(cpu), (float(dur) if dur else None)
            text = body[2:] if body.startswith('  ') else body.lstrip()
            depth_txt = len(text) - len(text.lstrip(' '))
            text = text.strip()
            st = stacks.setdefault(task, [])
            if text.startswith('}'):
                if st:
                    st.pop().dur = dur
                continue
            if text.startswith(('/*', '=', '<')):
                continue    # comments, hard IRQ entry/exit arrows
            opened = text.endswith('{')
            name = re.sub(r'\(\)\s*[{;]$', '', text).strip()
            if not name or name == text:
                continue
            node = Node(name, cpu, task, None if opened else dur)
            if st:
                st[-1].children.append(node)
            else:
                roots.append(node)
            lines.append((cpu, task, len(st) if st else depth_txt // 2, node))
            if opened:
                st.append(node)
    return roots, lines


def fmt_us(v):
    return '?' if v is None else '%.1f us' % v


def tree(path, out):
    """One block per top-level call, in the order they started: calls that
    ran at the same time on other CPUs are not interleaved line by line."""
    roots, _ = parse(path)
    ctx = None

    def walk(node, depth):
        out.write('%12s  %s%s\n' % (fmt_us(node.total() if node.children or node.dur is not None
                                              else None), '  ' * depth, node.name))
        for c in node.children:
            walk(c, depth + 1)

    for r in roots:
        if (r.cpu, r.task) != ctx:
            ctx = (r.cpu, r.task)
            out.write('-- CPU%d %s\n' % ctx)
        walk(r, 0)


def task_name(task):
    # "ping-254" -> "ping"; "<idle>-0" -> "<idle>"
    return task.rsplit('-', 1)[0]


def folded(path):
    """{stack tuple: self time in us}, insertion-ordered."""
    roots, _ = parse(path)
    acc = {}

    def walk(node, prefix):
        stack = prefix + (node.name,)
        kids = sum(c.total() for c in node.children)
        acc[stack] = acc.get(stack, 0.0) + max(node.total() - kids, 0.0)
        for c in node.children:
            walk(c, stack)

    for r in roots:
        walk(r, (task_name(r.task),))
    return acc


class Frame:
    __slots__ = ('name', 'value', 'children')

    def __init__(self, name):
        self.name, self.value, self.children = name, 0.0, {}


def merge(stacks):
    root = Frame('all')
    for stack, v in stacks.items():
        root.value += v
        f = root
        for name in stack:
            f = f.children.setdefault(name, Frame(name))
            f.value += v
    return root


def color(name, depth):
    if depth == 1:
        return 'rgb(200,200,200)'
    h = zlib.crc32(name.encode())
    if 'loopnic' in name:       # the module: blue
        return 'rgb(%d,%d,%d)' % (80 + h % 50, 140 + h % 60, 230)
    if depth == 0:
        return 'rgb(160,160,160)'
    return 'rgb(%d,%d,%d)' % (225 + h % 30, 80 + (h >> 8) % 120, 40 + (h >> 16) % 50)


def svg(path, title, out):
    root = merge(folded(path))
    width, fh, pad, top = 1200, 17, 10, 50
    layout = []

    def place(f, x, depth, scale):
        layout.append((f, x, depth, f.value * scale))
        for c in f.children.values():
            place(c, x, depth + 1, scale)
            x += c.value * scale

    scale = (width - 2 * pad) / root.value if root.value else 0
    place(root, pad, 0, scale)
    maxdepth = max(d for _, _, d, _ in layout)
    height = top + (maxdepth + 1) * fh + 30
    w = out.write
    w('<?xml version="1.0" standalone="no"?>\n')
    w('<svg version="1.1" width="%d" height="%d" viewBox="0 0 %d %d" '
      'xmlns="http://www.w3.org/2000/svg">\n' % (width, height, width, height))
    w('<style>text { font-family: monospace; font-size: 11px; } '
      '.t { font-size: 15px; } rect:hover { stroke: black; }</style>\n')
    w('<rect x="0" y="0" width="%d" height="%d" fill="rgb(250,250,238)"/>\n' % (width, height))
    w('<text class="t" x="%d" y="22" text-anchor="middle">%s</text>\n'
      % (width / 2, html.escape(title)))
    w('<text x="%d" y="40" text-anchor="middle">function_graph durations '
      '(us, inclusive), per task, in call order; total %.1f us; '
      'hover for figures; blue: loopnic</text>\n' % (width / 2, root.value))
    for f, x, depth, fw in layout:
        if fw < 0.3:
            continue
        y = height - 30 - (depth + 1) * fh
        pct = 100 * f.value / root.value if root.value else 0
        label = '%s (%.1f us, %.1f%%)' % (f.name, f.value, pct)
        w('<g><title>%s</title><rect x="%.2f" y="%d" width="%.2f" height="%d" '
          'fill="%s" rx="2"/>' % (html.escape(label), x, y, fw, fh - 1, color(f.name, depth)))
        chars = int((fw - 4) / 6.6)
        if chars >= 3:
            txt = f.name if len(f.name) <= chars else f.name[:chars - 2] + '..'
            w('<text x="%.2f" y="%d">%s</text>' % (x + 2, y + fh - 5, html.escape(txt)))
        w('</g>\n')
    w('</svg>\n')


def main(argv):
    if len(argv) < 3 or argv[1] not in ('tree', 'folded', 'svg'):
        sys.stderr.write(__doc__)
        return 2
    if argv[1] == 'tree':
        tree(argv[2], sys.stdout)
    elif argv[1] == 'folded':
        for stack, v in folded(argv[2]).items():
            if round(v * 1000):
                print('%s %d' % (';'.join(stack), round(v * 1000)))
    else:
        svg(argv[2], argv[3] if len(argv) > 3 else argv[2], sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
