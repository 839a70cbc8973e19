"""A tiny Docker volume plugin (stdlib http.server on a unix socket) for tests: it keeps
volumes as directories under its own root and records every call it gets."""

from __future__ import annotations

import json
import os
import shutil
import socketserver
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    plugin: TestPlugin


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def address_string(self) -> str:  # a unix socket has no client address
        return "plugin-client"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}") if length else {}
        plugin = self.server.plugin
        plugin.calls.append((self.path.lstrip("/"), body, self.headers.get("Accept", "")))
        answer = plugin.answer(self.path.lstrip("/"), body or {})
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.docker.plugins.v1.2+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class TestPlugin:
    """`with TestPlugin(socket, root) as p:` serves until the block ends."""

    __test__ = False  # not a pytest class

    def __init__(self, socket_path: Path, root: Path) -> None:
        self.socket_path = socket_path
        self.root = root
        self.calls: list[tuple[str, dict[str, Any], str]] = []
        self.mounted: dict[str, set[str]] = {}
        self._server: _Server | None = None

    def __enter__(self) -> TestPlugin:
        self.root.mkdir(parents=True, exist_ok=True)
        self._server = _Server(str(self.socket_path), _Handler)
        self._server.plugin = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
        os.unlink(self.socket_path)

    def methods(self) -> list[str]:
        return [name for name, _, _ in self.calls]

    def answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        name = str(body.get("Name") or "")
        path = self.root / name
        if method == "Plugin.Activate":
            return {"Implements": ["VolumeDriver"]}
        if method == "VolumeDriver.Capabilities":
            return {"Capabilities": {"Scope": "local"}}
        if method == "VolumeDriver.Create":
            if (body.get("Opts") or {}).get("fail"):
                return {"Err": "refused by the test plugin"}
            path.mkdir(exist_ok=True)
            return {"Err": ""}
        if not path.is_dir() and method != "VolumeDriver.List":
            return {"Err": f"no such volume {name}"}
        if method == "VolumeDriver.Remove":
            shutil.rmtree(path)
            return {"Err": ""}
        if method in ("VolumeDriver.Path", "VolumeDriver.Get"):
            return {"Mountpoint": str(path), "Volume": {"Name": name, "Mountpoint": str(path),
                    "Status": {"plugin": "test"}}, "Err": ""}  # fmt: skip
        if method == "VolumeDriver.Mount":
            self.mounted.setdefault(name, set()).add(str(body.get("ID")))
            return {"Mountpoint": str(path), "Err": ""}
        if method == "VolumeDriver.Unmount":
            self.mounted.get(name, set()).discard(str(body.get("ID")))
            return {"Err": ""}
        if method == "VolumeDriver.List":
            return {"Volumes": [{"Name": p.name} for p in self.root.iterdir()], "Err": ""}
        return {"Err": f"unknown method {method}"}
