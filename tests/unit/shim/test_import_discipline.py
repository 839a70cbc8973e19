"""The shim stays small (DESIGN.md §4): stdlib only, and none of the heavy modules, on the
path a running shim takes; the daemon-side client is the one place asyncio is allowed."""

from __future__ import annotations

import json
import subprocess
import sys

# What a running shim has imported: main, the serving modules, an exec and a tty console.
SHIM_PATH = (
    "import dockyard.shim.main, dockyard.shim.config, dockyard.shim.logs, "
    "dockyard.shim.loop, dockyard.shim.server, dockyard.shim.service, dockyard.shim.execs, "
    "dockyard.shim.prctl, dockyard.shim.logs.jsonfile, dockyard.shim.logs.local"
)
HEAVY = (
    "asyncio",
    "json",
    "typing",
    "enum",
    "re",
    "socket",
    "selectors",
    "subprocess",
    "ctypes",
    "struct",
    "logging",
    "dataclasses",
    "threading",
    "datetime",
)


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}; import sys, json as j; print(j.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_shim_imports_only_the_stdlib_and_dockyard() -> None:
    mods = _modules_after(SHIM_PATH) - _modules_after("pass")
    foreign = sorted(
        m
        for m in mods
        if m.split(".")[0] not in sys.stdlib_module_names and m.split(".")[0] != "dockyard"
    )
    assert foreign == []


def test_shim_keeps_heavy_modules_out() -> None:
    base = _modules_after("pass")
    mods = _modules_after(SHIM_PATH)
    assert sorted(m for m in HEAVY if m in mods and m not in base) == []


def test_shim_imports_no_other_dockyard_package() -> None:
    mods = _modules_after(SHIM_PATH)
    others = sorted(
        m
        for m in mods
        if m.startswith("dockyard.")
        and not m.startswith(("dockyard.shim", "dockyard.utils.", "dockyard.errdefs"))
        and m != "dockyard.utils"
    )
    assert others == []
