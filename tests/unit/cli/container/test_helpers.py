"""The container verbs' small rules that need no daemon: cp's argument split, port's natural
order, commit's reference split, prune's sizes, update's restart policy, stats' frames."""

from __future__ import annotations

import pytest

from dockyard import errdefs
from dockyard.cli.commands.container import commit, cp, stats, update
from dockyard.cli.format.display import natural_key
from dockyard.cli.format.ports import join_host_port


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("web:/etc", ("web", "/etc")),
        ("/abs/a:b", ("", "/abs/a:b")),
        ("./a:b", ("", "./a:b")),
        ("file", ("", "file")),
        ("-", ("", "-")),
        ("web:", ("web", "")),
    ],
)
def test_split_cp_arg(arg: str, expected: tuple[str, str]) -> None:
    assert cp.split_cp_arg(arg) == expected


def test_cp_sizes_have_three_digits() -> None:
    assert cp.human(4608) == "4.61kB"
    assert cp.human(512) == "512B"
    assert cp.human(2_048_000) == "2.05MB"


def test_port_lines_sort_naturally() -> None:
    lines = ["8080/tcp -> 0.0.0.0:1", "80/tcp -> 0.0.0.0:2", "443/tcp -> [::]:3"]
    assert sorted(lines, key=natural_key) == [
        "80/tcp -> 0.0.0.0:2",
        "443/tcp -> [::]:3",
        "8080/tcp -> 0.0.0.0:1",
    ]
    assert join_host_port("::", "80") == "[::]:80"


def test_commit_reference_split() -> None:
    assert commit.split_reference("img") == ("img", "latest")
    assert commit.split_reference("img:v1") == ("img", "v1")
    assert commit.split_reference("localhost:5000/img") == ("localhost:5000/img", "latest")
    with pytest.raises(errdefs.InvalidArgument, match="digest reference"):
        commit.split_reference("img@sha256:" + "a" * 64)


def test_restart_policy() -> None:
    assert update.restart_policy("always") == {"Name": "always"}
    assert update.restart_policy("on-failure:3") == {"Name": "on-failure", "MaximumRetryCount": 3}
    with pytest.raises(errdefs.InvalidArgument, match="no policy provided before colon"):
        update.restart_policy(":3")
    with pytest.raises(errdefs.InvalidArgument, match="must be an integer"):
        update.restart_policy("on-failure:x")


def test_stats_frames_are_docker_28s_bytes() -> None:
    assert stats.frame("A\nB\n", stream=False) == "A\nB\n"
    # docker appends each line again, with erase-line, to the buffer it splits
    assert stats.frame("A\nB\n", stream=True) == (
        "\033[HA\nB\n" + "\033[HA \033[K\n" + "B \033[K\n" + " \033[K\n" + "\033[J"
    )
