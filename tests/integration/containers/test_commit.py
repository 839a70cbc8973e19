"""docker diff and docker commit on a real overlay rw snapshot of an imported busybox (root)."""

from __future__ import annotations

import io
import os
import secrets
import shutil
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.containers.changes import changes
from dockyard.containers.commit import commit
from dockyard.containers.container import Container
from dockyard.containers.deps import ContainerDeps
from dockyard.content.local import LocalStore
from dockyard.images.delete import ImageUser
from dockyard.images.service import ImageService
from dockyard.images.store import ImageStore
from dockyard.snapshots import mount
from dockyard.snapshots.overlay import OverlaySnapshotter

pytestmark = [pytest.mark.root, pytest.mark.integration]

PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class _Events:
    def publish(
        self, type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None
    ) -> None:
        pass


class World:
    """A data-root with busybox imported, and containers as the daemon lays them out: an
    overlay rw snapshot keyed by the container id on the image's chain, mounted at merged/."""

    def __init__(self, base: Path, busybox: bytes) -> None:
        data = base / "data"
        data.mkdir(parents=True)
        self.snapshotter = OverlaySnapshotter(str(data / "snapshots" / "overlay"))
        self.images = ImageService(
            store=ImageStore(str(data / "metadata.db")),
            content=LocalStore(str(data / "content")),
            snapshotter=self.snapshotter,
        )
        self.image_id = self.images.import_image(
            io.BytesIO(busybox), repo_tag="busybox:latest", changes=['CMD ["sh"]']
        )
        self.deps = ContainerDeps(
            data_root=str(data),
            exec_root=str(base / "exec"),
            images=self.images,
            snapshotter=self.snapshotter,
            events=_Events(),
            runtimes={},
            default_runtime="",
            shim=(),
        )
        self.base = base
        self.mounted: list[str] = []

    def container(self, image: str = "busybox", *, cmd: list[str] | None = None) -> Container:
        record = self.images.get(image)
        cid = secrets.token_hex(32)
        self.snapshotter.prepare(cid, record.chain_id)
        target = os.path.join(os.path.dirname(self.snapshotter.upper_dir(cid)), "merged")
        os.makedirs(target)
        mount.mount_all(self.snapshotter.mounts(cid), target)
        self.mounted.append(target)
        config: dict[str, Any] = {
            "Hostname": cid[:12],
            "User": "",
            "Env": [PATH],
            "Cmd": cmd or ["sh"],
            "Image": image,
            "Volumes": None,
            "WorkingDir": "",
            "Entrypoint": None,
            "OnBuild": None,
            "Labels": {},
        }
        c = Container(
            id=cid,
            name="web",
            created="2026-01-01T00:00:00Z",
            image_id=record.id,
            config=config,
            host_config={},
            data_dir=str(self.base / "containers" / cid),
            exec_dir=str(self.base / "exec" / cid),
        )
        c.rootfs = target
        return c

    def diff(self, c: Container) -> list[tuple[str, int]]:
        found = changes(
            upper_dir=self.snapshotter.upper_dir(c.id),
            lower_dirs=self.snapshotter.lower_dirs(c.id),
        )
        return [(d["Path"], d["Kind"]) for d in found]

    def commit(self, c: Container, **kwargs: Any) -> str:
        args: dict[str, Any] = {
            "repo": "",
            "tag": "",
            "comment": "",
            "author": "",
            "changes": [],
            "config": None,
        }
        return commit(
            container=c,
            deps=self.deps,
            upper_dir=self.snapshotter.upper_dir(c.id),
            lower_dirs=self.snapshotter.lower_dirs(c.id),
            **(args | kwargs),
        )

    def close(self) -> None:
        for target in reversed(self.mounted):
            mount.unmount(target)
        self.images.store.close()
        self.snapshotter.close()


@pytest.fixture
def world(tmp_path: Path, busybox_tar: bytes) -> Iterator[World]:
    w = World(tmp_path, busybox_tar)
    try:
        yield w
    finally:
        w.close()


def change_files(root: str) -> None:
    """What `sh -c 'mkdir -p /tmp/a/b; echo hi > /tmp/a/b/f; rm /etc/group; ...'` does."""
    os.makedirs(f"{root}/tmp/a/b")
    Path(f"{root}/tmp/a/b/f").write_text("hi\n")
    os.unlink(f"{root}/etc/group")
    with open(f"{root}/etc/passwd", "a") as f:
        f.write("bob:x:1001:1001::/:/bin/sh\n")
    os.symlink("/etc", f"{root}/lnk")
    os.chmod(f"{root}/var", 0o700)


def test_changes_match_docker_diff(world: World) -> None:
    c = world.container()
    assert world.diff(c) == []
    change_files(c.rootfs)
    assert world.diff(c) == [
        ("/etc", 0),
        ("/etc/group", 2),
        ("/etc/passwd", 0),
        ("/lnk", 1),
        ("/tmp", 0),
        ("/tmp/a", 1),
        ("/tmp/a/b", 1),
        ("/tmp/a/b/f", 1),
        ("/var", 0),
    ]


def test_changes_of_a_recreated_directory(world: World) -> None:
    c = world.container()
    shutil.rmtree(f"{c.rootfs}/etc")
    os.mkdir(f"{c.rootfs}/etc")  # overlayfs makes it opaque
    Path(f"{c.rootfs}/etc/only").write_text("x")
    assert world.diff(c) == [
        ("/etc", 0),
        ("/etc/group", 2),
        ("/etc/hostname", 2),
        ("/etc/only", 1),
        ("/etc/passwd", 2),
    ]


def test_commit_makes_an_image_with_the_changes_as_a_layer(world: World) -> None:
    c = world.container(cmd=["sh", "-c", "true"])
    change_files(c.rootfs)
    image_id = world.commit(
        c,
        repo="me/app",
        tag="v1",
        comment="my change",
        author="Ann <ann@example.com>",
        changes=["ENV FOO=bar", 'CMD ["echo", "hi"]', "EXPOSE 8080"],
    )
    assert image_id.startswith("sha256:")
    images = world.images
    assert images.get("me/app:v1").id == image_id
    parent = images.get(world.image_id)
    record = images.get(image_id)
    assert record.parent == world.image_id
    assert record.diff_ids[:-1] == parent.diff_ids and len(record.diff_ids) == 2
    image = images.image(image_id)
    assert image.config.env == (PATH, "FOO=bar")
    assert image.config.cmd == ("echo", "hi")
    assert image.config.exposed_ports == ("8080/tcp",)
    assert image.container == c.id and image.author == "Ann <ann@example.com>"
    last = image.history[-1]
    assert (last.created_by, last.comment, last.author) == ("sh -c true", "my change", image.author)
    assert not last.empty_layer
    assert images.inspect(image_id)["Comment"] == "my change"
    # The new layer is a committed snapshot: the file, and the deletion as a whiteout.
    layer = Path(world.snapshotter.upper_dir(record.chain_id))
    assert (layer / "tmp/a/b/f").read_text() == "hi\n"
    group = (layer / "etc/group").lstat()
    assert stat.S_ISCHR(group.st_mode) and group.st_rdev == 0


def test_a_container_of_the_committed_image_sees_the_changes(world: World) -> None:
    c = world.container()
    change_files(c.rootfs)
    world.commit(c, repo="me/app")
    child = world.container("me/app:latest")
    assert Path(f"{child.rootfs}/tmp/a/b/f").read_text() == "hi\n"
    assert not os.path.lexists(f"{child.rootfs}/etc/group")
    assert os.readlink(f"{child.rootfs}/lnk") == "/etc"
    assert world.diff(child) == []


def test_commit_without_changes_adds_an_empty_layer_step(world: World) -> None:
    c = world.container()
    image_id = world.commit(c)
    record = world.images.get(image_id)
    assert record.diff_ids == world.images.get(world.image_id).diff_ids
    assert world.images.image(image_id).history[-1].empty_layer
    assert world.images.store.references(image_id) == []


def test_commit_after_the_image_was_removed(world: World, busybox_tar: bytes) -> None:
    c = world.container()
    Path(f"{c.rootfs}/new").write_text("n")
    world.images.import_image(io.BytesIO(busybox_tar), repo_tag="other:latest")
    world.images.remove(world.image_id, force=True, in_use=lambda i: [ImageUser(id=c.id)])
    assert not world.images.store.exists(world.image_id)
    first = world.commit(c, repo="after")
    assert world.images.get(first).parent == ""
    # Even without the config blob, the chain's diff ids come from another image.
    world.images.content.delete(c.image_id)
    second = world.commit(c, comment="again")
    assert world.images.get(second).diff_ids == world.images.get(first).diff_ids


def test_commit_refuses_a_bad_reference_before_any_work(world: World) -> None:
    c = world.container()
    Path(f"{c.rootfs}/new").write_text("n")
    before = {s.key for s in world.snapshotter.walk()}
    with pytest.raises(errdefs.InvalidArgument):
        world.commit(c, repo="Bad Name")
    with pytest.raises(errdefs.InvalidArgument):
        world.commit(c, repo="me/app", tag="no:colons")
    assert {s.key for s in world.snapshotter.walk()} == before
