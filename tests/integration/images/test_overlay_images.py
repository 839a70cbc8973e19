"""Images on the real stores: LocalStore blobs, OverlaySnapshotter layers, SQLite metadata."""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.content import gc
from dockyard.images.archive import FORMAT_DOCKER, FORMAT_OCI
from dockyard.images.service import ImageService
from dockyard.snapshots.mount import mount_all, unmount
from tests.integration.images.conftest import open_service

pytestmark = [pytest.mark.root, pytest.mark.integration]


def collect(service: ImageService) -> list[str]:
    return gc.collect(
        service.content,
        service.content_roots(),
        lambda digest: gc.descriptor_children(service.content, digest),
    )


def test_imported_busybox_runs_from_its_snapshot(
    daemon: ImageService, busybox_tar: bytes, tmp_path: Path
) -> None:
    image_id = daemon.import_image(
        io.BytesIO(busybox_tar), repo_tag="busybox", changes=['CMD ["sh"]', "ENV A=1"]
    )
    doc = daemon.inspect("busybox")
    assert doc["Id"] == image_id and doc["Config"]["Cmd"] == ["sh"]
    upper = Path(doc["GraphDriver"]["Data"]["UpperDir"])
    assert (upper / "bin" / "busybox").is_file() and (upper / "bin" / "sh").is_symlink()
    assert doc["Size"] == daemon.snapshotter.usage(daemon.get("busybox").chain_id).size
    # A container's rw layer on top, mounted: the image's files, and a shell that runs.
    target = tmp_path / "rootfs"
    target.mkdir()
    mounts = daemon.snapshotter.prepare("container-1", parent=daemon.get(image_id).chain_id)
    mount_all(mounts, str(target))
    try:
        out = subprocess.run(
            ["chroot", str(target), "/bin/sh", "-c", "echo hello from $(hostname -s) > /x; cat /x"],
            capture_output=True, text=True, check=True, timeout=30,
        )  # fmt: skip
        assert out.stdout.startswith("hello from")
    finally:
        unmount(str(target))
    assert not (upper / "x").exists()  # the write went to the container's layer
    # The image cannot release a layer a container stands on; it goes with the container.
    with pytest.raises(errdefs.Conflict):
        daemon.snapshotter.remove(daemon.get(image_id).chain_id)
    daemon.snapshotter.remove("container-1")


def test_rm_releases_the_layer_and_gc_collects_the_blobs(
    daemon: ImageService, busybox_tar: bytes
) -> None:
    image_id = daemon.import_image(io.BytesIO(busybox_tar), repo_tag="busybox")
    record = daemon.get(image_id)
    upper = Path(daemon.snapshotter.upper_dir(record.chain_id))
    blobs = {info.digest for info in daemon.content.walk()}
    assert {image_id, record.manifest_digest} <= blobs and len(blobs) == 3
    assert collect(daemon) == []  # everything is an image's
    assert daemon.remove("busybox") == [
        {"Untagged": "busybox:latest"},
        {"Deleted": image_id},
        {"Deleted": record.chain_id},
    ]
    assert not upper.exists()
    assert sorted(collect(daemon)) == sorted(blobs)
    assert daemon.content.walk() == [] and daemon.snapshotter.walk() == []


@pytest.mark.parametrize("fmt", [FORMAT_DOCKER, FORMAT_OCI])
def test_save_load_round_trip_between_data_roots(
    daemon: ImageService, busybox_tar: bytes, tmp_path: Path, fmt: str
) -> None:
    image_id = daemon.import_image(
        io.BytesIO(busybox_tar), repo_tag="busybox", changes=['CMD ["sh"]']
    )
    daemon.tag("busybox", "mirror/busybox:1")
    archive = tmp_path / "busybox.tar"
    with archive.open("wb") as out:
        daemon.save(["busybox", "mirror/busybox:1"], out, format=fmt)
    other = open_service(tmp_path / "other")
    try:
        with archive.open("rb") as stream:
            assert sorted(other.load(stream)) == [
                "Loaded image: busybox:latest",
                "Loaded image: mirror/busybox:1",
            ]
        assert other.get("mirror/busybox:1").id == image_id
        theirs, ours = daemon.inspect(image_id), other.inspect(image_id)
        for key in ("Id", "RepoTags", "Created", "Config", "RootFS", "Size"):
            assert ours[key] == theirs[key], key
        upper = Path(ours["GraphDriver"]["Data"]["UpperDir"])
        busybox = hashlib.sha256((upper / "bin" / "busybox").read_bytes()).hexdigest()
        assert busybox == hashlib.sha256(Path("/bin/busybox").read_bytes()).hexdigest()
        assert collect(other) == []  # the uncompressed layers spooled are gone already
        assert other.content.ingests() == []
    finally:
        other.store.close()


def test_load_of_a_hostile_layer_leaves_the_host_untouched(
    daemon: ImageService, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        link = tarfile.TarInfo("escape")
        link.type, link.linkname = tarfile.SYMTYPE, str(outside)
        tar.addfile(link)
        payload = tarfile.TarInfo("escape/pwned")
        payload.size = 4
        tar.addfile(payload, io.BytesIO(b"evil"))
    data = layer.getvalue()
    diff_id = "sha256:" + hashlib.sha256(data).hexdigest()
    config = (
        b'{"os":"linux","architecture":"amd64","rootfs":{"type":"layers","diff_ids":["'
        + diff_id.encode()
        + b'"]}}'
    )
    manifest = b'[{"Config":"c.json","RepoTags":["evil:1"],"Layers":["l/layer.tar"]}]'
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for name, content in (
            ("l/layer.tar", data),
            ("c.json", config),
            ("manifest.json", manifest),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    archive.seek(0)
    with pytest.raises(errdefs.InvalidArgument, match="escape/pwned"):
        daemon.load(archive)
    assert os.listdir(outside) == []
    assert daemon.store.list() == [] and daemon.snapshotter.walk() == []
    assert daemon.content.walk() == [] and daemon.content.ingests() == []
