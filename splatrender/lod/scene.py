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

import asyncio
import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import FormatError
from ..io.fetch import CorruptData, Fetcher, open_fetcher, verify
from ..render.camera import default_up
from ..scene.upright import Upright, parse_up
from .chunk import ChunkHeader
from .manifest import Hierarchy, parse_manifest
from .pool import PageTable
from .select import View, device_budget, drawable_cover, select_cut
from .stream import DEFAULT_CONCURRENCY, Streamer

PROGRESS_S = 0.1  # progress callback interval while the root set loads
POOL_SLACK = 1.5  # pool pages = root pages + slack x budget pages (+ a few)


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
    format = "lod"

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
    streaming: bool  # fetches pending or arrivals not yet uploaded: update again

    @property
    def version(self) -> tuple[int, ...]:
        return tuple(self.drawn)


class LodScene:
    """A LOD set streamed into a fixed page pool (a ``scene.SceneSource``)."""

    streamed = True
    animated = False

    def __init__(
        self,
        source: LodSource,
        device,
        *,
        budget: int,
        pool_pages: int | None = None,
        page_size: int | None = None,
        pixel_error: float | None = None,
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
        self.pool_budget = budget  # the budget the pool was sized for
        self.name = str(getattr(source, "name", "") or "")
        self.format = getattr(source, "format", "lod")
        self.count = h.count or sum(n.count for n in h.nodes.values() if not n.children)
        self.sh_degree = h.sh_degree
        self.quirks: list[str] = []
        self.pixel_error = h.pixel_error if pixel_error is None else pixel_error
        self.max_uploads = max_uploads
        self.page_size = page_size or h.page_size
        self._pages = {
            i: source.pages_needed(i, self.page_size) for i in h.nodes
        }  # pool pages per node
        roots = sum(self._pages[r] for r in h.roots)
        # Pages a cut of ``budget`` splats takes beyond the roots: nodes rarely fill their
        # last page (a streamed SOG leaf of 24K splats takes a 64K page), so divide by
        # how full the non-root nodes' pages are on average.
        root_set = set(h.roots)
        rest = [i for i in h.nodes if i not in root_set]
        used = sum(h.nodes[i].count for i in rest)
        fill = used / (self.page_size * sum(self._pages[i] for i in rest)) if used else 1.0
        budget_pages = math.ceil(budget / (self.page_size * fill))
        if pool_pages is None:
            pool_pages = roots + math.ceil(POOL_SLACK * budget_pages) + 4
        if pool_pages < roots + 1:
            raise ValueError(f"pool of {pool_pages} pages cannot hold the {roots} root pages")
        # The target cut keeps a third of the free pages for transitions (a parent stays
        # resident until all its children are) and for prefetched nodes.
        self.max_cut_pages = roots + max(1, int((pool_pages - roots) / POOL_SLACK))
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
        self.dropped_uploads = 0  # arrivals the pool had no room for (refetched later)
        self.last_info: FrameInfo | None = None

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
        codecs: Any = None,
        source_options: dict | None = None,
        progress=None,
        **options: Any,
    ) -> LodScene:
        """Open a LOD set (``lod.json`` of ``lod build``, or a PlayCanvas ``lod-meta.json``)
        and load its root set. ``codecs`` decode SOG WebP files (default: native);
        ``source_options`` go to the source (e.g. a SOG ``cache_bytes``)."""
        if location.split("?")[0].rstrip("/").endswith("lod-meta.json"):
            from .sog_source import SogLodSource

            source: LodSource = await SogLodSource.open(
                location, fetcher, codecs=codecs, **(source_options or {})
            )
        else:
            source = await ChunkSetSource.open(location, fetcher)
        scene = None
        try:
            scene = cls(source, device, budget=device_budget(device_class, budget), **options)
            await scene.load_roots(progress=progress)
        except BaseException:
            if scene is not None:
                await scene.close()
            elif hasattr(source, "close"):
                source.close()
            raise
        return scene

    async def load_roots(self, timeout: float | None = 120.0, progress=None) -> None:
        """Fetch, upload and pin the root set (the always-drawable coarse scene);
        ``progress(done, total)`` counts root nodes as they arrive."""
        h = self.hierarchy
        self.streamer.schedule(h.roots)
        drain = asyncio.ensure_future(self.streamer.drain(timeout))
        while progress is not None and not drain.done():
            await asyncio.wait([drain], timeout=PROGRESS_S)
            progress(min(len(h.roots), self.streamer.stats.completed), len(h.roots))
        await drain
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
        cut = select_cut(
            h,
            View.of(camera),
            self.budget,
            self.pixel_error,
            self.max_cut_pages,
            self._pages.__getitem__,
        )
        resident = self.table.__contains__
        drawn, wanted = drawable_cover(h, cut, resident)
        self.streamer.schedule(i for _, i in wanted)
        protected = set(drawn) | set(cut.nodes) | cut.refined
        uploaded = self._upload(self.max_uploads, protected, set(cut.nodes))
        if uploaded:
            drawn, wanted = drawable_cover(h, cut, resident)
        self.table.touch(cut.nodes)
        self.table.touch(drawn)
        self.pool.set_active([p for i in drawn for p in self.table.pages(i)])
        self.frames += 1
        self.last_info = FrameInfo(
            drawn,
            cut.nodes,
            sum(h.nodes[i].count for i in drawn),
            cut.count,
            len(wanted),
            uploaded,
            len(self.table),
            bool(wanted or self.streamer.busy or self.streamer.ready),
        )
        return self.last_info

    def set_budget(self, splats: int) -> None:
        """Splats the cut may hold, up to what the pool was sized for (a larger budget
        needs a reopen); 0 means that size."""
        self.budget = min(splats, self.pool_budget) if splats > 0 else self.pool_budget

    def _upload(
        self, limit: int, protected: set[Hashable], essential: set[Hashable] | None = None
    ) -> int:
        """Upload up to ``limit`` arrivals, evicting unprotected nodes (LRU). When a node
        of the cut finds no room, the fallbacks still drawn in its place (its ancestors,
        the previous cut) may be evicted too: the frame then draws a coarser resident
        ancestor (the pinned roots at worst), never a hole, and the cut can complete
        instead of waiting forever for room that only it would free."""
        done = 0
        ready = self.streamer.ready
        while ready and done < limit:
            key, payload = ready.popleft()
            if key in self.table:
                continue
            need = self.source.pages_needed(key, self.page_size)
            pages = self.table.allocate(key, need, protected)
            if pages is None and essential and key in essential:
                pages = self.table.allocate(key, need, essential)
            if pages is None:
                self.dropped_uploads += 1
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
        """The manifest's bounds (a LOD builder computes them as ``scene.bounds``)."""
        return tuple(self.hierarchy.bounds_min), tuple(self.hierarchy.bounds_max)

    @property
    def axes(self) -> str:
        return self.hierarchy.axes

    @property
    def upright(self) -> Upright:
        """The set's ``up`` when its manifest says, else its axes' (a LOD set is not
        guessed: the splats that would tell are mostly not loaded yet)."""
        if self.hierarchy.up:
            return Upright(parse_up(self.hierarchy.up), "file", "the LOD set says")
        return Upright(default_up(self.axes), "file", f"LOD set, {self.axes}")

    async def close(self) -> None:
        """Stop streaming and free the pool, the decoder and the source's buffers."""
        await self.streamer.close()
        if self.decoder is not None:
            self.decoder.destroy()
        self.pool.destroy()
        close_source = getattr(self.source, "close", None)
        if close_source is not None:
            close_source()
