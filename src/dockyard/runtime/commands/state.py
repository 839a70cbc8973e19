"""`state`: print the OCI state of a container."""

from __future__ import annotations

import json
import sys

from dockyard.runtime.commands._common import need_args, parse_or_help
from dockyard.runtime.container import public_state
from dockyard.runtime.main import Context


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("state", "<container-id>", (), argv)
    if p is None:
        return 0
    need_args(p, "state", 1)
    sys.stdout.write(json.dumps(public_state(ctx.store, p.args[0]), indent=2) + "\n")
    return 0
