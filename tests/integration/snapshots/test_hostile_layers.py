"""Hostile layers unpacked as root into real snapshots: each fails with a clear error, the
half-written snapshot is removed, and nothing outside it changes.

The canaries: a directory of our own beside the snapshot root (its full picture compared
before and after), /etc/shadow (content, link count, times: a hardlink to it is the classic
escape), and fresh names under /etc and /tmp that must not appear.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.snapshots.layers import unpack_chain
from dockyard.snapshots.overlay import OverlaySnapshotter
from tests.unit.snapshots import tars
from tests.unit.snapshots.tars import directory, file, hardlink, symlink

pytestmark = [pytest.mark.root, pytest.mark.integration]

TAG = f"dockyard-hostile-{uuid.uuid4().hex[:12]}"
DEEP = "../" * 12


def _shadow() -> tuple[object, ...]:
    st = os.stat("/etc/shadow")
    with open("/etc/shadow", "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return (digest, st.st_nlink, st.st_mtime_ns, st.st_ctime_ns, st.st_mode, st.st_uid)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[Path]:
    """tmp/overlay (the snapshots) beside tmp/outside/canary; fresh names must not appear."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "canary").write_bytes(b"canary\n")
    fresh = [Path("/etc", TAG), Path("/tmp", TAG)]
    yield tmp_path
    appeared = [p for p in fresh if os.path.lexists(p)]
    for p in appeared:
        os.unlink(p)
    assert not appeared, f"a hostile layer wrote outside its snapshot: {appeared}"


HOSTILE: dict[str, list[tars.Member]] = {
    "path-traversal": [file(f"{DEEP}etc/{TAG}", b"pwned")],
    "path-traversal-to-canary": [file("a/../../../outside/canary", b"pwned")],
    "symlink-escape": [symlink("escape", "{outside}"), file("escape/canary", b"pwned")],
    "symlink-escape-etc": [symlink("etc", "/etc"), file(f"etc/{TAG}", b"pwned")],
    "symlinked-parent-relative": [
        directory("a/"),
        symlink("a/up", f"{DEEP}tmp"),
        file(f"a/up/{TAG}", b"pwned"),
    ],
    "hardlink-to-etc-shadow": [hardlink("shadow", f"{DEEP}etc/shadow")],
    "hardlink-to-absolute-etc-shadow": [hardlink("shadow", "/etc/shadow")],
    "hardlink-through-symlinked-parent": [symlink("e", "/etc"), hardlink("shadow", "e/shadow")],
    "directory-through-symlink": [symlink("d", "/tmp"), directory(f"d/{TAG}/")],
    "whiteout-through-symlink": [symlink("d", "/etc"), tars.whiteout("d/shadow")],
    "opaque-through-symlink": [symlink("d", "{outside}"), tars.opaque("d")],
}
MESSAGES = {
    "path-traversal": "escapes the layer root",
    "path-traversal-to-canary": "escapes the layer root",
    "hardlink-to-etc-shadow": "hardlink target .* escapes the layer root",
    "hardlink-to-absolute-etc-shadow": "is not in the layer",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("compression", ["gzip"])
def test_hostile_layer_is_refused_and_the_host_untouched(
    world: Path, name: str, compression: str
) -> None:
    members = HOSTILE[name]
    for info, _ in members:
        info.linkname = info.linkname.replace("{outside}", str(world / "outside"))
    base = [directory("etc/"), file("etc/os-release", b"ID=base\n")]
    blobs = []
    for i, layer in enumerate([base, members]):
        blob = world / f"blob{i}"
        blob.write_bytes(tars.layer(layer, compression=compression))
        blobs.append(str(blob))
    outside_before = tars.tree(str(world / "outside"))
    shadow_before = _shadow()

    with OverlaySnapshotter(str(world / "overlay")) as sn:
        message = MESSAGES.get(name, "is a symlink; refusing to extract through it")
        with pytest.raises(errdefs.InvalidArgument, match=message) as caught:
            unpack_chain(sn, blobs)
        assert [i.kind for i in sn.walk()] == ["committed"], "only the base layer remains"
        assert sn.cleanup() == [], "the refused layer's directory is gone"

    assert "layer entry" in str(caught.value), "the error names the entry"
    assert tars.tree(str(world / "outside")) == outside_before
    assert _shadow() == shadow_before


def test_absolute_symlink_targets_are_kept_as_links_and_never_followed(world: Path) -> None:
    layer = [
        symlink("etc/shadow", "/etc/shadow"),
        symlink("canary", str(world / "outside/canary")),
        hardlink("shadow-link", "etc/shadow"),  # links the symlink, not /etc/shadow
        file("canary", b"replaces the symlink, writes nothing through it"),
        symlink(f"usr/{TAG}", f"/tmp/{TAG}"),
    ]
    blob = world / "blob"
    blob.write_bytes(tars.layer(layer, compression="zstd"))
    outside_before = tars.tree(str(world / "outside"))
    shadow_before = _shadow()
    with OverlaySnapshotter(str(world / "overlay")) as sn:
        (chain_id,) = unpack_chain(sn, [str(blob)])
        upper = Path(sn.upper_dir(chain_id))
        assert os.readlink(upper / "etc/shadow") == "/etc/shadow"
        assert os.readlink(upper / "shadow-link") == "/etc/shadow"
        assert (upper / "canary").read_bytes().startswith(b"replaces")
    assert tars.tree(str(world / "outside")) == outside_before
    assert _shadow() == shadow_before
