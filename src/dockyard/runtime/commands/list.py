"""`list`: the containers under --root."""

from __future__ import annotations

import json
import os
import pwd
import sys

from dockyard import errdefs
from dockyard.runtime.args import Flag
from dockyard.runtime.commands._common import parse_or_help
from dockyard.runtime.container import status_of
from dockyard.runtime.main import Context

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from typing import Any


FLAGS = (
    Flag("format", short="f", value=True, help="table or json"),
    Flag("quiet", short="q", help="print only ids"),
)


def _owner(path: str) -> str:
    try:
        return pwd.getpwuid(os.stat(path).st_uid).pw_name
    except (KeyError, OSError):
        return "#?"


def run(ctx: Context, argv: list[str]) -> int:
    p = parse_or_help("list", "[options]", FLAGS, argv)
    if p is None:
        return 0
    fmt = p.text("format", "table")
    if fmt not in ("table", "json"):
        raise errdefs.InvalidArgument(f"invalid format option: {fmt}")
    rows: list[dict[str, Any]] = []
    for cid in ctx.store.ids():
        try:
            state = ctx.store.load(cid)
        except errdefs.DockyardError:
            continue
        status = status_of(ctx.store, state)
        rows.append(
            {
                "ociVersion": state.oci_version,
                "id": cid,
                "pid": state.pid if status != "stopped" else 0,
                "status": status,
                "bundle": state.bundle,
                "rootfs": state.rootfs,
                "created": state.created,
                "owner": _owner(ctx.store.dir(cid)),
                **({"annotations": state.annotations} if state.annotations else {}),
            }
        )
    if p.flag("quiet"):
        sys.stdout.write("".join(r["id"] + "\n" for r in rows))
    elif fmt == "json":
        sys.stdout.write(json.dumps(rows) + "\n")
    else:
        table = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
        table += [
            [r["id"], str(r["pid"]), r["status"], r["bundle"], r["created"], r["owner"]]
            for r in rows
        ]
        widths = [max(len(row[i]) for row in table) for i in range(6)]
        for row in table:
            cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
            sys.stdout.write("   ".join(cells).rstrip() + "\n")
    return 0
