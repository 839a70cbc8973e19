"""The command tree: groups, their verbs, docker's top-level shortcuts, and where each lives.

Only names and one-line descriptions are here, so `dockyard --help` and the dispatcher read
this table without importing a single command. Each verb is the module
`dockyard.cli.commands.<group>.<module>` exporting `COMMAND` (module names differ from verbs
only where the verb is a Python keyword: `import` -> `import_`).
"""

from __future__ import annotations

# group -> (one-line description, {verb: module})
GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "builder": ("Manage builds", {"build": "image.build", "prune": "builder.prune"}),
    "container": (
        "Manage containers",
        {
            verb: f"container.{verb}"
            for verb in (
                "attach",
                "commit",
                "cp",
                "create",
                "diff",
                "exec",
                "export",
                "inspect",
                "kill",
                "logs",
                "ls",
                "pause",
                "port",
                "prune",
                "rename",
                "restart",
                "rm",
                "run",
                "start",
                "stats",
                "stop",
                "top",
                "unpause",
                "update",
                "wait",
            )
        },
    ),
    "context": (
        "Manage contexts",
        {
            "create": "context.create",
            "export": "context.export",
            "import": "context.import_",
            "inspect": "context.inspect",
            "ls": "context.ls",
            "rm": "context.rm",
            "show": "context.show",
            "update": "context.update",
            "use": "context.use",
        },
    ),
    "image": (
        "Manage images",
        {
            "build": "image.build",
            "history": "image.history",
            "import": "image.import_",
            "inspect": "image.inspect",
            "load": "image.load",
            "ls": "image.ls",
            "prune": "image.prune",
            "pull": "image.pull",
            "push": "image.push",
            "rm": "image.rm",
            "save": "image.save",
            "tag": "image.tag",
        },
    ),
    "manifest": (
        "Manage Docker image manifests and manifest lists",
        {v: f"manifest.{v}" for v in ("annotate", "create", "inspect", "push", "rm")},
    ),
    "network": (
        "Manage networks",
        {
            v: f"network.{v}"
            for v in ("connect", "create", "disconnect", "inspect", "ls", "prune", "rm")
        },
    ),
    "system": (
        "Manage Docker",
        {
            "df": "system.df",
            "events": "system.events",
            "info": "system.info",
            "prune": "system.prune",
        },
    ),
    "volume": (
        "Manage volumes",
        {v: f"volume.{v}" for v in ("create", "inspect", "ls", "prune", "rm")},
    ),
}

# Top-level commands: docker's shortcuts into the groups, and the few that live only here.
# Order and grouping follow `docker --help` ("Common Commands" first).
COMMON: dict[str, str] = {
    "run": "container.run",
    "exec": "container.exec",
    "ps": "container.ls",
    "build": "image.build",
    "pull": "image.pull",
    "push": "image.push",
    "images": "image.ls",
    "login": "registry.login",
    "logout": "registry.logout",
    "search": "registry.search",
    "version": "system.version",
    "info": "system.info",
}
SHORTCUTS: dict[str, str] = {
    "attach": "container.attach",
    "commit": "container.commit",
    "cp": "container.cp",
    "create": "container.create",
    "diff": "container.diff",
    "events": "system.events",
    "export": "container.export",
    "history": "image.history",
    "import": "image.import_",
    "inspect": "system.inspect",
    "kill": "container.kill",
    "load": "image.load",
    "logs": "container.logs",
    "pause": "container.pause",
    "port": "container.port",
    "rename": "container.rename",
    "restart": "container.restart",
    "rm": "container.rm",
    "rmi": "image.rm",
    "save": "image.save",
    "start": "container.start",
    "stats": "container.stats",
    "stop": "container.stop",
    "tag": "image.tag",
    "top": "container.top",
    "unpause": "container.unpause",
    "update": "container.update",
    "wait": "container.wait",
}

# Aliases inside groups, as docker's cobra commands declare them (`container ls` = `ps`,
# `list`; `rm` = `remove`...). The verb module's COMMAND.aliases says the same for help.
GROUP_ALIASES: dict[str, str] = {"list": "ls", "ps": "ls", "remove": "rm", "rmi": "rm"}

MODULE_PREFIX = "dockyard.cli.commands."


def locate(words: list[str]) -> tuple[str, str, int] | None:
    """(command path, module, words consumed) for the leading words of a command line, or
    None when the first word is no command. A group alone (`dockyard image`) is the group's
    help: module "" and path "dockyard image"."""
    if not words:
        return None
    first = words[0]
    if first in COMMON:
        return first, MODULE_PREFIX + COMMON[first], 1
    if first in SHORTCUTS:
        return first, MODULE_PREFIX + SHORTCUTS[first], 1
    if first in GROUPS:
        verbs = GROUPS[first][1]
        if len(words) > 1 and not words[1].startswith("-"):
            verb = words[1]
            if verb not in verbs and verb in GROUP_ALIASES and GROUP_ALIASES[verb] in verbs:
                verb = GROUP_ALIASES[verb]
            if verb in verbs:
                return f"{first} {words[1]}", MODULE_PREFIX + verbs[verb], 2
        return first, "", 1
    return None
