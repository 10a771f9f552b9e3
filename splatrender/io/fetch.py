"""Reading scene bytes from where they live: a folder, HTTP(S), the browser (pure Python).

``Fetcher``s read byte ranges: ``FileFetcher`` (local folder), ``HttpFetcher``
(http/https with Range, urllib in a worker thread natively); the browser's
``BrowserFetcher`` (io/browser_fetch.py) has the same ``fetch`` coroutine over JS
fetch. Corrupt data (checksum or size mismatch) raises ``CorruptData``.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from typing import Protocol

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


DOWNLOAD_CHUNK = 1 << 20


def download(url: str, progress=None, timeout: float = 30.0) -> bytes:
    """The whole body of ``url`` (blocking: run it in a thread), calling
    ``progress(done_bytes, total_bytes_or_None)`` per chunk; ``FetchError`` on failure."""
    import urllib.request

    req = urllib.request.Request(url, headers={"User-Agent": "splatrender"})
    chunks, done = [], 0
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            total = resp.headers.get("Content-Length")
            total = int(total) if total and total.isdigit() else None
            while chunk := resp.read(DOWNLOAD_CHUNK):
                chunks.append(chunk)
                done += len(chunk)
                if done > MAX_FETCH:
                    raise FetchError(f"{url}: larger than {MAX_FETCH:,} bytes")
                if progress:
                    progress(done, total)
    except (OSError, ValueError) as e:  # URLError, HTTPError, timeouts are OSErrors
        raise FetchError(f"{url}: download failed: {e}") from None
    return b"".join(chunks)
