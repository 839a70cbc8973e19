"""config.json: docker's keys, unknown keys kept, atomic 0600 save with docker's tab indent."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from dockyard.client.configfile import ConfigFile


def test_missing_file_is_an_empty_config(tmp_path: Path) -> None:
    c = ConfigFile.load(str(tmp_path))
    assert c.data == {} and c.ps_format == "" and c.load_error == ""
    assert c.path == str(tmp_path / "config.json")


def test_round_trip_keeps_unknown_keys(tmp_path: Path) -> None:
    original = {
        "auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}},
        "psFormat": "table {{.ID}}",
        "imagesFormat": "{{.Repository}}",
        "detachKeys": "ctrl-x,x",
        "currentContext": "remote",
        "credHelpers": {"gcr.io": "gcloud"},
        "plugins": {"buildx": {"x": "y"}},
        "aliases": {"builder": "buildx"},
        "someOtherTool": [1, {"nested": True}],
    }
    (tmp_path / "config.json").write_text(json.dumps(original))
    c = ConfigFile.load(str(tmp_path))
    assert (c.ps_format, c.images_format, c.detach_keys) == (
        "table {{.ID}}",
        "{{.Repository}}",
        "ctrl-x,x",
    )
    assert c.current_context == "remote" and c.cred_helpers == {"gcr.io": "gcloud"}
    c.current_context = "default"  # docker stores the default context as no key
    c.save()
    saved = json.loads((tmp_path / "config.json").read_text())
    expected = dict(original)
    del expected["currentContext"]
    assert saved == expected


def test_save_is_0600_tab_indented_and_follows_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "config.json").write_text("{}")
    link_dir = tmp_path / "dir"
    link_dir.mkdir()
    os.symlink(real / "config.json", link_dir / "config.json")
    c = ConfigFile.load(str(link_dir))
    c.data["psFormat"] = "x"
    c.save()
    assert (link_dir / "config.json").is_symlink()
    text = (real / "config.json").read_text()
    assert text == '{\n\t"psFormat": "x"\n}'
    assert stat.S_IMODE((real / "config.json").stat().st_mode) == 0o600
    assert [p.name for p in real.iterdir()] == ["config.json"]  # no temp file left


def test_broken_file_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    c = ConfigFile.load(str(tmp_path))
    assert c.data == {} and c.load_error.startswith(str(tmp_path / "config.json"))
