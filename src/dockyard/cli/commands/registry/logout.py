"""`dockyard logout`: forget the credentials kept for a registry."""

from __future__ import annotations

from dockyard.cli.command import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.client import auth

    server = args[0] if args else ""
    if not server:
        server = hostname = auth.INDEX_SERVER
        keys = [server]
    else:
        # docker also erases the forms older clients stored the registry under
        hostname = auth.convert_to_hostname(server)
        keys = [server, hostname, f"http://{hostname}", f"https://{hostname}"]
    cli.out.write(f"Removing login credentials for {hostname}\n")
    failures: dict[str, str] = {}
    for key in dict.fromkeys(keys):
        try:
            auth.erase_credentials(cli.config, key)
        except (OSError, errdefs.DockyardError) as err:
            failures[key] = str(err)
    if failures and len(failures) == len(dict.fromkeys(keys)):
        cli.err.write("WARNING: could not erase credentials:\n")
        for key, message in failures.items():
            cli.err.write(f"{key}: {message}\n")
    return 0


COMMAND = Command(
    name="logout",
    usage="[SERVER]",
    short="Log out from a registry",
    long=(
        "Log out from a registry.\nIf no server is specified, the default is defined by the daemon."
    ),
    run=run,
    max_args=1,
)
