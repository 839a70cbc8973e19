"""`dockyard ps` against the session's dockyardd, golden against the docker 28 CLI's output
on the same daemon (table, -a, -q, --filter, --format, --no-trunc, -n/-l, -s)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import pytest

from tests.integration.cli.test_containers import docker, dy, ok
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]


@pytest.fixture
def scene(dockyardd: Dockyardd) -> Iterator[dict[str, str]]:
    """One running and one exited container with a label, both named uniquely."""
    tag = secrets.token_hex(3)
    up, down = f"t-up-{tag}", f"t-down-{tag}"
    ok(
        docker(
            dockyardd, "run", "-d", "--name", up, "--label", f"t={tag}", "busybox", "sleep", "1000"
        )
    )
    ok(docker(dockyardd, "run", "--name", down, "--label", f"t={tag}", "busybox", "true"))
    yield {"up": up, "down": down, "tag": tag}
    docker(dockyardd, "rm", "-f", up, down)


def same(daemon: Dockyardd, *args: str) -> str:
    """Both CLIs' output, equal; tried up to three times because "Up 1 second" may tick
    between the two runs."""
    for _ in range(3):
        ours, theirs = dy(daemon, *args), docker(daemon, *args)
        assert ours.returncode == theirs.returncode == 0, (ours.stderr, theirs.stderr)
        if ours.stdout == theirs.stdout:
            break
    assert ours.stdout == theirs.stdout, args
    return ours.stdout


def test_filters_and_formats_match_docker(dockyardd: Dockyardd, scene: dict[str, str]) -> None:
    label = f"label=t={scene['tag']}"
    out = same(dockyardd, "ps", "-a", "--filter", label, "--format", "{{.Names}} {{.State}}")
    assert f"{scene['up']} running" in out and f"{scene['down']} exited" in out
    assert same(dockyardd, "ps", "--filter", label, "--format", "{{.Names}}") == f"{scene['up']}\n"
    assert (
        same(dockyardd, "ps", "-a", "--filter", f"name={scene['down']}", "--format", "{{.Names}}")
        == f"{scene['down']}\n"
    )
    exited = same(dockyardd, "ps", "-a", "--filter", label, "--filter", "status=exited", "-q")
    assert len(exited.splitlines()) == 1 and len(exited.strip()) == 12
    same(dockyardd, "ps", "-a", "--filter", label)
    same(dockyardd, "ps", "-a", "--no-trunc", "--filter", label)
    same(dockyardd, "ps", "-a", "-q", "--no-trunc", "--filter", label)
    same(
        dockyardd,
        "ps",
        "-a",
        "--filter",
        label,
        "--format",
        "table {{.ID}}\t{{.Names}}\t{{.Status}}",
    )
    same(dockyardd, "ps", "-a", "-s", "--filter", label)
    same(dockyardd, "ps", "-a", "--filter", label, "--format", "{{.Names}} {{.Size}}")


def test_json_format_and_latest(dockyardd: Dockyardd, scene: dict[str, str]) -> None:
    line = ok(dy(dockyardd, "ps", "-l", "--format", "json"))
    doc = json.loads(line)
    assert doc["Names"] == scene["down"] and doc["State"] == "exited"
    assert ok(dy(dockyardd, "ps", "-n", "2", "--format", "{{.Names}}")).splitlines() == [
        scene["down"],
        scene["up"],
    ]


def test_quiet_with_format_warns(dockyardd: Dockyardd, scene: dict[str, str]) -> None:
    result = dy(dockyardd, "ps", "-q", "--format", "{{.Names}}", "--filter", f"name={scene['up']}")
    assert result.returncode == 0
    assert (
        result.stderr
        == "WARNING: Ignoring custom format, because both --format and --quiet are set.\n"
    )
    assert len(result.stdout.strip()) == 12


def test_bad_filter_is_a_flag_error(dockyardd: Dockyardd) -> None:
    ours, theirs = dy(dockyardd, "ps", "--filter", "x"), docker(dockyardd, "ps", "--filter", "x")
    assert ours.returncode == theirs.returncode == 125
    assert ours.stderr == theirs.stderr.replace("docker", "dockyard")


def test_ps_format_from_config(dockyardd: Dockyardd, scene: dict[str, str], tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.cli import run_cli

    (tmp_path / "config.json").write_text(json.dumps({"psFormat": "{{.Names}}!"}))
    out = run_cli(dockyardd.host, "ps", "--filter", f"name={scene['up']}", config_dir=tmp_path)
    assert out.stdout == f"{scene['up']}!\n"
