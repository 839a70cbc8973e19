"""Entry point of `dockyard-shim`; the shim is issue 4 and has not landed."""

from __future__ import annotations

import sys


def main() -> int:
    sys.stderr.write("dockyard-shim: the container shim has not landed yet (issue 4)\n")
    return 2
