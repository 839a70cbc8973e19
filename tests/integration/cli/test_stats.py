"""`dockyard stats`: --no-stream columns as docker 28 prints them, --format, named
containers, errors for unknown ones, and the streaming redraw."""

from __future__ import annotations

import secrets
import subprocess
from collections.abc import Iterator

import pytest

from tests.integration.cli.test_containers import docker, dy, ok
from tests.support.cli import MAIN, cli_env
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]


HEADER = (
    "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS"
)


@pytest.fixture
def box(dockyardd: Dockyardd) -> Iterator[str]:
    n = f"t-{secrets.token_hex(3)}"
    ok(docker(dockyardd, "run", "-d", "--name", n, "busybox", "sleep", "1000"))
    yield n
    docker(dockyardd, "rm", "-f", n)


def test_no_stream_columns(dockyardd: Dockyardd, box: str) -> None:
    out = ok(dy(dockyardd, "stats", "--no-stream", box)).splitlines()
    theirs = ok(docker(dockyardd, "stats", "--no-stream", box)).splitlines()
    assert out[0].split() == theirs[0].split()
    assert out[1].split()[:2] == theirs[1].split()[:2]
    assert out[1].split()[1] == box and out[1].split()[-1] == "1"


def test_format_and_all(dockyardd: Dockyardd, box: str) -> None:
    out = ok(dy(dockyardd, "stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}}", box))
    assert out == f"{box} 1\n"
    listed = ok(dy(dockyardd, "stats", "--no-stream", "-a", "--format", "{{.Name}}"))
    assert box in listed.splitlines()


def test_unknown_container(dockyardd: Dockyardd) -> None:
    ours, theirs = (
        dy(dockyardd, "stats", "--no-stream", "nope-x"),
        docker(dockyardd, "stats", "--no-stream", "nope-x"),
    )
    assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr)


def test_streaming_redraws_from_the_top(dockyardd: Dockyardd, box: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(subprocess.TimeoutExpired) as stopped:
        subprocess.run(
            [*MAIN, "stats", box],
            env=cli_env(dockyardd.host, config_dir=tmp_path),
            capture_output=True,
            timeout=2.5,
            check=False,
        )
    out = (stopped.value.stdout or b"").decode()
    assert out.startswith("\033[H" + HEADER.split()[0])
    assert out.count("\033[J") >= 2
