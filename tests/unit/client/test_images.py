"""Flags to Engine API queries: what the image, build, network and volume endpoints send."""

from __future__ import annotations

import base64
import json
from typing import Any

from dockyard.client import build, images, networks, volumes


class Recorder:
    """A Client stand-in that records requests and answers canned JSON."""

    def __init__(self, answer: Any = None) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.answer = answer
        self.api_version = "1.51"

    def request(self, method: str, path: str, **kw: Any) -> Any:
        self.calls.append((method, path, kw))
        answer = self.answer

        class Answer:
            def json(self) -> Any:
                return answer

            def close(self) -> None:
                pass

        return Answer()

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.request("DELETE", path, **kw)


def test_build_query_is_docker_image_build_options_to_query() -> None:
    options = build.BuildOptions(
        tags=("a:1", "b:2"),
        dockerfile="Dockerfile",
        suppress_output=True,
        remove=False,
        force_remove=True,
        no_cache=True,
        pull_parent=True,
        network_mode="none",
        memory=1 << 20,
        shm_size=64 << 20,
        build_args={"FOO": "bar", "EMPTY": None},
        labels={"x": "y"},
        cache_from=("busybox",),
        extra_hosts=("h:1.2.3.4",),
        target="stage",
        platform="Linux/AMD64",
    )
    assert build.build_query(options) == [
        ("t", "a:1"),
        ("t", "b:2"),
        ("extrahosts", "h:1.2.3.4"),
        ("q", "1"),
        ("nocache", "1"),
        ("rm", "0"),
        ("forcerm", "1"),
        ("pull", "1"),
        ("networkmode", "none"),
        ("memory", "1048576"),
        ("shmsize", "67108864"),
        ("dockerfile", "Dockerfile"),
        ("target", "stage"),
        ("buildargs", '{"EMPTY":null,"FOO":"bar"}'),
        ("labels", '{"x":"y"}'),
        ("cachefrom", '["busybox"]'),
        ("platform", "linux/amd64"),
        ("version", "1"),
    ]


def test_build_defaults_send_only_the_version() -> None:
    # rm defaults to true on both sides and networkmode "default" is the daemon's own.
    assert build.build_query(build.BuildOptions(network_mode="default")) == [("version", "1")]


def test_registry_config_header_is_base64url_json() -> None:
    header = build.registry_config_header({"r.io": {"username": "u", "password": "p"}})
    assert json.loads(base64.urlsafe_b64decode(header)) == {
        "r.io": {"password": "p", "username": "u"}
    }


def test_pull_push_and_import_queries() -> None:
    c = Recorder()
    images.create(
        c, from_image="docker.io/library/busybox", tag="latest", platform="Linux/ARM64", auth="e30="
    )  # type: ignore[arg-type]
    images.push(c, "127.0.0.1:5000/x", tag="v1", auth="e30=")  # type: ignore[arg-type]
    images.import_(c, b"tar", repo="x", tag="t", message="m", changes=["CMD a", "ENV b=c"])  # type: ignore[arg-type]
    images.remove(c, "busybox", force=True, noprune=True)  # type: ignore[arg-type]
    images.save(c, ["a", "b"])  # type: ignore[arg-type]
    assert c.calls[0] == (
        "POST",
        "/images/create",
        {
            "query": {
                "fromImage": "docker.io/library/busybox",
                "tag": "latest",
                "platform": "linux/arm64",
            },
            "headers": {"X-Registry-Auth": "e30="},
        },
    )
    assert c.calls[1][1] == "/images/127.0.0.1:5000/x/push"
    assert c.calls[1][2]["query"] == {"tag": "v1"}
    assert c.calls[2][2]["query"] == [
        ("fromSrc", "-"),
        ("repo", "x"),
        ("tag", "t"),
        ("message", "m"),
        ("changes", "CMD a"),
        ("changes", "ENV b=c"),
    ]
    assert c.calls[3][1:] == ("/images/busybox", {"query": [("force", "1"), ("noprune", "1")]})
    assert c.calls[4][1:] == ("/images/get", {"query": [("names", "a"), ("names", "b")]})


def test_names_are_path_escaped_as_go_does() -> None:
    assert images.path_quote("127.0.0.1:5000/a/b@sha256:ab") == "127.0.0.1:5000/a/b@sha256:ab"
    assert images.path_quote("a b?c#") == "a%20b%3Fc%23"


def test_network_and_volume_bodies() -> None:
    c = Recorder({"Id": "n1"})
    networks.create(c, "net", {"Driver": "bridge", "Internal": True})  # type: ignore[arg-type]
    networks.connect(c, " net ", "ctr", endpoint={"Aliases": ["a"]})  # type: ignore[arg-type]
    networks.disconnect(c, "net", "ctr", force=True)  # type: ignore[arg-type]
    volumes.create(c, name="v", driver="local", labels={"a": "b"})  # type: ignore[arg-type]
    volumes.remove(c, "v", force=True)  # type: ignore[arg-type]
    assert c.calls[0][2]["json"] == {"Name": "net", "Driver": "bridge", "Internal": True}
    assert c.calls[1][1:] == (
        "/networks/net/connect",
        {"json": {"Container": "ctr", "EndpointConfig": {"Aliases": ["a"]}}},
    )
    assert c.calls[2][2]["json"] == {"Container": "ctr", "Force": True}
    assert c.calls[3][2]["json"] == {
        "Name": "v",
        "Driver": "local",
        "DriverOpts": {},
        "Labels": {"a": "b"},
    }
    assert c.calls[4][1:] == ("/volumes/v", {"query": {"force": "1"}})


def test_network_create_asks_old_daemons_to_refuse_duplicates() -> None:
    c = Recorder({"Id": "n1"})
    c.api_version = "1.41"
    networks.create(c, "net", {"Driver": "bridge"})  # type: ignore[arg-type]
    c.api_version = "1.44"
    networks.create(c, "net", {"Driver": "bridge"})  # type: ignore[arg-type]
    assert c.calls[0][2]["json"] == {"Name": "net", "Driver": "bridge", "CheckDuplicate": True}
    assert c.calls[1][2]["json"] == {"Name": "net", "Driver": "bridge"}


def test_empty_names_are_refused_before_any_request() -> None:
    import pytest

    from dockyard import errdefs

    c = Recorder()
    with pytest.raises(errdefs.InvalidArgument, match="invalid network name or ID: value is empty"):
        networks.remove(c, "  ")  # type: ignore[arg-type]
    with pytest.raises(errdefs.InvalidArgument, match="invalid volume name or ID: value is empty"):
        volumes.inspect(c, "")  # type: ignore[arg-type]
    assert c.calls == []
