"""The LOD streamer's ``Fetcher`` in the browser: the page's ``fetch`` with HTTP Range.

Pyodide only. URLs are resolved against the manifest's URL, itself resolved against
the page, so sets open from relative links (``/scenes/x/lod.json``, ``set/lod.json``).
Failures raise ``FetchError``: the ``Streamer`` retries them with back-off and parks
what keeps failing. A semaphore caps requests in flight (one SOG node load fetches a
whole level file set at once); the ``Streamer`` bounds the loads themselves.
"""

from __future__ import annotations

import asyncio

import js  # type: ignore[import-not-found]  # Pyodide only
from pyodide.ffi import JsException  # type: ignore[import-not-found]

from ..gpu.browser import js_obj
from .fetch import MAX_FETCH, FetchError

MAX_REQUESTS = 6  # what browsers run at once per HTTP/1.1 host anyway


def resolve_url(url: str, base: str | None = None) -> str:
    """``url`` made absolute against ``base`` (default: the page's address)."""
    return str(js.URL.new(url, base if base is not None else js.location.href).href)


class BrowserFetcher:
    """Byte ranges of files beside a manifest URL, read with ``fetch``."""

    def __init__(self, manifest_url: str, max_requests: int = MAX_REQUESTS) -> None:
        self.base = resolve_url(manifest_url)
        self._slots = asyncio.Semaphore(max_requests)
        self.bytes = 0  # bytes received so far (benchmarks)
        self.requests = 0

    async def fetch(self, path: str, offset: int = 0, size: int | None = None) -> bytes:
        url = resolve_url(path, self.base)
        headers = {}
        if size is not None:
            if size <= 0:
                return b""
            headers["Range"] = f"bytes={offset}-{offset + size - 1}"
        async with self._slots:
            self.requests += 1
            try:
                resp = await js.fetch(url, js_obj({"headers": headers}))
                if not resp.ok:
                    raise FetchError(f"{url}: HTTP {resp.status}")
                length = int(resp.headers.get("content-length") or 0)
                if length > MAX_FETCH:
                    raise FetchError(f"{url}: {length} bytes is beyond the limit")
                body = await resp.arrayBuffer()
            except JsException as e:  # network errors, aborted requests
                raise FetchError(f"{url}: {str(e).splitlines()[-1]}") from None
        data = js.Uint8Array.new(body).to_bytes()
        if size is not None and int(resp.status) == 200:  # the server ignored Range
            data = data[offset : offset + size]
        self.bytes += len(data)
        return data
