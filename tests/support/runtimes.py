"""Paths of the OCI runtimes tests compare: runc is the reference, dockyard-runtime ours."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

DOCKYARD_RUNTIME = str(Path(sys.executable).parent / "dockyard-runtime")
RUNC = shutil.which("runc") or "/usr/sbin/runc"
CRUN = shutil.which("crun") or "/usr/bin/crun"
