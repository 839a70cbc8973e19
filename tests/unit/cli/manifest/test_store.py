"""The manifest store and the JSON docker prints for it: Go's encoding/json shapes, docker's
file layout, manifest-list assembly."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.cli.commands.manifest import store
from dockyard.client.reference import normalize
from dockyard.client.registry import ImageManifest, platform_from

RAW = (
    b'{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",'
    b'"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,'
    b'"digest":"sha256:' + b"a" * 64 + b'"},"layers":[]}'
)


def image(ref: str = "127.0.0.1:5000/img:amd64", raw: bytes = RAW) -> ImageManifest:
    import hashlib

    return ImageManifest(
        ref=normalize(ref),
        descriptor={
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "digest": "sha256:" + hashlib.sha256(raw).hexdigest(),
            "size": len(raw),
            "platform": {"architecture": "amd64", "os": "linux"},
        },
        raw=raw,
        kind="SchemaV2Manifest",
    )


def test_go_indent_keeps_literals_and_empty_containers() -> None:
    text = '{"a": [ ], "b":{},"c":[1.50,"x\\"y",{"d":null}]}'
    assert store.go_indent(text, "\t") == (
        '{\n\t"a": [],\n\t"b": {},\n\t"c": [\n\t\t1.50,\n\t\t"x\\"y",\n\t\t{\n\t\t\t"d": null\n'
        "\t\t}\n\t]\n}"
    )


def test_go_compact_escapes_html_like_json_marshal() -> None:
    assert store.go_compact('{ "a" : "<b>&" }') == '{"a":"\\u003cb\\u003e\\u0026"}'


def test_marshal_manifest_is_dockers_store_format() -> None:
    text = store.marshal_manifest(image())
    doc = json.loads(text)
    assert list(doc) == ["Ref", "Descriptor", "Raw", "SchemaV2Manifest"]
    assert doc["Ref"] == "127.0.0.1:5000/img:amd64"
    assert base64.b64decode(doc["Raw"]) == RAW
    assert text.endswith(',"SchemaV2Manifest":' + RAW.decode() + "}")


def test_store_round_trip_uses_file_safe_names(tmp_path: Path) -> None:
    manifests = store.open_store(str(tmp_path))
    target = normalize("127.0.0.1:5000/list:v1")
    manifests.save(target, normalize("127.0.0.1:5000/img:amd64"), image())
    path = tmp_path / "manifests" / "127.0.0.1-5000_list-v1" / "127.0.0.1-5000_img-amd64"
    assert path.is_file()
    back = manifests.get(target, normalize("127.0.0.1:5000/img:amd64"))
    assert back.raw == RAW and back.descriptor == image().descriptor
    assert [i.ref for i in manifests.get_list(target)] == [image().ref]
    manifests.remove(target)
    with pytest.raises(errdefs.NotFound, match=r"^No such manifest: 127\.0\.0\.1:5000/list:v1$"):
        manifests.get_list(target)


def test_build_list_is_distributions_three_space_manifest_list() -> None:
    media_type, body = store.build_list(normalize("127.0.0.1:5000/list").trim(), [image()])
    assert media_type == "application/vnd.docker.distribution.manifest.list.v2+json"
    text = body.decode()
    assert text.startswith('{\n   "schemaVersion": 2,\n   "mediaType": ')
    entry = json.loads(text)["manifests"][0]
    assert list(entry) == ["mediaType", "size", "digest", "platform"]
    assert entry["platform"] == {"architecture": "amd64", "os": "linux"}


def test_build_list_refuses_images_of_another_registry() -> None:
    with pytest.raises(
        errdefs.InvalidArgument, match=r"different registry .*: 127\.0\.0\.1:5000 != "
    ):
        store.build_list(normalize("other.example/list").trim(), [image()])


def test_platform_from_config_matches_go_unmarshal() -> None:
    config = {"Architecture": "arm64", "os": "linux", "variant": "v8", "os.features": []}
    assert platform_from(config) == {"architecture": "arm64", "os": "linux", "variant": "v8"}
    assert list(platform_from({"os": "x", "os.version": "1", "architecture": "y"})) == [
        "architecture", "os", "os.version",
    ]  # fmt: skip
