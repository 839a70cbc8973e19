"""`dockyard build` / `dockyard image build` / `dockyard builder build`: the classic builder.

docker 28's legacy-builder path (cli/command/image/build.go): the context is a directory
(tarred here without what .dockerignore excludes), a tar or a Dockerfile on stdin (`-`);
`-f -` reads the Dockerfile from stdin beside a directory context. The tar streams to
POST /build with the flags as query parameters, and the daemon's messages print as the
daemon wrote them ("Step 1/2 : FROM busybox", " ---> 1a2b3c4d5e6f", "Successfully built ...").
"""

from __future__ import annotations

from collections.abc import Iterator

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.commands.image.pull import platform_flag, trust_flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.cli.buildcontext import TarPipe
    from dockyard.client.build import BuildOptions

DEPRECATION = (
    "DEPRECATED: The legacy builder is deprecated and will be removed in a future release.\n"
    "            Install the buildx component to build images with BuildKit:\n"
    "            https://docs.docker.com/go/buildx/\n\n"
)
SENDING = "Sending build context to Docker daemon"
UPDATE_EVERY = 512 * 1024


def _bytes(opts: Options, name: str) -> int:
    from dockyard.cli.opts.units import ram_in_bytes

    text = opts.string(name)
    if not text:
        return 0
    if name == "memory-swap" and text == "-1":
        return -1
    return ram_in_bytes(text)


def _kv_map(values: list[str], *, with_nil: bool) -> dict[str, Any]:
    """opts.ConvertKVStringsToMap(WithNil): "k=v" -> v; a bare "k" -> "" (or None, which the
    daemon fills from the environment it was given: build args only)."""
    import os

    result: dict[str, Any] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if sep:
            result[key] = val
        elif with_nil:
            # docker's --build-arg opts.ValidateEnv: a bare name takes the CLI's environment
            result[key] = os.environ.get(key)
        else:
            result[key] = ""
    return result


def options_from(opts: Options, *, dockerfile: str) -> BuildOptions:
    from dockyard.client.build import BuildOptions

    return BuildOptions(
        tags=tuple(opts.strings("tag")),
        dockerfile=dockerfile,
        suppress_output=opts.boolean("quiet"),
        no_cache=opts.boolean("no-cache"),
        remove=opts.boolean("rm"),
        force_remove=opts.boolean("force-rm"),
        pull_parent=opts.boolean("pull"),
        squash=opts.boolean("squash"),
        isolation=opts.string("isolation"),
        cpuset_cpus=opts.string("cpuset-cpus"),
        cpuset_mems=opts.string("cpuset-mems"),
        cpu_shares=opts.integer("cpu-shares"),
        cpu_quota=opts.integer("cpu-quota"),
        cpu_period=opts.integer("cpu-period"),
        memory=_bytes(opts, "memory"),
        memory_swap=_bytes(opts, "memory-swap"),
        cgroup_parent=opts.string("cgroup-parent"),
        network_mode=opts.string("network"),
        shm_size=_bytes(opts, "shm-size"),
        ulimits=tuple(_ulimit(u) for u in opts.strings("ulimit")),
        build_args=_kv_map(opts.strings("build-arg"), with_nil=True),
        labels=_kv_map(opts.strings("label"), with_nil=False),
        cache_from=tuple(opts.strings("cache-from")),
        security_opt=tuple(opts.strings("security-opt")),
        extra_hosts=tuple(opts.strings("add-host")),
        target=opts.string("target"),
        platform=opts.string("platform"),
    )


def _ulimit(text: str) -> dict[str, Any]:
    """ "nofile=1024:2048" as the daemon's Ulimit {Name, Soft, Hard}."""
    from dockyard import errdefs

    name, _sep, values = text.partition("=")
    soft, _, hard = values.partition(":")
    try:
        return {"Name": name, "Soft": int(soft), "Hard": int(hard or soft)}
    except ValueError:
        raise errdefs.InvalidArgument(f"invalid ulimit argument: {text}") from None


def _context(cli: Cli, opts: Options, source: str) -> tuple[TarPipe | Iterator[bytes], str]:
    """(the context tar, the Dockerfile's path inside it): runBuild's switch on the source."""
    import os

    from dockyard import errdefs
    from dockyard.cli import buildcontext as bc

    dockerfile = opts.string("file")
    from_stdin = dockerfile == "-"
    if source == "-":
        if from_stdin:
            raise errdefs.InvalidArgument(
                "invalid argument: can't use stdin for both build context and dockerfile"
            )
        head = _read_head(cli)
        if bc.is_archive(head):
            return _chain(head, cli), dockerfile
        if dockerfile:
            raise errdefs.InvalidArgument(
                "unable to prepare context: ambiguous Dockerfile source: both stdin and flag "
                "correspond to Dockerfiles"
            )
        return bc.dockerfile_only_tar(head + cli.stdin.read()), bc.DEFAULT_DOCKERFILE
    if not os.path.exists(source):
        raise errdefs.InvalidArgument(f'unable to prepare context: path "{source}" not found')
    try:
        context_dir, rel = bc.local_context(source, dockerfile)
    except errdefs.DockyardError as err:
        raise errdefs.InvalidArgument(f"unable to prepare context: {err}") from err
    stdin_dockerfile: bytes | None = None
    if from_stdin:
        stdin_dockerfile = cli.stdin.read()
    elif rel.startswith("../"):
        with open(dockerfile, "rb") as f:  # outside the context: sent as a stdin one is
            stdin_dockerfile = f.read()
    excludes = bc.read_dockerignore(context_dir)
    try:
        bc.validate_context_dir(context_dir, excludes)
    except errdefs.DockyardError as err:
        raise errdefs.InvalidArgument(f"error checking context: {err}") from err
    excludes = bc.trim_build_files(excludes, rel, dockerfile_from_stdin=from_stdin)
    extra = None
    if stdin_dockerfile is not None:
        rel, extra = bc.dockerfile_extras(context_dir, stdin_dockerfile)
    return bc.directory_tar(context_dir, excludes, extra=extra), rel


def _read_head(cli: Cli) -> bytes:
    head = b""
    while len(head) < 1024:
        data = cli.stdin.read(1024 - len(head))
        if not data:
            break
        head += data
    return head


def _chain(head: bytes, cli: Cli) -> Iterator[bytes]:
    yield head
    while data := cli.stdin.read(65536):
        yield data


def _upload(cli: Cli, chunks: Iterator[bytes], *, quiet: bool) -> Iterator[bytes]:
    """The context with docker's "Sending build context" progress: updated in place on a
    terminal (every 512kB), only the final line otherwise (lastProgressOutput)."""
    import time

    from dockyard.cli.progress import render_progress, terminal_of

    terminal = terminal_of(cli.out)[0] and not quiet
    sent = last = 0
    last_time = 0.0

    def line(final: bool) -> None:
        text = f"{SENDING} {render_progress({'current': sent}, width=200)}\r"
        if final:
            text += "\r\n"
        if not quiet:
            cli.out.write(text)
            cli.out.flush()

    for chunk in chunks:
        sent += len(chunk)
        if terminal and sent - last > UPDATE_EVERY and time.monotonic() - last_time >= 0.1:
            line(False)
            last, last_time = sent, time.monotonic()
        yield chunk
    line(True)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    import io
    import os

    from dockyard.cli.command import StatusError
    from dockyard.cli.progress import StreamError, display, display_stream
    from dockyard.client import build

    quiet = opts.boolean("quiet")
    iidfile = opts.string("iidfile")
    cli.err.write(DEPRECATION)
    if iidfile:
        try:
            os.unlink(iidfile)
        except FileNotFoundError:
            pass
    _check_tags(cli, opts)
    source, dockerfile = _context(cli, opts, args[0])
    chunks = source if isinstance(source, Iterator) else _pipe_chunks(source)
    image_id = ""

    def aux(message: dict[str, Any]) -> None:
        nonlocal image_id
        result = message.get("aux")
        if isinstance(result, dict) and isinstance(result.get("ID"), str):
            image_id = result["ID"]

    options = options_from(opts, dockerfile=dockerfile)
    buffer = io.StringIO()
    try:
        response = build.build(
            cli.client, _upload(cli, chunks, quiet=quiet), options, auth_configs=_auths(cli)
        )
        with response:
            if quiet:
                display(response.json_stream(), buffer, terminal=False, aux=aux)
            else:
                display_stream(response.json_stream(), cli.out, aux=aux)
    except StreamError as err:
        if quiet:
            cli.err.write(buffer.getvalue())
        raise StatusError(err.message, err.code or 1) from err
    finally:
        if not isinstance(source, Iterator):
            source.close()
    if quiet:
        image_id = buffer.getvalue()
        cli.out.write(image_id)
    if iidfile:
        if not image_id:
            raise StatusError(f"Server did not provide an image ID. Cannot write {iidfile}", 1)
        with open(iidfile, "w") as f:
            f.write(image_id)
    return 0


def _pipe_chunks(pipe: TarPipe) -> Iterator[bytes]:
    while data := pipe.read(65536):
        yield data


def _check_tags(cli: Cli, opts: Options) -> None:
    """validateTag, run by docker as the -t flag is read: a flag error (125)."""
    from dockyard import errdefs
    from dockyard.cli.opts.errors import FlagValueError, flag_status
    from dockyard.client.reference import parse_named

    for tag in opts.strings("tag"):
        try:
            parse_named(tag)
        except errdefs.DockyardError as err:
            raise flag_status(
                cli, COMMAND.usage, FlagValueError("-t, --tag", tag, str(err))
            ) from err


def _auths(cli: Cli) -> dict[str, Any]:
    """config.json's stored credentials, registry -> AuthConfig (GetAllCredentials; the
    plain `auths` entries, as credential helpers would need a process per registry)."""
    import base64

    try:
        auths = cli.config.data.get("auths") or {}
    except (OSError, ValueError):
        return {}
    result: dict[str, Any] = {}
    for server, entry in auths.items():
        if not isinstance(entry, dict):
            continue
        config: dict[str, Any] = {"serveraddress": server}
        if entry.get("auth"):
            try:
                user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            except ValueError:
                continue
            config |= {"username": user, "password": password}
        if entry.get("identitytoken"):
            config["identitytoken"] = entry["identitytoken"]
        result[server] = config
    return result


COMMAND = Command(
    name="build",
    usage="[OPTIONS] PATH | URL | -",
    short="Build an image from a Dockerfile",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(name="add-host", type="list", help='Add a custom host-to-IP mapping ("host:ip")'),
        Flag(name="build-arg", type="list", help="Set build-time variables"),
        Flag(name="cache-from", type="stringSlice", help="Images to consider as cache sources"),
        Flag(
            name="cgroup-parent",
            type="string",
            help='Set the parent cgroup for the "RUN" instructions during build',
        ),
        Flag(name="compress", help="Compress the build context using gzip"),
        Flag(
            name="cpu-period",
            type="int",
            help="Limit the CPU CFS (Completely Fair Scheduler) period",
        ),
        Flag(
            name="cpu-quota",
            type="int",
            help="Limit the CPU CFS (Completely Fair Scheduler) quota",
        ),
        Flag(name="cpu-shares", short="c", type="int", help="CPU shares (relative weight)"),
        Flag(
            name="cpuset-cpus",
            type="string",
            help="CPUs in which to allow execution (0-3, 0,1)",
        ),
        Flag(
            name="cpuset-mems",
            type="string",
            help="MEMs in which to allow execution (0-3, 0,1)",
        ),
        trust_flag(),
        Flag(
            name="file",
            short="f",
            type="string",
            help='Name of the Dockerfile (Default is "PATH/Dockerfile")',
        ),
        Flag(name="force-rm", help="Always remove intermediate containers"),
        Flag(name="iidfile", type="string", help="Write the image ID to the file"),
        Flag(name="isolation", type="string", help="Container isolation technology"),
        Flag(name="label", type="list", help="Set metadata for an image"),
        Flag(name="memory", short="m", type="bytes", help="Memory limit"),
        Flag(
            name="memory-swap",
            type="bytes",
            help="Swap limit equal to memory plus swap: -1 to enable unlimited swap",
        ),
        Flag(
            name="network",
            type="string",
            default="default",
            help="Set the networking mode for the RUN instructions during build",
        ),
        Flag(name="no-cache", help="Do not use cache when building the image"),
        platform_flag(),
        Flag(name="pull", help="Always attempt to pull a newer version of the image"),
        Flag(
            name="quiet",
            short="q",
            help="Suppress the build output and print image ID on success",
        ),
        Flag(
            name="rm",
            default=True,
            help="Remove intermediate containers after a successful build",
        ),
        Flag(name="security-opt", type="stringSlice", help="Security options"),
        Flag(name="shm-size", type="bytes", help='Size of "/dev/shm"'),
        Flag(name="squash", help="Squash newly built layers into a single new layer"),
        Flag(
            name="tag",
            short="t",
            type="list",
            help='Name and optionally a tag in the "name:tag" format',
        ),
        Flag(name="target", type="string", help="Set the target build stage to build."),
        Flag(name="ulimit", type="ulimit", help="Ulimit options", help_default="[]"),
    ),
)
