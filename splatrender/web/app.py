"""The viewer session the page's JavaScript drives (runs inside Pyodide).

JS owns the canvas, the input and the orbit state; it calls, through Pyodide's FFI:

    app = await ViewerApp.create(canvas, mode)
    info = json.loads(await app.load(name, uint8array))     # or {"error": ...}
    info = json.loads(await app.load_files(name, names_json, arrays))  # SOG file sets
    app.set_view(json)                                        # camera + background
    grew = await app.frame()                                  # render + present

Results cross to JS as JSON strings (no proxies to free). Failures the user can
cause (bad files, no WebGPU) come back as ``{"error": message}`` and leave the
previous scene on screen.
"""

from __future__ import annotations

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
        if self.scene is not None:
            self.scene.destroy()
        self.scene = scene
        self.renderer.set_pool(scene.pool)
        self._apply_budget()
        return json.dumps(self.info())

    def info(self) -> dict[str, Any]:
        s = self.scene
        if s is None:
            return {}
        cam = Camera.framing(s.bounds_min, s.bounds_max, s.frame, width=16, height=16)
        centre = [(a + b) / 2 for a, b in zip(s.bounds_min, s.bounds_max, strict=True)]
        return {
            "name": s.name,
            "count": s.count,
            "shDegree": s.sh_degree,
            "format": s.format,
            "quirks": s.quirks,
            "frame": s.frame,
            "up": list(default_up(s.frame)),
            "boundsMin": list(s.bounds_min),
            "boundsMax": list(s.bounds_max),
            "target": centre,
            "eye": list(cam.position),
            "adapter": self.device.info.describe(),
        }

    def set_budget(self, splats: int) -> None:
        """Draw at most about ``splats`` splats (whole pages, in file order); 0 = all."""
        self.budget = max(0, int(splats))
        self._apply_budget()

    def _apply_budget(self) -> None:
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
        s = self.scene
        w = int(width or self.canvas.width)
        h = int(height or self.canvas.height)
        v = self.view
        if "eye" in v and "target" in v:
            up = v.get("up") or list(default_up(s.frame if s else "RDF"))
            return Camera.look_at(
                v["eye"], v["target"], up, width=w, height=h, fov_y_deg=float(v.get("fov", 50))
            )
        if s is None:
            raise SplatError("no scene loaded")
        return Camera.framing(s.bounds_min, s.bounds_max, s.frame, width=w, height=h)

    async def frame(self) -> str:
        """Render the current view onto the canvas; JSON {ms, visible, redraw} or error."""
        if self.scene is None:
            return json.dumps({"ms": 0.0, "visible": 0, "redraw": False})
        t0 = time.perf_counter()
        try:
            cam = self.camera()
            enc = self.device.encoder("frame")
            self.renderer.encode(enc, cam, self.background)
            self.presenter.encode(enc, self.renderer.output, cam.width, cam.height)
            self.device.submit(enc)
            grew = await self.renderer.grow_if_needed()  # awaits the frame's completion
        except (SplatError, GPUError, ValueError) as e:
            return _error(e)
        self.last_frame_ms = (time.perf_counter() - t0) * 1000
        stats = self.renderer.stats
        return json.dumps({"ms": self.last_frame_ms, "visible": stats.visible, "redraw": grew})

    async def render_offscreen(self, width: int, height: int) -> str:
        """Render the current view at ``width`` x ``height``; base64 RGBA8 (tests)."""
        await self.renderer.render(self.camera(width, height), self.background)
        return base64.b64encode(await self.renderer.read_rgba8()).decode("ascii")

    async def timings(self) -> str:
        """Per-pass GPU milliseconds of one frame (empty without timestamp queries)."""
        self.device.begin_timing()
        await self.frame()
        return json.dumps(await self.device.end_timing())
