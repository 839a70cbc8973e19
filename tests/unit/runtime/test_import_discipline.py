"""The runtime's import discipline (DESIGN.md §4): stdlib and its own package only, and none
of the heavy stdlib modules on the way to running a container."""

from __future__ import annotations

import json
import subprocess
import sys

# What `dockyard-runtime run` imports before it forks the container's init.
RUN_PATH = (
    "import dockyard.runtime.main, dockyard.runtime.commands.run, "
    "dockyard.runtime.commands.exec, dockyard.runtime.cgroups.v1, dockyard.runtime.cgroups.v2"
)
# Each costs milliseconds of start-up and has a cheap stand-in in the runtime.
HEAVY = ("dataclasses", "typing", "json", "re", "enum", "logging", "subprocess", "argparse")


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}; import sys, json as j; print(j.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_runtime_imports_only_the_stdlib_and_dockyard() -> None:
    base = _modules_after("pass")  # the interpreter's own start-up (site, .pth hooks)
    mods = _modules_after(RUN_PATH) - base
    stdlib = sys.stdlib_module_names
    foreign = sorted(
        m for m in mods if m.split(".")[0] not in stdlib and m.split(".")[0] != "dockyard"
    )
    assert foreign == []


def test_runtime_keeps_heavy_stdlib_modules_off_the_run_path() -> None:
    # The probe itself imports json and sys after the statement, so look only at what the
    # statement brought in: compare against a bare interpreter.
    base = _modules_after("pass")
    mods = _modules_after(RUN_PATH)
    loaded = sorted(m for m in HEAVY if m in mods and m not in base)
    assert loaded == [], f"the runtime's run path imports {loaded}"


def test_dockyard_packages_do_not_import_upwards() -> None:
    # DESIGN.md §2: runtime sits at the bottom; it never imports cli, client, api or daemon.
    mods = _modules_after(RUN_PATH)
    upward = sorted(
        m for m in mods if m.startswith(("dockyard.cli", "dockyard.api", "dockyard.daemon"))
    )
    assert upward == []
