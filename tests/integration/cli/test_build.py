"""`dockyard build` with the classic builder: on the session's Debian dockerd (dockyardd has
no /build yet: the builder issue), compared with the docker 28 CLI's output."""

from __future__ import annotations

import re
import secrets
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.dockerd import Docker
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]
DOCKER28 = "/usr/local/bin/docker"


def _context(tmp_path: Path) -> Path:
    ctx = tmp_path / "ctx"
    for name, text in {
        "Dockerfile": "FROM busybox\nCOPY . /ctx/\nRUN find /ctx | sort\nLABEL h5=yes\n",
        ".dockerignore": "skip\n!skip/keep.txt\n*.md\n",
        "a.txt": "a",
        "README.md": "ignored",
        "sub/b.txt": "b",
        "skip/keep.txt": "k",
        "skip/drop.txt": "d",
    }.items():
        (ctx / name).parent.mkdir(parents=True, exist_ok=True)
        (ctx / name).write_text(text)
    return ctx


def _ids(text: str) -> str:
    return re.sub(r"[0-9a-f]{12,64}", "<id>", text)


def test_build_output_matches_docker(dockerd: Docker, tmp_path: Path) -> None:
    ctx = _context(tmp_path)
    tag = f"t-{secrets.token_hex(3)}"
    ours = run_cli(dockerd.env["DOCKER_HOST"], "build", "--no-cache", "-t", tag, str(ctx))
    theirs = subprocess.run(
        [DOCKER28, "build", "--no-cache", "-t", tag + "-d", str(ctx)],
        env=dockerd.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    try:
        assert ours.returncode == theirs.returncode == 0, ours.stderr
        assert ours.stderr == theirs.stderr  # the legacy builder's deprecation notice
        assert _ids(ours.stdout) == _ids(theirs.stdout).replace(tag + "-d", tag)
        assert "/ctx/skip/keep.txt" in ours.stdout and "drop.txt" not in ours.stdout
        assert "README.md" not in ours.stdout
        assert ours.stdout.startswith("Sending build context to Docker daemon ")
    finally:
        dockerd("rmi", tag, tag + "-d", check=False)


def test_build_quiet_iidfile_and_stdin_dockerfile(dockerd: Docker, tmp_path: Path) -> None:
    host = dockerd.env["DOCKER_HOST"]
    ctx = _context(tmp_path)
    iid = tmp_path / "iid"
    quiet = run_cli(host, "build", "-q", "--iidfile", str(iid), str(ctx))
    assert quiet.returncode == 0, quiet.stderr
    assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", quiet.stdout)
    assert iid.read_text() == quiet.stdout.strip() or iid.read_text() == quiet.stdout
    piped = run_cli(host, "build", "-q", "-f", "-", str(ctx), input="FROM busybox\nRUN true\n")
    assert piped.returncode == 0, piped.stderr
    only = run_cli(host, "build", "-q", "-", input="FROM busybox\nLABEL only=dockerfile\n")
    assert only.returncode == 0, only.stderr
    image = only.stdout.strip()
    assert dockerd("image", "inspect", "-f", "{{.Config.Labels.only}}", image).stdout == (
        "dockerfile\n"
    )


def test_a_failing_step_exits_with_its_code(dockerd: Docker) -> None:
    result = run_cli(dockerd.env["DOCKER_HOST"], "build", "-", input="FROM busybox\nRUN exit 3\n")
    assert result.returncode == 3
    assert result.stderr.endswith("The command '/bin/sh -c exit 3' returned a non-zero code: 3\n")


def test_build_flag_errors_are_dockers(dockerd: Docker, tmp_path: Path) -> None:
    host = dockerd.env["DOCKER_HOST"]
    bad = run_cli(host, "build", "-t", "Bad:x", str(tmp_path))
    assert bad.returncode == 125
    assert 'invalid argument "Bad:x" for "-t, --tag" flag' in bad.stderr
    missing = run_cli(host, "build", str(tmp_path / "nope"))
    assert missing.returncode == 1
    assert f'unable to prepare context: path "{tmp_path / "nope"}" not found' in missing.stderr


def test_dockyardd_without_build_says_so(dockyardd: Dockyardd, tmp_path: Path) -> None:
    result = run_cli(dockyardd.host, "build", str(_context(tmp_path)))
    assert result.returncode == 1
    assert "Error response from daemon: " in result.stderr
    assert "Traceback" not in result.stderr
