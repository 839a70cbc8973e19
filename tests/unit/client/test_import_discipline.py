"""The client's import discipline (issue 5): what the CLI needs for its first request pulls
in none of the heavy stdlib modules."""

from __future__ import annotations

import json
import subprocess
import sys

FIRST_REQUEST = (
    "import dockyard.client.transport, dockyard.client.hosts, dockyard.client.errors, "
    "dockyard.client.configfile, dockyard.client.system, dockyard.client.streams"
)
HEAVY = (
    "http.client",
    "email",
    "socket",
    "ssl",
    "enum",
    "typing",
    "dataclasses",
    "urllib",
    "urllib.parse",
    "re",
    "logging",
    "subprocess",
    "argparse",
    "asyncio",
    "hashlib",
    "base64",
)


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}; import sys, json as j; print(j.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def test_first_request_path_keeps_heavy_modules_out() -> None:
    base = _modules_after("pass")
    mods = _modules_after(FIRST_REQUEST)
    loaded = sorted(m for m in HEAVY if m in mods and m not in base)
    assert loaded == [], f"the client's first-request path imports {loaded}"


def test_client_imports_only_stdlib_and_its_own_layers() -> None:
    base = _modules_after("pass")
    mods = _modules_after(FIRST_REQUEST) - base
    ours = sorted(m for m in mods if m.startswith("dockyard."))
    allowed = ("dockyard.client", "dockyard.errdefs", "dockyard.utils")
    assert [m for m in ours if not m.startswith(allowed)] == []
    foreign = sorted(
        m
        for m in mods
        if m.split(".")[0] not in sys.stdlib_module_names
        and m != "dockyard"
        and not m.startswith("dockyard.")
    )
    assert foreign == []
