"""The conformance suite every Snapshotter implementation runs (containerd's snapshots/testsuite).

Each check is a function `check(make, work)`: `make(root)` builds the snapshotter under test
rooted at directory `root` (called again on the same root, it must see the same snapshots),
`work` is an empty scratch directory the check owns. A check raises AssertionError (or the
unexpected error) on failure. `checks()` need no privileges; `mount_checks()` mount what the
snapshotter returns and need root.

    @pytest.mark.parametrize("check", testsuite.checks(), ids=testsuite.name)
    def test_conformance(check, tmp_path):
        check(MySnapshotter, str(tmp_path))
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Callable

from dockyard import errdefs
from dockyard.snapshots.mount import mount_all, unmount
from dockyard.snapshots.snapshotter import Kind, Snapshotter

Factory = Callable[[str], Snapshotter]
Check = Callable[[Factory, str], None]


def checks() -> list[Check]:
    return [
        check_prepare_commit_stat,
        check_parent_chain_lower_dirs,
        check_prepare_refuses_missing_or_active_parent,
        check_keys_are_unique,
        check_commit_only_active,
        check_remove_refuses_parents_and_missing,
        check_view_is_read_only_by_its_mounts,
        check_labels_kept,
        check_usage_counts_own_files,
        check_mounts_refused_for_committed,
        check_state_survives_reopen,
        check_racing_commits_one_wins,
        check_walk_lists_everything,
    ]


def mount_checks() -> list[Check]:
    return [
        check_mount_base_is_writable_bind,
        check_mount_layers_merge_and_hide,
        check_mount_view_is_read_only,
    ]


def name(check: Check) -> str:
    return check.__name__.removeprefix("check_")


# -- helpers ----------------------------------------------------------------------------------


def _raises(kind: type[BaseException], fn: Callable[[], object]) -> None:
    try:
        fn()
    except kind:
        return
    raise AssertionError(f"expected {kind.__name__}")


def _write(directory: str, rel: str, data: bytes) -> None:
    path = os.path.join(directory, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _layer(sn: Snapshotter, name: str, parent: str, files: dict[str, bytes]) -> None:
    """A committed snapshot `name` on `parent` whose own files are `files`."""
    key = f"extract-{name}"
    sn.prepare(key, parent=parent)
    for rel, data in files.items():
        _write(sn.upper_dir(key), rel, data)
    sn.commit(name, key)


def _sn(make: Factory, work: str) -> Snapshotter:
    return make(os.path.join(work, "root"))


# -- checks without privileges ----------------------------------------------------------------


def check_prepare_commit_stat(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    mounts = sn.prepare("extract-a")
    assert mounts, "prepare returns the mounts of the new snapshot"
    info = sn.stat("extract-a")
    assert (info.key, info.kind, info.parent) == ("extract-a", Kind.ACTIVE, "")
    _write(sn.upper_dir("extract-a"), "etc/hostname", b"a\n")
    sn.commit("layer-a", "extract-a")
    _raises(errdefs.NotFound, lambda: sn.stat("extract-a"))
    assert sn.stat("layer-a").kind == Kind.COMMITTED
    with open(os.path.join(sn.upper_dir("layer-a"), "etc/hostname"), "rb") as f:
        assert f.read() == b"a\n", "commit keeps the files"


def check_parent_chain_lower_dirs(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    _layer(sn, "l1", "", {"one": b"1"})
    _layer(sn, "l2", "l1", {"two": b"2"})
    _layer(sn, "l3", "l2", {"three": b"3"})
    sn.prepare("rw", parent="l3")
    assert sn.stat("rw").parent == "l3"
    lowers = sn.lower_dirs("rw")
    assert lowers == [sn.upper_dir("l3"), sn.upper_dir("l2"), sn.upper_dir("l1")], lowers
    assert sn.lower_dirs("l1") == []
    assert len(set(lowers) | {sn.upper_dir("rw")}) == 4, "each snapshot has its own directory"


def check_prepare_refuses_missing_or_active_parent(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    _raises(errdefs.NotFound, lambda: sn.prepare("a", parent="no-such-parent"))
    sn.prepare("active")
    _raises(errdefs.NotFound, lambda: sn.prepare("b", parent="active"))
    _raises(errdefs.NotFound, lambda: sn.view("c", parent="active"))
    assert [i.key for i in sn.walk()] == ["active"], "failed prepares leave nothing"


def check_keys_are_unique(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    sn.prepare("k")
    _raises(errdefs.AlreadyExists, lambda: sn.prepare("k"))
    _raises(errdefs.AlreadyExists, lambda: sn.view("k"))
    _layer(sn, "name", "", {})
    _raises(errdefs.AlreadyExists, lambda: sn.commit("name", "k"))
    assert sn.stat("k").kind == Kind.ACTIVE, "a refused commit leaves the snapshot active"


def check_commit_only_active(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    _layer(sn, "base", "", {})
    sn.view("v", parent="base")
    _raises(errdefs.FailedPrecondition, lambda: sn.commit("x", "v"))
    _raises(errdefs.FailedPrecondition, lambda: sn.commit("y", "base"))
    _raises(errdefs.NotFound, lambda: sn.commit("z", "missing"))


def check_remove_refuses_parents_and_missing(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    _layer(sn, "base", "", {"f": b"x"})
    sn.prepare("child", parent="base")
    base_dir = sn.upper_dir("base")
    _raises(errdefs.Conflict, lambda: sn.remove("base"))
    sn.remove("child")
    sn.remove("base")
    _raises(errdefs.NotFound, lambda: sn.remove("base"))
    _raises(errdefs.NotFound, lambda: sn.stat("base"))
    assert not os.path.exists(base_dir), "remove deletes the files"
    sn.prepare("base")  # the key is free again


def check_view_is_read_only_by_its_mounts(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    _layer(sn, "l1", "", {"a": b"1"})
    _layer(sn, "l2", "l1", {"b": b"2"})
    for key, parent in (("v0", ""), ("v1", "l1"), ("v2", "l2")):
        mounts = sn.view(key, parent=parent)
        assert sn.stat(key).kind == Kind.VIEW
        assert mounts == sn.mounts(key)
        for m in mounts:
            writable = "rw" in m.options or any(o.startswith("upperdir=") for o in m.options)
            assert not writable, f"view {key} mounts writable: {m}"


def check_labels_kept(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    labels = {"containerd.io/snapshot.ref": "sha256:abc", "x": "y"}
    sn.prepare("k", labels=labels)
    assert sn.stat("k").labels == labels
    assert sn.stat("k").created_at > 0


def check_usage_counts_own_files(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    _layer(sn, "base", "", {"big": b"x" * 100_000})
    sn.prepare("k", parent="base")
    upper = sn.upper_dir("k")
    _write(upper, "a", b"a" * 1000)
    _write(upper, "d/b", b"b" * 2345)
    os.link(os.path.join(upper, "a"), os.path.join(upper, "a-link"))
    usage = sn.usage("k")
    assert usage.size == 3345, f"own files only, hardlinks once: {usage}"
    assert usage.inodes >= 3, usage
    sn.commit("top", "k")
    assert sn.usage("top") == usage, "commit does not change usage"


def check_mounts_refused_for_committed(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    _layer(sn, "base", "", {})
    _raises(errdefs.FailedPrecondition, lambda: sn.mounts("base"))
    _raises(errdefs.NotFound, lambda: sn.mounts("missing"))


def check_state_survives_reopen(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    _layer(sn, "base", "", {"f": b"1"})
    sn.prepare("rw", parent="base", labels={"l": "v"})
    again = _sn(make, work)
    assert [(i.key, i.kind, i.parent) for i in again.walk()] == [
        ("base", Kind.COMMITTED, ""),
        ("rw", Kind.ACTIVE, "base"),
    ]
    assert again.mounts("rw") == sn.mounts("rw")
    assert again.stat("rw").labels == {"l": "v"}


def check_racing_commits_one_wins(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    keys = [f"extract-{i}" for i in range(6)]
    for key in keys:
        sn.prepare(key)
    outcomes: list[str] = []
    barrier = threading.Barrier(len(keys))

    def commit(key: str) -> None:
        barrier.wait()
        try:
            sn.commit("sha256:same", key)
            outcomes.append("won")
        except errdefs.AlreadyExists:
            outcomes.append("lost")

    threads = [threading.Thread(target=commit, args=(k,)) for k in keys]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["lost"] * 5 + ["won"], outcomes


def check_walk_lists_everything(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    _layer(sn, "base", "", {})
    sn.prepare("rw", parent="base")
    sn.view("v", parent="base")
    kinds = {i.key: i.kind for i in sn.walk()}
    assert kinds == {"base": Kind.COMMITTED, "rw": Kind.ACTIVE, "v": Kind.VIEW}, kinds


# -- checks that mount (root) -----------------------------------------------------------------


def _target(work: str, name: str) -> str:
    path = os.path.join(work, "mnt", name)
    os.makedirs(path)
    return path


def check_mount_base_is_writable_bind(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    target = _target(work, "base")
    mount_all(sn.prepare("k"), target)
    try:
        _write(target, "new", b"written through the mount")
    finally:
        unmount(target)
    with open(os.path.join(sn.upper_dir("k"), "new"), "rb") as f:
        assert f.read() == b"written through the mount"


def check_mount_layers_merge_and_hide(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    _layer(sn, "l1", "", {"a": b"a1", "d/x": b"x1", "d/y": b"y1"})
    target = _target(work, "rw")
    mount_all(sn.prepare("k", parent="l1"), target)
    try:
        os.unlink(os.path.join(target, "a"))  # overlayfs leaves a whiteout in the upper dir
        _write(target, "d/x", b"x2")
        _write(target, "b", b"b2")
    finally:
        unmount(target)
    sn.commit("l2", "k")
    view = _target(work, "view")
    mount_all(sn.view("v", parent="l2"), view)
    try:
        assert sorted(os.listdir(view)) == ["b", "d"], os.listdir(view)
        with open(os.path.join(view, "d/x"), "rb") as f:
            assert f.read() == b"x2"
        with open(os.path.join(view, "d/y"), "rb") as f:
            assert f.read() == b"y1"
    finally:
        unmount(view)


def check_mount_view_is_read_only(make: Factory, work: str) -> None:
    sn = _sn(make, work)
    _layer(sn, "l1", "", {"a": b"1"})
    _layer(sn, "l2", "l1", {"b": b"2"})
    for key, parent in (("v1", "l1"), ("v2", "l2")):
        target = _target(work, key)
        mount_all(sn.view(key, parent=parent), target)
        try:
            assert os.path.exists(os.path.join(target, "a"))
            try:
                _write(target, "new", b"")
            except OSError as err:
                assert err.errno == errno.EROFS, err
            else:
                raise AssertionError(f"view {key} accepted a write")
        finally:
            unmount(target)
