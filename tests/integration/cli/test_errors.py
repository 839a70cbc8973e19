"""How the CLI fails: no daemon, flag errors, argument counts, unknown commands — docker's
words and exit statuses, from a real subprocess."""

from __future__ import annotations

import pytest

from tests.support.cli import run_cli
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]

NOWHERE = "unix:///nonexistent/dockyard.sock"


def test_no_daemon_is_one_line_and_status_1() -> None:
    result = run_cli(NOWHERE, "ps")
    assert result.returncode == 1
    assert result.stderr == (
        f"Cannot connect to the dockyard daemon at {NOWHERE}. Is the daemon running?\n"
    )
    assert result.stdout == ""


def test_no_daemon_version_still_prints_the_client() -> None:
    result = run_cli(NOWHERE, "version")
    assert result.returncode == 1
    assert result.stdout.startswith("Client:\n Version:           0.1.0\n")
    assert "Server:" not in result.stdout
    assert result.stderr.startswith("Cannot connect to the dockyard daemon")


def test_unknown_flag_is_125(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "ps", "--bogus")
    assert result.returncode == 125
    assert result.stderr == (
        "unknown flag: --bogus\n\nUsage:  dockyard ps [OPTIONS]\n\n"
        "Run 'dockyard ps --help' for more information\n"
    )


def test_missing_arguments_is_1(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "inspect")
    assert result.returncode == 1
    assert result.stderr == (
        "dockyard: 'dockyard inspect' requires at least 1 argument\n\n"
        "Usage:  dockyard inspect [OPTIONS] NAME|ID [NAME|ID...]\n\n"
        "See 'dockyard inspect --help' for more information\n"
    )
    extra = run_cli(dockyardd.host, "version", "x")
    assert extra.returncode == 1
    assert extra.stderr.startswith("dockyard: 'dockyard version' accepts no arguments\n")


def test_daemon_errors_are_prefixed(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "search", "busybox")
    assert result.returncode == 1
    assert result.stderr.startswith("Error response from daemon: ")


def test_unknown_command_and_group_verb() -> None:
    result = run_cli(NOWHERE, "frobnicate")
    assert (result.returncode, result.stderr) == (
        1,
        "dockyard: unknown command: dockyard frobnicate\n\n"
        "Run 'dockyard --help' for more information\n",
    )
    verb = run_cli(NOWHERE, "system", "frobnicate")
    assert verb.returncode == 1
    assert verb.stderr.startswith("dockyard: unknown command: dockyard system frobnicate\n")


def test_help_and_version_need_no_daemon() -> None:
    top = run_cli(NOWHERE, "--help")
    assert top.returncode == 0
    assert top.stdout.startswith("Usage:  dockyard [OPTIONS] COMMAND\n")
    group = run_cli(NOWHERE, "system")
    assert group.returncode == 0
    assert group.stderr.startswith("Usage:  dockyard system COMMAND\n")
    version = run_cli(NOWHERE, "-v")
    assert version.stdout.startswith("Dockyard version 0.1.0, build ")
    assert run_cli(NOWHERE, "info", "--help").stdout.startswith("Usage:  dockyard info [OPTIONS]")
