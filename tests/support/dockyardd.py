"""A private `dockyardd` for compat tests and benchmarks, and the docker CLI pointed at it.

`private_dockyardd(base)` starts our daemon on its own data-root, exec-root, socket, pid file,
daemon.json and cgroup parent, all under `base` (keep it short: `short_base()`; a unix socket
path holds 108 bytes and the shims' sockets live at <base>/e/containers/<64 hex>/shim.sock),
imports busybox:latest offline through the Engine API, and tears everything down even on
failure: containers (through the API), the daemon, leftover shims and container processes of
THIS daemon (found by their paths and cgroups, killed by pid, never by name), mounts under
`base`, the test cgroup parent, and `base` itself.

    with private_dockyardd(short_base()) as d:
        d.cli("run", "--rm", "busybox", "true")
        status, headers, body = d.api("GET", "/containers/json?all=1")
        d.restart(kill9=True)          # live restore: the containers keep running
"""

from __future__ import annotations

import http.client
import io
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from tests.support.bundles import busybox_rootfs
from tests.support.dockerd import DOCKER_CLIS, SYSTEM_PATH, Docker
from tests.support.mounts import unmount_under

DOCKYARDD = str(Path(sys.executable).parent / "dockyardd")
IMAGE = "busybox:latest"
CGROUP_ROOT = Path("/sys/fs/cgroup")


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over AF_UNIX: the daemon's socket, as the docker CLI talks to it."""

    def __init__(self, path: str, *, timeout: float = 60) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


def short_base(prefix: str = "dy") -> Path:
    """A fresh short directory under /tmp for one daemon (see the module docstring)."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def docker_clis() -> list[str]:
    """The docker CLIs installed here: Debian's 20.10 and, where present, 28.x."""
    return [c for c in DOCKER_CLIS if os.access(c, os.X_OK)]


def unavailable() -> str | None:
    """None when dockyardd and a docker CLI can run, else why not."""
    if not docker_clis():
        return f"no docker CLI ({', '.join(DOCKER_CLIS)})"
    if not os.access(DOCKYARDD, os.X_OK):
        return f"{DOCKYARDD} is not installed"
    return None


class DaemonError(AssertionError):
    """The daemon did not come up, or an API call it answered failed; carries its log."""


class Dockyardd:
    """One private dockyardd: paths, the process, the docker CLI and a raw API client."""

    def __init__(self, base: Path, *, cli: str, cgroup_parent: str, log: Path) -> None:
        self.base = base
        self.cgroup_parent = cgroup_parent
        self.log = log
        home = base / "h"
        (home / "docker").mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        self.env: dict[str, str] = env | {
            "PATH": SYSTEM_PATH,
            "HOME": str(home),
            "DOCKER_CONFIG": str(home / "docker"),
            "DOCKER_HOST": f"unix://{self.socket}",
        }
        self.cli = Docker(cli=cli, env=self.env)
        self.proc: subprocess.Popen[bytes] | None = None

    # -- paths --------------------------------------------------------------------------------

    @property
    def data_root(self) -> Path:
        return self.base / "d"

    @property
    def exec_root(self) -> Path:
        return self.base / "e"

    @property
    def socket(self) -> Path:
        return self.base / "s.sock"

    @property
    def pidfile(self) -> Path:
        return self.base / "p.pid"

    @property
    def config_file(self) -> Path:
        return self.base / "daemon.json"

    @property
    def host(self) -> str:
        return f"unix://{self.socket}"

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError("dockyardd is not running")
        return self.proc.pid

    def docker(self, cli: str) -> Docker:
        """Another docker CLI binary pointed at this daemon."""
        return Docker(cli=cli, env=self.env)

    def argv(self) -> list[str]:
        return [
            DOCKYARDD,
            "--data-root", str(self.data_root),
            "--exec-root", str(self.exec_root),
            "-H", self.host,
            "--pidfile", str(self.pidfile),
            "--config-file", str(self.config_file),
            "--cgroup-parent", self.cgroup_parent,
        ]  # fmt: skip

    def log_tail(self, lines: int = 60) -> str:
        try:
            text = self.log.read_text(errors="replace")
        except OSError as err:
            return f"(no daemon log: {err})"
        return "\n".join(text.splitlines()[-lines:])

    # -- process ------------------------------------------------------------------------------

    def start(self, timeout: float = 30) -> None:
        """Start the daemon on this object's dirs and wait until /_ping answers."""
        with self.log.open("ab") as log:
            log.write(f"---- {' '.join(self.argv())}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv(), stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=self.env
            )
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self.proc.poll() is not None:
                raise DaemonError(
                    f"dockyardd exited {self.proc.returncode} before /_ping:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise DaemonError(f"dockyardd: no /_ping after {timeout:g}s:\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self, *, kill9: bool = False, timeout: float = 10) -> int | None:
        """SIGKILL, or SIGTERM then SIGKILL after `timeout`; the daemon's exit status."""
        proc = self.proc
        if proc is None:
            return None
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL if kill9 else signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=30)
        return proc.returncode

    def restart(self, kill9: bool = False) -> int | None:
        """Kill -9 (or SIGTERM) the daemon and start it again on the same dirs; returns the
        old process's exit status."""
        status = self.stop(kill9=kill9)
        self.start()
        return status

    def ping(self) -> bool:
        try:
            status, _, body = self.api("GET", "/_ping", timeout=2)
        except (OSError, http.client.HTTPException):
            return False
        return status == 200 and body == b"OK"

    # -- Engine API ---------------------------------------------------------------------------

    def api(
        self,
        method: str,
        path: str,
        body: bytes | Mapping[str, Any] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 60,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request on the daemon's socket: (status, headers, body)."""
        conn = UnixHTTPConnection(str(self.socket), timeout=timeout)
        try:
            data = body if isinstance(body, bytes | None) else json.dumps(body).encode()
            hdrs = dict(headers or {})
            if data is not None and "Content-Type" not in hdrs:
                hdrs["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def api_json(self, method: str, path: str, body: Any = None) -> Any:
        status, _, data = self.api(method, path, body)
        if status >= 300:
            raise DaemonError(f"{method} {path} -> {status}: {data!r}\n{self.log_tail(20)}")
        return json.loads(data) if data else None

    def import_image(self, rootfs: Path, *, repo: str = "busybox", tag: str = "latest") -> None:
        """POST /images/create?fromSrc=- with a tar of `rootfs` (what `docker import` sends)."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            archive.add(rootfs, arcname=".")
        query = urllib.parse.urlencode(
            {"fromSrc": "-", "repo": repo, "tag": tag, "changes": 'CMD ["sh"]'}
        )
        status, _, data = self.api(
            "POST",
            f"/images/create?{query}",
            buffer.getvalue(),
            headers={"Content-Type": "application/x-tar"},
            timeout=120,
        )
        errors = [line for line in data.decode(errors="replace").splitlines() if '"error' in line]
        if status != 200 or errors:
            raise DaemonError(
                f"importing {repo}:{tag} -> {status}: {data[-2000:]!r}\n{self.log_tail(20)}"
            )

    def remove_all_containers(self) -> None:
        status, _, data = self.api("GET", "/containers/json?all=1", timeout=30)
        if status != 200:
            return
        for summary in json.loads(data):
            self.api("DELETE", f"/containers/{summary['Id']}?force=1&v=1", timeout=60)

    # -- the files the daemon writes ----------------------------------------------------------

    def container_dir(self, cid: str) -> Path:
        return self.data_root / "containers" / cid

    def json_log(self, cid: str) -> Path:
        return self.container_dir(cid) / f"{cid}-json.log"

    def shim_pids(self) -> list[int]:
        """The dockyard-shim processes of this daemon (by their --dir under our exec-root,
        or --id of a container this exec-root knows)."""
        known = set()
        with suppress(OSError):
            known = {p.name for p in (self.exec_root / "containers").iterdir()}
        found = []
        for pid, argv in _processes():
            if not any("dockyard-shim" in a for a in argv[:3]):
                continue
            if _arg(argv, "--dir").startswith(f"{self.exec_root}/") or _arg(argv, "--id") in known:
                found.append(pid)
        return found

    def cgroup_dirs(self) -> list[Path]:
        """Every cgroup dir under our test cgroup parent, in every hierarchy, deepest first."""
        rel = self.cgroup_parent.strip("/")
        dirs: list[Path] = []
        if not CGROUP_ROOT.is_dir():
            return dirs
        for hierarchy in [CGROUP_ROOT, *CGROUP_ROOT.iterdir()]:
            top = hierarchy / rel
            if top.is_dir():
                dirs += [Path(root) for root, _, _ in os.walk(top)]
        return sorted(dirs, key=lambda p: len(p.parts), reverse=True)


def _processes() -> Iterator[tuple[int, list[str]]]:
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        yield int(entry.name), raw.decode(errors="replace").split("\0")


def _arg(argv: list[str], flag: str) -> str:
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return ""


def _kill_cgroup_members(d: Dockyardd) -> None:
    """SIGKILL every process in our test cgroups (they can only be ours), thawing first."""
    for cg in d.cgroup_dirs():
        freezer = cg / "freezer.state"
        if freezer.exists():
            with suppress(OSError):
                freezer.write_text("THAWED")
    for _ in range(50):
        pids: set[int] = set()
        for cg in d.cgroup_dirs():
            with suppress(OSError):
                pids |= {int(p) for p in (cg / "cgroup.procs").read_text().split()}
        if not pids:
            return
        for pid in pids:
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)


def _wait_gone(pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state == "Z":
            return
        time.sleep(0.05)


def _user_bridges(d: Dockyardd) -> list[str]:
    """The Linux bridges of this daemon's user-defined bridge networks."""
    found = []
    for n in d.api_json("GET", "/networks"):
        if n.get("Driver") == "bridge" and n.get("Name") != "bridge":
            options = n.get("Options") or {}
            found.append(options.get("com.docker.network.bridge.name") or f"br-{n['Id'][:12]}")
    return found


def remove_host_networking(exec_root: str | Path, bridges: Sequence[str] = ()) -> None:
    """What a daemon stopped by kill -9 (live restore) leaves on the host on purpose: its
    default bridge, its nftables table, user-defined bridges. Only names this daemon owns."""
    from dockyard.daemon.wiring import host_network_names

    default_bridge, table = host_network_names(str(exec_root))
    for link in [default_bridge, *bridges]:
        if Path(f"/sys/class/net/{link}").exists():
            subprocess.run(["ip", "link", "del", link], capture_output=True, check=False)
    for family in ("inet", "ip"):
        subprocess.run(["nft", "delete", "table", family, table], capture_output=True, check=False)


def teardown(d: Dockyardd) -> None:
    """Containers, daemon, shims, container processes, mounts, cgroups, dirs; in that order."""
    bridges: list[str] = []
    if d.proc is not None and d.proc.poll() is None:
        with suppress(OSError, http.client.HTTPException):
            d.remove_all_containers()
        with suppress(OSError, http.client.HTTPException, ValueError):
            bridges = _user_bridges(d)
    d.stop()
    remove_host_networking(d.exec_root, bridges)
    for pid in d.shim_pids():
        # Checked again right before the kill: the pid must still name our dirs.
        if pid in d.shim_pids():
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            _wait_gone(pid, 10)
    _kill_cgroup_members(d)
    unmount_under(d.base)
    for cg in d.cgroup_dirs():
        with suppress(OSError):
            cg.rmdir()
    shutil.rmtree(d.base, ignore_errors=True)


@contextmanager
def private_dockyardd(
    base: Path,
    *,
    live_restore: bool = True,
    extra_config: dict[str, Any] | None = None,
    busybox: Path | None = None,
    log: Path | None = None,
    cli: str | None = None,
) -> Iterator[Dockyardd]:
    """A running private dockyardd under `base` with busybox:latest imported (from `busybox`,
    a rootfs dir; made from busybox-static when None). `log` keeps the daemon's stderr beyond
    `base` (default <base>/dockyardd.log, removed with base)."""
    clis = docker_clis()
    base.mkdir(parents=True, exist_ok=True)
    d = Dockyardd(
        base,
        cli=cli or (clis[0] if clis else DOCKER_CLIS[0]),
        cgroup_parent=f"/dockyard-test-{secrets.token_hex(4)}",
        log=log or base / "dockyardd.log",
    )
    d.config_file.write_text(
        json.dumps({"live-restore": live_restore, **(extra_config or {})}, indent=2) + "\n"
    )
    try:
        d.start()
        rootfs = busybox if busybox is not None else busybox_rootfs(base / "busybox")
        d.import_image(rootfs)
        yield d
    finally:
        teardown(d)
