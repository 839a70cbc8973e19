"""`dockyard logs`: stdout and stderr kept apart (8-byte frames), a TTY's raw stream, -f that
ends with the container, --tail, -t, --since/--until in docker's time forms."""

from __future__ import annotations

import re
import secrets
import subprocess
import time
from collections.abc import Iterator

import pytest

from tests.integration.cli.test_containers import docker, dy, ok
from tests.support.cli import MAIN, cli_env
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]


@pytest.fixture
def made(dockyardd: Dockyardd) -> Iterator[list[str]]:
    names: list[str] = []
    yield names
    for n in names:
        docker(dockyardd, "rm", "-f", n)


def finished(daemon: Dockyardd, made: list[str], script: str, *flags: str) -> str:
    n = f"t-{secrets.token_hex(3)}"
    made.append(n)
    ok(docker(daemon, "run", "--name", n, *flags, "busybox", "sh", "-c", script))
    return n


def test_streams_stay_apart(dockyardd: Dockyardd, made: list[str]) -> None:
    n = finished(dockyardd, made, "echo out1; echo err1 >&2; echo out2")
    result = dy(dockyardd, "logs", n)
    assert (result.returncode, result.stdout, result.stderr) == (0, "out1\nout2\n", "err1\n")


def test_tty_logs_are_raw(dockyardd: Dockyardd, made: list[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    n = f"t-{secrets.token_hex(3)}"
    made.append(n)
    ok(
        docker(
            dockyardd, "run", "-d", "-t", "--name", n, "busybox", "sh", "-c", "echo tty; echo e >&2"
        )
    )
    ok(docker(dockyardd, "wait", n))
    result = subprocess.run(
        [*MAIN, "logs", n],
        env=cli_env(dockyardd.host, config_dir=tmp_path),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert (result.stdout, result.stderr) == (b"tty\r\ne\r\n", b"")


def test_tail_and_timestamps(dockyardd: Dockyardd, made: list[str]) -> None:
    n = finished(dockyardd, made, "for i in 1 2 3 4; do echo $i; done")
    assert ok(dy(dockyardd, "logs", "-n", "2", n)) == "3\n4\n"
    assert ok(dy(dockyardd, "logs", "--tail", "all", n)) == "1\n2\n3\n4\n"
    stamped = ok(dy(dockyardd, "logs", "-t", "--tail", "1", n))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 4\n", stamped), stamped
    assert stamped == ok(docker(dockyardd, "logs", "-t", "--tail", "1", n))


def test_since_and_until(dockyardd: Dockyardd, made: list[str]) -> None:
    n = finished(dockyardd, made, "echo early")
    assert ok(dy(dockyardd, "logs", "--since", "10m", n)) == "early\n"
    assert ok(dy(dockyardd, "logs", "--since", "2099-01-01", n)) == ""
    assert ok(dy(dockyardd, "logs", "--since", str(int(time.time()) + 3600), n)) == ""
    assert ok(dy(dockyardd, "logs", "--until", "2000-01-01T00:00:00Z", n)) == ""
    bad, theirs = (
        dy(dockyardd, "logs", "--since", "xyz", n),
        docker(dockyardd, "logs", "--since", "xyz", n),
    )
    assert (
        (bad.returncode, bad.stderr)
        == (theirs.returncode, theirs.stderr)
        == (
            1,
            'invalid value for "since": failed to parse value as time or duration: "xyz"\n',
        )
    )


def test_follow_ends_when_the_container_exits(
    dockyardd: Dockyardd, made: list[str], tmp_path
) -> None:  # type: ignore[no-untyped-def]
    n = f"t-{secrets.token_hex(3)}"
    made.append(n)
    ok(
        docker(
            dockyardd, "run", "-d", "--name", n, "busybox", "sh", "-c", "echo 1; sleep 1; echo 2"
        )
    )
    start = time.monotonic()
    proc = subprocess.run(
        [*MAIN, "logs", "-f", n],
        env=cli_env(dockyardd.host, config_dir=tmp_path),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert (proc.returncode, proc.stdout) == (0, "1\n2\n"), proc.stderr
    assert time.monotonic() - start < 20
