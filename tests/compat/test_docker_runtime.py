"""Debian's dockerd drives an OCI runtime through its own containerd: ours, with runc as control.

The module starts one private dockerd (its own data-root, exec-root, socket, pid file and
containerd, no bridge, no iptables), registers `dockyard` (our runtime) and `refrunc` (runc)
with `--add-runtime`, imports busybox offline, and runs the same cases under each runtime with
the real docker CLI. If a `refrunc` case fails, the harness is broken, not our runtime.

The `dockyard` cases skip, saying why, while `dockyard-runtime --version` fails: that is the
switch that turns them on once the runtime has landed.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support.dockerd import IMAGE, Docker
from tests.support.runtimes import DOCKYARD_RUNTIME, RUNC

pytestmark = [
    pytest.mark.root,
    pytest.mark.compat,
    pytest.mark.slow,
    pytest.mark.timeout(300),
]

RUNTIMES = {"dockyard": os.path.abspath(DOCKYARD_RUNTIME), "refrunc": RUNC}


@pytest.fixture
def docker(dockerd: Docker) -> Docker:
    """The session's private dockerd (tests/conftest.py), which registers both runtimes."""
    return dockerd


def _runtime_ready(path: str) -> str | None:
    """None if `path --version` works, else why not (its last line of stderr)."""
    try:
        proc = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return str(err)
    lines = proc.stderr.strip().splitlines()
    return None if proc.returncode == 0 else (lines[-1] if lines else f"exit {proc.returncode}")


@pytest.fixture(params=["refrunc", "dockyard"])
def runtime(request: pytest.FixtureRequest, docker: Docker) -> str:
    """The --runtime name under test; refrunc (runc) is the harness's control."""
    name: str = request.param
    problem = _runtime_ready(RUNTIMES[name])
    if problem is not None:
        pytest.skip(f"{name} runtime not ready ({RUNTIMES[name]} --version: {problem})")
    return name


def test_run_true_exits_zero(docker: Docker, runtime: str) -> None:
    proc = docker("run", "--runtime", runtime, "--network", "none", "--rm", IMAGE, "true")
    assert proc.returncode == 0


def test_run_passes_output_and_exit_code(docker: Docker, runtime: str) -> None:
    proc = docker(
        "run", "--runtime", runtime, "--network", "none", "--rm", IMAGE,
        "sh", "-c", "echo hello; exit 3",
        check=False,
    )  # fmt: skip
    assert (proc.returncode, proc.stdout) == (3, "hello\n"), proc.stderr


def test_detached_container_execs_and_stops_on_sigterm(docker: Docker, runtime: str) -> None:
    # PID 1 ignores signals it has no handler for, so the trap is what makes SIGTERM count:
    # exit code 0 proves `docker stop` reached the process through the runtime's kill.
    script = 'trap "exit 0" TERM; while true; do sleep 0.1; done'
    cid = docker(
        "run", "-d", "--runtime", runtime, "--network", "none", IMAGE, "sh", "-c", script
    ).stdout.strip()  # fmt: skip
    try:
        assert docker("inspect", "-f", "{{.State.Running}}", cid).stdout.strip() == "true"
        exec_ok = docker("exec", cid, "sh", "-c", "echo from-exec $$")
        assert exec_ok.stdout.startswith("from-exec "), exec_ok.stdout
        assert docker("exec", cid, "sh", "-c", "exit 5", check=False).returncode == 5
        docker("stop", "-t", "20", cid, timeout=60)
        state = docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", cid)
        assert state.stdout.split() == ["exited", "0"]
    finally:
        docker("rm", "-f", cid, check=False)
