"""`ps`: the processes of a container, as `ps` shows them or as a JSON list of pids."""

from __future__ import annotations

import json
import subprocess
import sys

from dockyard import errdefs
from dockyard.runtime.args import Flag
from dockyard.runtime.commands._common import need_args, parse_or_help
from dockyard.runtime.container import cgroup_manager, status_of
from dockyard.runtime.main import Context

FLAGS = (Flag("format", short="f", value=True, help="table or json"),)


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("ps", "[options] <container-id> [ps options]", FLAGS, argv)
    if p is None:
        return 0
    need_args(p, "ps", 1, exact=False)
    state = ctx.store.load(p.args[0])
    if status_of(ctx.store, state) == "stopped":
        raise errdefs.FailedPrecondition("container is not running")
    pids = sorted(cgroup_manager(state).pids())
    fmt = p.text("format", "table")
    if fmt == "json":
        sys.stdout.write(json.dumps(pids) + "\n")
        return 0
    if fmt != "table":
        raise errdefs.InvalidArgument(f"invalid format option: {fmt}")
    ps_args = p.args[1:] or ["-ef"]
    out = subprocess.run(["ps", *ps_args], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise errdefs.InvalidArgument(f"ps {' '.join(ps_args)} failed: {out.stderr.strip()}")
    lines = out.stdout.splitlines()
    if not lines:
        return 0
    header = lines[0].split()
    if "PID" not in header:
        raise errdefs.InvalidArgument("couldn't find PID field in ps output")
    col = header.index("PID")
    wanted = set(pids)
    sys.stdout.write(lines[0] + "\n")
    for line in lines[1:]:
        fields = line.split()
        if len(fields) > col and fields[col].isdigit() and int(fields[col]) in wanted:
            sys.stdout.write(line + "\n")
    return 0
