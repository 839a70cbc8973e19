"""Interactive sessions through tmux, as a person types them: `run -it`, ctrl-p ctrl-q to
detach, `exec -it` and a window resize seen by `stty size` inside the container."""

from __future__ import annotations

import secrets
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.cli import cli_env, run_cli
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]


class Tmux:
    """A private tmux server (its own socket) with one session per call of `start`."""

    def __init__(self) -> None:
        self.socket = f"dy-{secrets.token_hex(4)}"

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return done.stdout

    def start(self, session: str, command: str) -> None:
        self("new-session", "-d", "-s", session, "-x", "120", "-y", "40", command)

    def screen(self, session: str) -> str:
        return self("capture-pane", "-p", "-t", session)

    def wait_for(self, session: str, check: Callable[[str], bool], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        text = ""
        while time.monotonic() < deadline:
            text = self.screen(session)
            if check(text):
                return text
            time.sleep(0.2)
        raise AssertionError(f"tmux screen never matched:\n{text}")

    def kill(self) -> None:
        self("kill-server")


@pytest.fixture
def tmux() -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    server = Tmux()
    try:
        yield server
    finally:
        server.kill()


def cli_command(dockyardd: Dockyardd, config_dir: Path, *args: str) -> str:
    env = cli_env(dockyardd.host, config_dir=config_dir)
    assigns = " ".join(
        f"{k}={shlex.quote(v)}" for k, v in env.items() if k.startswith(("DOCKYARD_", "PATH"))
    )
    argv = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "dockyard.cli.main", *args))
    # keep the pane open after the CLI exits so its status can be read
    return f"env {assigns} {argv}; echo CLI-EXIT=$?; sleep 600"


def running(dockyardd: Dockyardd, name: str) -> bool:
    status, _, body = dockyardd.api("GET", f"/containers/{name}/json")
    return status == 200 and b'"Running":true' in body.replace(b" ", b"")


def prompt_ready(text: str) -> bool:
    return "/ #" in text


def _detach(dockyardd: Dockyardd, tmux: Tmux, tmp_path: Path, name: str) -> str:
    """`run -it` in a pane, one command, then ctrl-p ctrl-q: the pane's text at the end."""
    tmux.start(
        "run", cli_command(dockyardd, tmp_path, "run", "-it", "--name", name, "busybox", "sh")
    )
    tmux.wait_for("run", prompt_ready)
    tmux("send-keys", "-t", "run", "echo hi-$((40+2))", "Enter")
    tmux.wait_for("run", lambda t: "hi-42" in t)
    tmux("send-keys", "-t", "run", "C-p")
    tmux("send-keys", "-t", "run", "C-q")
    return tmux.wait_for("run", lambda t: "CLI-EXIT=" in t)


def test_run_it_echo_then_detach_exits_0(dockyardd: Dockyardd, tmux: Tmux, tmp_path: Path) -> None:
    name = f"t-{secrets.token_hex(3)}"
    try:
        text = _detach(dockyardd, tmux, tmp_path, name)
        assert "CLI-EXIT=0" in text
        assert "read escape sequence" not in text  # `run` prints nothing on detach
    finally:
        run_cli(dockyardd.host, "rm", "-f", name)


def test_detached_container_keeps_running(dockyardd: Dockyardd, tmux: Tmux, tmp_path: Path) -> None:
    name = f"t-{secrets.token_hex(3)}"
    try:
        _detach(dockyardd, tmux, tmp_path, name)
        time.sleep(0.5)
        assert running(dockyardd, name)
    finally:
        run_cli(dockyardd.host, "rm", "-f", name)


def test_run_it_exit_status(dockyardd: Dockyardd, tmux: Tmux, tmp_path: Path) -> None:
    name = f"t-{secrets.token_hex(3)}"
    try:
        tmux.start(
            "run", cli_command(dockyardd, tmp_path, "run", "-it", "--name", name, "busybox", "sh")
        )
        tmux.wait_for("run", prompt_ready)
        tmux("send-keys", "-t", "run", "exit 7", "Enter")
        assert "CLI-EXIT=7" in tmux.wait_for("run", lambda t: "CLI-EXIT=" in t)
    finally:
        run_cli(dockyardd.host, "rm", "-f", name)


def test_exec_it_follows_window_size(dockyardd: Dockyardd, tmux: Tmux, tmp_path: Path) -> None:
    name = f"t-{secrets.token_hex(3)}"
    try:
        made = run_cli(dockyardd.host, "run", "-d", "--name", name, "busybox", "sleep", "600")
        assert made.returncode == 0, made.stderr
        tmux.start("exec", cli_command(dockyardd, tmp_path, "exec", "-it", name, "sh"))
        tmux.wait_for("exec", prompt_ready)
        tmux("send-keys", "-t", "exec", "stty size", "Enter")
        tmux.wait_for("exec", lambda t: "40 120" in t)
        tmux("resize-window", "-t", "exec", "-x", "100", "-y", "30")
        time.sleep(0.5)
        tmux("send-keys", "-t", "exec", "clear; stty size", "Enter")
        tmux.wait_for("exec", lambda t: "30 100" in t)
        tmux("send-keys", "-t", "exec", "exit 3", "Enter")
        assert "CLI-EXIT=3" in tmux.wait_for("exec", lambda t: "CLI-EXIT=" in t)
        assert running(dockyardd, name)
    finally:
        run_cli(dockyardd.host, "rm", "-f", name)
