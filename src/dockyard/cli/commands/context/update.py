"""`dockyard context update`: change a context's description or docker endpoint."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags
from dockyard.cli.commands.context.common import ENDPOINT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options

EXAMPLE = (
    '$ dockyard context update my-context --description "some description" --docker '
    '"host=tcp://myserver:2376,ca=~/ca-file,cert=~/cert-file,key=~/key-file"'
)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.commands.context.common import endpoint, parse_docker_option
    from dockyard.client import contexts

    name = args[0]
    contexts.validate_name(name)
    contexts.get(cli.config_dir, name)  # NotFound with docker's words
    docker = parse_docker_option(opts.strings("docker"))
    description = opts.string("description") if opts.changed("description") else None
    if docker is None:
        contexts.update(cli.config_dir, name, description=description)
    else:
        host, skip, tls = endpoint(cli, docker)
        contexts.update(
            cli.config_dir,
            name,
            host=host,
            description=description,
            skip_tls_verify=skip,
            tls=tls,
        )
    cli.out.write(name + "\n")
    cli.err.write(f'Successfully updated context "{name}"\n')
    return 0


COMMAND = Command(
    name="update",
    usage="[OPTIONS] CONTEXT",
    short="Update a context",
    long=f"Update a context\n\n{ENDPOINT_HELP}\nExample:\n\n{EXAMPLE}\n",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(name="description", type="string", help="Description of the context"),
        Flag(
            name="docker",
            type="stringToString",
            help="set the docker endpoint",
            help_default="[]",
        ),
    ),
)
