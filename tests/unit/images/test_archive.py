"""docker save / docker load: both layouts, round trips, and archives that lie or attack."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
import referencing.jsonschema
import zstandard

from dockyard import errdefs
from dockyard.images.archive import FORMAT_DOCKER, FORMAT_OCI
from dockyard.images.service import ImageService
from tests.unit.images.conftest import make_service, tar_of

SCHEMAS = Path("/work/shared/spec/oci-image-spec-schema")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def saved(service: ImageService, *names: str, fmt: str = FORMAT_DOCKER) -> bytes:
    out = io.BytesIO()
    service.save(list(names), out, format=fmt)
    return out.getvalue()


def members(archive: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {m.name: m for m in tar.getmembers()}


def read(archive: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        f = tar.extractfile(name)
        assert f is not None
        return f.read()


def build(entries: list[tuple[str, bytes | str]]) -> bytes:
    """A tar from (name, content) pairs; a str content makes a symlink to it."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, content in entries:
            info = tarfile.TarInfo(name)
            if isinstance(content, str):
                info.type, info.linkname = tarfile.SYMTYPE, content
                tar.addfile(info)
            else:
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return out.getvalue()


def validate_oci(doc: Any, schema: str) -> None:
    """Check a document against the OCI image-spec JSON schema (refs resolved locally)."""

    def retrieve(uri: str) -> referencing.Resource[Any]:
        local = SCHEMAS / uri.rsplit("/", 1)[-1]
        return referencing.jsonschema.DRAFT4.create_resource(json.loads(local.read_text()))

    registry: referencing.Registry[Any] = referencing.Registry(retrieve=retrieve)  # type: ignore[call-arg]
    top = json.loads((SCHEMAS / schema).read_text())
    jsonschema.Draft4Validator(top, registry=registry).validate(doc)


@pytest.fixture
def loader(tmp_path: Path) -> ImageService:
    """A second daemon, empty, to load into."""
    return make_service(tmp_path / "other")


@pytest.fixture
def two_images(service: ImageService) -> tuple[str, str]:
    base = service.import_image(io.BytesIO(tar_of({"base": b"b" * 3000})), repo_tag="busybox")
    app = service.import_image(
        io.BytesIO(tar_of({"app": b"a" * 100})), repo_tag="me/app:1", changes=['CMD ["app"]']
    )
    service.tag("me/app:1", "me/app:stable")
    return base, app


def test_docker_format_is_the_docker_20_10_layout(
    service: ImageService, two_images: tuple[str, str]
) -> None:
    base, _ = two_images
    archive = saved(service, "busybox")
    names = list(members(archive))
    manifest = json.loads(read(archive, "manifest.json"))
    (item,) = manifest
    assert item["Config"] == base[7:] + ".json"
    assert item["RepoTags"] == ["busybox:latest"]
    (layer,) = item["Layers"]
    v1 = layer.split("/")[0]
    expected = [v1, f"{v1}/VERSION", f"{v1}/json", f"{v1}/layer.tar", f"{base[7:]}.json"]
    assert sorted(names) == sorted([*expected, "manifest.json", "repositories"])
    assert names == sorted(names, key=lambda n: n.split("/"))  # filepath.Walk's order
    assert json.loads(read(archive, "repositories")) == {"busybox": {"latest": v1}}
    assert read(archive, f"{v1}/VERSION") == b"1.0"
    assert sha256(read(archive, layer)) == service.image(base).diff_ids[0]
    assert read(archive, f"{base[7:]}.json") == service.content.read(base)
    assert members(archive)[layer].mtime == service.get(base).created_ns // 10**9


def test_oci_format_is_an_oci_layout_plus_dockers_manifest(
    service: ImageService, two_images: tuple[str, str]
) -> None:
    _, app = two_images
    archive = saved(service, "me/app", fmt=FORMAT_OCI)
    names = set(members(archive))
    assert {"oci-layout", "index.json", "manifest.json", "repositories", "blobs/sha256"} <= names
    assert json.loads(read(archive, "oci-layout")) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads(read(archive, "index.json"))
    validate_oci(index, "image-index-schema.json")
    names_in_index = [m["annotations"]["io.containerd.image.name"] for m in index["manifests"]]
    assert names_in_index == ["docker.io/me/app:1", "docker.io/me/app:stable"]
    descriptor = index["manifests"][0]
    manifest = read(archive, "blobs/sha256/" + descriptor["digest"][7:])
    assert sha256(manifest) == descriptor["digest"]
    validate_oci(json.loads(manifest), "image-manifest-schema.json")
    layer = json.loads(manifest)["layers"][0]
    blob = read(archive, "blobs/sha256/" + layer["digest"][7:])
    assert (sha256(blob), len(blob)) == (layer["digest"], layer["size"])
    (item,) = json.loads(read(archive, "manifest.json"))
    assert item["Config"] == "blobs/sha256/" + app[7:]
    assert item["RepoTags"] == ["me/app:1", "me/app:stable"]


@pytest.mark.parametrize("fmt", [FORMAT_DOCKER, FORMAT_OCI])
def test_save_then_load_round_trips(
    service: ImageService, loader: ImageService, two_images: tuple[str, str], fmt: str
) -> None:
    base, app = two_images
    archive = saved(service, "busybox", "me/app", fmt=fmt)
    lines = loader.load(io.BytesIO(archive))
    assert sorted(lines) == ["Loaded image: busybox:latest", "Loaded image: me/app:1",
                             "Loaded image: me/app:stable"]  # fmt: skip
    assert loader.get("busybox").id == base and loader.get("me/app:stable").id == app
    for image_id in (base, app):
        theirs, ours = service.inspect(image_id), loader.inspect(image_id)
        for key in ("Id", "RepoTags", "Config", "RootFS", "Created", "Size", "Architecture"):
            assert ours[key] == theirs[key]
        assert ours["Metadata"]["LastTagTime"] == "0001-01-01T00:00:00Z"  # load does not tag
    # The loaded daemon has a manifest and gzip blobs to push, and nothing spooled left over.
    assert loader.content_roots() == {b.digest for b in loader.content.walk()}
    assert loader.content.ingests() == []
    again = loader.load(io.BytesIO(archive))
    assert len(again) == 3 and len(loader.store.list()) == 2


def test_load_of_an_untagged_image_prints_its_id(
    service: ImageService, loader: ImageService
) -> None:
    image_id = service.import_image(io.BytesIO(tar_of({"x": b"x"})))
    archive = saved(service, image_id[7:19])
    assert loader.load(io.BytesIO(archive)) == [f"Loaded image ID: {image_id}"]


def test_load_replacing_a_tag_says_so(service: ImageService, loader: ImageService) -> None:
    service.import_image(io.BytesIO(tar_of({"new": b"1"})), repo_tag="busybox")
    old = loader.import_image(io.BytesIO(tar_of({"old": b"2"})), repo_tag="busybox")
    lines = loader.load(io.BytesIO(saved(service, "busybox")))
    assert lines == [
        f"The image busybox:latest already exists, renaming the old one with ID {old}"
        " to empty string",
        "Loaded image: busybox:latest",
    ]


def test_load_accepts_gzip_archives_and_pure_oci_layouts(
    service: ImageService, loader: ImageService, two_images: tuple[str, str], tmp_path: Path
) -> None:
    base, _ = two_images
    assert loader.load(io.BytesIO(gzip.compress(saved(service, "busybox")))) == [
        "Loaded image: busybox:latest"
    ]
    assert loader.load(io.BytesIO(zstandard.compress(saved(service, "busybox")))) == [
        "Loaded image: busybox:latest"
    ]
    oci = saved(service, "me/app:1", fmt=FORMAT_OCI)
    with tarfile.open(fileobj=io.BytesIO(oci)) as tar:
        kept = [(m, tar.extractfile(m)) for m in tar.getmembers() if m.name != "manifest.json"]
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as pure:
            for member, f in kept:
                pure.addfile(member, f)
    other = make_service(tmp_path / "third")
    assert other.load(io.BytesIO(out.getvalue())) == ["Loaded image: me/app:1"]
    assert base not in {r.id for r in other.store.list()}


def test_docker_symlinked_layers_load(service: ImageService, loader: ImageService) -> None:
    layer = tar_of({"f": b"data"})
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [sha256(layer)]},
        }
    ).encode()
    archive = build(
        [
            ("real/layer.tar", layer),
            ("alias/layer.tar", "../real/layer.tar"),
            ("cfg.json", config),
            ("manifest.json", json.dumps(
                [{"Config": "cfg.json", "RepoTags": ["x:1"], "Layers": ["alias/layer.tar"]}]
            ).encode()),
        ]
    )  # fmt: skip
    assert loader.load(io.BytesIO(archive)) == ["Loaded image: x:1"]
    assert loader.get("x:1").id == sha256(config)


def _archive_with(layer: bytes, *, diff_id: str | None = None, link: str | None = None) -> bytes:
    config = json.dumps(
        {"os": "linux", "rootfs": {"type": "layers", "diff_ids": [diff_id or sha256(layer)]}}
    ).encode()
    entries: list[tuple[str, bytes | str]] = [("c.json", config)]
    entries.append(("l/layer.tar", link) if link is not None else ("l/layer.tar", layer))
    manifest = [{"Config": "c.json", "RepoTags": ["evil:1"], "Layers": ["l/layer.tar"]}]
    entries.append(("manifest.json", json.dumps(manifest).encode()))
    return build(entries)


def _nothing_left(loader: ImageService) -> None:
    assert loader.store.list() == []
    assert loader.snapshotter.walk() == []
    assert loader.content.walk() == [] and loader.content.ingests() == []


@pytest.mark.parametrize(
    ("archive", "message"),
    [
        (_archive_with(tar_of({"ok": b"1"}), link="../../../etc/passwd"), "escapes"),
        (_archive_with(tar_of({"ok": b"1"}), link="/etc/passwd"), "is missing"),
        (_archive_with(tar_of({"../../x": b"1"})), "escapes the layer root"),
        (_archive_with(tar_of({"ok": b"1"}), diff_id="sha256:" + "0" * 64), "invalid diffID"),
        (build([("../../outside", b"x")]), "escapes"),
        (build([("x", b"1")]), "does not contain a manifest.json"),
        (build([("manifest.json", b"null")]), "manifest cannot be null"),
        (build([("manifest.json", b'[{"Config": 1}]')]), "without Config"),
    ],
)
def test_hostile_or_broken_archives_are_refused_leaving_nothing(
    loader: ImageService, archive: bytes, message: str
) -> None:
    with pytest.raises(errdefs.InvalidArgument, match=message):
        loader.load(io.BytesIO(archive))
    _nothing_left(loader)


def test_a_member_claiming_an_absurd_size_is_refused(loader: ImageService) -> None:
    header = tarfile.TarInfo("manifest.json")
    header.size = 1 << 40  # a terabyte promised, 3 bytes delivered
    data = header.tobuf(format=tarfile.GNU_FORMAT) + b"[]\n"
    with pytest.raises(errdefs.InvalidArgument, match="invalid archive"):
        loader.load(io.BytesIO(data))
    _nothing_left(loader)


def test_layer_count_must_match_the_config(loader: ImageService) -> None:
    layer = tar_of({"a": b"1"})
    config = json.dumps({"os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    archive = build([("l.tar", layer), ("c.json", config), ("manifest.json", json.dumps(
        [{"Config": "c.json", "RepoTags": None, "Layers": ["l.tar"]}]).encode())])  # fmt: skip
    with pytest.raises(errdefs.InvalidArgument, match="layers length mismatch: expected 1, got 0"):
        loader.load(io.BytesIO(archive))


def test_save_errors(service: ImageService) -> None:
    service.import_image(io.BytesIO(tar_of({"a": b"1"})), repo_tag="busybox")
    with pytest.raises(errdefs.NotFound, match="reference does not exist"):
        saved(service, "busybox:nope")
    with pytest.raises(errdefs.NotFound, match="No such image"):
        saved(service, "ghost")
    with pytest.raises(errdefs.InvalidArgument, match="unknown archive format"):
        saved(service, "busybox", fmt="zip")
