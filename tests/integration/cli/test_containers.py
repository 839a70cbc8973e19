"""The container verbs (stop, kill, rm, pause, wait, rename, top, diff, export, commit,
update, prune, inspect, port) driven through our CLI against the session's dockyardd, with
error texts compared to the docker 28 CLI's on the same daemon."""

from __future__ import annotations

import io
import secrets
import subprocess
import tarfile
from collections.abc import Iterator

import pytest

from tests.support.cli import MAIN, cli_env, run_cli
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]

DOCKER28 = "/usr/local/bin/docker"


def name() -> str:
    return f"t-{secrets.token_hex(3)}"


def dy(daemon: Dockyardd, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return run_cli(daemon.host, *args, input=input)


def docker(daemon: Dockyardd, *args: str) -> subprocess.CompletedProcess[str]:
    return daemon.docker(DOCKER28)(*args, check=False)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def made(dockyardd: Dockyardd) -> Iterator[list[str]]:
    """Names to remove (force) after the test, whatever happened."""
    names: list[str] = []
    yield names
    for n in names:
        docker(dockyardd, "rm", "-f", n)


def running(daemon: Dockyardd, made: list[str], *cmd: str) -> str:
    n = name()
    made.append(n)
    ok(docker(daemon, "run", "-d", "--name", n, "busybox", *(cmd or ("sleep", "1000"))))
    return n


def test_unknown_container_errors_match_docker(dockyardd: Dockyardd) -> None:
    for args in (
        ("kill", "nope-x"),
        ("stop", "nope-x"),
        ("rm", "nope-x", "nope-y"),
        ("pause", "nope-x"),
        ("wait", "nope-x"),
        ("top", "nope-x"),
        ("diff", "nope-x"),
        ("port", "nope-x"),
        ("rename", "nope-x", "y"),
        ("logs", "nope-x"),
        ("container", "inspect", "nope-x"),
        ("update", "-m", "64m", "nope-x"),
        ("commit", "nope-x"),
    ):
        ours, theirs = dy(dockyardd, *args), docker(dockyardd, *args)
        assert (ours.returncode, ours.stdout, ours.stderr) == (
            theirs.returncode,
            theirs.stdout,
            theirs.stderr,
        ), args


def test_rm_force_of_a_missing_container_succeeds(dockyardd: Dockyardd) -> None:
    result = dy(dockyardd, "rm", "-f", "nope-x")
    assert result.returncode == 0
    assert result.stderr == "Error response from daemon: No such container: nope-x\n"


def test_stop_kill_rm_print_names_and_fail_for_the_missing(
    dockyardd: Dockyardd, made: list[str]
) -> None:
    a, b = running(dockyardd, made), running(dockyardd, made)
    result = dy(dockyardd, "stop", "-t", "0", a, "nope-x", b)
    assert result.returncode == 1
    assert result.stdout == f"{a}\n{b}\n"
    assert result.stderr == "Error response from daemon: No such container: nope-x\n"
    assert ok(dy(dockyardd, "wait", a, b)) == "137\n137\n"
    assert ok(dy(dockyardd, "rm", a, b)) == f"{a}\n{b}\n"
    c = running(dockyardd, made)
    assert ok(dy(dockyardd, "kill", "-s", "KILL", c)) == f"{c}\n"
    assert ok(dy(dockyardd, "wait", c)) == "137\n"
    d = running(dockyardd, made)
    refused = dy(dockyardd, "rm", d)
    assert refused.returncode == 1 and "cannot remove" in refused.stderr.lower()
    assert ok(dy(dockyardd, "rm", "-f", d)) == f"{d}\n"


def test_wait_prints_the_exit_code(dockyardd: Dockyardd, made: list[str]) -> None:
    n = running(dockyardd, made, "sh", "-c", "exit 3")
    assert ok(dy(dockyardd, "wait", n)) == "3\n"


def test_pause_unpause_restart(dockyardd: Dockyardd, made: list[str]) -> None:
    n = running(dockyardd, made)
    assert ok(dy(dockyardd, "pause", n)) == f"{n}\n"
    assert ok(docker(dockyardd, "inspect", "-f", "{{.State.Paused}}", n)) == "true\n"
    again = dy(dockyardd, "pause", n)
    assert again.returncode == 1 and "is already paused" in again.stderr
    assert ok(dy(dockyardd, "unpause", n)) == f"{n}\n"
    assert ok(dy(dockyardd, "restart", "-t", "0", n)) == f"{n}\n"
    assert ok(dy(dockyardd, "container", "inspect", "-f", "{{.State.Running}}", n)) == "true\n"


def test_rename(dockyardd: Dockyardd, made: list[str]) -> None:
    n = running(dockyardd, made)
    new = name()
    made.append(new)
    assert ok(dy(dockyardd, "rename", n, new)) == ""
    assert ok(docker(dockyardd, "inspect", "-f", "{{.Name}}", new)) == f"/{new}\n"
    empty = dy(dockyardd, "rename", new, " ")
    assert empty.returncode == 1
    assert empty.stderr == "Error: Neither old nor new names may be empty\n"


def test_top_matches_docker(dockyardd: Dockyardd, made: list[str]) -> None:
    n = running(dockyardd, made)
    args = ("top", n, "-o", "pid,args")  # no CPU column: it moves between the two runs
    assert ok(dy(dockyardd, *args)) == ok(docker(dockyardd, *args))
    default = ok(dy(dockyardd, "top", n)).splitlines()
    assert default[0] == ok(docker(dockyardd, "top", n)).splitlines()[0]
    assert default[0].startswith("UID                 PID                 PPID")
    assert default[1].endswith("sleep 1000")


def test_diff_lists_changes(dockyardd: Dockyardd, made: list[str]) -> None:
    n = running(dockyardd, made)
    ok(docker(dockyardd, "exec", n, "sh", "-c", "echo x > /tmp/new; rm /bin/true"))
    out = ok(dy(dockyardd, "diff", n))
    assert "A /tmp/new\n" in out and "D /bin/true\n" in out and "C /tmp\n" in out
    assert out == ok(docker(dockyardd, "diff", n))


def test_export_writes_the_filesystem(dockyardd: Dockyardd, made: list[str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    n = running(dockyardd, made)
    out = subprocess.run(
        [*MAIN, "export", n],
        env=cli_env(dockyardd.host, config_dir=tmp_path),
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    with tarfile.open(fileobj=io.BytesIO(out.stdout)) as tar:
        assert "bin/busybox" in tar.getnames()
    target = tmp_path / "fs.tar"
    assert ok(dy(dockyardd, "export", "-o", str(target), n)) == ""
    assert target.read_bytes() == out.stdout
    assert target.stat().st_mode & 0o777 == 0o600


def test_commit_then_run_the_image(dockyardd: Dockyardd, made: list[str]) -> None:
    n = running(dockyardd, made)
    ok(docker(dockyardd, "exec", n, "sh", "-c", "echo committed > /marker"))
    repo = f"t-img-{secrets.token_hex(3)}"
    try:
        out = ok(
            dy(dockyardd, "commit", "-c", "ENV FOO=bar", "-m", "msg", "-a", "me", n, f"{repo}:v1")
        )
        assert out.startswith("sha256:") and len(out.strip()) == 71
        shown = ok(
            docker(
                dockyardd,
                "image",
                "inspect",
                "-f",
                "{{.Comment}} {{.Author}} {{.Config.Env}}",
                f"{repo}:v1",
            )
        )
        assert shown.startswith("msg me [") and "FOO=bar" in shown
        result = ok(docker(dockyardd, "run", "--rm", f"{repo}:v1", "cat", "/marker"))
        assert result == "committed\n"
    finally:
        docker(dockyardd, "rmi", "-f", f"{repo}:v1")


def test_update_memory_is_visible_in_inspect(dockyardd: Dockyardd, made: list[str]) -> None:
    n = running(dockyardd, made)
    assert ok(dy(dockyardd, "update", "-m", "64m", "--memory-swap", "128m", n)) == f"{n}\n"
    got = ok(
        dy(
            dockyardd,
            "container",
            "inspect",
            "-f",
            "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}}",
            n,
        )
    )
    assert got == f"{64 << 20} {128 << 20}\n"
    assert ok(dy(dockyardd, "update", "--restart", "on-failure:2", n)) == f"{n}\n"
    policy = ok(docker(dockyardd, "inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}", n))
    assert policy == "on-failure\n"
    none = dy(dockyardd, "update", n)
    assert none.returncode == 1
    assert none.stderr == "you must provide one or more flags when using this command\n"
    bad = dy(dockyardd, "update", "-m", "1x", n)
    assert bad.returncode == 125
    assert bad.stderr.startswith('invalid argument "1x" for "-m, --memory" flag: invalid suffix')


def test_prune_asks_and_removes_stopped_containers(dockyardd: Dockyardd, made: list[str]) -> None:
    n = name()
    made.append(n)
    ok(docker(dockyardd, "create", "--name", n, "busybox", "true"))
    cid = ok(docker(dockyardd, "inspect", "-f", "{{.Id}}", n)).strip()
    keep = running(dockyardd, made)
    warning = (
        "WARNING! This will remove all stopped containers.\n"
        "Are you sure you want to continue? [y/N] "
    )
    declined = dy(dockyardd, "container", "prune", input="n\n")
    assert (declined.returncode, declined.stdout) == (0, warning)
    pruned = dy(dockyardd, "container", "prune", input="y\n")
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout.startswith(warning + "Deleted Containers:\n")
    assert f"\n{cid}\n" in pruned.stdout
    assert pruned.stdout.endswith("\nTotal reclaimed space: " + pruned.stdout.rsplit(": ", 1)[1])
    assert ok(dy(dockyardd, "container", "prune", "-f", "--filter", "label=nothing-has-this")) == (
        "Total reclaimed space: 0B\n"
    )
    assert ok(docker(dockyardd, "inspect", "-f", "{{.State.Running}}", keep)) == "true\n"


def test_inspect_format_and_json(dockyardd: Dockyardd, made: list[str]) -> None:
    import json

    n = running(dockyardd, made)
    assert ok(dy(dockyardd, "container", "inspect", "-f", "{{.State.Running}}", n)) == "true\n"
    docs = json.loads(ok(dy(dockyardd, "container", "inspect", n)))
    assert docs[0]["Name"] == f"/{n}"
    both = dy(dockyardd, "container", "inspect", "-f", "{{.Name}}", n, "nope-x")
    assert both.returncode == 1
    assert both.stdout == f"/{n}\n"
    assert both.stderr == "Error response from daemon: No such container: nope-x\n"
    sized = json.loads(ok(dy(dockyardd, "container", "inspect", "-s", n)))
    assert "SizeRootFs" in sized[0]


def test_port_errors_match_docker(dockyardd: Dockyardd, made: list[str]) -> None:
    n = running(dockyardd, made)
    for args in (("port", n), ("port", n, "80"), ("port", n, "abc"), ("port", n, "99999")):
        ours, theirs = dy(dockyardd, *args), docker(dockyardd, *args)
        assert (ours.returncode, ours.stdout, ours.stderr) == (
            theirs.returncode,
            theirs.stdout,
            theirs.stderr,
        ), args
