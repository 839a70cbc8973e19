"""Image configs parsed as Docker reads them, and the API documents made from them."""

from __future__ import annotations

import json

import pytest

from dockyard import errdefs
from dockyard.images import docs, timefmt
from dockyard.images.image import ImageConfig, config_json, parse_image
from dockyard.images.reference import parse
from dockyard.images.store import ImageRecord

DIFF = ["sha256:" + "1" * 64, "sha256:" + "2" * 64]


def config(**extra: object) -> bytes:
    doc = {"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": DIFF}}
    return json.dumps(doc | extra).encode()


def test_parse_reads_what_docker_reads() -> None:
    image = parse_image(
        config(
            created="2024-02-03T04:05:06.700000000+01:00",
            config={
                "cmd": "sh",  # Go matches keys without case; StrSlice takes a string
                "ExposedPorts": {"80/tcp": {}},
                "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000},
                "Labels": {"b": "2", "a": "1"},
                "Env": None,
            },
        )
    )
    assert image.config.cmd == ("sh",)
    assert image.config.env is None
    assert image.diff_ids == tuple(DIFF)
    assert timefmt.reformat(image.created) == "2024-02-03T04:05:06.7+01:00"
    doc = docs.image_config_doc(image)
    assert doc["ExposedPorts"] == {"80/tcp": {}}
    assert doc["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 1000000000}
    assert list(doc["Labels"]) == ["a", "b"]  # Go writes maps sorted
    assert doc["Env"] is None and doc["User"] == ""


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[]", json.dumps({"os": "linux"}).encode(),
     config(config={"Cmd": [1]}), config(history=[1]), config(architecture=7)],
)  # fmt: skip
def test_parse_refuses_what_is_not_an_image_config(raw: bytes) -> None:
    with pytest.raises(errdefs.InvalidArgument):
        parse_image(raw)


def test_config_json_is_goish_and_round_trips() -> None:
    raw = config_json(
        config=ImageConfig(cmd=("sh",), env=("A=1",)),
        diff_ids=DIFF,
        history=[],
        architecture="amd64",
        os="linux",
        created="2024-01-01T00:00:00Z",
    )
    assert raw.startswith(b'{"architecture":"amd64","config":{"Env":["A=1"],"Cmd":["sh"]}')
    assert parse_image(raw).config == ImageConfig(cmd=("sh",), env=("A=1",))


def test_history_names_only_what_is_an_image() -> None:
    image = parse_image(
        config(
            history=[
                {"created": "2024-01-01T00:00:00Z", "created_by": "ADD rootfs"},
                {"created": "2024-01-01T00:00:01Z", "created_by": "ENV X=1", "empty_layer": True},
                {"created": "2024-01-01T00:00:02Z", "created_by": "RUN make", "comment": "c"},
            ]
        )
    )
    items = docs.history_doc(image=image, layer_sizes=[10, 20], lineage=[("sha256:top", ["t:1"])])
    assert [(i["Id"], i["CreatedBy"], i["Size"], i["Tags"]) for i in items] == [
        ("sha256:top", "RUN make", 20, ["t:1"]),
        ("<missing>", "ENV X=1", 0, None),
        ("<missing>", "ADD rootfs", 10, None),
    ]
    assert items[0]["Created"] == 1704067202 and items[0]["Comment"] == "c"
    too_many = parse_image(config(history=[{}, {}, {}]))
    with pytest.raises(errdefs.Unknown, match="too many non-empty layers"):
        docs.history_doc(image=too_many, layer_sizes=[1, 2], lineage=[])


def test_inspect_versions() -> None:
    image = parse_image(config(author="me", config={"User": "nobody"}))
    record = ImageRecord(id=image.id, diff_ids=image.diff_ids, chain_ids=(), size=5)
    refs = [parse("a:1"), parse("a@sha256:" + "3" * 64)]
    new = docs.inspect_doc(image=image, record=record, references=refs, graph_driver=None)
    assert (new["RepoTags"], new["RepoDigests"]) == (["a:1"], ["a@sha256:" + "3" * 64])
    assert "Created" not in new and "VirtualSize" not in new and "GraphDriver" not in new
    assert new["Config"] == {
        "User": "nobody", "Env": None, "Entrypoint": None, "Cmd": None, "Volumes": None,
        "WorkingDir": "", "Labels": None, "OnBuild": None,
    }  # fmt: skip
    old = docs.inspect_doc(
        image=image, record=record, references=refs, graph_driver=None, api_version="1.24"
    )
    assert old["Created"] == "0001-01-01T00:00:00Z" and old["VirtualSize"] == 5
    assert old["Config"]["Tty"] is False and old["Config"]["User"] == "nobody"
    with pytest.raises(errdefs.InvalidArgument):
        docs.version("one.two")


def test_times() -> None:
    assert timefmt.format_ns(1_000_000_000_500) == "1970-01-01T00:16:40.0000005Z"
    assert timefmt.format_ns(0) == "1970-01-01T00:00:00Z"
    ns, offset = timefmt.parse_rfc3339("2024-01-01T01:00:00+01:00")
    assert (ns, offset) == (1704067200 * 10**9, 60)
    assert timefmt.unix_seconds("") == 0
    now = 10**18
    assert timefmt.parse_filter_time("1h30m", now) == now - 5400 * 10**9
    assert timefmt.parse_filter_time("1700000000.5", now) == 1700000000_500000000
    assert timefmt.parse_filter_time("2024-01-01T00:00:00Z", now) == 1704067200 * 10**9
    assert timefmt.parse_duration_ns("1.5s") == 1_500_000_000
    for bad in ("", "5 days", "1x"):
        with pytest.raises(ValueError):
            timefmt.parse_filter_time(bad, now)
