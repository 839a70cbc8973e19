"""`dockyard context create`: create a context (shared with docker's context store)."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags
from dockyard.cli.commands.context.common import ENDPOINT_FLAGS, long_help

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.context.common import endpoint, load, parse_docker_option
    from dockyard.cli.commands.context.show import current_context
    from dockyard.client import contexts

    name = args[0]
    contexts.validate_name(name)
    if contexts.exists(cli.config_dir, name):
        raise errdefs.AlreadyExists(f'context "{name}" already exists')
    docker = parse_docker_option(opts.strings("docker"))
    source = opts.string("from")
    description = opts.string("description")
    if docker is not None and source:
        raise errdefs.InvalidArgument("cannot use --docker flag when --from is set")
    if docker is None:
        # No endpoint given: copy one (the current context's by default), as docker does.
        ctx = load(cli, source or current_context(cli))
        host, skip, tls = ctx.host, ctx.skip_tls_verify, contexts.tls_data(ctx)
        description = description or ctx.description
    else:
        host, skip, tls = endpoint(cli, docker)
    contexts.create(
        cli.config_dir, name, host=host, description=description, skip_tls_verify=skip, tls=tls
    )
    cli.out.write(name + "\n")
    cli.err.write(f'Successfully created context "{name}"\n')
    return 0


COMMAND = Command(
    name="create",
    usage="[OPTIONS] CONTEXT",
    short="Create a context",
    long=long_help("create"),
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        *ENDPOINT_FLAGS,
        Flag(name="from", type="string", help="create context from a named context"),
    ),
)
