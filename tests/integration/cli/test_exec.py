"""`dockyard exec` against a real dockyardd."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]


@pytest.fixture(scope="module")
def box(dockyardd: Dockyardd) -> Iterator[str]:
    name = f"t-{secrets.token_hex(3)}"
    made = run_cli(dockyardd.host, "run", "-d", "--name", name, "busybox", "sleep", "600")
    assert made.returncode == 0, made.stderr
    yield name
    run_cli(dockyardd.host, "rm", "-f", name)


def test_exec_output_and_status(dockyardd: Dockyardd, box: str) -> None:
    result = run_cli(dockyardd.host, "exec", box, "sh", "-c", "echo out; echo err >&2; exit 4")
    assert (result.returncode, result.stdout, result.stderr) == (4, "out\n", "err\n")


def test_exec_stdin(dockyardd: Dockyardd, box: str) -> None:
    result = run_cli(dockyardd.host, "exec", "-i", box, "cat", input="piped\n")
    assert (result.returncode, result.stdout) == (0, "piped\n")


def test_exec_env_user_workdir(dockyardd: Dockyardd, box: str, tmp_path: Path) -> None:
    env_file = tmp_path / "env"
    env_file.write_text("FROM_FILE=f\n")
    result = run_cli(
        dockyardd.host,
        "exec", "-e", "A=1", "--env-file", str(env_file), "-u", "1000", "-w", "/tmp", box,
        "sh", "-c", "echo $A $FROM_FILE $(id -u) $(pwd)",
    )  # fmt: skip
    assert result.stdout == "1 f 1000 /tmp\n", result.stderr


def test_exec_detached(dockyardd: Dockyardd, box: str) -> None:
    mark = f"/tmp/m-{secrets.token_hex(3)}"
    result = run_cli(dockyardd.host, "exec", "-d", box, "touch", mark)
    assert (result.returncode, result.stdout) == (0, "")
    for _ in range(50):
        if run_cli(dockyardd.host, "exec", box, "test", "-e", mark).returncode == 0:
            return
    raise AssertionError("the detached exec never ran")


def test_exec_missing_command(dockyardd: Dockyardd, box: str) -> None:
    result = run_cli(dockyardd.host, "exec", box, "nosuchcommand")
    assert result.returncode == 127
    assert "executable file not found" in result.stdout + result.stderr


def test_exec_in_missing_container(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "exec", "nosuch-xyz", "true")
    assert result.returncode == 1
    assert result.stderr == "Error response from daemon: No such container: nosuch-xyz\n"


def test_exec_tty_needs_a_terminal(dockyardd: Dockyardd, box: str) -> None:
    result = run_cli(dockyardd.host, "exec", "-it", box, "sh", input="")
    assert (result.returncode, result.stderr) == (1, "the input device is not a TTY\n")
