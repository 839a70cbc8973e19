"""`dockyard container commit`: create a new image from a container's changes."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def split_reference(ref: str) -> tuple[str, str]:
    """(repository, tag) of REPOSITORY[:TAG]; a digest is refused as the Go client does.
    The daemon normalizes and validates the name."""
    from dockyard import errdefs

    if "@" in ref:
        raise errdefs.InvalidArgument("refusing to create a tag with a digest reference")
    name, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag:
        return ref, "latest"
    return name, tag


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.client import containers

    repo, tag = split_reference(args[1]) if len(args) > 1 and args[1] else ("", "")
    answer = containers.commit(
        cli.client,
        args[0].strip(),
        repo=repo,
        tag=tag,
        comment=opts.string("message"),
        author=opts.string("author"),
        changes=opts.strings("change"),
        pause=opts.boolean("pause"),
    )
    cli.out.write(f"{answer.get('Id', '')}\n")
    return 0


COMMAND = Command(
    name="commit",
    usage="[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
    short="Create a new image from a container's changes",
    run=run,
    min_args=1,
    max_args=2,
    interspersed=False,
    flags=flags(
        Flag(
            name="author",
            short="a",
            type="string",
            help='Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")',
        ),
        Flag(
            name="change",
            short="c",
            type="list",
            help="Apply Dockerfile instruction to the created image",
        ),
        Flag(name="message", short="m", type="string", help="Commit message"),
        Flag(
            name="pause",
            short="p",
            default=True,
            help="Pause container during commit",
            help_default="true",
        ),
    ),
)
