"""`dockyard image push` / `dockyard push`: upload an image to a registry."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.commands.image.pull import platform_flag, trust_flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

PLATFORM_NOTE = (
    "Using --platform pushes only the specified platform manifest of a multi-platform "
    "image index.\nOther components, like attestations, will not be included.\n"
    "To push the complete multi-platform image, remove the --platform flag.\n"
)
PLATFORM_HELP = (
    "Push a platform-specific manifest as a single-platform image to the registry.\n"
    "Image index won't be pushed, meaning that other manifests, including attestations "
    "won't be preserved.\n'os[/arch[/variant]]': Explicit platform (eg. linux/amd64)"
)


def _platform_json(text: str) -> str:
    """platforms.Parse + json.Marshal of the OCI platform the daemon expects."""
    import json

    from dockyard import errdefs

    parts = text.lower().split("/")
    if not 1 <= len(parts) <= 3 or not all(parts):
        raise errdefs.InvalidArgument(
            f'"{text}": unknown operating system or architecture: invalid argument'
        )
    platform = {"architecture": parts[1] if len(parts) > 1 else "", "os": parts[0]}
    if len(parts) == 3:
        platform["variant"] = parts[2]
    return json.dumps(platform, separators=(",", ":"))


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.image.reference import auth_header, familiar_string
    from dockyard.cli.progress import show_response
    from dockyard.client import images
    from dockyard.client.reference import Named, parse_named

    all_tags, quiet = opts.boolean("all-tags"), opts.boolean("quiet")
    platform = ""
    if opts.string("platform"):
        platform = _platform_json(opts.string("platform"))
        cli.out.write("".join(f"NOTE: {line}\n" for line in PLATFORM_NOTE.splitlines()))
    named = parse_named(args[0])
    name_only = not named.tag and not named.digest
    if all_tags and not name_only:
        raise errdefs.InvalidArgument("tag can't be used with --all-tags/-a")
    if not all_tags and name_only:
        named = Named(named.domain, named.path, "latest")
        if not quiet:
            cli.out.write("Using default tag: latest\n")
    if named.digest:
        raise errdefs.InvalidArgument("cannot push a digest reference")
    familiar = familiar_string(named)
    response = images.push(
        cli.client,
        familiar_string(named.trim()),
        tag="" if all_tags else named.tag,
        platform=platform,
        auth=auth_header(cli, familiar),
    )
    show_response(response, cli.out, quiet=quiet)
    if quiet:
        cli.out.write(str(named) + "\n")
    return 0


COMMAND = Command(
    name="push",
    usage="[OPTIONS] NAME[:TAG]",
    short="Upload an image to a registry",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(name="all-tags", short="a", help="Push all tags of an image to the repository"),
        trust_flag("Skip image signing"),
        platform_flag(PLATFORM_HELP),
        Flag(name="quiet", short="q", help="Suppress verbose output"),
    ),
)
