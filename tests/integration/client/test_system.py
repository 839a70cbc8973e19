"""The client against a real dockyardd: ping, version negotiation, version, info, events, df,
errors, a logs stream and an attach through the upgraded connection."""

from __future__ import annotations

import secrets
import time

import pytest

from dockyard import errdefs
from dockyard.client import errors, system
from dockyard.client.streams import demux
from dockyard.client.transport import API_VERSION, Client
from tests.support.dockyardd import Dockyardd

pytestmark = [pytest.mark.root, pytest.mark.integration]


@pytest.fixture
def client(dockyardd: Dockyardd, monkeypatch: pytest.MonkeyPatch) -> Client:
    monkeypatch.delenv("DOCKYARD_API_VERSION", raising=False)
    return Client(dockyardd.host)


def test_ping_version_info(client: Client) -> None:
    assert system.ping(client) == "OK"
    assert client.api_version == API_VERSION
    v = system.version(client)
    assert v["ApiVersion"] == API_VERSION and v["Os"] == "linux"
    info = system.info(client)
    assert info["OSType"] == "linux" and "Containers" in info
    assert system.ping_headers(client)["api-version"] == API_VERSION


def test_daemon_errors_are_api_errors_of_the_right_kind(client: Client) -> None:
    with pytest.raises(errdefs.NotFound) as info:
        client.get(f"/containers/nope-{secrets.token_hex(3)}/json")
    assert isinstance(info.value, errors.APIError) and info.value.status == 404
    assert str(info.value).startswith("No such container: nope-")


def test_df_and_events_window(client: Client) -> None:
    df = system.df(client)
    assert {"Images", "Containers", "Volumes"} <= set(df)
    now = int(time.time())
    with system.events(
        client, since=str(now - 3600), until=str(now), filters={"type": {"image": True}}
    ) as r:
        events = list(r.json_stream())  # until= in the past: the stream ends
    assert all(e.get("Type") == "image" for e in events)


def test_logs_stream_and_attach_hijack(client: Client) -> None:
    name = f"t-{secrets.token_hex(3)}"
    created = client.post(
        "/containers/create",
        query={"name": name},
        json={
            "Image": "busybox:latest",
            "Cmd": ["sh", "-c", "cat; echo done >&2"],
            "OpenStdin": True,
            "StdinOnce": True,
            "AttachStdin": True,
            "AttachStdout": True,
            "AttachStderr": True,
        },
    ).json()
    cid = created["Id"]
    try:
        h = client.hijack(
            "POST",
            f"/containers/{cid}/attach",
            query={"stream": True, "stdin": True, "stdout": True, "stderr": True},
        )
        client.post(f"/containers/{cid}/start").read()
        h.sendall(b"hello\n")
        h.close_write()
        got = list(demux(h.read))
        h.close()
        assert (1, b"hello\n") in got and (2, b"done\n") in got
        assert client.post(f"/containers/{cid}/wait").json()["StatusCode"] == 0
        with client.get(f"/containers/{cid}/logs", query={"stdout": True, "stderr": True}) as r:
            assert sorted(demux(r.read)) == [(1, b"hello\n"), (2, b"done\n")]
    finally:
        client.delete(f"/containers/{cid}", query={"force": True}).read()
