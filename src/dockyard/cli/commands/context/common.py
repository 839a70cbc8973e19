"""What the context verbs share: the implicit "default" context, finding a context by name,
and docker's `--docker "host=...,ca=...,cert=...,key=...,skip-tls-verify=..."` endpoint."""

from __future__ import annotations

from dockyard import errdefs
from dockyard.cli.command import Flag

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.client.contexts import Context

DOCKER_KEYS = ("from", "host", "ca", "cert", "key", "skip-tls-verify")
ENDPOINT_HELP = (
    "Docker endpoint config:\n\n"
    "NAME                DESCRIPTION\n"
    "from                Copy named context's Docker endpoint configuration\n"
    "host                Docker endpoint on which to connect\n"
    "ca                  Trust certs signed only by this CA\n"
    "cert                Path to TLS certificate file\n"
    "key                 Path to TLS key file\n"
    "skip-tls-verify     Skip TLS certificate validation\n"
)
# the flags `context create` and `context update` share
ENDPOINT_FLAGS = (
    Flag(name="description", type="string", help="Description of the context"),
    Flag(
        name="docker",
        type="stringToString",
        help="set the docker endpoint",
        help_default="[]",
    ),
)


def long_help(verb: str) -> str:
    """The long help of `context create` / `context update`: the endpoint keys, an example."""
    example = (
        f'$ dockyard context {verb} my-context --description "some description" --docker '
        '"host=tcp://myserver:2376,ca=~/ca-file,cert=~/cert-file,key=~/key-file"'
    )
    return f"{verb.capitalize()} a context\n\n{ENDPOINT_HELP}\nExample:\n\n{example}\n"


def default_context(cli: Cli) -> Context:
    """The "default" context: what -H / DOCKYARD_HOST / the TLS flags name (never stored)."""
    from dockyard.client import contexts, hosts

    o = cli.options
    tls = hosts.default_tls(
        config_dir=cli.config_dir,
        tls=o.tls,
        tlsverify=o.tlsverify,
        tlscacert=o.tlscacert,
        tlscert=o.tlscert,
        tlskey=o.tlskey,
    )
    host = hosts.default_host(o.hosts, tls=tls is not None)
    return contexts.Context(
        name=contexts.DEFAULT,
        description=contexts.DEFAULT_DESCRIPTION,
        host=host,
        skip_tls_verify=bool(tls is not None and not tls.verify),
        ca=tls.ca if tls else "",
        cert=tls.cert if tls else "",
        key=tls.key if tls else "",
    )


def load(cli: Cli, name: str) -> Context:
    """A context by name, the default one included."""
    from dockyard.client import contexts

    if name == contexts.DEFAULT:
        return default_context(cli)
    return contexts.get(cli.config_dir, name)


def parse_docker_option(values: list[str]) -> dict[str, str] | None:
    """pflag's stringToString: each `--docker` value is a CSV record of key=value pairs,
    merged over the earlier ones; None when the flag was not given."""
    if not values:
        return None
    import csv

    out: dict[str, str] = {}
    for value in values:
        for field in next(csv.reader([value])) if value else []:
            key, sep, val = field.partition("=")
            if not sep:
                raise errdefs.InvalidArgument(f"{field} must be formatted as key=value")
            out[key] = val
    return out


def endpoint(cli: Cli, config: dict[str, str]) -> tuple[str, bool, dict[str, bytes]]:
    """docker's getDockerEndpoint: (host, skip TLS verify, TLS files by name) from a
    `--docker` map; "from" copies another context's endpoint."""
    from dockyard.client import contexts, hosts

    unknown = [k for k in config if k not in DOCKER_KEYS]
    if unknown:
        raise errdefs.InvalidArgument(
            "unable to create docker endpoint config: "
            + "\n".join(f"unrecognized config key: {k}" for k in unknown)
        )
    if "from" in config:
        source = load(cli, config["from"])
        return source.host, source.skip_tls_verify, contexts.tls_data(source)
    tls: dict[str, bytes] = {}
    for key, fname in (("ca", "ca.pem"), ("cert", "cert.pem"), ("key", "key.pem")):
        if config.get(key):
            path = _expand(config[key])
            try:
                with open(path, "rb") as f:
                    tls[fname] = f.read()
            except OSError as err:
                raise errdefs.InvalidArgument(
                    f"unable to create docker endpoint config: open {path}: {err.strerror}"
                ) from err
    if bool(tls.get("cert.pem")) != bool(tls.get("key.pem")):
        raise errdefs.InvalidArgument(
            "unable to create docker endpoint config: certificate and key must be provided together"
        )
    skip = False
    if "skip-tls-verify" in config:
        from dockyard.cli.flags import convert

        try:
            skip = bool(convert("bool", config["skip-tls-verify"]))
        except ValueError as err:
            text = str(err).removeprefix("strconv.ParseBool: ")
            raise errdefs.InvalidArgument(
                f"unable to create docker endpoint config: skip-tls-verify: {text}"
            ) from None
    host = config.get("host", "")
    if host:
        try:
            hosts.parse_host(host)
        except errdefs.DockyardError as err:
            raise errdefs.InvalidArgument(
                f"unable to create docker endpoint config: invalid docker endpoint options: {err}"
            ) from err
    return host, skip, tls


def _expand(path: str) -> str:
    import os

    return os.path.expanduser(path)
