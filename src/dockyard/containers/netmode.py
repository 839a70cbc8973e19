"""The `container:<name|id>` network mode: the container it names, and the one conflict
that lives in NetworkingConfig (the others are checked with the HostConfig, verify.py's
decode_checks, with moby's ErrConflict* messages)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dockyard import errdefs

PREFIX = "container:"


def joined(mode: str) -> str:
    """The container named by a `container:<ref>` mode ("" for any other mode)."""
    return mode[len(PREFIX) :] if mode.startswith(PREFIX) else ""


def validate(hc: Mapping[str, Any], networking: Mapping[str, Any]) -> None:
    """API >= 1.44 clients send --mac-address in the mode's EndpointsConfig entry, which
    Docker refuses as it refuses Config.MacAddress (runconfig ErrConflictContainerNetworkAndMac)."""
    if not joined(str(hc.get("NetworkMode") or "")):
        return
    endpoints = networking.get("EndpointsConfig") or {}
    if any((e or {}).get("MacAddress") for e in endpoints.values()):
        raise errdefs.InvalidArgument("conflicting options: mac-address and the network mode")
