"""User resolution against a container rootfs (moby/sys/user semantics and messages)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard import errdefs
from dockyard.containers import users

PASSWD = "root:x:0:0:root:/root:/bin/sh\ntester:x:1000:1000::/home/tester:/bin/sh\n"
GROUP = "root:x:0:\ntty:x:5:tester\naudio:x:29:tester,root\ntester:x:1000:\nstaff:x:50:\n"


@pytest.fixture
def rootfs(tmp_path: Path) -> str:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text(PASSWD)
    (tmp_path / "etc" / "group").write_text(GROUP)
    return str(tmp_path)


def test_empty_user_is_root_with_its_groups(rootfs: str) -> None:
    assert users.resolve_user(rootfs, "") == users.ExecUser(uid=0, gid=0, sgids=(29,), home="/root")


def test_name_resolves_uid_gid_and_supplementary_groups(rootfs: str) -> None:
    user = users.resolve_user(rootfs, "tester")
    assert (user.uid, user.gid, user.sgids) == (1000, 1000, (5, 29))


def test_numeric_ids_need_no_entries(rootfs: str) -> None:
    assert users.resolve_user(rootfs, "4242:4343") == users.ExecUser(uid=4242, gid=4343)


def test_explicit_group_drops_supplementary_groups(rootfs: str) -> None:
    user = users.resolve_user(rootfs, "tester:staff")
    assert (user.uid, user.gid, user.sgids) == (1000, 50, ())


def test_unknown_user_and_group_messages(rootfs: str) -> None:
    with pytest.raises(
        errdefs.InvalidArgument, match="unable to find user xyz: no matching entries in passwd file"
    ):
        users.resolve_user(rootfs, "xyz")
    with pytest.raises(
        errdefs.InvalidArgument,
        match="unable to find group nope: no matching entries in group file",
    ):
        users.resolve_user(rootfs, "tester:nope")


def test_passwd_symlinks_resolve_inside_the_rootfs(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "real").write_text("inner:x:4321:4321::/:/bin/sh\n")
    (tmp_path / "etc" / "passwd").symlink_to("/../../../../etc/real")  # never the host's
    assert users.resolve_user(str(tmp_path), "inner").uid == 4321
    with pytest.raises(errdefs.InvalidArgument, match="unable to find user root"):
        users.resolve_user(str(tmp_path), "root")


def test_oci_user_adds_group_add(rootfs: str) -> None:
    assert users.oci_user(rootfs, "1000:1000", group_add=["audio", "777"]) == {
        "uid": 1000,
        "gid": 1000,
        "additionalGids": [1000, 29, 777],
    }
    with pytest.raises(errdefs.InvalidArgument, match="Unable to find group foo"):
        users.oci_user(rootfs, "", group_add=["foo"])
