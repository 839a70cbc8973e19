"""GraphDriver, as `docker inspect` shows it for images and containers: overlay2's names
for a snapshot's directories."""

from __future__ import annotations

import os
from typing import Any

from dockyard import errdefs
from dockyard.snapshots.snapshotter import Snapshotter

DRIVER_NAME = "overlay2"  # what `docker info` and inspect call Docker's overlay storage


def graph_driver(snapshotter: Snapshotter, key: str) -> dict[str, Any]:
    """{"Name": "overlay2", "Data": {LowerDir, MergedDir, UpperDir, WorkDir}} of snapshot
    `key` (Data null when there is no such snapshot)."""
    try:
        upper = snapshotter.upper_dir(key)
        lowers = snapshotter.lower_dirs(key)
    except errdefs.DockyardError:
        return {"Name": DRIVER_NAME, "Data": None}
    base = os.path.dirname(upper)
    data = {"LowerDir": ":".join(lowers)} if lowers else {}
    data |= {
        "MergedDir": os.path.join(base, "merged"),
        "UpperDir": upper,
        "WorkDir": os.path.join(base, "work"),
    }
    return {"Name": DRIVER_NAME, "Data": data}
