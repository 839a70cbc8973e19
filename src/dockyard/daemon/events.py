"""EventBus: the daemon's Docker events (`docker events`, GET /events), as moby's daemon/events.

    bus = EventBus()
    bus.publish("container", "start", cid, {"name": "web", "image": "busybox"})
    async for message in bus.subscribe(since="10m", filters={"event": ["start"]}):
        ...                                   # replayed past events first, then live ones

Messages are Docker's (API 1.51 still carries the legacy fields): container events add
`status`, `id` and `from` (the image), image events `status` and `id`; every message has
Type, Action, Actor {ID, Attributes}, scope "local", time and timeNano.

The bus keeps the last 256 messages (moby's eventsLimit) for `since`; each subscriber has a
queue of 1024 (moby's bufferSize) and loses messages when it falls that far behind rather
than slowing the publisher. Replay happens only when `since` or `until` is given, as in
moby; a subscription whose `until` is in the past ends after the replay, one whose `until`
is in the future ends when that time comes.

`publish` is thread-safe (operations running in worker threads report events too): messages
reach each subscriber's queue through its own event loop, in publication order.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from dockyard import errdefs
from dockyard.images import reference as refs
from dockyard.images import timefmt

Filters = Mapping[str, list[str]]
Message = dict[str, Any]

EVENTS_LIMIT = 256  # moby daemon/events: events kept for `since`
BUFFER_SIZE = 1024  # moby daemon/events: a subscriber's backlog before messages are dropped

# moby #25798: these actions carry a suffix ("exec_start: sh -c ..."), so a filter naming the
# bare action matches by prefix.
_FUZZY_ACTIONS = frozenset({"health_status", "exec_create", "exec_start"})
# Types whose filter matches the actor's id (by prefix) or its `name` attribute.
_NAMED_TYPES = (
    *("daemon", "container", "plugin", "volume", "network"),
    *("service", "node", "secret", "config"),
)


class EventBus:
    """Publishes Docker events to subscribers and keeps the recent ones; an EventSink."""

    def __init__(self, *, clock: Callable[[], int] = time.time_ns) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: deque[Message] = deque(maxlen=EVENTS_LIMIT)
        self._subscribers: set[Subscription] = set()

    @property
    def listeners(self) -> int:
        """How many subscriptions are open (`docker info` NEventsListener)."""
        return len(self._subscribers)

    def publish(
        self, type: str, action: str, actor_id: str, attributes: Mapping[str, str] | None = None
    ) -> None:
        """Record and broadcast one event; never blocks, callable from any thread."""
        now = self._clock()
        attrs = dict(attributes or {})
        message: Message = {}
        if type in ("container", "image"):
            message |= {"status": action, "id": actor_id}
            if type == "container":
                message["from"] = attrs.get("image", "")
        message |= {
            "Type": type,
            "Action": action,
            "Actor": {"ID": actor_id, "Attributes": attrs},
            "scope": "local",
            "time": now // 1_000_000_000,
            "timeNano": now,
        }
        with self._lock:
            self._recent.append(message)
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            subscriber.offer(message)

    def subscribe(
        self, *, since: str = "", until: str = "", filters: Filters | None = None
    ) -> Subscription:
        """An async iterator of messages: the recorded ones between since and until (when
        either is given), then live ones until `until`. InvalidArgument for bad times, raised
        here so the API can answer 400 before it starts streaming."""
        now = self._clock()
        since_ns = parse_time("since", since, now)
        until_ns = parse_time("until", until, now)
        if until_ns and until_ns < since_ns:
            raise errdefs.InvalidArgument(
                f"`since` time ({since}) cannot be after `until` time ({until})"
            )
        match = EventFilter(filters or {})
        with self._lock:
            replay = []
            if since_ns or until_ns:
                replay = [
                    m
                    for m in self._recent
                    if m["timeNano"] >= since_ns
                    and (not until_ns or m["timeNano"] <= until_ns)
                    and match(m)
                ]
            live = not until_ns or until_ns >= now
            subscription = Subscription(self, replay, match, until_ns if live else -1)
            if live:
                self._subscribers.add(subscription)
        return subscription

    def close(self) -> None:
        """End every subscription (daemon shutdown): their iterators stop."""
        with self._lock:
            subscribers = list(self._subscribers)
            self._subscribers.clear()
        for subscriber in subscribers:
            subscriber.offer(None)

    def _forget(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)


class Subscription:
    """One GET /events stream: iterate it; `aclose()` (or the end of iteration) unsubscribes."""

    def __init__(
        self,
        bus: EventBus,
        replay: list[Message],
        match: Callable[[Message], bool],
        until_ns: int,  # 0: no end, -1: replay only
    ) -> None:
        self._bus = bus
        self._replay = deque(replay)
        self._match = match
        self._until_ns = until_ns
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Message | None] = asyncio.Queue(maxsize=BUFFER_SIZE)
        self._done = until_ns < 0

    def offer(self, message: Message | None) -> None:
        """Queue a message (None: the end) from any thread, through the subscriber's loop."""
        if message is not None and not self._match(message):
            return
        try:
            self._loop.call_soon_threadsafe(self._put, message)
        except RuntimeError:  # the subscriber's loop is closed: nobody is listening
            self._bus._forget(self)

    def _put(self, message: Message | None) -> None:
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            if message is None:  # the end must get through: drop the oldest instead
                self._queue.get_nowait()
                self._queue.put_nowait(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Message:
        if self._replay:
            return self._replay.popleft()
        if self._done:
            raise StopAsyncIteration
        try:
            message = await asyncio.wait_for(self._queue.get(), self._timeout())
        except TimeoutError:
            message = None
        except BaseException:  # cancelled: the client went away
            await self.aclose()
            raise
        if message is None:
            await self.aclose()
            raise StopAsyncIteration
        return message

    async def aclose(self) -> None:
        self._done = True
        self._replay.clear()
        self._bus._forget(self)

    def _timeout(self) -> float | None:
        if not self._until_ns:
            return None
        return max(0.0, (self._until_ns - self._bus._clock()) / 1e9)


class EventFilter:
    """moby's events.Filter.Include over the filters of GET /events."""

    def __init__(self, filters: Filters) -> None:
        self._f = {key: set(values) for key, values in filters.items() if values}

    def __call__(self, message: Message) -> bool:
        attributes: Mapping[str, str] = message["Actor"]["Attributes"]
        return (
            self._event(message["Action"])
            and self._exact("type", message["Type"])
            and self._exact("scope", message["scope"])
            and all(self._named(kind, message) for kind in _NAMED_TYPES)
            and self._image(message)
            and self._labels(attributes)
        )

    def _exact(self, key: str, value: str) -> bool:
        wanted = self._f.get(key)
        return not wanted or value in wanted

    def _fuzzy(self, key: str, value: str) -> bool:
        wanted = self._f.get(key)
        return not wanted or value in wanted or any(value.startswith(w) for w in wanted)

    def _event(self, action: str) -> bool:
        wanted = self._f.get("event")
        if wanted and wanted & _FUZZY_ACTIONS:
            return self._fuzzy("event", action)
        return self._exact("event", action)

    def _named(self, kind: str, message: Message) -> bool:
        # As moby: a container filter also applies to events of other types (by their ids).
        actor = message["Actor"]
        return self._fuzzy(kind, actor["ID"]) or self._fuzzy(
            kind, actor["Attributes"].get("name", "")
        )

    def _image(self, message: Message) -> bool:
        """The actor id or image name, with or without its tag (container events name the
        image in `image`, image events in `name`)."""
        if "image" not in self._f:
            return True
        actor = message["Actor"]
        name = actor["Attributes"].get("name" if message["Type"] == "image" else "image", "")
        candidates = {actor["ID"], name, _strip_tag(actor["ID"]), _strip_tag(name)}
        return bool(candidates & self._f["image"])

    def _labels(self, attributes: Mapping[str, str]) -> bool:
        wanted = self._f.get("label")
        if not wanted:
            return True
        if not attributes:
            return False
        for item in wanted:
            key, has_value, value = item.partition("=")
            if key not in attributes or (has_value and attributes[key] != value):
                return False
        return True


def parse_time(name: str, value: str, now: int) -> int:
    """A `since`/`until` value in Unix nanoseconds (0 when empty): Unix seconds with an
    optional fraction as the CLI sends, or moby's timestamp.Parse forms (RFC 3339, "10m")."""
    if not value:
        return 0
    try:
        return timefmt.parse_filter_time(value, now)
    except ValueError as err:
        raise errdefs.InvalidArgument(f"invalid value for '{name}': {err}") from None


def _strip_tag(image: str) -> str:
    """reference.FamiliarName of a normalised name; the text itself when it is not one."""
    if not image:
        return image
    try:
        return refs.parse(image).familiar_name()
    except errdefs.DockyardError:
        return image
