"""client/containers.py: the requests each endpoint function sends (method, path, query as
the docker CLI's Go client spells it, body) against a canned daemon."""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from dockyard import errdefs
from dockyard.client import containers
from dockyard.client.transport import Client
from tests.unit.client.fakedaemon import FakeDaemon, Request, ping_then, response

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., FakeDaemon]]:
    monkeypatch.delenv("DOCKYARD_API_VERSION", raising=False)
    d = Path("/tmp") / f"dyh4b-{os.getpid()}-{id(tmp_path)}"
    d.mkdir()
    started: list[FakeDaemon] = []

    def start(
        body: bytes = b"{}", status: int = 200, headers: dict[str, str] | None = None
    ) -> FakeDaemon:
        def answer(req: Request) -> bytes:
            return response(status, body, headers={**JSON, **(headers or {})})

        fake = FakeDaemon(str(d / "d.sock"), ping_then(answer))
        started.append(fake)
        return fake

    yield start
    for fake in started:
        fake.close()
    for p in d.iterdir():
        p.unlink()
    d.rmdir()


def last(fake: FakeDaemon) -> tuple[str, str, dict[str, list[str]]]:
    req = fake.requests[-1]
    return req.method, req.path.removeprefix("/v1.51"), parse_qs(req.query)


def test_list_sends_only_what_is_set_and_filters_as_go_maps(daemon) -> None:  # type: ignore[no-untyped-def]
    fake = daemon(b'[{"Id": "a"}]')
    c = Client(fake.host)
    assert containers.list(c) == [{"Id": "a"}]
    assert last(fake) == ("GET", "/containers/json", {})
    containers.list(
        c, all=True, limit=3, size=True, filters={"name": ["web"], "status": ["exited"]}
    )
    query = last(fake)[2]
    assert query["all"] == ["1"] and query["limit"] == ["3"] and query["size"] == ["1"]
    assert json.loads(query["filters"][0]) == {"name": {"web": True}, "status": {"exited": True}}


def test_list_limit_minus_one_is_left_out(daemon) -> None:  # type: ignore[no-untyped-def]
    fake = daemon(b"[]")
    containers.list(Client(fake.host), limit=-1)
    assert last(fake)[2] == {}


def test_lifecycle_endpoints(daemon) -> None:  # type: ignore[no-untyped-def]
    fake = daemon(b"", status=204)
    c = Client(fake.host)
    containers.stop(c, "web", timeout=0, signal="SIGTERM")
    assert last(fake) == ("POST", "/containers/web/stop", {"t": ["0"], "signal": ["SIGTERM"]})
    containers.stop(c, "web")
    assert last(fake) == ("POST", "/containers/web/stop", {})
    containers.restart(c, "web", timeout=3)
    assert last(fake) == ("POST", "/containers/web/restart", {"t": ["3"]})
    containers.kill(c, "web", signal="HUP")
    assert last(fake) == ("POST", "/containers/web/kill", {"signal": ["HUP"]})
    containers.remove(c, "web", force=True, volumes=True, link=True)
    assert last(fake) == ("DELETE", "/containers/web", {"force": ["1"], "v": ["1"], "link": ["1"]})
    containers.pause(c, "web")
    assert last(fake)[:2] == ("POST", "/containers/web/pause")
    containers.unpause(c, "web")
    assert last(fake)[:2] == ("POST", "/containers/web/unpause")
    containers.rename(c, "web", "new name")
    assert last(fake) == ("POST", "/containers/web/rename", {"name": ["new name"]})
    containers.resize(c, "web", height=24, width=80)
    assert last(fake) == ("POST", "/containers/web/resize", {"h": ["24"], "w": ["80"]})


def test_refs_are_escaped_in_the_path(daemon) -> None:  # type: ignore[no-untyped-def]
    fake = daemon(b"{}")
    containers.inspect(Client(fake.host), "a b/c?d")
    assert fake.requests[-1].target == "/v1.51/containers/a%20b%2Fc%3Fd/json"


def test_logs_query(daemon) -> None:  # type: ignore[no-untyped-def]
    fake = daemon(b"")
    c = Client(fake.host)
    containers.logs(
        c, "x", follow=True, since="10", until="20", timestamps=True, tail="5", details=True
    ).close()
    assert last(fake)[2] == {
        "stdout": ["1"],
        "stderr": ["1"],
        "since": ["10"],
        "until": ["20"],
        "timestamps": ["1"],
        "details": ["1"],
        "follow": ["1"],
        "tail": ["5"],
    }


def test_stats_stream_flags(daemon) -> None:  # type: ignore[no-untyped-def]
    fake = daemon(b"{}")
    c = Client(fake.host)
    containers.stats(c, "x", stream=False).close()
    assert last(fake)[2] == {"stream": ["0"]}
    containers.stats(c, "x", stream=False, one_shot=True).close()
    assert last(fake)[2] == {"stream": ["0"], "one-shot": ["1"]}


def test_commit_repeats_changes_and_sends_pause_only_when_off(daemon) -> None:  # type: ignore[no-untyped-def]
    fake = daemon(b'{"Id": "sha256:abc"}')
    c = Client(fake.host)
    answer = containers.commit(
        c, "web", repo="img", tag="v1", changes=["ENV A=1", "CMD x"], pause=False, author="me"
    )
    assert answer == {"Id": "sha256:abc"}
    method, path, query = last(fake)
    assert (method, path) == ("POST", "/commit")
    assert query["changes"] == ["ENV A=1", "CMD x"]
    assert query["pause"] == ["0"] and query["container"] == ["web"] and query["tag"] == ["v1"]
    containers.commit(c, "web")
    assert "pause" not in last(fake)[2]


def test_wait_update_prune_top(daemon) -> None:  # type: ignore[no-untyped-def]
    fake = daemon(b'{"StatusCode": 3}')
    c = Client(fake.host)
    assert containers.wait(c, "x", condition="next-exit") == {"StatusCode": 3}
    assert last(fake) == ("POST", "/containers/x/wait", {"condition": ["next-exit"]})
    containers.update(c, "x", {"Memory": 1})
    assert json.loads(fake.requests[-1].body) == {"Memory": 1}
    containers.prune(c, filters={"until": ["1h"]})
    assert json.loads(last(fake)[2]["filters"][0]) == {"until": {"1h": True}}
    containers.top(c, "x", ps_args="-o pid")
    assert last(fake) == ("GET", "/containers/x/top", {"ps_args": ["-o pid"]})


def test_archive_stat_header_is_decoded(daemon) -> None:  # type: ignore[no-untyped-def]
    stat = {"name": "a", "size": 2, "mode": 420, "mtime": "2024-01-01T00:00:00Z", "linkTarget": ""}
    header = base64.b64encode(json.dumps(stat).encode()).decode()
    fake = daemon(b"tar", headers={"X-Docker-Container-Path-Stat": header})
    c = Client(fake.host)
    got, body = containers.archive_get(c, "x", "/a")
    with body:
        assert body.read() == b"tar"
    assert got == stat
    assert last(fake) == ("GET", "/containers/x/archive", {"path": ["/a"]})
    containers.archive_put(c, "x", "/dir", b"data", copy_uid_gid=True)
    req = fake.requests[-1]
    assert req.method == "PUT" and req.body == b"data"
    assert parse_qs(req.query) == {
        "path": ["/dir"],
        "noOverwriteDirNonDir": ["true"],
        "copyUIDGID": ["true"],
    }


def test_errors_are_the_daemons_kinds(daemon) -> None:  # type: ignore[no-untyped-def]
    fake = daemon(b'{"message": "No such container: x"}', status=404)
    with pytest.raises(errdefs.NotFound, match="No such container: x"):
        containers.inspect(Client(fake.host), "x")
