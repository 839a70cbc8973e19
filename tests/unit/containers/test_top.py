"""top: ps output filtered to the container's cgroup, as moby's ContainerTop does."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.containers.container import Container
from dockyard.containers.deps import Defaults
from dockyard.containers.state import Status
from dockyard.containers.top import (
    container_pids,
    fields_ascii,
    parse_ps_output,
    top,
    validate_ps_args,
)
from tests.unit.runtime.cgroups.faketree import fake_v1

CID = "d" * 64
PS_EF = """UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init splash
root         100       1  0 10:01 ?        00:00:00 sleep 1000
root         200       1  0 10:01 ?        00:00:00 top -b
"""


def container(*, running: bool = True) -> Container:
    c = Container(
        id=CID,
        name="web",
        created="2026-01-01T00:00:00Z",
        image_id="sha256:" + "a" * 64,
        config={},
        host_config={},
        data_dir="/nonexistent",
        exec_dir="/nonexistent",
    )
    if running:
        c.state.status = Status.RUNNING
    return c


def test_parse_keeps_only_container_rows_and_merges_the_command() -> None:
    doc = parse_ps_output(PS_EF, {100})
    assert doc["Titles"] == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"]
    assert doc["Processes"] == [["root", "100", "1", "0", "10:01", "?", "00:00:00", "sleep 1000"]]


def test_parse_keeps_thread_rows_after_a_kept_process() -> None:
    out = "PID TID CMD\n100 - sleep\n- 100 -\n- 101 -\n200 - top\n- 200 -\n"
    assert parse_ps_output(out, {100})["Processes"] == [
        ["100", "-", "sleep"],
        ["-", "100", "-"],
        ["-", "101", "-"],
    ]


def test_parse_errors_are_dockers() -> None:
    with pytest.raises(errdefs.Unknown, match="Couldn't find PID field in ps output"):
        parse_ps_output("USER CMD\nroot x\n", {1})
    with pytest.raises(errdefs.Unknown, match="Unexpected pid 'abc'"):
        parse_ps_output("PID CMD\nabc x\n", {1})


def test_ps_args_may_not_rename_a_column_to_pid() -> None:
    validate_ps_args("-o pid,comm")
    validate_ps_args("-o pid=PID")
    with pytest.raises(errdefs.InvalidArgument, match='specifying "user=PID" is not allowed'):
        validate_ps_args("-o user=PID")


def test_fields_split_on_ascii_whitespace_only() -> None:
    assert fields_ascii("a \u00a0b\tc") == ["a", "\u00a0b", "c"]


def test_top_of_a_stopped_container_conflicts() -> None:
    with pytest.raises(errdefs.Conflict, match=f"Container {CID} is not running"):
        asyncio.run(top(container(running=False), ps_args="", defaults=Defaults()))


def test_top_runs_host_ps_on_the_cgroup_pids(tmp_path: Path) -> None:
    tree = fake_v1(tmp_path)
    tree.populate(f"dockyard/{CID}")
    (tree.dir("pids", f"dockyard/{CID}") / "cgroup.procs").write_text(f"{os.getpid()}\n")
    c = container()
    assert container_pids(c, defaults=Defaults(), hierarchies=tree.hierarchies) == [os.getpid()]
    doc = asyncio.run(top(c, ps_args="-ef", defaults=Defaults(), hierarchies=tree.hierarchies))
    assert doc["Titles"][:2] == ["UID", "PID"]
    assert [row[1] for row in doc["Processes"]] == [str(os.getpid())]
    # a forest listing cannot go with -q: retried without it, still filtered
    doc = asyncio.run(top(c, ps_args="axf", defaults=Defaults(), hierarchies=tree.hierarchies))
    pid_col = doc["Titles"].index("PID")
    assert [row[pid_col] for row in doc["Processes"]] == [str(os.getpid())]
