"""`dockyard cp` both ways: files, directories, "dir/.", renames, -L, `-` tar streams, and
docker's errors, compared with the docker 28 CLI copying the same things."""

from __future__ import annotations

import io
import os
import secrets
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli.test_containers import DOCKER28, docker, dy, ok
from tests.support.cli import MAIN, cli_env
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]


@pytest.fixture
def box(dockyardd: Dockyardd) -> Iterator[str]:
    n = f"t-{secrets.token_hex(3)}"
    ok(docker(dockyardd, "run", "-d", "--name", n, "busybox", "sleep", "1000"))
    ok(
        docker(
            dockyardd,
            "exec",
            n,
            "sh",
            "-c",
            "mkdir -p /data/sub /up/dk /up/dy && echo a > /data/a && echo b > /data/sub/b"
            " && ln -s /data/a /data/link",
        )
    )
    yield n
    docker(dockyardd, "rm", "-f", n)


def tree(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for dirpath, dirs, files in os.walk(root):
        for entry in (*dirs, *files):
            p = Path(dirpath, entry)
            rel = str(p.relative_to(root))
            out[rel] = (
                f"-> {os.readlink(p)}"
                if p.is_symlink()
                else ("dir" if p.is_dir() else p.read_text())
            )
    return out


def both(daemon: Dockyardd, tmp: Path, *args: str) -> None:
    """Run `cp args` with each CLI in its own directory; exit statuses and stderr equal."""
    results = []
    for tool in ("dk", "dy"):
        cwd = tmp / tool
        cwd.mkdir(exist_ok=True)
        argv = [DOCKER28] if tool == "dk" else list(MAIN)
        env = daemon.env if tool == "dk" else cli_env(daemon.host, config_dir=tmp)
        fixed = [a.replace("@TOOL@", tool) for a in args]
        r = subprocess.run(
            [*argv, "cp", *fixed],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        # docker may log its tar goroutine's broken pipe first (logrus lines): the error
        # is the last line
        last_line = r.stderr.replace(str(cwd), "CWD").splitlines()[-1:]
        results.append((r.returncode, last_line))
    assert results[0] == results[1], args


def test_copy_out_matches_docker(dockyardd: Dockyardd, box: str, tmp_path: Path) -> None:
    for args in (
        (f"{box}:/data/a", "."),
        (f"{box}:/data/a", "renamed"),
        (f"{box}:/data", "d1"),
        (f"{box}:/data/.", "d2"),
        (f"{box}:/data/link", "l1"),
        ("-L", f"{box}:/data/link", "l2"),
        (f"{box}:/nope", "x"),
        (f"{box}:/data/a", "nodir/x"),
        (f"{box}:/data/a/", "y"),
        ("nope-x:/data/a", "z"),
    ):
        both(dockyardd, tmp_path, *args)
    assert tree(tmp_path / "dy") == tree(tmp_path / "dk")
    got = tree(tmp_path / "dy")
    assert got["a"] == "a\n" and got["renamed"] == "a\n" and got["d1/sub/b"] == "b\n"
    assert got["d2/a"] == "a\n" and got["l1"] == "-> /data/a" and got["l2"] == "a\n"


def test_copy_in_matches_docker(dockyardd: Dockyardd, box: str, tmp_path: Path) -> None:
    src = tmp_path / "src"
    (src / "sd").mkdir(parents=True)
    (src / "f").write_text("f\n")
    (src / "sd" / "g").write_text("g\n")
    (src / "lnk").symlink_to("f")
    for args in (
        (str(src / "f"), f"{box}:/up/@TOOL@/"),
        (str(src / "f"), f"{box}:/up/@TOOL@/renamed"),
        (str(src), f"{box}:/up/@TOOL@/srcdir"),
        (str(src) + "/.", f"{box}:/up/@TOOL@/dotdir"),
        (str(src / "lnk"), f"{box}:/up/@TOOL@/lnk1"),
        ("-L", str(src / "lnk"), f"{box}:/up/@TOOL@/lnk2"),
        ("nope", f"{box}:/up/@TOOL@/"),
        (str(src / "f"), f"{box}:/up/@TOOL@/nodir/"),
        (str(src), f"{box}:/up/@TOOL@/renamed"),
        (str(src / "f"), "nope-x:/x"),
    ):
        both(dockyardd, tmp_path, *args)
    listing = {
        tool: ok(
            docker(
                dockyardd,
                "exec",
                box,
                "sh",
                "-c",
                f"cd /up/{tool} && ls -lR && cat renamed srcdir/sd/g dotdir/f lnk2",
            )
        )
        for tool in ("dk", "dy")
    }
    assert listing["dy"] == listing["dk"]
    assert "f\ng\nf\nf\n" in listing["dy"]


def test_tar_streams_both_ways(dockyardd: Dockyardd, box: str, tmp_path: Path) -> None:
    env = cli_env(dockyardd.host, config_dir=tmp_path)
    out = subprocess.run(
        [*MAIN, "cp", f"{box}:/data", "-"], env=env, capture_output=True, timeout=60, check=False
    )
    assert out.returncode == 0, out.stderr
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
        assert {"data", "data/a", "data/sub/b", "data/link"} <= set(tar.getnames())
    payload = io.BytesIO()
    with tarfile.open(fileobj=payload, mode="w") as tar:
        info = tarfile.TarInfo("from-tar.txt")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    sent = subprocess.run(
        [*MAIN, "cp", "-", f"{box}:/up/dy"],
        env=env,
        input=payload.getvalue(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr
    assert ok(docker(dockyardd, "exec", box, "cat", "/up/dy/from-tar.txt")) == "hi\n"
    refused = subprocess.run(
        [*MAIN, "cp", "-", f"{box}:/up/dy/from-tar.txt"],
        env=env,
        input=payload.getvalue(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
    assert (
        refused.stderr.decode() == f'destination "{box}:/up/dy/from-tar.txt" must be a directory\n'
    )


def test_between_containers_and_no_container(dockyardd: Dockyardd) -> None:
    for args in (("a:/x", "b:/y"), ("x", "y")):
        ours, theirs = dy(dockyardd, "cp", *args), docker(dockyardd, "cp", *args)
        assert (ours.returncode, ours.stderr) == (theirs.returncode, theirs.stderr), args
