"""Entry point of `dockyardd`; the daemon is issue 4 and has not landed."""

from __future__ import annotations

import sys


def main() -> int:
    sys.stderr.write("dockyardd: the engine daemon has not landed yet (issue 4)\n")
    return 2
