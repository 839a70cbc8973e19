"""EventBus: Docker's message shape, filters, since/until replay and live delivery."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from dockyard import errdefs
from dockyard.daemon.events import EVENTS_LIMIT, EventBus, EventFilter

T = TypeVar("T")
S = 1_000_000_000
BASE = 1_700_000_000 * S


class Clock:
    """A settable nanosecond clock, so since/until are exact."""

    def __init__(self) -> None:
        self.now = BASE

    def __call__(self) -> int:
        return self.now


def run(make: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await asyncio.wait_for(make(), 5)

    return asyncio.run(main())


async def drain(sub: Any, limit: int = 100) -> list[dict[str, Any]]:
    return [m async for m in _take(sub, limit)]


async def _take(sub: Any, limit: int) -> Any:
    count = 0
    async for message in sub:
        yield message
        count += 1
        if count >= limit:
            await sub.aclose()
            return


def test_container_event_has_dockers_fields() -> None:
    clock = Clock()
    bus = EventBus(clock=clock)

    async def scenario() -> list[dict[str, Any]]:
        bus.publish("container", "start", "c1", {"image": "busybox", "name": "web"})
        bus.publish("image", "pull", "busybox:latest", {"name": "busybox"})
        bus.publish("network", "create", "n1", {"name": "br", "type": "bridge"})
        return await drain(bus.subscribe(since="0", until=str(BASE // S + 1)))

    container, image, network = run(scenario)
    assert container == {
        "status": "start",
        "id": "c1",
        "from": "busybox",
        "Type": "container",
        "Action": "start",
        "Actor": {"ID": "c1", "Attributes": {"image": "busybox", "name": "web"}},
        "scope": "local",
        "time": BASE // S,
        "timeNano": BASE,
    }
    assert image["status"] == "pull" and image["id"] == "busybox:latest" and "from" not in image
    assert "status" not in network and network["Type"] == "network"


def test_since_and_until_replay_a_window() -> None:
    clock = Clock()
    bus = EventBus(clock=clock)

    async def scenario() -> list[str]:
        for i in range(5):
            clock.now = BASE + i * S
            bus.publish("container", f"a{i}", "c", {})
        clock.now = BASE + 10 * S
        sub = bus.subscribe(since=str(BASE // S + 1), until=f"{BASE // S + 3}.000000000")
        return [m["Action"] for m in await drain(sub)]

    assert run(scenario) == ["a1", "a2", "a3"]


def test_no_replay_without_since_or_until() -> None:
    clock = Clock()
    bus = EventBus(clock=clock)

    async def scenario() -> list[str]:
        bus.publish("container", "old", "c", {})
        sub = bus.subscribe()
        bus.publish("container", "new", "c", {})
        return [m["Action"] for m in await drain(sub, limit=1)]

    assert run(scenario) == ["new"]


def test_live_events_follow_the_replay_and_stop_at_until() -> None:
    clock = Clock()
    bus = EventBus(clock=clock)

    async def scenario() -> tuple[list[str], int]:
        bus.publish("container", "before", "c", {})
        # until a little in the real future: the subscription ends by itself
        sub = bus.subscribe(since=str(BASE // S), until=str(BASE // S + 1))
        clock.now = BASE + S // 2
        bus.publish("container", "during", "c", {})
        got = []

        async def consume() -> None:
            async for m in sub:
                got.append(m["Action"])

        task = asyncio.create_task(consume())
        await asyncio.sleep(0.05)
        clock.now = BASE + 2 * S  # past until: the next wait times out at once
        bus.publish("container", "after-until-filtered-by-time", "c", {})
        await asyncio.wait_for(task, 3)
        return got, bus.listeners

    got, listeners = run(scenario)
    assert got[:2] == ["before", "during"]
    assert listeners == 0


def test_until_in_the_past_ends_after_replay() -> None:
    clock = Clock()
    bus = EventBus(clock=clock)

    async def scenario() -> tuple[list[str], int]:
        bus.publish("container", "x", "c", {})
        clock.now = BASE + 60 * S
        sub = bus.subscribe(since="0", until=str(BASE // S + 1))
        listeners = bus.listeners
        return [m["Action"] async for m in sub], listeners

    actions, listeners = run(scenario)
    assert actions == ["x"] and listeners == 0


def test_durations_and_rfc3339_are_accepted() -> None:
    clock = Clock()
    bus = EventBus(clock=clock)

    async def scenario() -> list[str]:
        clock.now = BASE - 120 * S
        bus.publish("container", "old", "c", {})
        clock.now = BASE - 30 * S
        bus.publish("container", "recent", "c", {})
        clock.now = BASE
        sub = bus.subscribe(since="1m", until="2023-11-14T22:13:20Z")  # BASE in RFC 3339
        return [m["Action"] for m in await drain(sub)]

    assert run(scenario) == ["recent"]


def test_bad_times_are_invalid_arguments() -> None:
    bus = EventBus()

    async def bad(since: str, until: str) -> None:
        bus.subscribe(since=since, until=until)

    with pytest.raises(errdefs.InvalidArgument, match="invalid value for 'since'"):
        run(lambda: bad("yesterday", ""))
    with pytest.raises(errdefs.InvalidArgument, match="cannot be after `until` time"):
        run(lambda: bad("1700000010", "1700000000"))


def test_buffer_keeps_the_last_256() -> None:
    clock = Clock()
    bus = EventBus(clock=clock)

    async def scenario() -> list[dict[str, Any]]:
        for i in range(EVENTS_LIMIT + 10):
            clock.now = BASE + i
            bus.publish("container", str(i), "c", {})
        clock.now = BASE + 10 * S  # `until` is then past: replay only
        return await drain(bus.subscribe(since="0", until=str(BASE // S + 1)), limit=1000)

    messages = run(scenario)
    assert len(messages) == EVENTS_LIMIT
    assert messages[0]["Action"] == "10"


def test_publish_from_a_thread_reaches_subscribers() -> None:
    bus = EventBus()

    async def scenario() -> list[str]:
        sub = bus.subscribe()
        thread = threading.Thread(target=bus.publish, args=("image", "pull", "busybox", {}))
        thread.start()
        thread.join()
        return [m["Action"] for m in await drain(sub, limit=1)]

    assert run(scenario) == ["pull"]


def test_close_ends_live_subscriptions() -> None:
    bus = EventBus()

    async def scenario() -> list[dict[str, Any]]:
        sub = bus.subscribe()
        bus.close()
        return [m async for m in sub]

    assert run(scenario) == []


def _msg(type_: str, action: str, actor: str, **attrs: str) -> dict[str, Any]:
    return {
        "Type": type_,
        "Action": action,
        "Actor": {"ID": actor, "Attributes": attrs},
        "scope": "local",
    }


WEB = _msg("container", "start", "abc123", name="web", image="busybox:latest", tier="front")
PULL = _msg("image", "pull", "busybox:latest", name="busybox")
EXEC = _msg("container", "exec_start: sh -c true", "abc123", name="web", image="busybox")
VOL = _msg("volume", "create", "data", driver="local")


@pytest.mark.parametrize(
    ("filters", "message", "included"),
    [
        ({}, WEB, True),
        ({"container": ["web"]}, WEB, True),
        ({"container": ["abc"]}, WEB, True),  # id prefix
        ({"container": ["other"]}, WEB, False),
        ({"container": ["web"]}, PULL, False),  # as moby: applies to other types too
        ({"event": ["start"]}, WEB, True),
        ({"event": ["stop"]}, WEB, False),
        ({"event": ["exec_start"]}, EXEC, True),  # moby #25798 prefix match
        ({"type": ["image"]}, WEB, False),
        ({"type": ["image", "container"]}, WEB, True),
        ({"image": ["busybox"]}, WEB, True),  # tag stripped
        ({"image": ["busybox:latest"]}, PULL, True),
        ({"image": ["busybox"]}, PULL, True),
        ({"image": ["alpine"]}, PULL, False),
        ({"label": ["tier=front"]}, WEB, True),
        ({"label": ["tier"]}, WEB, True),
        ({"label": ["tier=back"]}, WEB, False),
        ({"label": ["tier"]}, VOL, False),
        ({"volume": ["data"]}, VOL, True),
        ({"scope": ["swarm"]}, WEB, False),
        ({"daemon": ["x"]}, WEB, False),
    ],
)
def test_filters_follow_moby(
    filters: dict[str, list[str]], message: dict[str, Any], included: bool
) -> None:
    assert EventFilter(filters)(message) is included


def test_filtered_subscription_skips_other_events() -> None:
    bus = EventBus()

    async def scenario() -> list[str]:
        sub = bus.subscribe(filters={"type": ["image"]})
        bus.publish("container", "start", "c", {})
        bus.publish("image", "tag", "i", {})
        return [m["Action"] for m in await drain(sub, limit=1)]

    assert run(scenario) == ["tag"]
