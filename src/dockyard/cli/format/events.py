"""`docker events` lines (docker/cli cli/command/system/events.go).

Without --format: `2025-01-01T00:00:00.000000000Z container create <id> (image=busybox,
name=x)`, the time in local time with nanoseconds, attributes sorted by key. With a format
(`json` is `{{json .}}`), the template runs on each event message, one line each.
"""

from __future__ import annotations

import time

from dockyard.cli.command import StatusError
from dockyard.cli.format.template import Template, TemplateError, parse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class Message:
    """docker's events.Message as a template sees it: Go's field names (`.Status`, `.ID`,
    `.Actor.Attributes.name`), while `{{json .}}` writes the wire names (status, id...)."""

    GO_TYPE = "*events.Message"
    GO_JSON_ESCAPES = False  # a plain struct: docker's json function does not escape <>&
    __slots__ = (
        "Action",
        "Actor",
        "From",
        "ID",
        "Scope",
        "Status",
        "Time",
        "TimeNano",
        "Type",
        "raw",
    )

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.Status = str(raw.get("status") or "")
        self.ID = str(raw.get("id") or "")
        self.From = str(raw.get("from") or "")
        self.Type = str(raw.get("Type") or "")
        self.Action = str(raw.get("Action") or "")
        actor = raw.get("Actor") or {}
        self.Actor = {
            "ID": str(actor.get("ID") or ""),
            "Attributes": dict(actor.get("Attributes") or {}),
        }
        self.Scope = str(raw.get("scope") or "")
        self.Time = int(raw.get("time") or 0)
        self.TimeNano = int(raw.get("timeNano") or 0)

    def go_json(self) -> dict[str, object]:
        """encoding/json of the struct: omitempty fields left out, Actor always there."""
        out: dict[str, object] = {}
        for key, value in (("status", self.Status), ("id", self.ID), ("from", self.From)):
            if value:
                out[key] = value
        out["Type"] = self.Type
        out["Action"] = self.Action
        out["Actor"] = self.Actor
        if self.Scope:
            out["scope"] = self.Scope
        if self.Time:
            out["time"] = self.Time
        if self.TimeNano:
            out["timeNano"] = self.TimeNano
        return out


def compile_format(fmt: str) -> Template | None:
    """docker's makeTemplate: None for the default line; a bad format raises StatusError 64
    ("Error parsing format: ...")."""
    if fmt == "":
        return None
    text = "{{json .}}" if fmt == "json" else fmt
    try:
        tmpl = parse(text)
        tmpl.execute(Message({}))
    except TemplateError as err:
        raise StatusError(f"Error parsing format: {err}", 64) from None
    return tmpl


def rfc3339_nano_fixed(nanos: int) -> str:
    """Go's "2006-01-02T15:04:05.000000000Z07:00" in local time."""
    seconds, frac = divmod(nanos, 1_000_000_000)
    tm = time.localtime(seconds)
    offset = tm.tm_gmtoff or 0
    if offset == 0:
        zone = "Z"
    else:
        sign = "+" if offset > 0 else "-"
        zone = f"{sign}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}"
    return time.strftime("%Y-%m-%dT%H:%M:%S", tm) + f".{frac:09d}" + zone


def event_line(event: dict[str, Any]) -> str:
    """docker's prettyPrintEvent, with its newline."""
    parts = []
    if event.get("timeNano"):
        parts.append(rfc3339_nano_fixed(int(event["timeNano"])) + " ")
    elif event.get("time"):
        parts.append(rfc3339_nano_fixed(int(event["time"]) * 1_000_000_000) + " ")
    actor = event.get("Actor") or {}
    parts.append(f"{event.get('Type') or ''} {event.get('Action') or ''} {actor.get('ID') or ''}")
    attrs = actor.get("Attributes") or {}
    if attrs:
        parts.append(" (" + ", ".join(f"{k}={attrs[k]}" for k in sorted(attrs)) + ")")
    return "".join(parts) + "\n"


def format_event(tmpl: Template | None, event: dict[str, Any]) -> str:
    """One event as docker prints it (raises TemplateError when the template fails)."""
    if tmpl is None:
        return event_line(event)
    return tmpl.execute(Message(event)) + "\n"
