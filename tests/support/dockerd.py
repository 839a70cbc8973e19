"""A private Debian dockerd for tests and benchmarks, and the docker CLI pointed at it.

`private_dockerd()` starts one with its own data-root, exec-root, socket, pid file and
containerd, no bridge and no iptables (so it touches nothing of the host's), registers extra
OCI runtimes with `--add-runtime`, and tears everything down even on failure: containers,
dockerd, its containerd and shims, leftover mounts, the directories, and the fixed /run paths
dockerd and containerd create whatever their roots are.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.support.mounts import unmount_under

DOCKERD = shutil.which("dockerd") or "/usr/sbin/dockerd"
DOCKER_CLIS = ("/usr/bin/docker", "/usr/local/bin/docker")
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


def _dockerd_argv(
    paths: _Paths, runtimes: Mapping[str, str], extra_args: Sequence[str]
) -> list[str]:
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
    argv += [f"--add-runtime={name}={path}" for name, path in runtimes.items()]
    return argv + list(extra_args)


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


def import_busybox(docker: Docker, rootfs: Path, dest: Path) -> None:
    """`docker import` of a tar of `rootfs` as busybox:latest."""
    tar = dest / "busybox.tar"
    with tarfile.open(tar, "w") as archive:
        archive.add(rootfs, arcname=".")
    docker("import", str(tar), IMAGE)


def available() -> str | None:
    """None when dockerd and a docker CLI are installed, else why not."""
    if not os.access(DOCKERD, os.X_OK) or _cli() is None:
        return f"dockerd ({DOCKERD}) or the docker CLI ({', '.join(DOCKER_CLIS)}) missing"
    return None


def _cli() -> str | None:
    return next((c for c in DOCKER_CLIS if os.access(c, os.X_OK)), None)


@contextmanager
def private_dockerd(
    logs: Path,
    *,
    runtimes: Mapping[str, str] | None = None,
    extra_args: Sequence[str] = (),
    busybox_rootfs: Path | None = None,
) -> Iterator[Docker]:
    """A private dockerd (see the module docstring); with `busybox_rootfs`, busybox:latest is
    imported offline. `logs` keeps dockerd's log and the CLI's config."""
    cli = _cli()
    if available() is not None or cli is None:
        raise RuntimeError(available())
    paths = _Paths(
        base=Path(tempfile.mkdtemp(prefix="dyd-")),
        logs=logs,
        host_dirs_before=frozenset(p for p in (*HOST_DIRS, *_cgroup_parents()) if p.exists()),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
    env["PATH"] = SYSTEM_PATH  # dockerd finds runc, containerd and its shim on PATH
    client = Docker(
        cli=cli,
        env=env | {"DOCKER_HOST": f"unix://{paths.socket}", "DOCKER_CONFIG": str(paths.logs)},
    )
    argv = _dockerd_argv(paths, runtimes or {}, extra_args)
    with paths.log.open("ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)
    try:
        _wait_for_ping(proc, paths)
        if busybox_rootfs is not None:
            import_busybox(client, busybox_rootfs, paths.logs)
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
    unmount_under(paths.base)
    shutil.rmtree(paths.base, ignore_errors=True)
    for path in (*_cgroup_parents(), *HOST_DIRS):
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


def _cgroup_parents() -> list[Path]:
    """The "docker" parent cgroup dockerd's cgroupfs driver makes in every hierarchy (and
    leaves behind): removed at teardown when the test's daemon made it and it is empty."""
    root = Path("/sys/fs/cgroup")
    hierarchies = [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
    return [h / "docker" for h in hierarchies]
