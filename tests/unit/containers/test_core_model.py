"""The container model's pure parts: names, state moves, restart policy, docs, store."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.containers import docs, names, restartpolicy
from dockyard.containers.container import Container
from dockyard.containers.state import State, Status, transition
from dockyard.containers.store import ContainerStore


def make(cid: str = "a" * 64, name: str = "web", **config: object) -> Container:
    return Container(
        id=cid,
        name=name,
        created="2026-11-28T09:00:00.5Z",
        image_id="sha256:" + "b" * 64,
        config={"Image": "busybox", "Cmd": ["sh", "-c", "exit 3"], **config},
        host_config={"NetworkMode": "none"},
        data_dir="/d",
        exec_dir="/e",
    )


def test_names_follow_docker_rule() -> None:
    assert names.validate("/web-1.a_b") == "web-1.a_b"
    for bad in ("a", "-x", "has space", "x/y", ""):
        with pytest.raises(errdefs.InvalidArgument, match="Invalid container name"):
            names.validate(bad)


def test_generated_names_are_adjective_surname_and_free() -> None:
    taken = {"x"}
    name = names.generate(lambda n: n in taken, random.Random(1))
    adjective, _, surname = name.partition("_")
    assert adjective in names.ADJECTIVES
    assert surname.rstrip("0123456789") in {s.replace("-", "") for s in names.SURNAMES}
    names.validate(name)


def test_generated_names_get_a_digit_after_collisions() -> None:
    seen: list[str] = []

    def taken(n: str) -> bool:
        seen.append(n)
        return len(seen) < 5

    name = names.generate(taken, random.Random(2))
    assert name[-1].isdigit()


def test_state_refuses_moves_docker_never_makes() -> None:
    assert transition(Status.CREATED, Status.RUNNING) is Status.RUNNING
    with pytest.raises(errdefs.FailedPrecondition):
        transition(Status.CREATED, Status.PAUSED)
    with pytest.raises(errdefs.FailedPrecondition):
        transition(Status.EXITED, Status.PAUSED)


def test_state_doc_running_flags() -> None:
    s = State()
    s.set_running(pid=42, started_at="2026-11-28T09:00:00Z")
    s.move(Status.PAUSED)
    doc = s.doc()
    assert doc["Running"] and doc["Paused"] and doc["Pid"] == 42
    s.move(Status.RUNNING)
    s.set_exited(exit_code=137, finished_at="2026-11-28T09:00:01Z")
    s.move(Status.RESTARTING)
    doc = s.doc()
    assert doc["Running"] and doc["Restarting"] and doc["ExitCode"] == 137 and doc["Pid"] == 0
    assert State.from_json(s.to_json()).doc() == doc


@pytest.mark.parametrize(
    ("policy", "code", "stopped", "count", "want"),
    [
        ({"Name": "no"}, 1, False, 0, False),
        ({"Name": "always"}, 0, True, 9, True),
        ({"Name": "unless-stopped"}, 0, False, 0, True),
        ({"Name": "unless-stopped"}, 1, True, 0, False),
        ({"Name": "on-failure"}, 0, False, 0, False),
        ({"Name": "on-failure"}, 1, False, 50, True),
        ({"Name": "on-failure", "MaximumRetryCount": 3}, 1, False, 2, True),
        ({"Name": "on-failure", "MaximumRetryCount": 3}, 1, False, 3, False),
        ({"Name": "on-failure", "MaximumRetryCount": 3}, 143, True, 0, True),  # moby: yes
    ],
)
def test_restart_policy_matches_moby(
    policy: dict[str, object], code: int, stopped: bool, count: int, want: bool
) -> None:
    got = restartpolicy.should_restart(
        policy, exit_code=code, manually_stopped=stopped, restart_count=count
    )
    assert got is want


def test_backoff_doubles_to_a_minute_and_resets_after_ten_seconds() -> None:
    b = restartpolicy.Backoff()
    delays = [b.next(0) for _ in range(12)]
    assert delays[:4] == [0.1, 0.2, 0.4, 0.8]
    assert delays[-1] == 60.0
    assert b.next(10 * 10**9) == 0.1


def test_status_text_and_summary() -> None:
    c = make()
    assert docs.status_text(c) == "Created"
    c.state.set_running(pid=7, started_at="2026-11-28T09:00:00Z")
    now = 1_795_856_405 * 10**9  # 2026-11-28T09:00:05Z
    assert docs.status_text(c, now) == "Up 5 seconds"
    c.state.set_exited(exit_code=3, finished_at="2026-11-28T09:00:01Z")
    assert docs.status_text(c, now) == "Exited (3) 4 seconds ago"
    row = docs.summary_doc(c, sizes=None)
    assert row["Command"] == "sh -c exit 3" and row["Names"] == ["/web"]
    assert row["State"] == "exited" and row["Created"] == 1_795_856_400


def test_list_filters() -> None:
    running, exited = make("a" * 64, "one", Labels={"k": "v"}), make("b" * 64, "two")
    running.state.set_running(pid=1, started_at="2026-11-28T09:00:00Z")
    exited.state.set_running(pid=2, started_at="2026-11-28T09:00:00Z")
    exited.state.set_exited(exit_code=3, finished_at="2026-11-28T09:00:01Z")
    by = {"one": running, "two": exited}

    def pick(filters: dict[str, list[str]]) -> set[str]:
        f = docs.ListFilter(filters, lambda r: by[r])
        return {c.name for c in (running, exited) if f.match(c, set())}

    assert pick({"label": ["k=v"]}) == {"one"}
    assert pick({"exited": ["3"]}) == {"two"}
    assert pick({"status": ["running"]}) == {"one"}
    assert pick({"name": ["^/t"]}) == {"two"}
    assert pick({"id": ["bbb"]}) == {"two"}
    with pytest.raises(errdefs.InvalidArgument):
        docs.ListFilter({"status": ["sleeping"]}, lambda r: by[r])
    with pytest.raises(errdefs.InvalidArgument):
        docs.ListFilter({"color": ["red"]}, lambda r: by[r])


def test_store_round_trip_and_unique_names(tmp_path: Path) -> None:
    store = ContainerStore(str(tmp_path / "metadata.db"))
    c = make()
    c.restart_count = 2
    store.add(c)
    with pytest.raises(errdefs.Conflict, match='name "/web" is already in use by container "a'):
        store.add(make("c" * 64, "web"))
    c.name = "renamed"
    store.save(c)
    (loaded,) = store.load_all()
    assert loaded.name == "renamed" and loaded.restart_count == 2
    assert loaded.config == c.config and loaded.state.doc() == c.state.doc()
    store.delete(c.id)
    assert store.load_all() == []
    store.close()
