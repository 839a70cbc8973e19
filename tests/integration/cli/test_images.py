"""`dockyard images`, tag, rmi, history, inspect, save | load and import against dockyardd,
with the docker 28 CLI on the same daemon as the reference where outputs are compared."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import cli_env, run_cli
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]
DOCKER = "/usr/local/bin/docker"


def docker(d: Dockyardd, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"DOCKER_HOST": d.host, "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [DOCKER, *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def ok(d: Dockyardd, *args: str) -> str:
    result = run_cli(d.host, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_tag_then_rmi_prints_untagged(dockyardd: Dockyardd) -> None:
    name = f"t-{secrets.token_hex(3)}:v1"
    ok(dockyardd, "tag", "busybox", name)
    assert name in ok(dockyardd, "images", "--format", "{{.Repository}}:{{.Tag}}")
    assert ok(dockyardd, "rmi", name) == f"Untagged: {name}\n"


def test_rmi_of_a_missing_image_fails_with_the_daemons_message(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "rmi", "nosuch-h5:tag")
    assert result.returncode == 1
    assert result.stderr == "Error response from daemon: No such image: nosuch-h5:tag\n"
    assert run_cli(dockyardd.host, "rmi", "-f", "nosuch-h5:tag").returncode == 0


def test_tag_refuses_a_digest_target(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "tag", "busybox", "x@sha256:" + "a" * 64)
    assert result.returncode == 1
    assert "refusing to create a tag with a digest reference" in result.stderr


def test_images_table_quiet_and_filters_match_docker(dockyardd: Dockyardd) -> None:
    for args in (
        ("images",),
        ("images", "-q"),
        ("images", "--no-trunc"),
        ("images", "--filter", "reference=busy*"),
        ("image", "ls", "busybox"),
        ("images", "--format", "{{.Repository}} {{.Tag}} {{.ID}}"),
    ):
        ours = run_cli(dockyardd.host, *args)
        theirs = docker(dockyardd, *args)
        assert ours.returncode == theirs.returncode == 0, ours.stderr
        assert ours.stdout == theirs.stdout, args


def test_images_json_matches_docker(dockyardd: Dockyardd) -> None:
    # docker 28.2 speaks API 1.50, where the daemon leaves Containers unset (-1, "N/A");
    # from 1.51 it counts them, so compare at the reference CLI's version.
    ours = run_cli(
        dockyardd.host, "images", "--format", "json", env={"DOCKYARD_API_VERSION": "1.50"}
    )
    assert ours.stdout == docker(dockyardd, "images", "--format", "json").stdout
    counted = run_cli(dockyardd.host, "images", "--format", "{{.Containers}}")
    assert counted.stdout.splitlines()[0].isdigit()


def test_history_and_inspect_format(dockyardd: Dockyardd) -> None:
    image_id = ok(dockyardd, "image", "inspect", "-f", "{{.Id}}", "busybox").strip()
    assert image_id.startswith("sha256:")
    for args in (("history", "busybox"), ("history", "-q", "--no-trunc", "busybox")):
        assert ok(dockyardd, *args) == docker(dockyardd, *args).stdout
    missing = run_cli(dockyardd.host, "image", "inspect", "busybox", "nosuch-h5")
    assert missing.returncode == 1
    assert "No such image: nosuch-h5" in missing.stderr


def test_save_to_stdout_then_load_round_trips(dockyardd: Dockyardd, tmp_path: Path) -> None:
    env = cli_env(dockyardd.host, config_dir=tmp_path)
    main = [sys.executable, "-m", "dockyard.cli.main"]
    saved = subprocess.run([*main, "save", "busybox"], env=env, capture_output=True, timeout=60)
    assert saved.returncode == 0, saved.stderr
    assert saved.stdout[257:262] == b"ustar"  # a tar
    loaded = subprocess.run(
        [*main, "load"], input=saved.stdout, env=env, capture_output=True, timeout=60
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout == b"Loaded image: busybox:latest\n"
    out = tmp_path / "bb.tar"
    ok(dockyardd, "save", "-o", str(out), "busybox")
    assert out.read_bytes() == saved.stdout
    assert ok(dockyardd, "load", "-q", "-i", str(out)) == "Loaded image: busybox:latest\n"


def test_import_from_a_file_and_from_stdin(
    dockyardd: Dockyardd, busybox_tar: bytes, tmp_path: Path
) -> None:
    name = f"t-{secrets.token_hex(3)}"
    tar = tmp_path / "rootfs.tar"
    tar.write_bytes(busybox_tar)
    try:
        out = ok(dockyardd, "import", "-c", 'CMD ["/bin/true"]', "-m", "hi", str(tar), name + ":a")
        assert out.startswith("sha256:") and len(out.strip()) == 71
        inspected = ok(
            dockyardd, "image", "inspect", "-f", "{{.Comment}} {{.Config.Cmd}}", name + ":a"
        )
        assert inspected == "hi [/bin/true]\n"
        env = cli_env(dockyardd.host, config_dir=tmp_path)
        piped = subprocess.run(
            [sys.executable, "-m", "dockyard.cli.main", "import", "-", name + ":b"],
            input=busybox_tar,
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert piped.returncode == 0, piped.stderr
        assert piped.stdout.startswith(b"sha256:")
    finally:
        run_cli(dockyardd.host, "rmi", name + ":a", name + ":b")


def test_save_refuses_a_terminal(dockyardd: Dockyardd) -> None:
    import os
    import pty

    env = cli_env(dockyardd.host, config_dir="/tmp")
    main_fd, sub_fd = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "dockyard.cli.main", "save", "busybox"],
            env=env,
            stdout=sub_fd,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(sub_fd)
        os.close(main_fd)
    assert proc.returncode == 1
    assert proc.stderr == b"cowardly refusing to save to a terminal. Use the -o flag or redirect\n"


def test_image_prune_prompt_can_be_declined(dockyardd: Dockyardd) -> None:
    result = run_cli(dockyardd.host, "image", "prune", input="n\n")
    assert result.returncode == 0
    assert result.stdout == (
        "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
    )
