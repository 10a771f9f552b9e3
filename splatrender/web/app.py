"""The viewer session the page's JavaScript drives (runs inside Pyodide).

JS owns the canvas, the input and the orbit state; it calls, through Pyodide's FFI:

    app = await ViewerApp.create(canvas, mode)
    info = json.loads(await app.load(name, uint8array))     # or {"error": ...}
    info = json.loads(await app.load_files(name, names_json, arrays))  # SOG file sets
    info = json.loads(await app.open_lod(url, on_progress))  # a streamed LOD set
    app.set_view(json)                                        # camera + background
    r = json.loads(await app.frame())                         # (LOD update +) render
    p = json.loads(await app.poll())                          # LOD: redraw needed yet?

Results cross to JS as JSON strings (no proxies to free). Failures the user can
cause (bad files, no WebGPU) come back as ``{"error": message}`` and leave the
previous scene on screen.

A LOD set (``lod.json`` of ``splatrender lod build``, or a PlayCanvas
``lod-meta.json``) streams into a fixed page pool like the native viewer's: each
frame runs ``LodScene.update`` (selection and uploads, never waiting for I/O) before
drawing; fetches run as asyncio tasks on Pyodide's event loop through the page's
``fetch`` (``gpu.browser_fetch``). While some are pending, the page calls ``poll``
between frames and draws again only when what is drawable changed.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import time
from typing import Any

from ..errors import SplatError
from ..formats.runtime import GpuScene, load_to_pool
from ..gpu import GPUError, request_device
from ..render.camera import Camera, default_up
from ..render.renderer import Renderer

PAGE_SPLATS = 1 << 16  # pool page size in the browser: the splat budget's granularity
# Splats drawn from a LOD set when the page sets no budget: the "android" device class,
# so the pool (about 1.5x this) stays within a phone's or an integrated GPU's memory.
LOD_BUDGET = 1_000_000
SOG_CACHE_BYTES = 128 << 20  # decoded SOG level files kept in the page (see sog_source)
PROGRESS_S = 0.1  # progress callback interval while the root set loads


def _error(e: BaseException) -> str:
    return json.dumps({"error": str(e) or type(e).__name__})


def _bytes(data: Any) -> bytes:
    """Bytes of a JS typed array proxy (copied once) or of a bytes-like object."""
    return bytes(data) if isinstance(data, bytes | bytearray | memoryview) else data.to_bytes()


class ViewerApp:
    """One viewer: a device, a renderer, a canvas presenter and the current view."""

    def __init__(self, renderer: Renderer, presenter: Any, canvas: Any, codecs: Any) -> None:
        self.renderer = renderer
        self.device = renderer.device
        self.presenter = presenter
        self.canvas = canvas
        self.codecs = codecs
        self.scene: GpuScene | None = None
        self.lod: Any = None  # a LodScene when a LOD set is open (then scene is None)
        self.lod_info: dict[str, Any] = {}
        self._lod_drawn: tuple[int, ...] | None = None
        self._lod_budget = 0  # the budget the open LOD set's pool was sized for
        self.view: dict[str, Any] = {}
        self.background = (0.0, 0.0, 0.0)
        self.budget = 0
        self.last_frame_ms = 0.0

    @classmethod
    async def create(cls, canvas: Any, mode: str = "classic") -> ViewerApp:
        from ..gpu.browser_codecs import BrowserCodecs
        from ..gpu.browser_present import CanvasPresenter

        device = await request_device()
        renderer = await Renderer.create(device, mode=mode)
        return cls(renderer, CanvasPresenter(device, canvas), canvas, BrowserCodecs(device))

    # -- scene ---------------------------------------------------------------------
    async def load(self, name: str, data: Any) -> str:
        """Decode one file (a JS Uint8Array or bytes); JSON scene info or error."""
        return await self._load(name, _bytes(data))

    async def load_files(self, name: str, names_json: str, arrays: Any) -> str:
        """Decode a file set (SOG: meta.json + WebP files), given as parallel lists."""
        names = json.loads(names_json)
        files = {n: _bytes(a) for n, a in zip(names, arrays, strict=True)}
        return await self._load(name, files)

    async def _load(self, name: str, source: Any) -> str:
        try:
            scene = await load_to_pool(
                self.device, source, name=name, codecs=self.codecs, page_size=PAGE_SPLATS
            )
        except (SplatError, GPUError, ValueError) as e:
            return _error(e)
        await self._close()
        self.scene = scene
        self.renderer.set_pool(scene.pool)
        self._apply_budget()
        return json.dumps(self.info())

    async def open_lod(self, url: str, on_progress: Any = None) -> str:
        """Open a LOD set from its manifest URL (relative to the page); JSON info or error.

        Resolves once the root set is on the GPU (the first frame shows the whole scene
        coarsely); ``on_progress(fraction)`` is called while the roots stream in."""
        from ..gpu.browser_fetch import BrowserFetcher
        from ..lod.scene import ChunkSetSource, LodScene
        from ..lod.select import device_budget
        from ..lod.sog_source import SogLodSource
        from ..lod.stream import FetchError

        lod = source = None
        try:
            fetcher = BrowserFetcher(url)
            location = fetcher.base
            if location.split("?")[0].rstrip("/").endswith("lod-meta.json"):
                source = await SogLodSource.open(
                    location, fetcher, codecs=self.codecs, cache_bytes=SOG_CACHE_BYTES
                )
            else:
                source = await ChunkSetSource.open(location, fetcher)
            budget = device_budget(override=self.budget or LOD_BUDGET)
            lod = LodScene(source, self.device, budget=budget)
            task = asyncio.ensure_future(lod.load_roots())
            roots = max(1, len(lod.hierarchy.roots))
            while not task.done():
                await asyncio.wait([task], timeout=PROGRESS_S)
                if on_progress is not None:
                    on_progress(min(1.0, lod.streamer.stats.completed / roots))
            task.result()
        except (SplatError, GPUError, FetchError, ValueError, TimeoutError) as e:
            await _close_lod(lod, source)
            return _error(e)
        await self._close()
        self.lod = lod
        self._lod_budget = lod.budget
        self._lod_drawn = None
        h = lod.hierarchy
        self.lod_info = {
            "name": "/".join(location.split("?")[0].rstrip("/").split("/")[-2:]),
            "count": h.count or sum(n.count for n in h.nodes.values() if not n.children),
            "shDegree": h.sh_degree,
            "format": "sog-lod" if isinstance(source, SogLodSource) else "lod",
            "budget": lod.budget,
            "nodes": len(h.nodes),
        }
        self.renderer.set_pool(lod.pool)
        return json.dumps(self.info())

    async def _close(self) -> None:
        """Let go of the current scene (plain or LOD)."""
        if self.scene is not None:
            self.scene.destroy()
            self.scene = None
        if self.lod is not None:
            lod, self.lod = self.lod, None
            await _close_lod(lod, lod.source)

    def _bounds(self) -> tuple[tuple, tuple, str] | None:
        if self.lod is not None:
            lo, hi = self.lod.bounds
            return tuple(lo), tuple(hi), self.lod.axes
        if self.scene is not None:
            return self.scene.bounds_min, self.scene.bounds_max, self.scene.axes
        return None

    def info(self) -> dict[str, Any]:
        if self.lod is not None:
            lo, hi, axes = self._bounds()
            cam = Camera.framing(lo, hi, axes, width=16, height=16)
            centre = [(a + b) / 2 for a, b in zip(lo, hi, strict=True)]
            return {
                **self.lod_info,
                "quirks": [],
                "lod": True,
                "axes": axes,
                "up": list(default_up(axes)),
                "boundsMin": list(lo),
                "boundsMax": list(hi),
                "target": centre,
                "eye": list(cam.position),
                "adapter": self.device.info.describe(),
            }
        s = self.scene
        if s is None:
            return {}
        cam = Camera.framing(s.bounds_min, s.bounds_max, s.axes, width=16, height=16)
        centre = [(a + b) / 2 for a, b in zip(s.bounds_min, s.bounds_max, strict=True)]
        return {
            "name": s.name,
            "count": s.count,
            "shDegree": s.sh_degree,
            "format": s.format,
            "quirks": s.quirks,
            "axes": s.axes,
            "up": list(default_up(s.axes)),
            "boundsMin": list(s.bounds_min),
            "boundsMax": list(s.bounds_max),
            "target": centre,
            "eye": list(cam.position),
            "adapter": self.device.info.describe(),
        }

    def set_budget(self, splats: int) -> None:
        """Draw at most about ``splats`` splats (whole pages, in file order); 0 = all.

        A LOD set sizes its pool by the budget when it opens: later changes apply up to
        that size (raising it further needs a reload); 0 means the default."""
        self.budget = max(0, int(splats))
        self._apply_budget()

    def _apply_budget(self) -> None:
        if self.lod is not None:
            self.lod.budget = min(self.budget or LOD_BUDGET, self._lod_budget)
            self._lod_drawn = None
            return
        if self.scene is None:
            return
        pool = self.scene.pool
        pages = pool.num_pages
        if self.budget:
            pages = min(pages, max(1, math.ceil(self.budget / pool.page_size)))
        pool.set_active(range(pages))

    # -- view and frames -------------------------------------------------------------
    def set_view(self, view_json: str) -> None:
        """``{"eye":[..], "target":[..], "up":[..], "fov": deg, "background":[r,g,b]}``."""
        view = json.loads(view_json)
        if "background" in view:
            self.background = tuple(float(c) for c in view["background"])[:3]
        self.view.update(view)

    def camera(self, width: int | None = None, height: int | None = None) -> Camera:
        b = self._bounds()
        w = int(width or self.canvas.width)
        h = int(height or self.canvas.height)
        v = self.view
        if "eye" in v and "target" in v:
            up = v.get("up") or list(default_up(b[2] if b else "RDF"))
            return Camera.look_at(
                v["eye"], v["target"], up, width=w, height=h, fov_y_deg=float(v.get("fov", 50))
            )
        if b is None:
            raise SplatError("no scene loaded")
        return Camera.framing(b[0], b[1], b[2], width=w, height=h)

    async def frame(self) -> str:
        """Render the current view onto the canvas; JSON {ms, visible, redraw} or error.

        With a LOD set: also ``streaming`` (fetches pending: call ``poll`` until false)
        and ``drawn`` (splats drawn)."""
        if self.scene is None and self.lod is None:
            return json.dumps({"ms": 0.0, "visible": 0, "redraw": False})
        t0 = time.perf_counter()
        extra: dict[str, Any] = {}
        try:
            cam = self.camera()
            if self.lod is not None:
                info = await self.lod.update(cam)  # selection + uploads; no I/O waits
                self._lod_drawn = tuple(info.drawn)
                extra = {"streaming": self._streaming(info), "drawn": info.drawn_splats}
            if not self.renderer.sized:
                await self.renderer.prepare(cam, self.background)
            enc = self.device.encoder("frame")
            self.renderer.encode(enc, cam, self.background)
            self.presenter.encode(enc, self.renderer.output, cam.width, cam.height)
            self.device.submit(enc)
            grew = await self.renderer.grow_if_needed()  # awaits the frame's completion
        except (SplatError, GPUError, ValueError) as e:
            return _error(e)
        self.last_frame_ms = (time.perf_counter() - t0) * 1000
        stats = self.renderer.stats
        result = {"ms": self.last_frame_ms, "visible": stats.visible, "redraw": grew, **extra}
        return json.dumps(result)

    def _streaming(self, info) -> bool:
        s = self.lod.streamer
        return bool(info.wanted or s.busy or s.ready)

    async def poll(self) -> str:
        """Between frames while a LOD set streams: upload arrivals for the current view;
        JSON {changed: draw again, streaming: keep polling}."""
        if self.lod is None:
            return json.dumps({"changed": False, "streaming": False})
        try:
            info = await self.lod.update(self.camera())
        except (SplatError, GPUError, ValueError) as e:
            return _error(e)
        changed = tuple(info.drawn) != self._lod_drawn
        return json.dumps({"changed": changed, "streaming": self._streaming(info)})

    async def render_offscreen(self, width: int, height: int) -> str:
        """Render the current view at ``width`` x ``height``; base64 RGBA8 (tests)."""
        await self.renderer.render(self.camera(width, height), self.background)
        return base64.b64encode(await self.renderer.read_rgba8()).decode("ascii")

    async def timings(self) -> str:
        """Per-pass GPU milliseconds of one frame (empty without timestamp queries)."""
        self.device.begin_timing()
        await self.frame()
        return json.dumps(await self.device.end_timing())


async def _close_lod(lod: Any, source: Any) -> None:
    """Free a LOD set (its source with it), or only the source if no scene was made."""
    if lod is not None:
        await lod.close()
    elif source is not None and hasattr(source, "close"):
        source.close()
