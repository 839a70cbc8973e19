"""The context store in docker's layout; the docker CLI reads what we write and vice versa."""

from __future__ import annotations

import io
import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.client import contexts

DOCKER = "/usr/local/bin/docker"


def test_layout_is_dockers(tmp_path: Path) -> None:
    contexts.create(
        str(tmp_path), "foo", host="tcp://1.2.3.4:2375", description="my ctx", skip_tls_verify=True
    )
    meta = (
        tmp_path
        / "contexts/meta/2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae/meta.json"
    )
    assert json.loads(meta.read_text()) == {
        "Name": "foo",
        "Metadata": {"Description": "my ctx"},
        "Endpoints": {"docker": {"Host": "tcp://1.2.3.4:2375", "SkipTLSVerify": True}},
    }


def test_create_get_update_list_remove(tmp_path: Path) -> None:
    d = str(tmp_path)
    contexts.create(d, "bb", host="unix:///b.sock", tls={"ca.pem": b"CA", "key.pem": b"K"})
    contexts.create(d, "aa", host="unix:///a.sock")
    with pytest.raises(errdefs.AlreadyExists, match='context "aa" already exists'):
        contexts.create(d, "aa", host="unix:///x")
    b = contexts.get(d, "bb")
    assert (b.host, b.ca.endswith("docker/ca.pem"), b.cert, b.key.endswith("key.pem")) == (
        "unix:///b.sock",
        True,
        "",
        True,
    )
    assert b.inspect()["TLSMaterial"] == {"docker": ["ca.pem", "key.pem"]}
    raw = json.loads((Path(b.meta_path) / "meta.json").read_text())
    raw["Endpoints"]["kubernetes"] = {"x": 1}
    (Path(b.meta_path) / "meta.json").write_text(json.dumps(raw))
    b = contexts.update(d, "bb", description="now", host="tcp://h:1", tls={})
    assert (b.description, b.host, b.has_tls) == ("now", "tcp://h:1", False)
    assert b.meta is not None and b.meta["Endpoints"]["kubernetes"] == {"x": 1}
    assert [c.name for c in contexts.list_contexts(d)] == ["aa", "bb"]
    contexts.remove(d, "aa")
    with pytest.raises(errdefs.NotFound, match='context "aa" does not exist'):
        contexts.remove(d, "aa")
    assert [c.name for c in contexts.list_contexts(d)] == ["bb"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("default", '"default" is a reserved context name'),
        ("-x", 'context name "-x" is invalid'),
        ("a", 'context name "a" is invalid'),
        ("", "context name cannot be empty"),
    ],
)
def test_names_are_validated_as_docker(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=message):
        contexts.create(str(tmp_path), name, host="unix:///x")


def test_export_import_round_trip(tmp_path: Path) -> None:
    d = str(tmp_path)
    contexts.create(
        d, "src", host="tcp://h:2376", description="d", tls={"ca.pem": b"CA", "cert.pem": b"C"}
    )
    data = contexts.export(contexts.get(d, "src"))
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.getnames() == [
            "meta.json",
            "tls",
            "tls/docker",
            "tls/docker/ca.pem",
            "tls/docker/cert.pem",
        ]
    dst = contexts.import_(d, "dst", data)
    assert (dst.name, dst.host, dst.description) == ("dst", "tcp://h:2376", "d")
    assert contexts.tls_data(dst) == {"ca.pem": b"CA", "cert.pem": b"C"}
    with pytest.raises(errdefs.InvalidArgument, match="invalid context: no metadata found"):
        contexts.import_(d, "bad", _tar_of({"x.txt": b"1"}))


def _tar_of(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


@pytest.mark.skipif(not os.access(DOCKER, os.X_OK), reason="no docker CLI")
def test_docker_cli_reads_our_store_and_we_read_its(tmp_path: Path) -> None:
    d = str(tmp_path)
    env = {**os.environ, "DOCKER_CONFIG": d}
    contexts.create(d, "ours", host="tcp://o:2375", description="from dockyard")
    out = subprocess.run(
        [DOCKER, "context", "inspect", "ours"], env=env, capture_output=True, text=True, check=True
    )
    theirs = json.loads(out.stdout)[0]
    assert theirs["Endpoints"]["docker"]["Host"] == "tcp://o:2375"
    assert theirs["Metadata"] == {"Description": "from dockyard"}
    ours = contexts.get(d, "ours").inspect()
    assert {
        k: ours[k] for k in ("Name", "Metadata", "Endpoints", "TLSMaterial", "Storage")
    } == theirs
    subprocess.run(
        [DOCKER, "context", "create", "theirs", "--docker", "host=unix:///t.sock"],
        env=env,
        capture_output=True,
        check=True,
    )
    assert contexts.get(d, "theirs").host == "unix:///t.sock"
    exported = tmp_path / "x.tar"
    subprocess.run(
        [DOCKER, "context", "export", "theirs", str(exported)],
        env=env,
        capture_output=True,
        check=True,
    )
    assert contexts.import_(d, "again", exported.read_bytes()).host == "unix:///t.sock"
