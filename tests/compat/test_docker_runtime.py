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
import re
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.runtimes import DOCKYARD_RUNTIME, RUNC

pytestmark = [
    pytest.mark.root,
    pytest.mark.compat,
    pytest.mark.slow,
    pytest.mark.timeout(300),
]

DOCKERD = shutil.which("dockerd") or "/usr/sbin/dockerd"
DOCKER_CLIS = ("/usr/bin/docker", "/usr/local/bin/docker")
RUNTIMES = {"dockyard": os.path.abspath(DOCKYARD_RUNTIME), "refrunc": RUNC}
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
IMAGE = "busybox:latest"
# Paths dockerd 20.10 and containerd 1.6 use whatever their roots are (plugin discovery,
# shim sockets); children first. Teardown removes those the test created, if empty.
HOST_DIRS = tuple(
    Path(p) for p in ("/run/docker/plugins", "/run/docker", "/run/containerd/s", "/run/containerd")
)


@dataclass(frozen=True, kw_only=True)
class Docker:
    """The docker CLI, pointed at this module's private dockerd."""

    cli: str
    env: dict[str, str]

    def __call__(
        self, *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [self.cli, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"docker {' '.join(args)} exited {proc.returncode}\n"
                f"stdout: {proc.stdout}\nstderr: {proc.stderr}"
            )
        return proc


@dataclass(frozen=True, kw_only=True)
class _Paths:
    """Where the private daemon keeps things. `base` is short on purpose: libnetwork binds a
    socket at <exec-root>/libnetwork/<64 hex>.sock, and sun_path holds 108 bytes."""

    base: Path
    logs: Path
    host_dirs_before: frozenset[Path]

    @property
    def data_root(self) -> Path:
        return self.base / "data"

    @property
    def exec_root(self) -> Path:
        return self.base / "exec"

    @property
    def socket(self) -> Path:
        return self.base / "docker.sock"

    @property
    def log(self) -> Path:
        return self.logs / "dockerd.log"


def _dockerd_argv(paths: _Paths) -> list[str]:
    config = paths.base / "daemon.json"
    config.write_text("{}\n")  # never /etc/docker/daemon.json: it is the host's, not ours
    argv = [
        DOCKERD,
        f"--data-root={paths.data_root}",
        f"--exec-root={paths.exec_root}",
        f"--host=unix://{paths.socket}",
        f"--pidfile={paths.base / 'dockerd.pid'}",
        f"--config-file={config}",
        "--bridge=none",
        "--iptables=false",
        "--ip6tables=false",
        "--ip-masq=false",
        "--userland-proxy=false",
        "--log-level=debug",
    ]
    # --containerd stays unset: dockerd then runs its own containerd under its exec-root.
    return argv + [f"--add-runtime={name}={path}" for name, path in RUNTIMES.items()]


def _ping(sock: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(2)
            conn.connect(str(sock))
            conn.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
            return conn.recv(64).split(b"\r\n")[0].split()[1:2] == [b"200"]
    except (OSError, IndexError):
        return False


def _wait_for_ping(proc: subprocess.Popen[bytes], paths: _Paths, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not _ping(paths.socket):
        if proc.poll() is not None or time.monotonic() > deadline:
            state = f"exited {proc.returncode}" if proc.poll() is not None else "no /_ping"
            raise AssertionError(f"dockerd did not come up ({state}):\n{_tail(paths.log)}")
        time.sleep(0.1)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as err:
        return f"(no log: {err})"


def _import_busybox(docker: Docker, rootfs: Path, dest: Path) -> None:
    tar = dest / "busybox.tar"
    with tarfile.open(tar, "w") as archive:
        archive.add(rootfs, arcname=".")
    docker("import", str(tar), IMAGE)


@pytest.fixture(scope="module")
def docker(rootfs: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Docker]:
    """A private dockerd for the module, with busybox imported; torn down even on failure."""
    cli = next((c for c in DOCKER_CLIS if os.access(c, os.X_OK)), None)
    if not os.access(DOCKERD, os.X_OK) or cli is None:
        pytest.skip(f"dockerd ({DOCKERD}) or the docker CLI ({', '.join(DOCKER_CLIS)}) missing")
    paths = _Paths(
        base=Path(tempfile.mkdtemp(prefix="dyd-")),
        logs=tmp_path_factory.mktemp("dockerd"),
        host_dirs_before=frozenset(p for p in HOST_DIRS if p.exists()),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["PATH"] = SYSTEM_PATH  # dockerd finds runc, containerd and its shim on PATH
    client = Docker(
        cli=cli,
        env=env | {"DOCKER_HOST": f"unix://{paths.socket}", "DOCKER_CONFIG": str(paths.logs)},
    )
    with paths.log.open("ab") as log:
        proc = subprocess.Popen(
            _dockerd_argv(paths), stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env
        )
    try:
        _wait_for_ping(proc, paths)
        _import_busybox(client, rootfs, paths.logs)
        yield client
    finally:
        _teardown(client, proc, paths)


def _teardown(docker: Docker, proc: subprocess.Popen[bytes], paths: _Paths) -> None:
    """Containers, dockerd, its containerd, leftover mounts, the dirs; in that order."""
    if proc.poll() is None:
        with suppress(subprocess.TimeoutExpired):  # a hung daemon is stopped below anyway
            ids = docker("ps", "-aq", check=False).stdout.split()
            if ids:
                docker("rm", "-f", *ids, check=False, timeout=120)
    containerd = _containerd_pid(paths)
    _stop(proc)
    if containerd is not None and not _gone(containerd, timeout=20):
        _kill_if_ours(containerd, paths)
    # Shims re-parent away from containerd; any still naming our dirs is left over from us.
    for pid in _pids_mentioning(paths.base):
        _kill_if_ours(pid, paths)
    _unmount_under(paths.base)
    shutil.rmtree(paths.base, ignore_errors=True)
    for path in HOST_DIRS:
        if path not in paths.host_dirs_before:
            with suppress(OSError):  # not empty: someone else's daemon is using it now
                path.rmdir()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


def _containerd_pid(paths: _Paths) -> int | None:
    try:
        return int((paths.exec_root / "containerd" / "containerd.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def _gone(pid: int, *, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state == "Z":
            return True  # exited; whoever adopted it has yet to reap it
        time.sleep(0.1)
    return False


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _pids_mentioning(base: Path) -> list[int]:
    me = os.getpid()
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and int(entry.name) != me and str(base) in _cmdline(int(entry.name))
    ]


def _kill_if_ours(pid: int, paths: _Paths) -> None:
    # Only a process whose command line names our private dirs is ours to kill: the pid may
    # have been reused by now.
    if str(paths.base) in _cmdline(pid):
        os.kill(pid, signal.SIGKILL)
        _gone(pid, timeout=10)


def _unmount_under(base: Path) -> None:
    """umount -l everything at or below `base`, deepest first (read from mountinfo)."""
    prefix = str(base.resolve())
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        # Field 5 is the mount point, with space, tab, newline and backslash octal-escaped.
        point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
        if point == prefix or point.startswith(prefix + "/"):
            found.append(point)
    for point in sorted(reversed(found), key=lambda p: p.count("/"), reverse=True):
        subprocess.run(["umount", "-l", point], check=False, capture_output=True)


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
