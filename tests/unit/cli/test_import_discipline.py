"""The CLI's import discipline (issue 5, DESIGN.md §4): `dockyard ps` and `dockyard version`,
run to the end against an address where no daemon answers, load none of the heavy stdlib
modules and nothing of dockyard's below `client/` (cli -> client, DESIGN.md §2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "http.client", "email", "socket", "ssl", "enum", "typing", "dataclasses", "urllib",
    "re", "json", "logging", "subprocess", "argparse", "asyncio", "warnings", "importlib",
    "inspect", "datetime",
)  # fmt: skip


def _modules_after_running(*argv: str) -> set[str]:
    code = (
        "import sys, contextlib, io\n"
        f"sys.argv = ['dockyard', *{list(argv)!r}]\n"
        "from dockyard.cli.main import main\n"
        "out, err = io.StringIO(), io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):\n"
        "    main()\n"
        "mods = sorted(sys.modules)\n"
        "import json\n"
        "print(json.dumps(mods))\n"
    )
    env = {"DOCKYARD_HOST": "unix:///nonexistent/dockyard.sock", "DOCKYARD_CONFIG": "/nonexistent"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def _baseline() -> set[str]:
    # contextlib and io are the probe's own; the interpreter's start-up brings the rest.
    return _modules_after_running_statement("import sys, contextlib, io")


def _modules_after_running_statement(statement: str) -> set[str]:
    code = f"{statement}\nimport json\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize("argv", [("ps", "-a"), ("version",), ("images",)])
def test_a_command_keeps_heavy_modules_out(argv: tuple[str, ...]) -> None:
    base = _baseline()
    mods = _modules_after_running(*argv)
    loaded = sorted(m for m in HEAVY if m in mods and m not in base)
    assert loaded == [], f"`dockyard {' '.join(argv)}` imports {loaded}"
    ours = sorted(m for m in mods if m.startswith("dockyard."))
    allowed = ("dockyard.cli", "dockyard.client", "dockyard.errdefs", "dockyard.utils")
    assert [m for m in ours if not m.startswith(allowed)] == []
