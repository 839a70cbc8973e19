"""`dockyard image pull` / `dockyard pull`: download an image from a registry.

Also `pull_image`, what `run` and `create` do when the image is missing (docker's
container/create.go pullImage): the progress on stderr, nothing else.
"""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.client.reference import Named

PLATFORM_HELP = "Set platform if server is multi-platform capable"


def _api_tag(named: Named) -> str:
    """getAPITagFromNamedRef: the digest if pinned, else the tag (latest when none)."""
    return named.digest or named.tag or "latest"


def pull_image(cli: Cli, ref: str, *, platform: str = "", quiet: bool = False) -> None:
    """Pull `ref` for `run`/`create`: progress on stderr (discarded when `quiet`)."""
    from dockyard.cli.commands.image.reference import auth_header
    from dockyard.cli.progress import show_response
    from dockyard.client import images
    from dockyard.client.reference import parse_named

    named = parse_named(ref)
    response = images.create(
        cli.client,
        from_image=named.name,
        tag=_api_tag(named),
        platform=platform,
        auth=auth_header(cli, ref),
    )
    show_response(response, cli.err, quiet=quiet)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.image.reference import auth_header, familiar_string
    from dockyard.cli.progress import show_response
    from dockyard.client import images
    from dockyard.client.reference import Named, parse_named

    all_tags, quiet = opts.boolean("all-tags"), opts.boolean("quiet")
    named = parse_named(args[0])
    name_only = not named.tag and not named.digest
    if all_tags and not name_only:
        raise errdefs.InvalidArgument("tag can't be used with --all-tags/-a")
    if not all_tags and name_only:
        named = Named(named.domain, named.path, "latest")
        if not quiet:
            cli.out.write("Using default tag: latest\n")
    familiar = familiar_string(named)
    try:
        response = images.create(
            cli.client,
            from_image=named.name,
            tag="" if all_tags else _api_tag(named),
            platform=opts.string("platform"),
            auth=auth_header(cli, familiar),
        )
        show_response(response, cli.out, quiet=quiet)
    except errdefs.DockyardError as err:
        if "when fetching 'plugin'" in str(err):
            raise type(err)(f"{err} - Use `docker plugin install`") from err
        raise
    cli.out.write(str(named) + "\n")
    return 0


def platform_flag(help: str = PLATFORM_HELP) -> Flag:
    """docker's AddPlatformFlag: --platform, defaulting to $DOCKER_DEFAULT_PLATFORM."""
    import os

    default = os.environ.get("DOCKER_DEFAULT_PLATFORM", "")
    return Flag(name="platform", type="string", default=default, help=help)


def trust_flag(help: str = "Skip image verification") -> Flag:
    return Flag(name="disable-content-trust", default=True, help=help)


COMMAND = Command(
    name="pull",
    usage="[OPTIONS] NAME[:TAG|@DIGEST]",
    short="Download an image from a registry",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(name="all-tags", short="a", help="Download all tagged images in the repository"),
        trust_flag(),
        platform_flag(),
        Flag(name="quiet", short="q", help="Suppress verbose output"),
    ),
)
