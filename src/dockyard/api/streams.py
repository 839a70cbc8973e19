"""Streamed answers: byte streams, JSON lines and JSON progress, flushed as they come.

Two rules from moby shape these helpers. An error the backend reports before the first byte
is an ordinary HTTP error (moby checks `output.Flushed()`); after it, the status line is gone,
so a progress stream carries the error as its last message
(`{"errorDetail": {"message": ...}, "error": ...}`, streamformatter.FormatError). And a
client that goes away ends the request: its context is cancelled, so the work it asked for
(a pull, a wait, an event subscription) stops with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar

from aiohttp import web

from dockyard.api import httputils

T = TypeVar("T")
Sink = Callable[[dict[str, Any]], None]

POLL_INTERVAL = 0.2  # seconds between checks that the client is still there
FIRST_ITEM_WAIT = 0.05  # how long a stream may take to fail before its headers go out
_END = object()


def client_gone(request: web.BaseRequest) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


@contextlib.asynccontextmanager
async def cancel_on_disconnect(request: web.BaseRequest) -> AsyncIterator[None]:
    """Cancel the handler's task once the client's connection is gone (aiohttp notices but,
    without handler_cancellation, does not cancel; an event stream would live forever)."""
    task = asyncio.current_task()
    assert task is not None

    async def watch() -> None:
        while not client_gone(request):
            await asyncio.sleep(POLL_INTERVAL)
        task.cancel()

    watcher = asyncio.create_task(watch())
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


class Started(Generic[T]):
    """An async iterator whose first step is already under way (see `start`)."""

    def __init__(self, items: AsyncIterator[T], step: asyncio.Task[T] | None) -> None:
        self._items = items
        self._step = step

    def __aiter__(self) -> Started[T]:
        return self

    async def __anext__(self) -> T:
        step, self._step = self._step, None
        if step is not None:
            return await step
        return await anext(self._items)

    async def aclose(self) -> None:
        step, self._step = self._step, None
        if step is not None and not step.done():
            step.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await step
        close = getattr(self._items, "aclose", None)
        if close is not None:
            await close()


async def start(items: AsyncIterator[T], *, wait: float = FIRST_ITEM_WAIT) -> Started[T]:
    """Begin `items` and give it `wait` seconds to fail: an error in that time is raised
    here, before any header is sent (moby's backends validate before they write)."""

    async def first() -> T:
        return await anext(items)

    step = asyncio.create_task(first())
    await asyncio.wait({step}, timeout=wait)
    if step.done() and not step.cancelled():
        error = step.exception()
        if error is not None and not isinstance(error, StopAsyncIteration):
            close = getattr(items, "aclose", None)
            if close is not None:
                await close()
            raise error
    return Started(items, step)


async def stream_bytes(
    request: web.Request,
    items: AsyncIterator[bytes],
    *,
    content_type: str,
    headers: dict[str, str] | None = None,
    wait: float = FIRST_ITEM_WAIT,
) -> web.StreamResponse:
    """Send the byte chunks of `items` as they come (logs, export, save)."""
    started = await start(items, wait=wait)
    async with contextlib.aclosing(started), cancel_on_disconnect(request):
        response = web.StreamResponse(headers=headers)
        response.content_type = content_type
        await response.prepare(request)
        async for chunk in started:
            await response.write(chunk)
        await response.write_eof()
    return response


async def stream_json(
    request: web.Request, items: AsyncIterator[dict[str, Any]], *, content_type: str
) -> web.StreamResponse:
    """Send each document of `items` as one JSON line (events, stats)."""

    async def lines() -> AsyncIterator[bytes]:
        try:
            async for item in items:
                yield httputils.json_bytes(item)
        finally:
            close = getattr(items, "aclose", None)
            if close is not None:
                await close()

    return await stream_bytes(request, lines(), content_type=content_type)


def error_message(err: BaseException) -> dict[str, Any]:
    """streamformatter.FormatError."""
    text = str(err)
    return {"errorDetail": {"message": text}, "error": text}


async def stream_progress(
    request: web.Request,
    run: Callable[[Sink], Awaitable[object]],
    *,
    errors_in_stream: bool = False,
) -> web.StreamResponse:
    """Run `run(sink)` and stream what it puts into the sink as JSON lines (pull, push,
    import, load). The headers go out with the first message, so an error before it is an
    HTTP error; an error after it is the stream's last message."""
    queue: asyncio.Queue[object] = asyncio.Queue()

    async def runner() -> None:
        try:
            await run(queue.put_nowait)
        finally:
            queue.put_nowait(_END)

    task = asyncio.create_task(runner())
    response: web.StreamResponse | None = None
    try:
        async with cancel_on_disconnect(request):
            while (message := await queue.get()) is not _END:
                if response is None:
                    response = web.StreamResponse()
                    response.content_type = "application/json"
                    await response.prepare(request)
                await response.write(httputils.json_bytes(message))
            error = await _outcome(task)
            if error is not None and response is None and not errors_in_stream:
                raise error
            if response is None:
                response = web.StreamResponse()
                response.content_type = "application/json"
                await response.prepare(request)
            if error is not None:
                await response.write(httputils.json_bytes(error_message(error)))
            await response.write_eof()
    finally:
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return response


async def _outcome(task: asyncio.Task[None]) -> Exception | None:
    try:
        await task
    except Exception as err:  # the backend's error goes to the client: request boundary
        return err
    return None
