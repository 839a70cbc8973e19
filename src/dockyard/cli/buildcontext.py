"""The build context `docker build` sends: a tar of the context directory minus .dockerignore.

docker/cli's build context steps (GetContextFromLocalDir, ReadDockerignore,
ValidateContextDirectory, TrimBuildFilesFromExcludes so the Dockerfile and .dockerignore
always travel, then moby/go-archive's TarWithOptions walk: lexical order, uid/gid 0, no user
names, whole-second mtimes; an excluded directory is skipped unless an exception pattern
could re-include something inside it) and GetContextFromReader for `-`. The .dockerignore
rules themselves are `cli/dockerignore.py`.

The tar is produced by a thread into a pipe so a large context streams in bounded memory,
as docker's io.Pipe does.
"""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.cli.archive import go_clean
from dockyard.cli.dockerignore import PatternMatcher, read_ignore_file

TYPE_CHECKING = False
if TYPE_CHECKING:
    import tarfile
    from collections.abc import Callable, Iterator
    from typing import BinaryIO

DEFAULT_DOCKERFILE = "Dockerfile"


def trim_build_files(
    excludes: list[str], dockerfile: str, *, dockerfile_from_stdin: bool
) -> list[str]:
    """TrimBuildFilesFromExcludes: the Dockerfile and .dockerignore are always sent (the
    daemon drops them from what COPY sees)."""
    excludes = list(excludes)
    if PatternMatcher(excludes).matches(".dockerignore"):
        excludes.append("!.dockerignore")
    if not dockerfile_from_stdin and PatternMatcher(excludes).matches(go_clean(dockerfile)):
        excludes.append("!" + dockerfile)
    return excludes


def resolve_context_dir(given: str) -> str:
    """ResolveAndValidateContextPath."""
    path = os.path.realpath(os.path.abspath(given))
    if not os.path.lexists(path):
        raise errdefs.InvalidArgument(f"unable to stat context directory {path!r}")
    if not os.path.isdir(path):
        raise errdefs.InvalidArgument(f"context must be a directory: {path}")
    return path


def dockerfile_rel_path(context_dir: str, given: str) -> str:
    """getDockerfileRelPath: the Dockerfile relative to the context (may start with "../")."""
    if given == "-":
        return given
    path = given
    if not path:
        path = os.path.join(context_dir, DEFAULT_DOCKERFILE)
        if not os.path.lexists(path):
            alternative = os.path.join(context_dir, DEFAULT_DOCKERFILE.lower())
            if os.path.lexists(alternative):
                path = alternative
    if not os.path.isabs(path):
        path = os.path.join(context_dir, path)
    if not os.path.lexists(path) or not os.path.exists(path):
        raise errdefs.InvalidArgument(f'Cannot locate Dockerfile: "{path}"')
    path = os.path.realpath(path)
    return os.path.relpath(path, context_dir)


def local_context(directory: str, dockerfile: str) -> tuple[str, str]:
    """GetContextFromLocalDir: (absolute context dir, Dockerfile relative to it). `-f` is
    relative to the current directory, not to the context."""
    context_dir = resolve_context_dir(directory)
    if dockerfile and dockerfile != "-":
        dockerfile = os.path.abspath(dockerfile)
    return context_dir, dockerfile_rel_path(context_dir, dockerfile)


def read_dockerignore(context_dir: str) -> list[str]:
    try:
        with open(os.path.join(context_dir, ".dockerignore"), "rb") as f:
            return read_ignore_file(f.read())
    except FileNotFoundError:
        return []


def validate_context_dir(context_dir: str, excludes: list[str]) -> None:
    """ValidateContextDirectory: every file that will be sent can be read."""
    matcher = PatternMatcher(excludes)
    for root, dirs, files in os.walk(context_dir):
        rel_root = os.path.relpath(root, context_dir)
        kept = []
        for name in sorted(dirs):
            rel = name if rel_root == "." else f"{rel_root}/{name}"
            if not matcher.matches_or_parent_matches(go_clean(rel)):
                kept.append(name)
        dirs[:] = kept
        for name in files:
            rel = name if rel_root == "." else f"{rel_root}/{name}"
            if matcher.matches_or_parent_matches(go_clean(rel)):
                continue
            path = os.path.join(root, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            try:
                with open(path, "rb"):
                    pass
            except PermissionError as err:
                raise errdefs.InvalidArgument(
                    f"error checking context: no permission to read from '{path}'"
                ) from err


def walk_context(context_dir: str, excludes: list[str]) -> Iterator[tuple[str, str]]:
    """(path on disk, name in the tar) in go-archive's TarWithOptions order and selection."""
    matcher = PatternMatcher(excludes)
    yield from _walk(context_dir, "", matcher, None)


def _walk(
    root: str, rel_dir: str, matcher: PatternMatcher, parent: list[bool] | None
) -> Iterator[tuple[str, str]]:
    directory = os.path.join(root, rel_dir) if rel_dir else root
    try:
        names = sorted(os.listdir(directory), key=os.fsencode)
    except OSError:
        return
    for name in names:
        rel = f"{rel_dir}/{name}" if rel_dir else name
        path = os.path.join(directory, name)
        is_dir = os.path.isdir(path) and not os.path.islink(path)
        skip, info = matcher.matches_using_parent_results(rel, parent)
        if skip:
            if not is_dir:
                continue
            if not matcher.exclusions:
                continue
            prefix = rel + "/"
            if not any(
                p.exclusion and (p.cleaned + "/").startswith(prefix) for p in matcher.patterns
            ):
                continue
            yield from _walk(root, rel, matcher, info)  # the dir itself stays out
            continue
        yield path, rel
        if is_dir:
            yield from _walk(root, rel, matcher, info)


def add_path(tar: tarfile.TarFile, path: str, name: str) -> None:
    """One entry as go-archive writes it: uid/gid 0, no user names, whole-second mtime."""
    info = tar.gettarinfo(path, arcname=name)
    if info is None:  # sockets: docker logs "sockets not supported" and goes on
        return
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = int(info.mtime)
    if info.isreg():
        with open(path, "rb") as f:
            tar.addfile(info, f)
    else:
        tar.addfile(info)


def is_archive(header: bytes) -> bool:
    """DetectArchiveReader's IsArchive: a compressed stream or a readable tar header."""
    for magic in (b"\x1f\x8b\x08", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd"):
        if header.startswith(magic):
            return True
    if len(header) < 512:
        return False
    import tarfile

    try:
        tarfile.TarInfo.frombuf(header[:512], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


class TarPipe:
    """A tar written by a thread into a pipe; `read` is the reading end."""

    def __init__(self, write: Callable[[tarfile.TarFile], None]) -> None:
        import threading

        read_fd, write_fd = os.pipe()
        self._reader: BinaryIO = os.fdopen(read_fd, "rb")
        self._writer: BinaryIO = os.fdopen(write_fd, "wb")
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(write,), daemon=True)
        self._thread.start()

    def _run(self, write: Callable[[tarfile.TarFile], None]) -> None:
        import tarfile

        sink = _TarSink(self._writer)
        try:
            # tarfile wants `tell`, which the sink answers; ignore: typeshed asks for a
            # full IO for fileobj.
            with tarfile.open(fileobj=sink, mode="w", format=tarfile.PAX_FORMAT) as tar:  # type: ignore[call-overload]
                write(tar)
                sink.finish()  # Go's tar ends with two zero blocks, no 10 kB record padding
        except BrokenPipeError:
            pass
        except BaseException as err:  # reported to the reader, as io.Pipe's CloseWithError
            self.error = err
        finally:
            try:
                self._writer.close()
            except OSError:
                pass

    def read(self, size: int = 65536) -> bytes:
        data = self._reader.read(size)
        if not data:
            self._thread.join()
            if self.error is not None:
                raise self.error
        return data

    def close(self) -> None:
        self._reader.close()
        self._thread.join(timeout=5)


class _TarSink:
    """The pipe as tarfile's file object: counts what is written (tarfile asks `tell`), and
    after `finish` drops what tarfile's close would add."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._offset = 0
        self._done = False

    def write(self, data: bytes) -> int:
        if not self._done:
            self._out.write(data)
            self._offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self._offset

    def finish(self) -> None:
        self.write(b"\0" * 1024)
        self._done = True


def directory_tar(
    context_dir: str, excludes: list[str], *, extra: dict[str, bytes] | None = None
) -> TarPipe:
    """The context directory as TarWithOptions sends it; `extra` entries (the Dockerfile read
    from stdin, the .dockerignore naming it) replace same-named ones or come last, as
    AddDockerfileToBuildContext's ReplaceFileTarWrapper does."""
    pending = dict(extra or {})

    def write(tar: tarfile.TarFile) -> None:
        for path, name in walk_context(context_dir, excludes):
            if name in pending:
                _add_bytes(tar, name, pending.pop(name))
            else:
                add_path(tar, path, name)
        for name in sorted(pending):
            _add_bytes(tar, name, pending[name])

    return TarPipe(write)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    import io
    import tarfile
    import time

    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(time.time())
    tar.addfile(info, io.BytesIO(data))


def dockerfile_only_tar(dockerfile: bytes) -> TarPipe:
    """GetContextFromReader for a Dockerfile on stdin: a context holding only "Dockerfile"."""

    def write(tar: tarfile.TarFile) -> None:
        _add_bytes(tar, DEFAULT_DOCKERFILE, dockerfile)

    return TarPipe(write)


def dockerfile_extras(context_dir: str, dockerfile: bytes) -> tuple[str, dict[str, bytes]]:
    """AddDockerfileToBuildContext: a randomly named Dockerfile, and a .dockerignore that
    names it (so COPY . never copies it)."""
    name = ".dockerfile." + os.urandom(10).hex()
    try:
        with open(os.path.join(context_dir, ".dockerignore"), "rb") as f:
            ignore = f.read()
    except FileNotFoundError:
        ignore = b".dockerignore"
    return name, {name: dockerfile, ".dockerignore": ignore + b"\n" + name.encode() + b"\n"}
