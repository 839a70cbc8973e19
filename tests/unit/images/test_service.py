"""ImageService against fakes: import, inspect, history, tag, rm and prune as Docker does them."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import time

import pytest
import zstandard

from dockyard import errdefs
from dockyard.content import gc
from dockyard.distribution.manifests import DOCKER_LAYER_GZIP, DOCKER_MANIFEST, parse_manifest
from dockyard.distribution.platforms import host_platform
from dockyard.images import reference, timefmt
from dockyard.images.delete import ImageUser
from dockyard.images.service import ImageService
from dockyard.snapshots import unpack
from tests.unit.images.conftest import tar_of

STOPPED = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
RUNNING = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def short(image_id: str) -> str:
    return image_id.removeprefix("sha256:")[:12]


def imported(service: ImageService, data: bytes, tag: str | None = None, **kw: object) -> str:
    return service.import_image(io.BytesIO(data), repo_tag=tag, **kw)  # type: ignore[arg-type]


def test_import_busybox_inspects_exactly_as_docker(
    service: ImageService, busybox_tar: bytes
) -> None:
    image_id = imported(service, busybox_tar, "busybox", changes=['CMD ["sh"]', "ENV FOO=bar"])
    doc = service.inspect("busybox")
    record = service.get(image_id)
    assert list(doc) == [
        "Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "DockerVersion",
        "Author", "Config", "Architecture", "Os", "Size", "GraphDriver", "RootFS", "Metadata",
    ]  # fmt: skip
    assert doc["Id"] == image_id == sha256(service.content.read(image_id))
    assert doc["RepoTags"] == ["busybox:latest"]
    assert doc["RepoDigests"] == []
    assert (doc["Parent"], doc["Comment"], doc["DockerVersion"], doc["Author"]) == (
        "", "Imported from -", "", ""
    )  # fmt: skip
    assert doc["Config"] == {
        "User": "", "Env": ["FOO=bar"], "Entrypoint": None, "Cmd": ["sh"], "Volumes": None,
        "WorkingDir": "", "Labels": None, "OnBuild": None,
    }  # fmt: skip
    assert doc["Architecture"] == host_platform().architecture
    assert doc["Os"] == "linux"
    assert doc["RootFS"] == {"Type": "layers", "Layers": [sha256(busybox_tar)]}
    assert doc["Size"] == record.size == service.layer_size(record.chain_id) > 1_000_000
    created, _ = timefmt.parse_rfc3339(doc["Created"])
    tagged, _ = timefmt.parse_rfc3339(doc["Metadata"]["LastTagTime"])
    assert abs(created - time.time_ns()) < 60e9 and abs(tagged - created) < 60e9
    upper = service.snapshotter.upper_dir(record.chain_id)
    assert doc["GraphDriver"]["Name"] == "overlay2"
    assert doc["GraphDriver"]["Data"]["UpperDir"] == upper
    assert set(doc["GraphDriver"]["Data"]) == {"MergedDir", "UpperDir", "WorkDir"}
    assert json.loads(json.dumps(doc)) == doc  # plain JSON all the way down


def test_import_stores_a_schema2_manifest_with_a_gzip_layer(
    service: ImageService, busybox_tar: bytes
) -> None:
    image_id = imported(service, busybox_tar)
    record = service.get(image_id)
    raw = service.content.read(record.manifest_digest)
    assert json.loads(raw)["mediaType"] == DOCKER_MANIFEST
    manifest = parse_manifest(raw)
    assert manifest.config.digest == image_id
    (layer,) = manifest.layers
    assert layer.media_type == DOCKER_LAYER_GZIP
    blob = service.content.read(layer.digest)
    assert layer.size == len(blob)
    assert sha256(gzip.decompress(blob)) == sha256(busybox_tar)


@pytest.mark.parametrize("compress", ["gzip", "zstd"])
def test_import_accepts_compressed_rootfs_and_keeps_gzip_bytes(
    service: ImageService, compress: str
) -> None:
    plain = tar_of({"etc/hostname": b"box\n", "bin/tool": b"x" * 5000})
    data = gzip.compress(plain) if compress == "gzip" else zstandard.compress(plain)
    image_id = imported(service, data, "c")
    assert service.image(image_id).diff_ids == (sha256(plain),)
    blob = service.store.layer(sha256(plain))
    assert blob is not None and blob.diff_size == len(plain)
    if compress == "gzip":
        assert blob.digest == sha256(data)  # a gzip rootfs is kept byte for byte
    assert gzip.decompress(service.content.read(blob.digest)) == plain


def test_import_refuses_an_invalid_change_before_reading(service: ImageService) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=r"^run is not a valid change command$"):
        imported(service, tar_of({"a": b"1"}), changes=["RUN echo hi"])
    with pytest.raises(errdefs.InvalidArgument, match="cannot import digest reference"):
        imported(service, tar_of({"a": b"1"}), "x@sha256:" + "a" * 64)
    assert service.content.walk() == [] and service.snapshotter.walk() == []


def test_import_of_a_hostile_tar_leaves_nothing_behind(service: ImageService) -> None:
    out = io.BytesIO()
    import tarfile

    with tarfile.open(fileobj=out, mode="w") as tar:
        info = tarfile.TarInfo("../../escaped")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"bad"))
    with pytest.raises(errdefs.InvalidArgument, match="escapes"):
        imported(service, out.getvalue(), "evil")
    assert service.snapshotter.walk() == []
    assert service.content.walk() == []
    assert service.content.ingests() == []
    assert service.store.list() == []


def test_import_platform_and_message(service: ImageService) -> None:
    image_id = imported(
        service, tar_of({"a": b"1"}), platform="linux/arm64/v8", message="from a test"
    )
    doc = service.inspect(image_id)
    assert (doc["Architecture"], doc["Variant"], doc["Comment"]) == ("arm64", "v8", "from a test")
    with pytest.raises(errdefs.InvalidArgument, match='"windows" cannot be used'):
        imported(service, tar_of({"a": b"1"}), platform="windows/amd64")


def test_inspect_for_old_api_versions_has_the_legacy_fields(
    service: ImageService,
) -> None:
    image_id = imported(service, tar_of({"a": b"1"}), "old", changes=["WORKDIR /srv"])
    doc = service.inspect("old", api_version="1.41")
    assert doc["VirtualSize"] == doc["Size"]
    assert doc["Container"] == ""
    assert doc["ContainerConfig"]["Hostname"] == "" and doc["ContainerConfig"]["Cmd"] is None
    assert list(doc["Config"])[:6] == [
        "Hostname", "Domainname", "User", "AttachStdin", "AttachStdout", "AttachStderr"
    ]  # fmt: skip
    assert doc["Config"]["WorkingDir"] == "/srv" and doc["Config"]["Image"] == ""
    assert doc["Metadata"] == {"LastTagTime": service.get(image_id).last_tag_time}


def test_history_names_the_image_and_its_import_step(service: ImageService) -> None:
    data = tar_of({"f": b"12345"})
    image_id = imported(service, data, "h:1", message="")
    history = service.history("h:1")
    created = timefmt.unix_seconds(service.image(image_id).created)
    size = service.layer_size(service.get(image_id).chain_id)
    assert history == [
        {
            "Comment": "Imported from -",
            "Created": created,
            "CreatedBy": "",
            "Id": image_id,
            "Size": size,
            "Tags": ["h:1"],
        }
    ]


def test_tag_resolution_and_errors(service: ImageService) -> None:
    image_id = imported(service, tar_of({"a": b"1"}), "busybox")
    before = service.get(image_id).last_tag_time
    time.sleep(0.01)
    assert str(service.tag("busybox", "me/bb:1")) == "docker.io/me/bb:1"
    assert service.get("me/bb:1").id == image_id
    assert service.get(image_id.removeprefix("sha256:")[:5]).id == image_id
    assert service.get(image_id[:12]).id == image_id  # "sha256:" + a prefix
    assert service.get("docker.io/library/busybox:latest").id == image_id
    assert service.get(image_id).last_tag_time > before
    assert service.inspect(image_id)["RepoTags"] == ["busybox:latest", "me/bb:1"]
    with pytest.raises(errdefs.InvalidArgument, match="invalid reference format"):
        service.tag("busybox", "Bad Name")
    with pytest.raises(errdefs.InvalidArgument, match="must be lowercase"):
        service.tag("busybox", "Upper")
    with pytest.raises(errdefs.InvalidArgument, match="refusing to create a tag with a digest"):
        service.tag("busybox", "x@sha256:" + "b" * 64)
    with pytest.raises(errdefs.NotFound, match=r"^No such image: nope:latest$"):
        service.tag("nope", "x")


def test_rm_by_tag_with_other_tags_only_untags(service: ImageService) -> None:
    image_id = imported(service, tar_of({"a": b"1"}), "busybox")
    service.tag("busybox", "me/bb:1")
    assert service.remove("me/bb:1") == [{"Untagged": "me/bb:1"}]
    assert service.get(image_id).id == image_id


def test_rm_by_id_of_an_image_in_two_repositories_needs_force(service: ImageService) -> None:
    image_id = imported(service, tar_of({"a": b"1"}), "busybox")
    service.tag("busybox", "me/bb:1")
    chain = service.get(image_id).chain_id
    with pytest.raises(errdefs.Conflict) as err:
        service.remove(image_id[7:19])
    assert str(err.value) == (
        f"conflict: unable to delete {short(image_id)} (must be forced)"
        " - image is referenced in multiple repositories"
    )
    assert service.remove(image_id[7:19], force=True) == [
        {"Untagged": "busybox:latest"},
        {"Untagged": "me/bb:1"},
        {"Deleted": image_id},
        {"Deleted": chain},
    ]
    assert service.store.list() == [] and service.snapshotter.walk() == []


def test_rm_last_tag_deletes_the_image_and_releases_its_layer(service: ImageService) -> None:
    image_id = imported(service, tar_of({"a": b"1"}), "busybox")
    record = service.get(image_id)
    blob = service.store.layer(record.diff_ids[0])
    assert blob is not None and blob.digest in service.content_roots()
    assert service.remove("busybox") == [
        {"Untagged": "busybox:latest"},
        {"Deleted": image_id},
        {"Deleted": record.chain_id},
    ]
    with pytest.raises(errdefs.NotFound, match=r"^No such image: busybox:latest$"):
        service.inspect("busybox")
    assert service.content_roots() == set()
    removed = gc.collect(
        service.content,
        service.content_roots(),
        lambda d: gc.descriptor_children(service.content, d),
    )
    assert {image_id, record.manifest_digest, blob.digest} <= set(removed)
    assert service.content.walk() == []


def test_rm_is_refused_while_a_stopped_container_uses_the_image(service: ImageService) -> None:
    image_id = imported(service, tar_of({"a": b"1"}), "busybox")

    def users(found: str) -> list[ImageUser]:
        return [ImageUser(STOPPED, running=False)] if found == image_id else []

    with pytest.raises(errdefs.Conflict) as err:
        service.remove("busybox", in_use=users)
    assert str(err.value) == (
        'conflict: unable to remove repository reference "busybox" (must force) - container'
        f" {STOPPED[:12]} is using its referenced image {short(image_id)}"
    )
    with pytest.raises(errdefs.Conflict) as err:
        service.remove(image_id, in_use=users)
    assert str(err.value) == (
        f"conflict: unable to delete {short(image_id)} (must be forced)"
        f" - image is being used by stopped container {STOPPED[:12]}"
    )
    records = service.remove(image_id, force=True, in_use=users)
    assert records[:2] == [{"Untagged": "busybox:latest"}, {"Deleted": image_id}]


def test_rm_is_refused_even_forced_while_a_container_runs(service: ImageService) -> None:
    image_id = imported(service, tar_of({"a": b"1"}), "busybox")
    with pytest.raises(errdefs.Conflict) as err:
        service.remove(image_id, force=True, in_use=lambda _: [ImageUser(RUNNING, running=True)])
    assert str(err.value) == (
        f"conflict: unable to delete {short(image_id)} (cannot be forced)"
        f" - image is being used by running container {RUNNING[:12]}"
    )
    # A forced untag by name leaves the image in place: it is still in use.
    users = lambda _: [ImageUser(RUNNING, running=True)]  # noqa: E731
    assert service.remove("busybox", force=True, in_use=users) == [{"Untagged": "busybox:latest"}]
    assert service.get(image_id).id == image_id


def test_shared_layer_is_released_with_the_last_image(service: ImageService) -> None:
    data = tar_of({"shared": b"s" * 100})
    first = imported(service, data, "a")
    second = imported(service, data, "b")
    assert first != second  # different configs (created), one layer
    chain = service.get(first).chain_id
    assert service.get(second).chain_id == chain
    assert [s.key for s in service.snapshotter.walk()] == [chain]
    assert service.remove("a") == [{"Untagged": "a:latest"}, {"Deleted": first}]
    assert service.remove("b") == [
        {"Untagged": "b:latest"}, {"Deleted": second}, {"Deleted": chain}
    ]  # fmt: skip


def test_prune_removes_dangling_images_then_with_all_every_unused_one(
    service: ImageService,
) -> None:
    tagged = imported(service, tar_of({"t": b"t" * 10}), "keep")
    used = imported(service, tar_of({"u": b"u" * 20}), "used")
    dangling = imported(service, tar_of({"d": b"d" * 30}))
    dangling_chain = service.get(dangling).chain_id
    size = service.layer_size(dangling_chain)
    assert service.prune() == {
        "ImagesDeleted": [{"Deleted": dangling}, {"Deleted": dangling_chain}],
        "SpaceReclaimed": size,
    }
    assert service.prune() == {"ImagesDeleted": None, "SpaceReclaimed": 0}

    def users(image_id: str) -> list[ImageUser]:
        return [ImageUser(STOPPED)] if image_id == used else []

    report = service.prune(all=True, in_use=users)
    chain = service.get(used).chain_id  # still there
    assert chain
    assert report["ImagesDeleted"][:2] == [{"Untagged": "keep:latest"}, {"Deleted": tagged}]
    assert [r.id for r in service.store.list()] == [used]
    with pytest.raises(errdefs.InvalidArgument, match="invalid filter 'before'"):
        service.prune(filters={"before": ["x"]})


def test_prune_filters_by_label_and_until(service: ImageService) -> None:
    old = imported(service, tar_of({"o": b"1"}), changes=["LABEL keep=no"])
    new = imported(service, tar_of({"n": b"2"}), changes=["LABEL keep=yes"])
    report = service.prune(filters={"label!": ["keep=yes"]})
    assert report["ImagesDeleted"][0] == {"Deleted": old}
    report = service.prune(filters={"until": ["1h"]})  # created less than an hour ago: kept
    assert report["ImagesDeleted"] is None
    assert [r.id for r in service.store.list()] == [new]


def test_list_shapes_and_filters(service: ImageService) -> None:
    first = imported(service, tar_of({"1": b"1"}), "busybox", changes=["LABEL tier=base"])
    second = imported(service, tar_of({"2": b"2"}), "me/app:1.0", changes=["LABEL tier=app"])
    third = imported(service, tar_of({"3": b"3"}))

    def ids(**kw: object) -> list[str]:
        return [row["Id"] for row in service.list(**kw)]  # type: ignore[arg-type]

    rows = service.list()
    assert [row["Id"] for row in rows] == [third, second, first]  # newest first
    assert list(rows[1]) == [
        "Containers", "Created", "Id", "Labels", "ParentId", "RepoDigests", "RepoTags",
        "SharedSize", "Size",
    ]  # fmt: skip
    assert rows[1]["RepoTags"] == ["me/app:1.0"] and rows[1]["Labels"] == {"tier": "app"}
    assert rows[0]["RepoTags"] == [] and rows[0]["Containers"] == -1
    assert ids(filters={"dangling": ["true"]}) == [third]
    assert ids(filters={"dangling": ["false"]}) == [second, first]
    assert ids(filters={"label": ["tier=base"]}) == [first]
    assert ids(filters={"label": ["tier"]}) == [second, first]
    assert ids(filters={"before": ["me/app:1.0"]}) == [first]
    assert ids(filters={"since": ["busybox"]}) == [third, second]
    assert ids(filters={"reference": ["busy*"]}) == [first]
    assert ids(filters={"reference": ["me/*:1.*"]}) == [second]
    assert ids(filters={"reference": ["docker.io/library/*"]}) == [first]
    assert ids(filters={"reference": ["*"]}) == [first]  # * does not cross "/"
    assert ids(filters={"until": ["1h"]}) == []
    assert ids(in_use=lambda image_id: [ImageUser(STOPPED)] if image_id == first else [])[:1]
    counts = {r["Id"]: r["Containers"] for r in service.list(in_use=lambda i: [])}
    assert set(counts.values()) == {0}
    old = service.list(api_version="1.41")
    assert old[0]["RepoTags"] == ["<none>:<none>"] and old[0]["RepoDigests"] == ["<none>@<none>"]
    assert old[1]["RepoDigests"] is None and old[1]["VirtualSize"] == old[1]["Size"]
    with pytest.raises(errdefs.InvalidArgument, match=r"^invalid filter 'color'$"):
        service.list(filters={"color": ["red"]})
    with pytest.raises(errdefs.InvalidArgument, match=r"^invalid filter 'dangling=\[maybe\]'$"):
        service.list(filters={"dangling": ["maybe"]})


def test_shared_size_counts_layers_of_other_images(service: ImageService) -> None:
    data = tar_of({"s": b"s" * 1000})
    imported(service, data, "a")
    imported(service, data, "b")
    imported(service, tar_of({"x": b"x"}), "c")
    sizes = {r["RepoTags"][0]: r["SharedSize"] for r in service.list(shared_size=True)}
    layer = service.layer_size(unpack.chain_ids([sha256(data)])[-1])
    assert sizes == {"a:latest": layer, "b:latest": layer, "c:latest": 0}


def test_register_pulled_names_the_tag_and_the_repo_digest(service: ImageService) -> None:
    image_id = imported(service, tar_of({"p": b"p"}))
    record = service.get(image_id)
    ref = reference.parse("localhost:5000/team/app:v1")
    pulled = service.register_pulled(
        reference=ref,
        manifest_digest=record.manifest_digest,
        config_digest=image_id,
        diff_ids=record.diff_ids,
        chain_id=record.chain_id,
    )
    assert pulled.id == image_id
    doc = service.inspect("localhost:5000/team/app:v1")
    assert doc["RepoTags"] == ["localhost:5000/team/app:v1"]
    assert doc["RepoDigests"] == [f"localhost:5000/team/app@{record.manifest_digest}"]
    assert doc["Metadata"]["LastTagTime"] == timefmt.ZERO_TIME  # a pull does not "tag"
    assert service.get(f"localhost:5000/team/app@{record.manifest_digest}").id == image_id
    assert service.push_manifest("localhost:5000/team/app:v1") == (ref, record.manifest_digest)
    with pytest.raises(errdefs.NotFound, match="does not exist locally with the tag: x/y"):
        service.push_manifest("x/y")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", record.manifest_digest)


def test_parents_protect_themselves_and_are_pruned_with_their_last_child(
    service: ImageService,
) -> None:
    parent = imported(service, tar_of({"p": b"p"}))
    child = imported(service, tar_of({"c": b"c"}), "child")
    service.store.set_parent(child, parent)  # as a build or commit records it
    assert [r["Id"] for r in service.list()] == [child]  # an intermediate image is hidden
    assert [r["Id"] for r in service.list(all=True)] == [child, parent]
    assert [r["Id"] for r in service.list(filters={"dangling": ["true"]})] == []
    assert service.history("child")[0]["Id"] == child
    with pytest.raises(errdefs.Conflict) as err:
        service.remove(parent, force=True)
    assert str(err.value) == (
        f"conflict: unable to delete {short(parent)} (cannot be forced)"
        " - image has dependent child images"
    )
    chains = [service.get(child).chain_id, service.get(parent).chain_id]
    assert service.remove("child") == [
        {"Untagged": "child:latest"},
        {"Deleted": child},
        {"Deleted": chains[0]},
        {"Deleted": parent},  # pruned: untagged, and its last child went
        {"Deleted": chains[1]},
    ]
    assert service.store.list() == []
    child = imported(service, tar_of({"c": b"c"}), "child")
    parent = imported(service, tar_of({"p": b"p"}))
    service.store.set_parent(child, parent)
    service.remove("child", noprune=True)
    assert [r.id for r in service.store.list()] == [parent]
