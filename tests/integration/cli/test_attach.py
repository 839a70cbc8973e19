"""`dockyard attach` against a real dockyardd: output, exit status, refusal when stopped."""

from __future__ import annotations

import secrets

import pytest

from tests.support.cli import run_cli
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]


def test_attach_follows_output_and_returns_status(dockyardd: Dockyardd) -> None:
    name = f"t-{secrets.token_hex(3)}"
    try:
        made = run_cli(
            dockyardd.host, "run", "-d", "--name", name, "busybox",
            "sh", "-c", "sleep 1; echo late; exit 5",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        result = run_cli(dockyardd.host, "attach", name)
        assert (result.returncode, result.stdout) == (5, "late\n")
    finally:
        run_cli(dockyardd.host, "rm", "-f", name)


def test_attach_with_stdin(dockyardd: Dockyardd) -> None:
    name = f"t-{secrets.token_hex(3)}"
    try:
        made = run_cli(
            dockyardd.host, "run", "-d", "-i", "--name", name, "busybox",
            "sh", "-c", "read line; echo got $line",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        result = run_cli(dockyardd.host, "attach", name, input="echoed\n")
        assert (result.returncode, result.stdout) == (0, "got echoed\n")
    finally:
        run_cli(dockyardd.host, "rm", "-f", name)


def test_attach_to_stopped_container_is_refused(dockyardd: Dockyardd) -> None:
    name = f"t-{secrets.token_hex(3)}"
    try:
        assert run_cli(dockyardd.host, "create", "--name", name, "busybox").returncode == 0
        result = run_cli(dockyardd.host, "attach", name)
        assert (result.returncode, result.stderr) == (
            1,
            "You cannot attach to a stopped container, start it first\n",
        )
    finally:
        run_cli(dockyardd.host, "rm", "-f", name)
