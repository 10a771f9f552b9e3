"""Fetching LOD data without ever blocking the frame loop (pure Python, asyncio).

``Fetcher``s read byte ranges: ``FileFetcher`` (local folder), ``HttpFetcher``
(http/https with Range, urllib in a worker thread natively); the browser supplies its
own object with the same ``fetch`` coroutine (JS fetch). ``Streamer`` runs loads with
bounded concurrency, most important first, retrying failures with exponential
back-off; a load that keeps failing is parked for a cool-down and logged. Corrupt
data (checksum or size mismatch) raises ``CorruptData`` and is never handed on.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger("splatrender.lod")

DEFAULT_CONCURRENCY = 4
MAX_FETCH = 1 << 30  # refuse absurd sizes


class FetchError(Exception):
    """A transient failure: the load will be retried."""


class CorruptData(FetchError):
    """Bytes that do not match the manifest (size or checksum): rejected and retried."""


class Fetcher(Protocol):
    async def fetch(self, path: str, offset: int = 0, size: int | None = None) -> bytes:
        """``size`` bytes of ``path`` from ``offset`` (the whole file when size is None)."""
        ...


def verify(data: bytes, size: int | None, sha256: str | None, what: str) -> bytes:
    if size is not None and len(data) != size:
        raise CorruptData(f"{what}: got {len(data)} bytes, expected {size}")
    if sha256 and hashlib.sha256(data).hexdigest() != sha256:
        raise CorruptData(f"{what}: checksum mismatch")
    return data


class FileFetcher:
    """Byte ranges of files under a folder (reads run in a worker thread)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = os.fspath(root)
        self.bytes = 0  # bytes read so far (benchmarks)

    def _read(self, path: str, offset: int, size: int | None) -> bytes:
        full = os.path.join(self.root, path)
        try:
            with open(full, "rb") as f:
                f.seek(offset)
                return f.read(MAX_FETCH if size is None else size)
        except OSError as e:
            raise FetchError(f"{full}: {e.strerror or e}") from e

    async def fetch(self, path: str, offset: int = 0, size: int | None = None) -> bytes:
        data = await asyncio.to_thread(self._read, path, offset, size)
        self.bytes += len(data)
        return data


class HttpFetcher:
    """HTTP(S) Range requests with urllib in worker threads (natively)."""

    def __init__(self, base_url: str, timeout: float = 20.0) -> None:
        self.base = base_url if base_url.endswith("/") else base_url + "/"
        self.timeout = timeout
        self.bytes = 0  # bytes received so far (benchmarks)

    def _get(self, path: str, offset: int, size: int | None) -> bytes:
        import urllib.error
        import urllib.parse
        import urllib.request

        url = urllib.parse.urljoin(self.base, urllib.parse.quote(path))
        req = urllib.request.Request(url)
        if size is not None:
            req.add_header("Range", f"bytes={offset}-{offset + size - 1}")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                body = r.read(MAX_FETCH)
                if size is not None and r.status == 200:  # server ignored Range
                    body = body[offset : offset + size]
                return body
        except (urllib.error.URLError, OSError, ValueError) as e:
            # includes HTTPError, timeouts, resets, IncompleteRead (http.client errors)
            raise FetchError(f"{url}: {e}") from e
        except Exception as e:  # http.client.HTTPException and friends
            raise FetchError(f"{url}: {e!r}") from e

    async def fetch(self, path: str, offset: int = 0, size: int | None = None) -> bytes:
        data = await asyncio.to_thread(self._get, path, offset, size)
        self.bytes += len(data)
        return data


def open_fetcher(location: str) -> tuple[Fetcher, str]:
    """(fetcher, file name) for a manifest path or URL."""
    if location.startswith(("http://", "https://")):
        base, _, name = location.rpartition("/")
        return HttpFetcher(base + "/"), name
    folder, name = os.path.split(os.path.abspath(location))
    return FileFetcher(folder), name


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
