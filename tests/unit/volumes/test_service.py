"""VolumeService over the real local driver (no kernel mounts) and a test plugin."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.volumes import plugins
from dockyard.volumes.local import LocalDriver
from dockyard.volumes.service import VolumeService
from dockyard.volumes.store import VolumeStore
from dockyard.volumes.volume import ANONYMOUS_LABEL
from tests.unit.volumes.plugin_server import TestPlugin


class Events:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, str, dict[str, str]]] = []

    def publish(
        self, type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None
    ) -> None:
        self.seen.append((type, action, actor_id, dict(attributes or {})))


def make(root: Path, *, sockets: Path | None = None) -> tuple[VolumeService, Events]:
    events = Events()
    registry = plugins.Registry(
        sockets_dir=str(sockets or root / "plugins"), specs_dirs=(str(root / "specs"),)
    )
    svc = VolumeService(
        store=VolumeStore(str(root / "metadata.db")),
        drivers=plugins.Drivers(local=LocalDriver(str(root / "volumes")), plugins=registry),
        events=events,
    )
    svc.restore()
    return svc, events


@pytest.fixture
def svc(tmp_path: Path) -> Iterator[tuple[VolumeService, Events, Path]]:
    service, events = make(tmp_path)
    yield service, events, tmp_path
    service.close()


def test_create_inspect_and_idempotent_create(svc: tuple[VolumeService, Events, Path]) -> None:
    s, events, root = svc
    v, made = s.create(name="bizvol", labels={"tier": "db"})
    assert made and events.seen[-1] == ("volume", "create", "bizvol", {"driver": "local"})
    doc = s.inspect("bizvol")
    assert doc["Mountpoint"] == str(root / "volumes" / "bizvol" / "_data")
    assert (doc["Driver"], doc["Labels"], doc["Options"], doc["Scope"]) == (
        "local", {"tier": "db"}, None, "local",
    )  # fmt: skip
    assert os.stat(doc["Mountpoint"]).st_mode & 0o777 == 0o755
    again, made = s.create(name="bizvol")
    assert not made and again == v and len(events.seen) == 1
    with pytest.raises(errdefs.Conflict, match="driver 'local' already has volume 'bizvol'"):
        s.create(name="bizvol", driver="other")


def test_generated_names_are_anonymous(svc: tuple[VolumeService, Events, Path]) -> None:
    s, _, _ = svc
    v, _ = s.create()
    assert len(v.name) == 64 and int(v.name, 16) >= 0
    assert v.labels == {ANONYMOUS_LABEL: ""} and v.anonymous


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("a", {}, "create a: volume name is too short, names should be at least two "
         "alphanumeric characters"),
        ("a/b", {}, 'create a/b: "a/b" includes invalid characters for a local volume name, '
         'only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host '
         "directory, use absolute path"),
        ("ok", {"bogus": "1"}, 'create ok: invalid option: "bogus"'),
        ("ok", {"type": "tmpfs"}, 'create ok: missing required option: "device"'),
    ],
)  # fmt: skip
def test_create_refusals(
    svc: tuple[VolumeService, Events, Path], name: str, options: dict[str, str], message: str
) -> None:
    s, _, root = svc
    with pytest.raises(errdefs.InvalidArgument) as caught:
        s.create(name=name, options=options)
    assert str(caught.value) == message
    assert s.list()["Volumes"] == [] and os.listdir(root / "volumes") == []


def test_remove_refused_while_referenced(svc: tuple[VolumeService, Events, Path]) -> None:
    s, events, root = svc
    s.create(name="inuse", ref="c1")
    s.reference("inuse", "c2")
    with pytest.raises(errdefs.Conflict) as caught:
        s.remove("inuse", force=True)
    assert str(caught.value) == "remove inuse: volume is in use - [c1, c2]"
    s.release("inuse", "c1")
    s.release("inuse", "c2")
    s.remove("inuse")
    assert events.seen[-1] == ("volume", "destroy", "inuse", {"driver": "local"})
    assert not (root / "volumes" / "inuse").exists()
    with pytest.raises(errdefs.NotFound, match="get inuse: no such volume"):
        s.remove("inuse")
    s.remove("inuse", force=True)  # force: a missing volume is fine


def test_list_filters(svc: tuple[VolumeService, Events, Path]) -> None:
    s, _, _ = svc
    s.create(name="alpha", labels={"env": "prod"})
    s.create(name="beta", ref="c1")
    anon, _ = s.create()

    def names(filters: dict[str, list[str]]) -> list[str]:
        return sorted(v["Name"] for v in s.list(filters)["Volumes"])

    assert names({"dangling": ["true"]}) == sorted(["alpha", anon.name])
    assert names({"dangling": ["false"]}) == ["beta"]
    assert names({"label": ["env=prod"]}) == ["alpha"]
    assert names({"label": [ANONYMOUS_LABEL]}) == [anon.name]
    assert names({"name": ["alp"]}) == ["alpha"]
    assert names({"driver": ["local"]}) == sorted(["alpha", "beta", anon.name])
    with pytest.raises(errdefs.InvalidArgument, match="invalid filter 'bogus'"):
        s.list({"bogus": ["x"]})
    with pytest.raises(errdefs.InvalidArgument, match=r"invalid filter 'dangling=\[maybe\]'"):
        s.list({"dangling": ["maybe"]})


def test_prune_anonymous_then_all_with_labels(svc: tuple[VolumeService, Events, Path]) -> None:
    s, events, _ = svc
    s.create(name="named")
    s.create(name="kept", labels={"keep": "1"})
    s.create(name="used", ref="c1")
    anon, _ = s.create()
    (Path(s.mountpoint(anon)) / "f").write_bytes(b"x" * 100)
    assert s.prune() == {"VolumesDeleted": [anon.name], "SpaceReclaimed": 100}
    assert events.seen[-1] == ("volume", "prune", "", {"reclaimed": "100"})
    report = s.prune({"all": ["true"], "label!": ["keep"]})
    assert report["VolumesDeleted"] == ["named"]
    assert sorted(v["Name"] for v in s.list()["Volumes"]) == ["kept", "used"]
    with pytest.raises(errdefs.InvalidArgument, match="invalid filter 'all'"):
        s.prune({"all": ["maybe"]})


def test_mount_users_survive_a_restart(tmp_path: Path) -> None:
    s, _ = make(tmp_path)
    s.create(name="data")
    path = s.mount("data", "c1")
    assert path.endswith("/volumes/data/_data") and s.users("data") == {"c1"}
    s.close()
    again, _ = make(tmp_path)  # a new daemon on the same data-root
    assert again.users("data") == {"c1"}
    again.unmount("data", "c1")
    assert again.users("data") == set()
    again.close()


def test_usage_counts_references_and_bytes(svc: tuple[VolumeService, Events, Path]) -> None:
    s, _, _ = svc
    s.create(name="sized", ref="c1")
    (Path(s.mountpoint(s.get("sized"))) / "f").write_bytes(b"12345")
    (usage,) = s.usage()
    assert usage["UsageData"] == {"Size": 5, "RefCount": 1}


def test_plugin_round_trip(tmp_path: Path) -> None:
    sockets = tmp_path / "p"
    sockets.mkdir()
    with TestPlugin(sockets / "testplugin.sock", tmp_path / "data") as plugin:
        s, _ = make(tmp_path, sockets=sockets)
        v, _ = s.create(name="pvol", driver="testplugin", options={"k": "v"})
        assert (v.driver, v.scope) == ("testplugin", "local")
        doc = s.inspect("pvol")
        assert doc["Mountpoint"] == str(tmp_path / "data" / "pvol")
        assert doc["Status"] == {"plugin": "test"}
        assert s.mount("pvol", "c1") == str(tmp_path / "data" / "pvol")
        assert plugin.mounted == {"pvol": {"c1"}}
        s.unmount("pvol", "c1")
        s.remove("pvol")
        assert not (tmp_path / "data" / "pvol").exists()
        assert plugin.methods()[0] == "Plugin.Activate"
        assert {"VolumeDriver.Create", "VolumeDriver.Mount", "VolumeDriver.Unmount",
                "VolumeDriver.Remove"} <= set(plugin.methods())  # fmt: skip
        assert all(accept == plugins.MIME for _, _, accept in plugin.calls)
        create = next(body for name, body, _ in plugin.calls if name == "VolumeDriver.Create")
        assert create == {"Name": "pvol", "Opts": {"k": "v"}}
        with pytest.raises(errdefs.Unknown) as caught:
            s.create(name="bad", driver="testplugin", options={"fail": "1"})
        assert str(caught.value) == "create bad: VolumeDriver.Create: refused by the test plugin"
        assert s.driver_names() == ["local", "testplugin"]
        s.close()


def test_unknown_driver_and_spec_file(tmp_path: Path) -> None:
    s, _ = make(tmp_path)
    with pytest.raises(errdefs.NotFound) as caught:
        s.create(name="x", driver="nosuch")
    assert str(caught.value) == (
        'create x: error looking up volume plugin nosuch: plugin "nosuch" not found'
    )
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "viaspec.json").write_text(json.dumps({"Addr": "unix:///nowhere"}))
    assert s.drivers.plugins.address("viaspec") == "unix:///nowhere"
    (tmp_path / "specs" / "plain.spec").write_text("tcp://127.0.0.1:1\n")
    assert s.drivers.plugins.address("plain") == "tcp://127.0.0.1:1"
    s.close()
