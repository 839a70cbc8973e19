"""The CLI's config file: docker's ~/.docker/config.json, shared with docker.

Read lazily (a command that needs no formats or credentials never opens it) and written
atomically with mode 0600, keeping every key we do not know (docker's own, plugins', other
tools'), so `dockyard login` and `docker login` can share one file.
"""

from __future__ import annotations

import os

from dockyard.utils import jsonfast

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FILENAME = "config.json"


class ConfigFile:
    """config.json as a dict (`data`) with typed views of the keys docker defines."""

    def __init__(self, path: str, data: dict[str, Any] | None = None) -> None:
        self.path = path
        self.data: dict[str, Any] = data if data is not None else {}
        self.load_error = ""  # docker warns "WARNING: Error loading config file: ..." and goes on

    @classmethod
    def load(cls, config_dir: str) -> ConfigFile:
        """The config in `config_dir` (an empty one when the file does not exist)."""
        path = os.path.join(config_dir, FILENAME)
        config = cls(path)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            return config
        except OSError as err:
            config.load_error = f"{path}: {err.strerror}"
            return config
        if not raw.strip():
            return config
        try:
            data = jsonfast.loads(raw)
        except ValueError as err:
            config.load_error = f"{path}: {err}"
            return config
        if not isinstance(data, dict):
            config.load_error = f"{path}: json: cannot unmarshal into the config file"
            return config
        config.data = data
        return config

    @property
    def dir(self) -> str:
        return os.path.dirname(self.path)

    def save(self) -> None:
        """Write the file atomically (temp file, fsync, rename) with mode 0600; a symlinked
        config.json is followed and its target replaced, as docker does."""
        target = os.path.realpath(self.path)
        directory = os.path.dirname(target)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        tmp = os.path.join(directory, f".{os.path.basename(target)}.{os.getpid()}.tmp")
        text = _tabs(jsonfast.dumps(self.data, indent=1))
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    # -- docker's keys (cli/config/configfile/file.go) -----------------------------------

    def get(self, key: str, default: str = "") -> str:
        """A string-valued key, `default` when absent or not a string."""
        value = self.data.get(key)
        return value if isinstance(value, str) else default

    def _set(self, key: str, value: str) -> None:
        if value:
            self.data[key] = value
        else:
            self.data.pop(key, None)

    @property
    def ps_format(self) -> str:
        return self.get("psFormat")

    @property
    def images_format(self) -> str:
        return self.get("imagesFormat")

    @property
    def networks_format(self) -> str:
        return self.get("networksFormat")

    @property
    def volumes_format(self) -> str:
        return self.get("volumesFormat")

    @property
    def stats_format(self) -> str:
        return self.get("statsFormat")

    @property
    def plugins_format(self) -> str:
        return self.get("pluginsFormat")

    @property
    def services_format(self) -> str:
        return self.get("servicesFormat")

    @property
    def service_inspect_format(self) -> str:
        return self.get("serviceInspectFormat")

    @property
    def nodes_format(self) -> str:
        return self.get("nodesFormat")

    @property
    def tasks_format(self) -> str:
        return self.get("tasksFormat")

    @property
    def secret_format(self) -> str:
        return self.get("secretFormat")

    @property
    def config_format(self) -> str:
        return self.get("configFormat")

    @property
    def detach_keys(self) -> str:
        return self.get("detachKeys")

    @property
    def current_context(self) -> str:
        return self.get("currentContext")

    @current_context.setter
    def current_context(self, name: str) -> None:
        # docker stores "" for the default context (`docker context use default`)
        self._set("currentContext", "" if name == "default" else name)

    @property
    def creds_store(self) -> str:
        return self.get("credsStore")

    @creds_store.setter
    def creds_store(self, name: str) -> None:
        self._set("credsStore", name)

    @property
    def cred_helpers(self) -> dict[str, str]:
        value = self.data.get("credHelpers")
        if not isinstance(value, dict):
            return {}
        return {k: v for k, v in value.items() if isinstance(v, str)}

    @property
    def auths(self) -> dict[str, dict[str, Any]]:
        """The "auths" object, created on first use so callers can edit it in place."""
        value = self.data.get("auths")
        if not isinstance(value, dict):
            value = {}
            self.data["auths"] = value
        return value

    @property
    def http_headers(self) -> dict[str, str]:
        """ "HttpHeaders": extra headers docker adds to every request."""
        value = self.data.get("HttpHeaders")
        if not isinstance(value, dict):
            return {}
        return {k: v for k, v in value.items() if isinstance(v, str)}


def _tabs(text: str) -> str:
    """Docker indents config.json with tabs (json.MarshalIndent(..., "", "\\t"))."""
    out = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        out.append("\t" * (len(line) - len(stripped)) + stripped)
    return "\n".join(out)
