"""dockyardd as a process: start-up, /_ping and /version, SIGHUP reload, clean SIGTERM exit,
a second daemon refused on the same PID file, a bad daemon.json refused with Docker's words."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.dockyardd import remove_host_networking

pytestmark = [pytest.mark.root, pytest.mark.integration]

DOCKYARDD = str(Path(sys.executable).parent / "dockyardd")
DOCKER_CLIS = [p for p in ("/usr/bin/docker", "/usr/local/bin/docker") if os.path.exists(p)]


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=10)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._path)
        self.sock = sock


class Daemon:
    """One dockyardd under a short temp dir: b/d data-root, b/e exec-root, b/s.sock, b/p.pid."""

    def __init__(self, base: Path, *, name: str = "") -> None:
        self.base = base
        self.socket = str(base / f"s{name}.sock")
        self.pidfile = str(base / "p.pid")
        self.config_file = base / "daemon.json"
        self.stderr_path = base / f"stderr{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def argv(self, *extra: str) -> list[str]:
        return [
            DOCKYARDD,
            "--data-root", str(self.base / "d"),
            "--exec-root", str(self.base / "e"),
            "-H", f"unix://{self.socket}",
            "--pidfile", self.pidfile,
            "--config-file", str(self.config_file),
            "--cgroup-parent", f"/dockyard-test-{self.base.name}",
            *extra,
        ]  # fmt: skip

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.argv(*extra), stderr=err, stdout=err)
        return self.proc

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                pytest.fail(f"dockyardd exited {self.proc.returncode}:\n{self.stderr()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if self.request("GET", "/_ping")[0] == 200:
                    return
            time.sleep(0.05)
        pytest.fail(f"dockyardd did not answer /_ping:\n{self.stderr()}")

    def request(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        conn = UnixConnection(self.socket)
        try:
            conn.request(method, path)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def json(self, path: str) -> Any:
        status, _, body = self.request("GET", path)
        assert status == 200, body
        return json.loads(body)

    def stop(self) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


@pytest.fixture
def base() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="dy", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def daemon(base: Path) -> Iterator[Daemon]:
    d = Daemon(base)
    d.config_file.write_text("{}")
    yield d
    if d.proc is not None and d.proc.poll() is None:
        d.proc.kill()
        d.proc.wait()
    remove_host_networking(base / "e")


def test_bad_daemon_json_is_refused_with_dockers_message(daemon: Daemon) -> None:
    daemon.config_file.write_text(json.dumps({"debug": True, "foo": 1}))
    proc = daemon.start()
    assert proc.wait(20) == 1
    assert (
        f"unable to configure the Docker daemon with file {daemon.config_file}: the following"
        " directives don't match any configuration option: foo"
    ) in daemon.stderr()
    assert not os.path.exists(daemon.pidfile)
    assert not os.path.exists(daemon.socket)


def test_flag_conflicting_with_daemon_json_is_refused(daemon: Daemon) -> None:
    daemon.config_file.write_text(json.dumps({"debug": False}))
    assert daemon.start("--debug").wait(20) == 1
    assert "debug: (from flag: true, from file: false)" in daemon.stderr()


def test_second_daemon_on_the_same_pidfile_is_refused(daemon: Daemon, base: Path) -> None:
    daemon.start()
    daemon.wait_ready()
    second = Daemon(base, name="2")
    proc = second.start()
    assert proc.wait(20) == 1
    assert daemon.proc is not None
    assert (
        f"failed to start daemon, ensure docker is not running or delete {daemon.pidfile}:"
        f" process with PID {daemon.proc.pid} is still running"
    ) in second.stderr()
    assert not os.path.exists(second.socket)
    assert daemon.request("GET", "/_ping")[0] == 200  # the first one is untouched
    assert Path(daemon.pidfile).read_text() == str(daemon.proc.pid)


def test_ping_version_reload_and_clean_exit(daemon: Daemon) -> None:
    started = time.monotonic()
    daemon.start()
    while not os.path.exists(daemon.socket) and time.monotonic() - started < 10:
        time.sleep(0.005)
    listening_after = time.monotonic() - started
    daemon.wait_ready()
    print(f"socket after {listening_after * 1000:.0f} ms")

    status, headers, body = daemon.request("GET", "/_ping")
    assert (status, body) == (200, b"OK")
    assert headers.get("Api-Version") == "1.51"
    assert oct(os.stat(daemon.socket).st_mode & 0o777) == oct(0o660)
    version = daemon.json("/version")
    assert version["ApiVersion"] == "1.51" and version["MinAPIVersion"] == "1.24"
    info = daemon.json("/info")
    assert info["Debug"] is False and info["LiveRestoreEnabled"] is True

    daemon.config_file.write_text(json.dumps({"debug": True, "labels": ["zone=a"]}))
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        info = daemon.json("/info")
        if info["Debug"]:
            break
        time.sleep(0.05)
    assert info["Debug"] is True and info["Labels"] == ["zone=a"]
    until = int(time.time()) + 1
    events = daemon.request("GET", f"/events?since=0&until={until}")[2].decode().splitlines()
    reloads = [json.loads(line) for line in events if '"reload"' in line]
    assert reloads and reloads[-1]["Type"] == "daemon"
    assert reloads[-1]["Actor"]["Attributes"]["debug"] == "true"
    assert "Reloaded configuration" in daemon.stderr()

    assert daemon.stop() == 0
    assert not os.path.exists(daemon.socket)
    assert not os.path.exists(daemon.pidfile)
    assert "Daemon shutdown complete" in daemon.stderr()


def test_a_bad_reload_keeps_the_running_config(daemon: Daemon) -> None:
    daemon.start()
    daemon.wait_ready()
    daemon.config_file.write_text(json.dumps({"nope": True}))
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "Error reconfiguring the daemon" not in daemon.stderr():
        assert time.monotonic() < deadline, daemon.stderr()
        time.sleep(0.05)
    assert daemon.request("GET", "/_ping")[0] == 200
    assert daemon.stop() == 0


@pytest.mark.parametrize("cli", DOCKER_CLIS)
def test_docker_info_and_version_print_without_error(daemon: Daemon, cli: str, base: Path) -> None:
    daemon.start()
    daemon.wait_ready()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(base),
        "DOCKER_CONFIG": str(base / "cli"),
        "DOCKER_HOST": f"unix://{daemon.socket}",
    }
    for args in (["info"], ["version"]):
        done = subprocess.run([cli, *args], env=env, capture_output=True, text=True, timeout=30)
        assert done.returncode == 0, (args, done.stdout, done.stderr, daemon.stderr())
        assert "error" not in done.stderr.lower(), done.stderr
    assert daemon.stop() == 0
