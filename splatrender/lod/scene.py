"""``LodScene``: a streamed LOD set driving a renderer's splat pool (pure Python).

    lod = await LodScene.open("set/lod.json", device, device_class="android")
    renderer.set_pool(lod.pool)
    while running:                      # the frame loop
        await lod.update(camera)        # select, schedule fetches, upload arrivals
        await renderer.render(camera)

``update`` never waits for I/O: fetches run as background tasks; what has arrived is
uploaded (at most ``max_uploads`` nodes per frame) and drawn once every sibling it
needs is resident. The root set is loaded by ``open`` and pinned, so the first frame
already shows the whole scene coarsely.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import FormatError
from .chunk import ChunkHeader
from .manifest import Hierarchy, parse_manifest
from .pool import PageTable
from .select import DEFAULT_PIXEL_ERROR, View, device_budget, drawable_cover, select_cut
from .stream import (
    DEFAULT_CONCURRENCY,
    CorruptData,
    Fetcher,
    Streamer,
    open_fetcher,
    verify,
)

POOL_SLACK = 1.5  # pool pages = slack x budget pages + root pages


class LodSource(Protocol):
    """Where nodes come from and how they reach pool pages."""

    hierarchy: Hierarchy

    def pages_needed(self, node: int, page_size: int) -> int: ...

    async def load(self, node: int) -> Any: ...

    def upload(self, payload: Any, node: int, pages: list[int], pool, decoder) -> None: ...

    def payload_size(self, payload: Any) -> int: ...


class ChunkSetSource:
    """A set written by ``splatrender lod build``: chunks decoded on the GPU as they are."""

    gpu_decode = True

    def __init__(self, hierarchy: Hierarchy, fetcher: Fetcher, name: str = "") -> None:
        self.hierarchy = hierarchy
        self.fetcher = fetcher
        self.name = name

    @classmethod
    async def open(cls, location: str, fetcher: Fetcher | None = None) -> ChunkSetSource:
        if fetcher is None:
            fetcher, name = open_fetcher(location)
        else:
            name = location
        data = await fetcher.fetch(name)
        return cls(parse_manifest(data, location), fetcher, location)

    def pages_needed(self, node: int, page_size: int) -> int:
        return -(-self.hierarchy.nodes[node].count // page_size)

    async def load(self, node: int) -> bytes:
        n = self.hierarchy.nodes[node]
        what = f"{n.file}[{n.offset}:{n.offset + n.size}] (chunk {node})"
        data = verify(await self.fetcher.fetch(n.file, n.offset, n.size), n.size, n.sha256, what)
        try:
            h = ChunkHeader.parse(data, what)
        except FormatError as e:
            raise CorruptData(str(e)) from e
        if h.count != n.count:
            raise CorruptData(f"{what}: {h.count} splats, manifest says {n.count}")
        return data

    def upload(self, payload: bytes, node: int, pages: list[int], pool, decoder) -> None:
        geometry, sh_rest = pool.page_buffers(pages[0])
        count = decoder.decode(payload, geometry, sh_rest, f"chunk {node}")
        pool.set_count(pages[0], count)

    def payload_size(self, payload: Any) -> int:
        return len(payload)


@dataclass
class FrameInfo:
    """What ``update`` decided (for HUDs, tests and benchmarks)."""

    drawn: list[int]
    target: list[int]
    drawn_splats: int
    target_splats: int
    wanted: int
    uploaded: int
    resident: int


class LodScene:
    def __init__(
        self,
        source: LodSource,
        device,
        *,
        budget: int,
        pool_pages: int | None = None,
        page_size: int | None = None,
        pixel_error: float = DEFAULT_PIXEL_ERROR,
        concurrency: int = DEFAULT_CONCURRENCY,
        max_uploads: int = 4,
        streamer_options: dict | None = None,
    ) -> None:
        from ..render.pool import SplatPool

        h = source.hierarchy
        self.source = source
        self.hierarchy = h
        self.device = device
        self.budget = budget
        self.pixel_error = pixel_error
        self.max_uploads = max_uploads
        self.page_size = page_size or h.page_size
        roots = sum(source.pages_needed(r, self.page_size) for r in h.roots)
        if pool_pages is None:
            pool_pages = roots + math.ceil(POOL_SLACK * budget / self.page_size) + 4
        if pool_pages < roots + 1:
            raise ValueError(f"pool of {pool_pages} pages cannot hold the {roots} root pages")
        self.pool = SplatPool(device, self.page_size, pool_pages, h.sh_degree)
        self.table = PageTable(pool_pages)
        self.decoder = None
        if getattr(source, "gpu_decode", False):
            from .gpu_decode import ChunkDecoder

            self.decoder = ChunkDecoder(device, self.page_size, h.sh_degree)
        opts = dict(streamer_options or {})
        self.streamer = Streamer(
            source.load, concurrency=concurrency, payload_size=source.payload_size, **opts
        )
        self.frames = 0

    # -- construction --------------------------------------------------------------
    @classmethod
    async def open(
        cls,
        location: str,
        device,
        *,
        budget: int | None = None,
        device_class: str = "desktop",
        fetcher: Fetcher | None = None,
        **options: Any,
    ) -> LodScene:
        """Open a LOD set (``lod.json`` of ``lod build``, or a PlayCanvas ``lod-meta.json``)."""
        if location.rstrip("/").endswith("lod-meta.json"):
            from .sog_source import SogLodSource

            source: LodSource = await SogLodSource.open(location, fetcher)
        else:
            source = await ChunkSetSource.open(location, fetcher)
        scene = cls(source, device, budget=device_budget(device_class, budget), **options)
        await scene.load_roots()
        return scene

    async def load_roots(self, timeout: float | None = 120.0) -> None:
        """Fetch, upload and pin the root set (the always-drawable coarse scene)."""
        h = self.hierarchy
        self.streamer.schedule(h.roots)
        await self.streamer.drain(timeout)
        self._upload(len(h.roots), protected=set(h.roots))
        missing = [r for r in h.roots if r not in self.table]
        if missing:
            raise FormatError(
                str(getattr(self.source, "name", "")),
                f"could not load the root set (nodes {missing[:5]})",
            )
        self.table.pinned.update(h.roots)
        self.pool.set_active([p for r in h.roots for p in self.table.pages(r)])

    # -- per frame -----------------------------------------------------------------
    async def update(self, camera) -> FrameInfo:
        """Choose this frame's cut, schedule fetches, upload arrivals, set active pages."""
        h = self.hierarchy
        cut = select_cut(h, View.of(camera), self.budget, self.pixel_error)
        resident = self.table.__contains__
        drawn, wanted = drawable_cover(h, cut, resident)
        self.streamer.schedule(i for _, i in wanted)
        protected = set(drawn) | set(cut.nodes) | cut.refined
        uploaded = self._upload(self.max_uploads, protected)
        if uploaded:
            drawn, wanted = drawable_cover(h, cut, resident)
        self.table.touch(cut.nodes)
        self.table.touch(drawn)
        self.pool.set_active([p for i in drawn for p in self.table.pages(i)])
        self.frames += 1
        return FrameInfo(
            drawn,
            cut.nodes,
            sum(h.nodes[i].count for i in drawn),
            cut.count,
            len(wanted),
            uploaded,
            len(self.table),
        )

    def _upload(self, limit: int, protected: set[Hashable]) -> int:
        done = 0
        ready = self.streamer.ready
        while ready and done < limit:
            key, payload = ready.popleft()
            if key in self.table:
                continue
            pages = self.table.allocate(
                key, self.source.pages_needed(key, self.page_size), protected
            )
            if pages is None:
                continue  # pool full of what this frame needs: dropped, refetched later
            try:
                self.source.upload(payload, key, pages, self.pool, self.decoder)
            except Exception:
                self.table.release(key)
                raise
            done += 1
        return done

    @property
    def gpu_bytes(self) -> int:
        return self.pool.gpu_bytes + (self.decoder.staging.size if self.decoder else 0)

    @property
    def bounds(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        return self.hierarchy.bounds_min, self.hierarchy.bounds_max

    @property
    def frame(self) -> str:
        return self.hierarchy.frame

    async def close(self) -> None:
        await self.streamer.close()
        if self.decoder is not None:
            self.decoder.destroy()
        self.pool.destroy()
