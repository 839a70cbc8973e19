"""Binds, Mounts and Tmpfs: Docker's parsing, messages and OCI mounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.containers import mounts


def test_bind_with_mode_and_label() -> None:
    mp = mounts.parse_bind("/srv/data/:/data:ro,z")
    assert (mp.source, mp.destination, mp.rw, mp.mode, mp.propagation) == (
        "/srv/data", "/data", False, "ro,z", "rprivate",
    )  # fmt: skip
    assert mounts.parse_bind("/a:/b:rshared").propagation == "rshared"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("/a:ro", "invalid volume specification: '/a:ro'"),
        ("/a:/b:bogus", "invalid mode: bogus"),
        ("/a:/b:ro,rw", "invalid mode: ro,rw"),
        ("/a:/", "destination can't be '/'"),
        ("/a:rel", "mount path must be absolute"),
        ("name:/data:shared", 'type "volume": field BindOptions must not be specified'),
        ("/host:/data:nocopy", 'type "bind": field VolumeOptions must not be specified'),
        ("", "invalid volume specification: ''"),
    ],
)
def test_bad_binds(raw: str, message: str) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=message.replace("(", r"\(")):
        mounts.parse_bind(raw)


def test_mounts_bind_needs_an_existing_source(tmp_path: Path) -> None:
    with pytest.raises(
        errdefs.InvalidArgument,
        match='invalid mount config for type "bind": bind source path does not exist: /nope',
    ):
        mounts.parse_mount({"Type": "bind", "Source": "/nope", "Target": "/x"})
    ok = mounts.parse_mount(
        {"Type": "bind", "Source": str(tmp_path), "Target": "/x", "ReadOnly": True}
    )
    assert not ok.rw and ok.propagation == "rprivate" and not ok.from_binds


def test_mounts_errors() -> None:
    with pytest.raises(errdefs.InvalidArgument, match="field Target must not be empty"):
        mounts.parse_mount({"Type": "bind", "Source": "/"})
    with pytest.raises(errdefs.InvalidArgument, match='type "foo": mount type unknown'):
        mounts.parse_mount({"Type": "foo", "Target": "/x"})
    with pytest.raises(errdefs.InvalidArgument, match="field TmpfsOptions must not be specified"):
        mounts.parse_mount({"Type": "volume", "Source": "v", "Target": "/x", "TmpfsOptions": {}})
    with pytest.raises(errdefs.InvalidArgument, match="field Source must not be specified"):
        mounts.parse_mount({"Type": "tmpfs", "Source": "x", "Target": "/x"})


def test_tmpfs_options_as_docker_writes_them() -> None:
    mp = mounts.parse_mount(
        {"Type": "tmpfs", "Target": "/t", "TmpfsOptions": {"SizeBytes": 64 << 20, "Mode": 0o1777}}
    )
    assert mp.tmpfs_data == "mode=1777,size=64m"
    assert mounts.oci_tmpfs("/t", "exec,size=1m")["options"] == [
        "nosuid", "nodev", "rprivate", "exec", "size=1m",
    ]  # fmt: skip


def test_duplicates_between_binds_mounts_and_tmpfs(tmp_path: Path) -> None:
    with pytest.raises(errdefs.InvalidArgument, match="Duplicate mount point: /x"):
        mounts.mount_points({"Binds": ["/a:/x", "/b:/x"]})
    with pytest.raises(errdefs.InvalidArgument, match="Duplicate mount point: /x"):
        mounts.mount_points({"Binds": ["/a:/x"], "Tmpfs": {"/x": ""}})
    with pytest.raises(errdefs.InvalidArgument, match="Duplicate mount point"):
        mounts.mount_points(
            {
                "Binds": ["/a:/x"],
                "Mounts": [{"Type": "bind", "Source": str(tmp_path), "Target": "/x"}],
            }
        )


def test_inspect_doc_and_oci_bind() -> None:
    docs = mounts.inspect_mounts({"Binds": ["/srv:/data:ro"]})
    assert docs == [
        {"Type": "bind", "Source": "/srv", "Destination": "/data", "Mode": "ro", "RW": False,
         "Propagation": "rprivate"}
    ]  # fmt: skip
    bind = mounts.oci_bind(source="/s", destination="/d", writable=False, propagation="rprivate")
    assert bind["options"] == ["rbind", "ro", "rprivate"]
