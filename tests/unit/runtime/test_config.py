from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockyard import errdefs
from dockyard.runtime import config
from tests.support.bundles import base_config


def test_base_config_parses_into_records() -> None:
    spec = config.parse(base_config(["echo", "hi"]), "/b")
    assert spec.root_path == "/b/rootfs"
    assert spec.root_readonly
    assert spec.process is not None
    assert spec.process.args == ("echo", "hi")
    assert spec.process.capabilities is not None
    assert "CAP_KILL" in spec.process.capabilities.bounding
    assert spec.has_namespace("pid") and not spec.has_namespace("user")
    assert [m.destination for m in spec.mounts][:2] == ["/proc", "/dev"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c.pop("ociVersion"), "ociVersion"),
        (lambda c: c.update(ociVersion="2.0.0"), "unsupported ociVersion"),
        (lambda c: c["process"].update(args=[]), "process.args must not be empty"),
        (lambda c: c["process"].update(cwd="relative"), "absolute path"),
        (lambda c: c["process"]["user"].update(uid="root"), "process.user.uid"),
        (lambda c: c["mounts"].append({"destination": "rel", "type": "tmpfs"}), "mounts"),
        (lambda c: c["linux"]["namespaces"].append({"type": "bogus"}), "unknown namespace"),
        (lambda c: c["linux"]["namespaces"].append({"type": "pid"}), "duplicate namespace"),
        (lambda c: c.update(hooks={"prestart": [{"path": "rel"}]}), "must be absolute"),
        (lambda c: c.update(root={}), "root.path"),
    ],
)
def test_malformed_fields_are_named_in_the_error(mutate: Any, message: str) -> None:
    cfg = base_config()
    mutate(cfg)
    with pytest.raises(errdefs.InvalidArgument, match=message):
        config.parse(cfg, "/b")


def test_load_refuses_broken_json_and_missing_rootfs(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(errdefs.InvalidArgument, match="not valid JSON"):
        config.load(str(tmp_path))
    (tmp_path / "config.json").write_text(json.dumps(base_config()))
    with pytest.raises(errdefs.NotFound, match="rootfs"):
        config.load(str(tmp_path))
    with pytest.raises(errdefs.NotFound, match=r"no config\.json"):
        config.load(str(tmp_path / "nowhere"))
