"""`--help` text in docker 28's layout (docker/cli's cobra usage template, pflag's flag table).

    Usage:  dockyard ps [OPTIONS]

    List containers

    Aliases:
      dockyard container ls, dockyard container list, dockyard container ps, dockyard ps

    Options:
      -a, --all             Show all containers (default shows just running)

The top help and a group's help list commands by their one-line description from `SHORT`
(docker's words), so they import no command module; tests/unit/cli/test_help.py checks the
table against every verb module's COMMAND.short.
"""

from __future__ import annotations

import os

from dockyard.cli import tree
from dockyard.cli.app import PROG
from dockyard.cli.flags import go_quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.command import Command, Flag

ROOT_SHORT = "A self-sufficient runtime for containers"
ROOT_USE = f"{PROG} [OPTIONS] COMMAND [ARG...]"
ADDITIONAL_HELP = "For more help on how to use Docker, head to https://docs.docker.com/go/guides/"

# module (under cli/commands) -> docker's one-line description of the command.
SHORT: dict[str, str] = {
    "builder.prune": "Remove build cache",
    "container.attach": (
        "Attach local standard input, output, and error streams to a running container"
    ),
    "container.commit": "Create a new image from a container's changes",
    "container.cp": "Copy files/folders between a container and the local filesystem",
    "container.create": "Create a new container",
    "container.diff": "Inspect changes to files or directories on a container's filesystem",
    "container.exec": "Execute a command in a running container",
    "container.export": "Export a container's filesystem as a tar archive",
    "container.inspect": "Display detailed information on one or more containers",
    "container.kill": "Kill one or more running containers",
    "container.logs": "Fetch the logs of a container",
    "container.ls": "List containers",
    "container.pause": "Pause all processes within one or more containers",
    "container.port": "List port mappings or a specific mapping for the container",
    "container.prune": "Remove all stopped containers",
    "container.rename": "Rename a container",
    "container.restart": "Restart one or more containers",
    "container.rm": "Remove one or more containers",
    "container.run": "Create and run a new container from an image",
    "container.start": "Start one or more stopped containers",
    "container.stats": "Display a live stream of container(s) resource usage statistics",
    "container.stop": "Stop one or more running containers",
    "container.top": "Display the running processes of a container",
    "container.unpause": "Unpause all processes within one or more containers",
    "container.update": "Update configuration of one or more containers",
    "container.wait": "Block until one or more containers stop, then print their exit codes",
    "context.create": "Create a context",
    "context.export": "Export a context to a tar archive FILE or a tar stream on STDOUT.",
    "context.import_": "Import a context from a tar or zip file",
    "context.inspect": "Display detailed information on one or more contexts",
    "context.ls": "List contexts",
    "context.rm": "Remove one or more contexts",
    "context.show": "Print the name of the current context",
    "context.update": "Update a context",
    "context.use": "Set the current docker context",
    "image.build": "Build an image from a Dockerfile",
    "image.history": "Show the history of an image",
    "image.import_": "Import the contents from a tarball to create a filesystem image",
    "image.inspect": "Display detailed information on one or more images",
    "image.load": "Load an image from a tar archive or STDIN",
    "image.ls": "List images",
    "image.prune": "Remove unused images",
    "image.pull": "Download an image from a registry",
    "image.push": "Upload an image to a registry",
    "image.rm": "Remove one or more images",
    "image.save": "Save one or more images to a tar archive (streamed to STDOUT by default)",
    "image.tag": "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
    "manifest.annotate": "Add additional information to a local image manifest",
    "manifest.create": "Create a local manifest list for annotating and pushing to a registry",
    "manifest.inspect": "Display an image manifest, or manifest list",
    "manifest.push": "Push a manifest list to a repository",
    "manifest.rm": "Delete one or more manifest lists from local storage",
    "network.connect": "Connect a container to a network",
    "network.create": "Create a network",
    "network.disconnect": "Disconnect a container from a network",
    "network.inspect": "Display detailed information on one or more networks",
    "network.ls": "List networks",
    "network.prune": "Remove all unused networks",
    "network.rm": "Remove one or more networks",
    "registry.login": "Authenticate to a registry",
    "registry.logout": "Log out from a registry",
    "registry.search": "Search Docker Hub for images",
    "system.df": "Show docker disk usage",
    "system.events": "Get real time events from the server",
    "system.info": "Display system-wide information",
    "system.inspect": "Return low-level information on Docker objects",
    "system.prune": "Remove unused data",
    "system.version": "Show the Docker version information",
    "volume.create": "Create a volume",
    "volume.inspect": "Display detailed information on one or more volumes",
    "volume.ls": "List volumes",
    "volume.prune": "Remove unused local volumes",
    "volume.rm": "Remove one or more volumes",
}

_MIN_NAME_PADDING = 11  # cobra's minNamePadding


def terminal_width() -> int:
    """Docker wraps flag help to the width of the terminal on stdin, else 80 columns."""
    try:
        return os.get_terminal_size(0).columns
    except OSError:
        return 80


def use_line(path: str, command: Command) -> str:
    """cobra's UseLine: the command path and the usage after it."""
    return f"{path} {command.usage}" if command.usage else path


def command_help(path: str, module: str, command: Command, *, width: int | None = None) -> str:
    """`dockyard <path> --help` for one verb; `path` as typed ("dockyard ps")."""
    parts = [f"Usage:  {use_line(path, command)}", "", (command.long or command.short).strip()]
    aliases = command_aliases(path, module, command)
    if aliases:
        parts += ["", "Aliases:", f"  {aliases}"]
    if command.examples:
        parts += ["", "Examples:", command.examples]
    usages = flag_usages(command.flags, cols=(width or terminal_width()) - 1).rstrip()
    if usages:
        parts += ["", "Options:", usages]
    return "\n".join(parts) + "\n"


def command_aliases(path: str, module: str, command: Command) -> str:
    """docker's "Aliases:" line: the group form, its aliases, then every top-level shortcut
    and other group that runs the same command ("docker image build, docker build, docker
    builder build"). Empty when the command has only the one name."""
    short_module = module.removeprefix(tree.MODULE_PREFIX)
    places = [(g, v) for g, (_, verbs) in tree.GROUPS.items() for v, m in verbs.items()]
    homes = [(g, v) for g, v in places if tree.GROUPS[g][1][v] == short_module]
    own = short_module.split(".", 1)[0]
    homes.sort(key=lambda gv: gv[0] != own)
    shortcuts = [name for name, m in (tree.COMMON | tree.SHORTCUTS).items() if m == short_module]
    names: list[str] = []
    if homes:
        group, verb = homes[0]
        names.append(f"{PROG} {group} {verb}")
        names += [f"{PROG} {group} {alias}" for alias in command.aliases]
    names += [f"{PROG} {name}" for name in shortcuts]
    names += [f"{PROG} {g} {v}" for g, v in homes[1:]]
    if len(names) < 2:
        return ""
    return ", ".join(names)


def group_help(group: str) -> str:
    """`dockyard container` / `dockyard container --help`."""
    description, verbs = tree.GROUPS[group]
    lines = [f"Usage:  {PROG} {group} COMMAND", "", description, "", "Commands:"]
    pad = max([_MIN_NAME_PADDING, *(len(v) for v in verbs)])
    for verb in sorted(verbs):
        lines.append(f"  {verb.ljust(pad)} {SHORT.get(verbs[verb], '')}")
    lines += ["", f"Run '{PROG} {group} COMMAND --help' for more information on a command."]
    return "\n".join(lines) + "\n"


def top_help(global_flags: tuple[Flag, ...], *, width: int | None = None) -> str:
    """`dockyard --help`: common commands, management commands, the other commands, the
    global options."""
    lines = [f"Usage:  {PROG} [OPTIONS] COMMAND", "", ROOT_SHORT, "", "Common Commands:"]
    top = {**tree.COMMON, **tree.SHORTCUTS}
    pad = max([_MIN_NAME_PADDING, *(len(n) for n in [*top, *tree.GROUPS])])
    for name, module in tree.COMMON.items():
        lines.append(f"  {(name + ' ').ljust(pad + 1)}{SHORT.get(module, '')}")
    lines += ["", "Management Commands:"]
    for group in sorted(tree.GROUPS):
        lines.append(f"  {(group + ' ').ljust(pad + 1)}{tree.GROUPS[group][0]}")
    lines += ["", "Commands:"]
    for name in sorted(tree.SHORTCUTS):
        lines.append(f"  {name.ljust(pad)} {SHORT.get(tree.SHORTCUTS[name], '')}")
    lines += ["", "Global Options:"]
    lines.append(flag_usages(global_flags, cols=(width or terminal_width()) - 1).rstrip())
    lines += [
        "",
        f"Run '{PROG} COMMAND --help' for more information on a command.",
        "",
        ADDITIONAL_HELP,
    ]
    return "\n".join(lines) + "\n"


# pflag's UnquoteUsage: the type word shown after a flag's name.
_TYPE_WORDS = {"bool": "", "float64": "float", "int64": "int", "uint64": "uint"}
_TYPE_WORDS["stringSlice"] = "strings"


def flag_usages(flags: tuple[Flag, ...], *, cols: int = 79) -> str:
    """pflag's FlagUsagesWrapped: one line per visible flag, sorted by name, the help text
    aligned after the longest "-s, --name type" and wrapped to `cols`."""
    lines: list[tuple[str, str]] = []
    for flag in sorted(flags, key=lambda f: f.name):
        if flag.hidden or flag.deprecated:
            continue
        head = f"  -{flag.short}, --{flag.name}" if flag.short else f"      --{flag.name}"
        varname, usage = _unquote_usage(flag)
        if varname:
            head += " " + varname
        default = _default_text(flag)
        if default:
            usage += f" (default {default})"
        lines.append((head, usage))
    if not lines:
        return ""
    maxlen = max(len(head) for head, _ in lines) + 1
    out = []
    for head, usage in lines:
        spacing = " " * (maxlen - len(head))
        out.append(f"{head} {spacing} {_wrap(maxlen + 2, cols, usage)}\n")
    return "".join(out)


def _unquote_usage(flag: Flag) -> tuple[str, str]:
    usage = flag.help
    start = usage.find("`")
    if start >= 0:
        end = usage.find("`", start + 1)
        if end >= 0:
            name = usage[start + 1 : end]
            return name, usage[:start] + name + usage[end + 1 :]
    return _TYPE_WORDS.get(flag.type, flag.type), usage


def _default_text(flag: Flag) -> str:
    """What pflag prints in "(default ...)": `help_default` as given (quoted for string
    flags as Go's %q does, unless already quoted), else the non-zero default."""
    text = flag.help_default
    if not text:
        value = flag.default
        if value is None or value is False or value == "" or value == 0 or value == []:
            return ""
        if isinstance(value, bool):
            text = "true"
        elif isinstance(value, list | tuple):
            text = "[" + ",".join(str(v) for v in value) + "]"
        else:
            text = str(value)
    if flag.type == "string" and not (text.startswith('"') and text.endswith('"')):
        return go_quote(text)
    return text


def _wrap(indent: int, width: int, text: str) -> str:
    """pflag's wrap(): the first line is placed by the caller; the rest are indented."""
    if width == 0:
        return text.replace("\n", "\n" + " " * indent)
    room = width - indent
    result = ""
    if room < 24:
        indent = 16
        room = width - indent
        result = "\n" + " " * indent
    if room < 24:
        return text.replace("\n", result)
    slop = 5
    room -= slop
    line, text = _wrap_n(room, slop, text)
    pad = "\n" + " " * indent
    result += line.replace("\n", pad)
    while text:
        line, text = _wrap_n(room, slop, text)
        result += pad + line.replace("\n", pad)
    return result


def _wrap_n(i: int, slop: int, text: str) -> tuple[str, str]:
    if i + slop > len(text):
        return text, ""
    head = text[:i]
    w = max(head.rfind(" "), head.rfind("\t"), head.rfind("\n"))
    if w <= 0:
        return text, ""
    nl = head.rfind("\n")
    if 0 < nl < w:
        return text[:nl], text[nl + 1 :]
    return text[:w], text[w + 1 :]
