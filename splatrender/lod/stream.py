"""Fetching LOD data without ever blocking the frame loop (pure Python, asyncio).

Bytes come from an ``io.fetch.Fetcher``. ``Streamer`` runs loads with
bounded concurrency, most important first, retrying failures with exponential
back-off; a load that keeps failing is parked for a cool-down and logged. Corrupt
data (checksum or size mismatch) raises ``CorruptData`` and is never handed on.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..io.fetch import CorruptData, FetchError

log = logging.getLogger("splatrender.lod")

DEFAULT_CONCURRENCY = 4


@dataclass
class StreamStats:
    requests: int = 0
    completed: int = 0
    retries: int = 0
    corrupt: int = 0
    failures: int = 0
    bytes: int = 0
    started: float = field(default_factory=time.monotonic)


class Streamer:
    """Bounded-concurrency, priority-ordered loads with retries; results in ``ready``.

    ``schedule(wanted)`` is cheap and synchronous: call it every frame with the keys the
    frame wants, most important first. Results accumulate in ``ready`` (a deque of
    ``(key, payload)``) for the frame loop to consume at its own pace.
    """

    def __init__(
        self,
        load: Callable[[Hashable], Awaitable[Any]],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        attempts: int = 5,
        backoff: float = 0.05,
        max_backoff: float = 2.0,
        cooldown: float = 10.0,
        payload_size: Callable[[Any], int] = lambda p: len(p) if isinstance(p, bytes) else 0,
    ) -> None:
        self.load = load
        self.concurrency = concurrency
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.cooldown = cooldown
        self.payload_size = payload_size
        self.ready: deque[tuple[Hashable, Any]] = deque()
        self.stats = StreamStats()
        self._queue: list[Hashable] = []
        self._inflight: dict[Hashable, asyncio.Task] = {}
        self._parked: dict[Hashable, float] = {}
        self._rng = random.Random(0)

    @property
    def busy(self) -> bool:
        return bool(self._inflight or self._queue)

    def pending(self, key: Hashable) -> bool:
        return key in self._inflight or any(k == key for k, _ in self.ready)

    def schedule(self, wanted: Iterable[Hashable]) -> None:
        """Replace the queue with ``wanted`` (in priority order) and start what fits."""
        now = time.monotonic()
        queued = []
        for k in wanted:
            if k in self._inflight or self.pending(k):
                continue
            t = self._parked.get(k)
            if t is not None:
                if now < t:
                    continue
                del self._parked[k]
            queued.append(k)
        self._queue = queued
        self._pump()

    def _pump(self) -> None:
        while self._queue and len(self._inflight) < self.concurrency:
            k = self._queue.pop(0)
            self.stats.requests += 1
            self._inflight[k] = asyncio.ensure_future(self._run(k))

    async def _run(self, key: Hashable) -> None:
        try:
            for attempt in range(self.attempts):
                try:
                    payload = await self.load(key)
                except CorruptData as e:
                    self.stats.corrupt += 1
                    log.warning("rejected corrupt data for %s: %s", key, e)
                except (TimeoutError, FetchError, OSError) as e:
                    log.info("fetch of %s failed (attempt %d): %s", key, attempt + 1, e)
                except Exception as e:  # a bad payload must not kill the stream
                    log.warning("load of %s failed: %r", key, e)
                    self.stats.corrupt += 1
                else:
                    self.stats.completed += 1
                    self.stats.bytes += self.payload_size(payload)
                    self.ready.append((key, payload))
                    return
                if attempt + 1 < self.attempts:
                    self.stats.retries += 1
                    delay = min(self.max_backoff, self.backoff * 2**attempt)
                    await asyncio.sleep(delay * (0.5 + self._rng.random()))
            self.stats.failures += 1
            self._parked[key] = time.monotonic() + self.cooldown
            log.warning(
                "giving up on %s for %.0f s after %d attempts", key, self.cooldown, self.attempts
            )
        finally:
            self._inflight.pop(key, None)
            self._pump()

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until nothing is queued or in flight (tests, loading screens)."""

        async def _wait() -> None:
            while self._inflight or self._queue:
                self._pump()
                if self._inflight:
                    await asyncio.wait(list(self._inflight.values()))
                else:
                    await asyncio.sleep(0)

        await asyncio.wait_for(_wait(), timeout)

    async def close(self) -> None:
        for t in list(self._inflight.values()):
            t.cancel()
        if self._inflight:
            await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        self._inflight.clear()
        self._queue.clear()
