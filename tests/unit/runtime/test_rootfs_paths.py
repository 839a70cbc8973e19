from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.runtime import syscalls as sc
from dockyard.runtime.rootfs import parse_options, secure_join


def test_secure_join_keeps_dotdot_inside_the_root(tmp_path: Path) -> None:
    root = str(tmp_path)
    assert secure_join(root, "/../../etc/passwd") == f"{root}/etc/passwd"
    assert secure_join(root, "/a/../b") == f"{root}/b"


def test_secure_join_resolves_absolute_symlinks_inside_the_root(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    os.symlink("/etc", tmp_path / "escape")
    os.symlink("../../../../tmp", tmp_path / "up")
    root = str(tmp_path)
    assert secure_join(root, "/escape/shadow") == f"{root}/etc/shadow"
    assert secure_join(root, "/up/x") == f"{root}/tmp/x"


def test_secure_join_refuses_symlink_loops(tmp_path: Path) -> None:
    os.symlink("loop", tmp_path / "loop")
    with pytest.raises(errdefs.InvalidArgument, match="too many symlinks"):
        secure_join(str(tmp_path), "/loop/x")


def test_parse_options_splits_flags_propagation_and_data() -> None:
    opts = parse_options(("nosuid", "ro", "rw", "rbind", "rslave", "mode=755", "size=1k"))
    assert opts.flags == sc.MS_NOSUID | sc.MS_BIND | sc.MS_REC
    assert opts.propagation == (sc.MS_SLAVE | sc.MS_REC,)
    assert opts.data == "mode=755,size=1k"


def test_idmapped_mounts_are_refused_clearly() -> None:
    with pytest.raises(errdefs.Unimplemented, match="idmap"):
        parse_options(("idmap",))
