"""`dockyard container cp`: copy files/folders between a container and the local filesystem.

docker's cp.go: `CONTAINER:PATH` names the container side (a local path with a colon is
written `./a:b` or `/abs/a:b`), `-` is a tar stream on stdin or stdout, and the copy rules
(which name lands where) are go-archive's, in `cli/archive.py`.
"""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.cli.archive import Readable

# Go's os.FileMode type bits, as the daemon's X-Docker-Container-Path-Stat carries them
MODE_DIR = 1 << 31
MODE_SYMLINK = 1 << 27
MODE_DEVICE = 1 << 26
MODE_IRREGULAR = 1 << 19


def split_cp_arg(arg: str) -> tuple[str, str]:
    """docker's splitCpArg: (container, path), container "" for a local path."""
    if arg.startswith("/"):
        return "", arg
    container, sep, path = arg.partition(":")
    if not sep or container.startswith("."):
        return "", arg
    return container, path


def human(n: int) -> str:
    """go-units HumanSizeWithPrecision(n, 3), docker cp's progress unit."""
    from dockyard.cli.format.units import human_size

    return human_size(n, 3)


class _Counting:
    """A reader that counts what passes (the "Successfully copied 1.5kB" total)."""

    def __init__(self, inner: Readable) -> None:
        self.inner = inner
        self.total = 0

    def read(self, n: int = -1) -> bytes:
        data = self.inner.read(n)
        self.total += len(data)
        return data


def _mode_error(mode: int) -> str:
    if mode & MODE_DEVICE:
        return "got a device"
    if mode & MODE_IRREGULAR:
        return "got an irregular file"
    return ""


def validate_output_path(path: str) -> None:
    """docker's command.ValidateOutputPath for a local destination."""
    import os
    import stat as st_

    from dockyard import errdefs
    from dockyard.cli import archive

    parent = archive.go_dir(archive.go_clean(path))
    if parent not in ("", ".") and not os.path.exists(parent):
        raise errdefs.InvalidArgument(f'invalid output path: directory "{parent}" does not exist')
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if st_.S_ISDIR(mode) or st_.S_ISREG(mode):
        return
    if st_.S_ISBLK(mode) or st_.S_ISCHR(mode):
        raise errdefs.InvalidArgument(
            f'invalid output path: "{path}" must be a directory or a regular file: got a device'
        )


def copy_from_container(
    cli: Cli, container: str, src: str, dst: str, o: Options, quiet: bool
) -> None:
    from dockyard import errdefs
    from dockyard.cli import archive
    from dockyard.client import containers

    if dst != "-":
        dst = archive.resolve_local_path(dst)
    validate_output_path(dst)
    client = cli.client
    rebase_name = ""
    if o.boolean("follow-link"):
        try:
            stat: dict[str, Any] = containers.archive_head(client, container, src)
        except errdefs.DockyardError:
            stat = {}
        if int(stat.get("mode", 0)) & MODE_SYMLINK:
            target = str(stat.get("linkTarget", ""))
            if not target.startswith("/"):
                target = archive.go_clean(archive.split_path_dir_entry(src)[0] + "/" + target)
            src, rebase_name = archive.get_rebase_name(src, target)
    stat, response = containers.archive_get(client, container, src)
    with response:
        if dst == "-":
            from dockyard.cli.tarout import copy_to_stdout

            copy_to_stdout(cli, response)
            return
        info = archive.CopyInfo(
            path=src,
            exists=True,
            is_dir=bool(int(stat.get("mode", 0)) & MODE_DIR),
            rebase_name=rebase_name,
        )
        pre = None
        if rebase_name:
            pre = (archive.split_path_dir_entry(src)[1], rebase_name)
        stream = _Counting(response)
        archive.copy_to(stream, info, dst, pre_rebase=pre)
    if not quiet:
        cli.err.write(f"Successfully copied {human(stream.total)} to {dst}\n")


def copy_to_container(
    cli: Cli, container: str, src: str, dst: str, o: Options, quiet: bool
) -> None:
    import tempfile

    from dockyard import errdefs
    from dockyard.cli import archive
    from dockyard.client import containers

    if src != "-":
        src = archive.resolve_local_path(src)
    client = cli.client
    dst_path = dst
    stat: dict[str, Any] | None
    try:
        stat = containers.archive_head(client, container, dst)
    except errdefs.DockyardError:
        stat = None
    if stat is not None and int(stat.get("mode", 0)) & MODE_SYMLINK:
        target = str(stat.get("linkTarget", ""))
        if not target.startswith("/"):
            target = archive.go_clean(archive.split_path_dir_entry(dst)[0] + "/" + target)
        dst_path = target
        try:
            stat = containers.archive_head(client, container, target)
        except errdefs.DockyardError:
            stat = None
    mode = int((stat or {}).get("mode", 0))
    if _mode_error(mode):
        raise errdefs.InvalidArgument(
            f'destination "{container}:{dst}" must be a directory or a regular file: '
            + _mode_error(mode)
        )
    dst_info = archive.CopyInfo(
        path=dst_path, exists=stat is not None, is_dir=stat is not None and bool(mode & MODE_DIR)
    )
    copy_uid_gid = o.boolean("archive")
    if src == "-":
        if not dst_info.is_dir:
            raise errdefs.InvalidArgument(f'destination "{container}:{dst}" must be a directory')
        containers.archive_put(
            client, container, dst_info.path, cli.stdin, copy_uid_gid=copy_uid_gid
        )
        return
    src_info = archive.copy_info_source_path(src, follow_link=o.boolean("follow-link"))
    dst_dir, _old, new = archive.prepare_archive_copy(src_info, dst_info)
    with tempfile.TemporaryFile() as tmp:
        size = archive.tar_source(src_info, tmp, top=new)
        tmp.seek(0)
        containers.archive_put(client, container, dst_dir, tmp, copy_uid_gid=copy_uid_gid)
    if not quiet:
        cli.err.write(f"Successfully copied {human(size)} to {container}:{dst_info.path}\n")


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.tarout import is_terminal

    source, destination = args
    if not source:
        raise errdefs.InvalidArgument("source can not be empty")
    if not destination:
        raise errdefs.InvalidArgument("destination can not be empty")
    quiet = opts.boolean("quiet") if opts.changed("quiet") else not is_terminal(cli.out)
    src_container, src = split_cp_arg(source)
    dst_container, dst = split_cp_arg(destination)
    if src_container and dst_container:
        raise errdefs.InvalidArgument("copying between containers is not supported")
    if src_container:
        copy_from_container(cli, src_container, src, dst, opts, quiet)
    elif dst_container:
        copy_to_container(cli, dst_container, src, dst, opts, quiet)
    else:
        raise errdefs.InvalidArgument("must specify at least one container source")
    return 0


COMMAND = Command(
    name="cp",
    usage=(
        "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n"
        "\tdockyard cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH"
    ),
    short="Copy files/folders between a container and the local filesystem",
    long=(
        "Copy files/folders between a container and the local filesystem\n\n"
        "Use '-' as the source to read a tar archive from stdin\n"
        "and extract it to a directory destination in a container.\n"
        "Use '-' as the destination to stream a tar archive of a\n"
        "container source to stdout."
    ),
    run=run,
    min_args=2,
    max_args=2,
    flags=flags(
        Flag(name="archive", short="a", help="Archive mode (copy all uid/gid information)"),
        Flag(name="follow-link", short="L", help="Always follow symbol link in SRC_PATH"),
        Flag(
            name="quiet",
            short="q",
            help=(
                "Suppress progress output during copy. Progress output is automatically"
                " suppressed if no terminal is attached"
            ),
        ),
    ),
)
