"""Entry point of `dockyard`; the CLI is issue 5 and has not landed."""

from __future__ import annotations

import sys


def main() -> int:
    sys.stderr.write(
        "dockyard: the CLI has not landed yet (issue 5); "
        "use dockyard-runtime to run an OCI bundle\n"
    )
    return 2
