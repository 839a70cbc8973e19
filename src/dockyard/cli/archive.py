"""`docker cp`'s local half: moby/go-archive's copy rules on this machine's filesystem.

The daemon speaks tar in both directions (GET/PUT /containers/{id}/archive); what goes in
those tars, and where a downloaded one lands, is decided here exactly as go-archive's
copy.go decides it (CopyInfoSourcePath, PrepareArchiveCopy, RebaseArchiveEntries, CopyTo):

- the source is tarred from its parent with its own base name on top ("dir/", "dir/a"),
  or "./" entries for "dir/." (copy the contents, not the directory);
- an existing destination directory receives the archive as is; otherwise the top name
  is rebased to the destination's base name and extracted into its parent.

`tarfile` is imported only here and only when a copy runs (start-up time, DESIGN.md §4).
"""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.utils.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    import tarfile
    from typing import IO, Protocol

    class Readable(Protocol):
        """What tarfile's stream mode reads from: a Response, a counting wrapper."""

        def read(self, n: int = -1, /) -> bytes: ...


SEP = "/"


@record(frozen=True)
class CopyInfo:
    """go-archive's CopyInfo: a path, whether it exists and is a directory, and the name
    its archive's top entry should carry instead of its own (a followed link's name)."""

    path: str
    exists: bool = False
    is_dir: bool = False
    rebase_name: str = ""


# -- go-archive's path rules ------------------------------------------------------------------


def go_clean(path: str) -> str:
    """Go's filepath.Clean."""
    if not path:
        return "."
    rooted = path.startswith(SEP)
    parts: list[str] = []
    for part in path.split(SEP):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    cleaned = SEP.join(parts)
    return (SEP + cleaned) if rooted else (cleaned or ".")


def go_base(path: str) -> str:
    """Go's filepath.Base."""
    if not path:
        return "."
    stripped = path.rstrip(SEP)
    if not stripped:
        return SEP
    return stripped.rsplit(SEP, 1)[-1]


def go_dir(path: str) -> str:
    """Go's filepath.Dir."""
    head = path[: path.rfind(SEP) + 1] if SEP in path else ""
    return go_clean(head) if head else "."


def has_trailing_separator(path: str) -> bool:
    return path.endswith(SEP)


def specifies_current_dir(path: str) -> bool:
    return go_base(path) == "."


def asserts_directory(path: str) -> bool:
    return has_trailing_separator(path) or specifies_current_dir(path)


def preserve_trailing_dot_or_separator(cleaned: str, original: str) -> str:
    """go-archive's PreserveTrailingDotOrSeparator: "dir/." and "dir/" keep their meaning."""
    if not specifies_current_dir(cleaned) and specifies_current_dir(original):
        if not has_trailing_separator(cleaned):
            cleaned += SEP
        cleaned += "."
    if not has_trailing_separator(cleaned) and has_trailing_separator(original):
        cleaned += SEP
    return cleaned


def split_path_dir_entry(path: str) -> tuple[str, str]:
    """go-archive's SplitPathDirEntry: (parent, base) with "dir/." kept as ("dir", ".")."""
    cleaned = go_clean(path)
    if specifies_current_dir(path):
        cleaned += SEP + "."
    return go_dir(cleaned), go_base(cleaned)


def resolve_local_path(path: str) -> str:
    """docker cp's resolveLocalPath: absolute, trailing "/" or "/." preserved."""
    return preserve_trailing_dot_or_separator(go_clean(os.path.abspath(path)), path)


def get_rebase_name(path: str, resolved: str) -> tuple[str, str]:
    """go-archive's GetRebaseName: the resolved path (with the original's trailing "/" or
    "/.") and the original's base name when the two differ."""
    if specifies_current_dir(path) and not specifies_current_dir(resolved):
        resolved += SEP + "."
    if has_trailing_separator(path) and not has_trailing_separator(resolved):
        resolved += SEP
    rebase = go_base(path) if go_base(path) != go_base(resolved) else ""
    return resolved, rebase


def _lstat_error(err: OSError, path: str) -> errdefs.DockyardError:
    """Go's *PathError text: "lstat /x: no such file or directory"."""
    reason = os.strerror(err.errno).lower() if err.errno else str(err)
    kind = errdefs.NotFound if isinstance(err, FileNotFoundError) else errdefs.InvalidArgument
    return kind(f"lstat {path}: {reason}")


def copy_info_source_path(path: str, *, follow_link: bool) -> CopyInfo:
    """go-archive's CopyInfoSourcePath (with ResolveHostSourcePath)."""
    if follow_link:
        if not os.path.lexists(path.rstrip(SEP) or SEP):
            raise _lstat_error(FileNotFoundError(2, "no such file"), path.rstrip(SEP))
        resolved, rebase = get_rebase_name(path, os.path.realpath(path))
    else:
        parent, base = path[: path.rfind(SEP) + 1], path[path.rfind(SEP) + 1 :]
        resolved = os.path.realpath(parent or ".") + SEP + base
        rebase = ""
        if has_trailing_separator(path) and go_base(path) != go_base(resolved):
            rebase = go_base(path)
    try:
        st = os.lstat(resolved)
    except OSError as err:
        raise _lstat_error(err, resolved) from None
    import stat as st_

    return CopyInfo(path=resolved, exists=True, is_dir=st_.S_ISDIR(st.st_mode), rebase_name=rebase)


def copy_info_destination_path(path: str) -> CopyInfo:
    """go-archive's CopyInfoDestinationPath: follow symlinks (at most 10); a missing path
    needs an existing parent directory."""
    import stat as st_

    original = path
    try:
        st: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        st = None
    hops = 0
    while st is not None and st_.S_ISLNK(st.st_mode):
        if hops > 10:
            raise errdefs.InvalidArgument("too many symlinks in " + original)
        hops += 1
        target = os.readlink(path)
        if not target.startswith(SEP):
            target = go_clean(split_path_dir_entry(path)[0] + SEP + target)
        path = target
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            st = None
    if st is None:
        parent = split_path_dir_entry(path)[0]
        try:
            parent_st = os.stat(parent)
        except FileNotFoundError:
            raise errdefs.NotFound(f"stat {parent}: no such file or directory") from None
        if not st_.S_ISDIR(parent_st.st_mode):
            raise errdefs.InvalidArgument("not a directory")
        return CopyInfo(path=path)
    return CopyInfo(path=path, exists=True, is_dir=st_.S_ISDIR(st.st_mode))


def prepare_archive_copy(src: CopyInfo, dst: CopyInfo) -> tuple[str, str, str]:
    """go-archive's PrepareArchiveCopy without the stream: (directory to extract into,
    old top name, new top name); equal names mean the archive goes as it is."""
    dst_dir, dst_base = split_path_dir_entry(dst.path)
    _, src_base = split_path_dir_entry(src.path)
    if dst.exists and dst.is_dir:
        return dst.path, "", ""
    if dst.exists and src.is_dir:
        raise errdefs.InvalidArgument("cannot copy directory")
    if not dst.exists and not src.is_dir and asserts_directory(dst.path):
        raise errdefs.NotFound("no such directory")
    return dst_dir, src.rebase_name or src_base, dst_base


def rebase(name: str, old: str, new: str) -> str:
    """RebaseArchiveEntries' rule for one name: the first occurrence of old becomes new
    ("/" as old is the empty string, as go-archive special-cases the root)."""
    if old == SEP:
        old = ""
    return name.replace(old, new, 1) if old != new else name


# -- the two tar streams ----------------------------------------------------------------------


def tar_source(src: CopyInfo, out: IO[bytes], *, top: str = "") -> int:
    """go-archive's TarResource: `src` tarred from its parent, its own name on top (or the
    rebase name, or `top`: PrepareArchiveCopy's rebase of the first occurrence of the top
    name is a rebase of the prefix, since every entry starts with it), "./" entries for
    "dir/.". Headers as Go writes them (whole-second mtimes, no owner names: go-archive
    does no lookups). Answers the archive's length as Go's writer would make it (no
    padding to tar's 10 kB records), the size docker cp reports."""
    import tarfile

    def as_go(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime = int(info.mtime)
        info.uname = info.gname = ""
        return info

    parent, base = split_path_dir_entry(src.path)
    top = top or src.rebase_name or base
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        root = os.path.join(parent, base) if base != "." else parent
        tar.add(root, arcname=top, recursive=False, filter=as_go)
        if src.is_dir:
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames.sort()
                rel = os.path.relpath(dirpath, root)
                prefix = top if rel == "." else f"{top}/{rel}"
                for entry in (*dirnames, *sorted(filenames)):
                    path = os.path.join(dirpath, entry)
                    tar.add(path, f"{prefix}/{entry}", recursive=False, filter=as_go)
    return tar.offset


class _NoChownTar:
    """Extraction as go-archive's Untar with NoLchown and NoOverwriteDirNonDir."""

    @staticmethod
    def extract(tar: tarfile.TarFile, dest: str, rebases: list[tuple[str, str]]) -> None:
        import tarfile

        tar.chown = lambda *a, **k: None  # type: ignore[method-assign]  # NoLchown
        for member in tar:
            for old, new in rebases:
                member.name = rebase(member.name, old, new)
                if member.islnk():
                    member.linkname = rebase(member.linkname, old, new)
            target = os.path.join(dest, member.name)
            if os.path.lexists(target):
                existing_dir = os.path.isdir(target) and not os.path.islink(target)
                if existing_dir and not member.isdir():
                    raise errdefs.Conflict(
                        f"cannot overwrite directory {target!r} with non-directory"
                    )
                if member.isdir() and not existing_dir:
                    raise errdefs.Conflict(
                        f"cannot overwrite non-directory {target!r} with directory"
                    )
            try:
                tar.extract(member, dest, set_attrs=True, filter="tar")
            except tarfile.FilterError as err:
                raise errdefs.InvalidArgument(str(err)) from err


def copy_to(
    stream: Readable, src: CopyInfo, dst_path: str, *, pre_rebase: tuple[str, str] | None = None
) -> None:
    """go-archive's CopyTo: extract the container's tar of `src` at local `dst_path`.
    `pre_rebase` is docker cp's own RebaseArchiveEntries before it (`-L` on a link)."""
    import tarfile

    dst = copy_info_destination_path(dst_path)
    dest_dir, old, new = prepare_archive_copy(src, dst)
    rebases = [pre_rebase] if pre_rebase else []
    if old != new:
        rebases.append((old, new))
    # tarfile's stream mode only calls read(n); the stubs ask for a whole IO[bytes]
    with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
        _NoChownTar.extract(tar, dest_dir, rebases)
