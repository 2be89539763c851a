#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Parse reStructuredText documents with docutils, as Sphinx would before
# building them, and print every warning and error with its file and line.
# The Sphinx roles and directives these documents use (:doc:, :ref:,
# toctree) are accepted as they are: docutils alone does not know them.
# A malformed table or a broken section title otherwise only shows when
# someone renders the page.
#
# Usage: scripts/rst-check.py FILE...
# Exit: 0 when every file parsed cleanly, 1 otherwise.

import collections
import io
import sys

from docutils import nodes
from docutils.core import publish_doctree
from docutils.parsers.rst import Directive, directives, roles


def sphinx_role(name, rawtext, text, lineno, inliner, options=None,
                content=None):
    return [nodes.literal(rawtext, text)], []


class SphinxDirective(Directive):
    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    # Any option, as Sphinx's directives have more than we track.
    option_spec = collections.defaultdict(lambda: directives.unchanged)

    def run(self):
        return []


def main(paths):
    for role in ('doc', 'ref'):
        roles.register_local_role(role, sphinx_role)
    directives.register_directive('toctree', SphinxDirective)
    bad = 0
    for path in paths:
        report = io.StringIO()
        with open(path, encoding='utf-8') as f:
            publish_doctree(f.read(), source_path=path,
                            settings_overrides={'report_level': 2,
                                                'halt_level': 5,
                                                'warning_stream': report})
        if report.getvalue():
            sys.stdout.write(report.getvalue())
            bad += 1
    return 1 if bad else 0


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit('usage: rst-check.py FILE...')
    sys.exit(main(sys.argv[1:]))
