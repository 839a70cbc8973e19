"""Run the `dockyard` CLI as a subprocess, as a user would, against one daemon.

    result = run_cli(dockyardd.host, "ps", "-a", "--format", "{{.Names}}")
    assert result.returncode == 0, result.stderr

Each call runs `python -m dockyard.cli.main` with DOCKYARD_HOST set to the daemon and
DOCKYARD_CONFIG pointing at `config_dir` (a fresh temporary directory when None, so no test
reads or writes ~/.docker). stdout and stderr are captured as text.

`Daemon` is one daemon a CLI test runs against, the session's Debian dockerd or dockyardd
(the `daemon` fixture of tests/integration/cli parametrizes over both): where it listens,
the docker CLI that sets things up there, and docker 28 as the reference.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.support.dockerd import Docker

MAIN = [sys.executable, "-m", "dockyard.cli.main"]
DOCKER28 = "/usr/local/bin/docker"


@dataclass(frozen=True)
class Daemon:
    """One daemon under a CLI test: `kind` is "dockerd" (Debian's 20.10, API 1.41) or
    "dockyardd" (ours, API 1.51); `docker` is the CLI that sets up and inspects there."""

    kind: str
    host: str
    env: dict[str, str]  # DOCKER_HOST for the docker CLIs
    docker: Docker

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """`dockyard *args` on this daemon."""
        return run_cli(self.host, *args, input=input)

    def docker28(self, *args: str, input: str = "n\n") -> subprocess.CompletedProcess[str]:
        """The reference: docker 28 on this daemon (a prompt is declined unless told)."""
        return subprocess.run(
            [DOCKER28, *args], env=self.env, input=input, capture_output=True, text=True,
            timeout=60, check=False,
        )  # fmt: skip


def cli_env(
    host: str, *, env: Mapping[str, str] | None = None, config_dir: str | Path
) -> dict[str, str]:
    """The environment `run_cli` gives the CLI (also useful for tmux sessions)."""
    out = {k: v for k, v in os.environ.items() if not k.startswith(("DOCKYARD_", "DOCKER_"))}
    out["DOCKYARD_HOST"] = host
    out["DOCKYARD_CONFIG"] = str(config_dir)
    if env:
        out.update(env)
    return out


def run_cli(
    host: str,
    *args: str,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
    config_dir: str | Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`dockyard *args` against `host` ("unix:///path/to/sock"); never raises on a non-zero
    exit status (check `.returncode`). `env` adds to (or overrides) the environment: pass
    {"DOCKYARD_HOST": ...} to point elsewhere, or remove it with `-H`."""
    if config_dir is None:
        with tempfile.TemporaryDirectory(prefix="dockyard-cli-") as tmp:
            return _run(host, args, input, env, timeout, tmp)
    return _run(host, args, input, env, timeout, config_dir)


def _run(
    host: str,
    args: tuple[str, ...],
    input: str | None,
    env: Mapping[str, str] | None,
    timeout: float,
    config_dir: str | Path,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*MAIN, *args],
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=cli_env(host, env=env, config_dir=config_dir),
        timeout=timeout,
        check=False,
    )
