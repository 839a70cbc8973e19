"""EventSink: where containers (and images) report Docker events; the daemon's bus implements it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class EventSink(Protocol):
    """Publish one Docker event (`docker events`): Type, Action, Actor.ID, Actor.Attributes."""

    def publish(
        self, type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None
    ) -> None: ...
