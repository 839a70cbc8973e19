"""Manifest, index and config parsing; schema 1 refused with Docker's words."""

from __future__ import annotations

import json

import pytest

from dockyard import errdefs
from dockyard.distribution.manifests import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    SCHEMA1_SIGNED,
    media_type_of,
    parse_config_rootfs,
    parse_index,
    parse_manifest,
    refuse_schema1,
)

DIGEST = "sha256:" + "a" * 64


def test_manifest_layers_and_config_become_descriptors() -> None:
    data = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": DOCKER_MANIFEST,
            "config": {"mediaType": "c", "digest": DIGEST, "size": 7},
            "layers": [{"mediaType": "l", "digest": DIGEST, "size": 9, "urls": ["u"]}],
        }
    ).encode()
    manifest = parse_manifest(data)
    assert manifest.media_type == DOCKER_MANIFEST
    assert (manifest.config.digest, manifest.config.size) == (DIGEST, 7)
    assert manifest.layers[0].urls == ("u",)
    assert media_type_of(data, "text/plain") == DOCKER_MANIFEST


@pytest.mark.parametrize(
    "document",
    [
        {"layers": []},
        {"config": {"digest": DIGEST, "size": 1}},
        {"config": {"digest": "sha256:short", "size": 1}, "layers": []},
        {"config": {"digest": DIGEST, "size": -1}, "layers": []},
    ],
)
def test_malformed_manifests_are_invalid(document: dict[str, object]) -> None:
    with pytest.raises(errdefs.InvalidArgument):
        parse_manifest(json.dumps(document).encode())


def test_index_entries_keep_their_platforms() -> None:
    data = json.dumps(
        {
            "manifests": [
                {
                    "digest": DIGEST,
                    "size": 1,
                    "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
                }
            ]
        }
    ).encode()
    index = parse_index(data)
    assert str(index.manifests[0].platform) == "linux/arm64/v8"
    assert media_type_of(data, "") == OCI_INDEX


def test_config_gives_platform_and_diff_ids() -> None:
    config = {"os": "linux", "architecture": "amd64", "rootfs": {"diff_ids": [DIGEST]}}
    platform, diff_ids = parse_config_rootfs(json.dumps(config).encode())
    assert (str(platform), diff_ids) == ("linux/amd64", (DIGEST,))
    with pytest.raises(errdefs.InvalidArgument, match="diff_ids"):
        parse_config_rootfs(b'{"rootfs": {}}')


def test_schema1_is_refused_with_the_deprecation_notice() -> None:
    assert media_type_of(b'{"schemaVersion": 1, "fsLayers": []}', "") == (
        "application/vnd.docker.distribution.manifest.v1+json"
    )
    with pytest.raises(errdefs.Unimplemented) as err:
        refuse_schema1(SCHEMA1_SIGNED, "docker.io/library/old:1")
    assert str(err.value).startswith("[DEPRECATION NOTICE] Docker Image Format v1")
    assert "Suggest the author of docker.io/library/old:1 to upgrade" in str(err.value)
