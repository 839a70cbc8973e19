"""`dockyard container create` / `dockyard create`: create a new container.

Also `create_container`, the part `run` shares (docker's createContainer): the --cidfile,
the image reference check, `--pull`, the create call, "Unable to find image" + pull + retry
when the image is missing, and the daemon's warnings.
"""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, StatusError
from dockyard.cli.opts.flagdefs import CONTAINER_FLAGS, image_flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

USAGE = "[OPTIONS] IMAGE [COMMAND] [ARG...]"
PULL_CHOICES = ("always", "missing", "never")


def check_pull(cli: Cli, command: str, value: str) -> None:
    """docker's validatePullOpt, with its `--help` hint; 125."""
    if value in PULL_CHOICES or value == "":
        return
    from dockyard.cli.opts.errors import with_help

    raise with_help(
        cli,
        command,
        f'invalid pull option: \'{value}\': must be one of "always", "missing" or "never"',
    )


def build_body(cli: Cli, opts: Options, args: list[str], command: str) -> dict[str, object]:
    """The create body from the flags, flag and option errors as docker words them (125)."""
    from dockyard.cli.opts.container import build
    from dockyard.cli.opts.errors import FlagValueError, OptionError, flag_status, with_help

    try:
        return build(opts, args[0], args[1:])
    except FlagValueError as err:
        raise flag_status(cli, USAGE, err) from None
    except OptionError as err:
        raise with_help(cli, command, str(err)) from None


def platform_of(opts: Options) -> str:
    import os

    if opts.changed("platform"):
        return opts.string("platform")
    return os.environ.get("DOCKYARD_DEFAULT_PLATFORM") or os.environ.get(
        "DOCKER_DEFAULT_PLATFORM", ""
    )


class _CidFile:
    """--cidfile: refused when the file exists; removed again when no id was written."""

    def __init__(self, path: str) -> None:
        import os

        self.path = path
        self.written = False
        self.fd = -1
        if not path:
            return
        if os.path.exists(path):
            raise StatusError(
                "container ID file found, make sure the other container isn't running or "
                f"delete {path}",
                1,
            )
        try:
            self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        except OSError as err:
            raise StatusError(
                f"failed to create the container ID file: open {path}: "
                f"{(err.strerror or str(err)).lower()}",
                1,
            ) from None

    def write(self, cid: str) -> None:
        import os

        if self.fd >= 0:
            os.write(self.fd, cid.encode())
            self.written = True

    def close(self) -> None:
        import os

        if self.fd < 0:
            return
        os.close(self.fd)
        self.fd = -1
        if not self.written:
            try:
                os.unlink(self.path)
            except OSError:
                pass


def create_container(
    cli: Cli, body: dict[str, object], *, name: str, platform: str, pull: str, quiet: bool
) -> str:
    """docker's createContainer: the new container's id (errors as they came)."""
    import re

    from dockyard import errdefs
    from dockyard.cli.tty import fd_of, size
    from dockyard.client import containers

    host = body["HostConfig"]
    assert isinstance(host, dict)
    cid_file = _CidFile(str(host.get("ContainerIDFile") or ""))
    try:
        image = str(body["Image"])
        familiar = ""
        if not re.fullmatch(r"[a-f0-9]{64}", image):  # an image ID is no reference
            from dockyard.cli.commands.image.reference import familiar_string
            from dockyard.client.reference import normalize

            familiar = familiar_string(normalize(image))
        if pull == "always":
            _pull(cli, image, platform, quiet)
        host["ConsoleSize"] = list(size(fd_of(cli.out)))
        try:
            made = containers.create(cli.client, body, name=name, platform=platform)
        except errdefs.NotFound:
            if not familiar or pull != "missing":
                raise
            if not quiet:
                cli.err.write(f"Unable to find image '{familiar}' locally\n")
                cli.err.flush()
            _pull(cli, image, platform, quiet)
            made = containers.create(cli.client, body, name=name, platform=platform)
        warnings = list(made.get("Warnings") or [])
        for dns in host.get("Dns") or []:
            if _is_loopback(str(dns)):
                warnings.append(f"Localhost DNS ({dns}) may fail in containers.")
                break
        for warning in warnings:
            cli.err.write(f"WARNING: {warning}\n")
        cid = str(made["Id"])
        cid_file.write(cid)
        return cid
    finally:
        cid_file.close()


def _pull(cli: Cli, image: str, platform: str, quiet: bool) -> None:
    from dockyard.cli.commands.image.pull import pull_image

    pull_image(cli, image, platform=platform, quiet=quiet)


def _is_loopback(text: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    check_pull(cli, "create", opts.string("pull"))
    body = build_body(cli, opts, args, "create")
    cid = create_container(
        cli,
        body,
        name=opts.string("name"),
        platform=platform_of(opts),
        pull=opts.string("pull"),
        quiet=opts.boolean("quiet"),
    )
    cli.out.write(cid + "\n")
    return 0


def _flags() -> tuple[Flag, ...]:
    return (
        image_flags('Pull image before creating ("always", "|missing", "never")') + CONTAINER_FLAGS
    )


COMMAND = Command(
    name="create",
    usage=USAGE,
    short="Create a new container",
    run=run,
    flags=_flags(),
    min_args=1,
    interspersed=False,
)
