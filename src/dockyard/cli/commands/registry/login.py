"""`dockyard login`: check credentials with the registry (through the daemon's POST /auth)
and keep them in config.json or the configured credential helper."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def _check_flags(opts: Options) -> None:
    """docker's verifyLoginFlags."""
    from dockyard import errdefs

    if opts.changed("password-stdin"):
        if opts.changed("password"):
            raise errdefs.InvalidArgument(
                "conflicting options: cannot specify both --password and --password-stdin"
            )
        if not opts.changed("username"):
            raise errdefs.InvalidArgument(
                "the --password-stdin option requires --username to be set"
            )
    if opts.changed("username") and not opts.string("username"):
        raise errdefs.InvalidArgument("username is empty")
    if opts.changed("password") and not opts.string("password"):
        raise errdefs.InvalidArgument("password is empty")


def _password(cli: Cli, opts: Options) -> str:
    password = opts.string("password")
    if password:
        cli.err.write("WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n")
    if opts.boolean("password-stdin"):
        text = cli.stdin.read().decode()
        password = text.removesuffix("\n").removesuffix("\r")
    return password


def _prompt(cli: Cli, user: str, password: str, default_user: str, server: str) -> tuple[str, str]:
    """docker's PromptUserForCredentials on a terminal."""
    from dockyard import errdefs

    user = user.strip()
    if not user:
        hint = f" ({default_user})" if default_user else ""
        cli.out.write(f"Username{hint}: ")
        cli.out.flush()
        user = cli.stdin.readline().decode().strip() or default_user
        if not user:
            raise errdefs.InvalidArgument("Error: Non-null Username Required")
    if not password:
        import getpass

        password = getpass.getpass("Password: ")
        if not password:
            raise errdefs.InvalidArgument("Error: Password Required")
    return user, password


def _authenticate(cli: Cli, config: dict[str, Any]) -> dict[str, Any]:
    from dockyard.client import system

    body = {k: v for k, v in config.items() if v}
    return system.auth(cli.client, body)


def _store(cli: Cli, server: str, user: str, password: str, answer: dict[str, Any]) -> str:
    from dockyard import errdefs
    from dockyard.client import auth

    token = str(answer.get("IdentityToken") or "")
    try:
        if token:
            auth.store_credentials(cli.config, server, user, "", identitytoken=token)
        else:
            auth.store_credentials(cli.config, server, user, password)
    except (OSError, errdefs.DockyardError) as err:
        raise errdefs.Unknown(f"Error saving credentials: {err}") from err
    return str(answer.get("Status") or "")


def _with_stored(cli: Cli, server: str, stored: dict[str, Any]) -> str | None:
    """docker's loginWithStoredCredentials; None when they no longer work."""
    from dockyard import errdefs
    from dockyard.cli.app import PROG
    from dockyard.cli.main import error_text

    user = stored.get("username", "")
    cli.err.write(
        "Authenticating with existing credentials..."
        + (f" [Username: {user}]" if user else "")
        + "\n"
    )
    # tui.PrintNote, plain (stderr is rarely a terminal where this matters)
    cli.err.write(
        f"\n Info -> To login with a different account, run '{PROG} logout' followed by "
        f"'{PROG} login'\n\n\n"
    )
    config = {"username": user, "password": stored.get("password", ""), "serveraddress": server}
    try:
        answer = _authenticate(cli, config)
    except errdefs.DockyardError as err:
        if "unauthorized" in str(err).lower() or getattr(err, "status", 0) == 401:
            cli.err.write("Stored credentials invalid or expired\n")
        else:
            cli.err.write(f"Login did not succeed, error: {error_text(err)}\n")
        return None
    return _store(cli, server, user, str(config["password"]), answer)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    import os

    from dockyard import errdefs
    from dockyard.client import auth

    _check_flags(opts)
    user = opts.string("username")
    password = _password(cli, opts)
    given = args[0] if args else ""
    server = auth.login_server(given)
    stored: dict[str, Any] = {}
    if not user and not password:
        stored = auth.get_credentials(cli.config, server)
        if stored.get("username") and stored.get("password"):
            message = _with_stored(cli, server, stored)
            if message is not None:
                if message:
                    cli.out.write(message + "\n")
                return 0
    if (not user or not password) and not os.isatty(cli.stdin.fileno()):
        raise errdefs.InvalidArgument(
            "Error: Cannot perform an interactive login from a non TTY device"
        )
    user, password = _prompt(cli, user, password, str(stored.get("username", "")), server)
    answer = _authenticate(cli, {"username": user, "password": password, "serveraddress": server})
    message = _store(cli, server, user, password, answer)
    if message:
        cli.out.write(message + "\n")
    return 0


COMMAND = Command(
    name="login",
    usage="[OPTIONS] [SERVER]",
    short="Authenticate to a registry",
    long="Authenticate to a registry.\nDefaults to Docker Hub if no server is specified.",
    run=run,
    max_args=1,
    flags=flags(
        Flag(name="username", short="u", type="string", help="Username"),
        Flag(
            name="password",
            short="p",
            type="string",
            help="Password or Personal Access Token (PAT)",
        ),
        Flag(
            name="password-stdin",
            help="Take the Password or Personal Access Token (PAT) from stdin",
        ),
    ),
)
