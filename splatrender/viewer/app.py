"""`splatrender view`: a glfw window (rendercanvas) that shows a scene and follows input.

One asyncio loop runs everything: rendercanvas' scheduler calls ``ViewerApp.draw``
only after ``request_draw`` (input, resize, a finished load, held keys), so an idle
window does no GPU work. Loading runs in a worker thread so the window stays
responsive and shows progress; a bad file leaves an error on screen and the previous
scene in place. Without a display the same scene is rendered to a PNG instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FormatError, SplatError
from ..lod.locate import is_url
from ..scene import open_scene, settle
from ..scene.open import scene_name
from ..scene.upright import resolve_up
from .controls import CameraController
from .hud import FrameStats, Hud, HudInfo, crop

DEFAULT_SIZE = (1280, 720)
BACKGROUND = (0.0, 0.0, 0.0)


# -- sources -------------------------------------------------------------------------


def load_cameras(path: str | None) -> list[dict]:
    """The entries of an INRIA cameras.json (``[]`` without a path)."""
    if not path:
        return []
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise FormatError(str(path), f"cannot read cameras: {e}") from None
    if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
        raise FormatError(str(path), "expected a JSON list of camera objects (INRIA cameras.json)")
    return data


def output_path(source: str | Sequence[str], suffix: str) -> Path:
    """``<scene stem><suffix>`` next to the scene (the first of several), or in the
    working folder when that is not writable (read-only scene folders, URLs). Never
    overwrites: adds -2, -3..."""
    if isinstance(source, list | tuple):
        source = source[0]
    name = scene_name(source)
    stem = name.split(".")[0] or "scene"
    folder = Path.cwd()
    if not is_url(source):
        parent = Path(source).resolve().parent  # a SOG folder's shots go beside the folder
        if _writable(parent):
            folder = parent
    base = suffix[: -len(".png")] if suffix.endswith(".png") else suffix
    path = folder / f"{stem}{base}.png"
    n = 2
    while path.exists():
        path = folder / f"{stem}{base}-{n}.png"
        n += 1
    return path


def _writable(folder: Path) -> bool:
    # os.access says yes to root even in a folder marked read-only: honour the mode too.
    try:
        return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & 0o222)
    except OSError:
        return False


def save_png(rgba: bytes, width: int, height: int, path: Path) -> Path:
    from PIL import Image

    Image.frombytes("RGBA", (width, height), rgba).convert("RGB").save(path)
    return path


# -- display detection -----------------------------------------------------------------


def display_problem() -> str | None:
    """Why no window can open here (None when one can)."""
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return "no display ($DISPLAY and $WAYLAND_DISPLAY are unset)"
    try:
        import glfw
    except Exception as e:  # ImportError, or the glfw library missing
        return f"glfw is not available ({e})"
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ok = glfw.init()
        except Exception as e:
            return f"glfw cannot start ({e})"
    if not ok:
        return "glfw cannot open the display"
    return None


# -- the app --------------------------------------------------------------------------


@dataclass
class ViewerOptions:
    size: tuple[int, int] = DEFAULT_SIZE
    mode: str = "classic"
    cameras: str | None = None
    background: tuple[float, float, float] = BACKGROUND
    adapter: str | None = None
    max_fps: float = 60.0
    vsync: bool = True
    lod_budget: int | None = None  # splats drawn from a LOD set (None: the desktop default)
    up: str | tuple[float, float, float] | None = None  # --up (None: the scene's own)


class ViewerApp:
    """The viewer's state and callbacks; ``await ViewerApp.create(...)`` opens the window."""

    def __init__(self, canvas: Any, device: Any, renderer: Any, presenter: Any, opts) -> None:
        self.canvas = canvas
        self.device = device
        self.renderer = renderer
        self.presenter = presenter
        self.opts = opts
        self.cameras = load_cameras(opts.cameras)
        self.controls = CameraController((-1, -1, -1), (1, 1, 1), "RDF", cameras=self.cameras)
        self.hud = Hud()
        self.frame_stats = FrameStats()
        self.info = HudInfo(adapter=device.info.name, mode=opts.mode)
        self.source: str | Sequence[str] | None = None
        self.scene = None  # the open SceneSource (plain, or a streamed LOD set)
        self._lod_task: asyncio.Task | None = None
        self._lod_drawn: Any = None
        self.draws = 0  # frames drawn (tests check an idle window adds none)
        self.loads = 0  # finished load attempts, successful or not (not cancelled ones)
        self._last_tick = time.perf_counter()
        self._overlay_buf = None
        self._overlay_key = None
        self._loading: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        canvas.add_event_handler(self.on_event, "*")
        self._install_drop(canvas)
        canvas.request_draw(self.draw)

    @classmethod
    async def create(
        cls, opts: ViewerOptions, title: str = "splatrender", device: Any = None
    ) -> ViewerApp:
        from rendercanvas.glfw import RenderCanvas

        from ..gpu import request_device
        from ..gpu.native_present import NativePresenter
        from ..render.renderer import Renderer

        device = device or await request_device(opts.adapter)
        renderer = await Renderer.create(device, mode=opts.mode)
        canvas = RenderCanvas(
            size=opts.size,
            title=title,
            update_mode="ondemand",
            max_fps=opts.max_fps,
            vsync=opts.vsync,
        )
        presenter = NativePresenter(canvas, device)
        return cls(canvas, device, renderer, presenter, opts)

    # -- loading ----------------------------------------------------------------------
    def open(self, source: str | Sequence[str]) -> asyncio.Task:
        """Start loading ``source`` (path or URL, or several drawn together); the current
        scene stays until it is ready."""
        if self._loading is not None and not self._loading.done():
            self._loading.cancel()
        self._loading = self._spawn(self._load(source))
        return self._loading

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _load(self, source: str | Sequence[str]) -> None:
        name = scene_name(source)
        self.info.error = ""
        self._status(f"loading {name}...")
        loop = asyncio.get_running_loop()

        def progress(done: int, total: int | None) -> None:
            mb = done / 1e6
            text = f"{100 * done / total:.0f}% of {total / 1e6:.1f} MB" if total else f"{mb:.1f} MB"
            loop.call_soon_threadsafe(self._status, f"downloading {name}: {text}")

        t0 = time.perf_counter()
        try:
            scene = await open_scene(
                source, self.device, budget=self.opts.lod_budget, progress=progress
            )
        except asyncio.CancelledError:
            raise
        except Exception as e:  # a bad file must never take the viewer down
            msg = str(e) if isinstance(e, SplatError) else f"{source}: {type(e).__name__}: {e}"
            print(f"splatrender view: error: {msg}", file=sys.stderr)
            self.info.error = msg
            self._status("")
            self.loads += 1
            return
        old, self.scene = self.scene, scene
        self.renderer.set_pool(scene.pool)
        # The old scene's cut no longer applies: its task and its count go with it.
        if self._lod_task is not None:
            self._lod_task.cancel()
            self._lod_task = None
        self.info.drawn = None
        if old is not None:
            self._spawn(old.close())
        self.source = source
        self._lod_drawn = None
        self.info.total = scene.count
        self.controls.set_scene(
            *scene.bounds,
            scene.axes,
            upright=resolve_up(scene.upright, self.opts.up),
            cameras=self.controls.cameras,
        )
        count = f"{scene.count:,} splats" + (" at full detail (LOD set)" if scene.streamed else "")
        w, h = self.canvas.get_physical_size()
        # Sized before the first frame, which then comes out whole. A window too large
        # for the adapter raises here and again in the frame, which reports it.
        with contextlib.suppress(SplatError):
            if w > 0 and h > 0:
                await self.renderer.prepare(self.controls.camera(w, h), self.opts.background)
        self.canvas.set_title(f"{name} - splatrender")
        self._status("")
        ms = 1000 * (time.perf_counter() - t0)
        print(f"splatrender view: {name}: {count} in {ms:.0f} ms", file=sys.stderr)
        self.loads += 1

    async def _lod_update(self, camera) -> None:
        """Select the LOD cut for the view just drawn; draw again when it changes.

        Fetches run in the background: while some are pending, poll (without drawing)
        until what is drawable changes, so streaming in ends with one fresh frame."""
        scene = self.scene
        while scene is not None and scene is self.scene:
            info = await scene.update(camera)
            self.info.drawn = info.drawn_splats
            if info.version != self._lod_drawn:
                self._lod_drawn = info.version
                self.canvas.request_draw()
                return
            if not info.streaming:
                return
            await asyncio.sleep(0.05)

    def _status(self, text: str) -> None:
        self.info.status = text
        self.canvas.request_draw()

    def _install_drop(self, canvas: Any) -> None:
        # rendercanvas has no drop event; glfw has, on the window handle it keeps.
        window = getattr(canvas, "_window", None)
        if window is None:
            return
        import glfw

        def on_drop(_window, paths) -> None:
            if paths:
                self.open(paths[0] if len(paths) == 1 else list(paths))  # several: together

        self._drop_callback = on_drop  # glfw keeps only a weak hold of Python callbacks
        glfw.set_drop_callback(window, on_drop)

    # -- input ------------------------------------------------------------------------
    def on_event(self, event: dict) -> None:
        kind = event.get("event_type")
        if kind == "close":  # sent by canvas.close() before it destroys the window
            self.presenter.release_surface()
            return
        if kind == "resize":
            self.controls.handle_event(event)
            self.canvas.request_draw()
            return
        if kind == "key_down":
            key = str(event.get("key", "")).lower()
            if key == "h":
                self.hud.toggle()
                self.canvas.request_draw()
                return
            if key == "p":
                self._spawn(self.screenshot())
                return
            if key == "escape" and self.info.error:
                self.info.error = ""
                self.canvas.request_draw()
                return
        if self.controls.handle_event(event):
            self._last_tick = time.perf_counter()
            self.canvas.request_draw()

    # -- drawing ----------------------------------------------------------------------
    def draw(self) -> None:
        """rendercanvas' draw callback: one frame, recorded and submitted."""
        t0 = time.perf_counter()
        if self.controls.moving:
            self.controls.update(t0 - self._last_tick)
        self._last_tick = t0
        w, h = self.canvas.get_physical_size()
        enc = self.device.encoder("frame")
        image = None
        if self.scene is not None:
            try:
                self.renderer.encode(enc, self.controls.camera(w, h), self.opts.background)
                image = self.renderer.output
            except SplatError as e:  # e.g. a window larger than the adapter can render
                self.info.error = str(e)
                enc = self.device.encoder("frame")  # drop the half-recorded frame
        self.info.width, self.info.height = w, h
        up = self.controls.upright
        self.info.up = f"{up.label} ({up.how})" if self.scene is not None else ""
        self.info.fps = self.frame_stats.fps()
        self.info.frame_ms = self.frame_stats.median_ms()
        overlays = self._overlays(w, h)
        self.presenter.present(enc, image, w, h, overlays, self.opts.background)
        self.device.submit(enc)
        self.draws += 1
        self._spawn(self._after_frame(t0, image is not None))
        if self.scene is not None and self.scene.streamed and image is not None:
            if self._lod_task is not None:
                self._lod_task.cancel()
            self._lod_task = self._spawn(self._lod_update(self.controls.camera(w, h)))
        if self.controls.moving or (self.scene is not None and self.scene.animated):
            self.canvas.request_draw()

    def _overlays(self, w: int, h: int) -> list:
        from ..gpu import COPY_DST, STORAGE
        from ..gpu.native_present import Overlay

        scale = self.canvas.get_pixel_ratio()
        rgba, ow, oh = self.hud.bitmap(self.info, scale)
        rgba, ow, oh = crop(rgba, ow, oh, w, h)
        if not ow or not oh:
            return []
        key = (rgba, ow, oh)
        if key != self._overlay_key:
            buf = self._overlay_buf
            if buf is None or buf.size < len(rgba):
                if buf is not None:
                    self.device.destroy_buffer(buf)
                buf = self.device.create_buffer(len(rgba) * 2, [STORAGE, COPY_DST], "hud")
                self._overlay_buf = buf
            self.device.write_buffer(buf, rgba)
            self._overlay_key = key
        return [Overlay(self._overlay_buf, ow, oh)]

    async def _after_frame(self, t0: float, rendered: bool) -> None:
        """Frame time (until the GPU finished) and the frame's counts; grow buffers.

        Reading the counters waits for the frame. (``device.done()`` would be the direct
        way, but wgpu 0.32's ``on_submitted_work_done_async`` is broken.)"""
        if rendered:
            grew = await self.renderer.grow_if_needed()
            if self.scene is not None and not self.scene.streamed:
                self.info.drawn = self.renderer.stats.visible
            if grew:
                self.canvas.request_draw()
        self.frame_stats.add(1000 * (time.perf_counter() - t0))

    # -- screenshots ------------------------------------------------------------------
    async def screenshot(self) -> Path | None:
        """Save the current view (without the HUD) as a PNG next to the scene."""
        if self.scene is None or self.renderer.output is None:
            print("splatrender view: nothing to save yet", file=sys.stderr)
            return None
        w, h = self.renderer.size
        rgba = await self.renderer.read_rgba8()
        path = output_path(self.source, ".screenshot")
        try:
            save_png(rgba, w, h, path)
        except OSError as e:
            print(f"splatrender view: cannot save {path}: {e}", file=sys.stderr)
            return None
        print(f"screenshot: {path}", flush=True)
        self.info.status = f"saved {path.name}"
        self.canvas.request_draw()
        return path

    async def close(self) -> None:
        for t in list(self._tasks):
            t.cancel()
        self.canvas.close()  # its close event lets go of the surface (on_event)
        await asyncio.sleep(0.2)  # rendercanvas' tasks notice the closed window and end


class WindowUnavailable(RuntimeError):
    """The display is there but no window (or surface) could be made on it."""


# -- entry points ------------------------------------------------------------------------


async def render_png(
    source: str | Sequence[str], opts: ViewerOptions, path: Path | None = None
) -> Path:
    """The viewer's start view of ``source`` rendered offscreen to a PNG."""
    from ..gpu import request_device
    from ..render.renderer import Renderer

    device = await request_device(opts.adapter)
    renderer = await Renderer.create(device, mode=opts.mode)
    scene = await open_scene(source, device, budget=opts.lod_budget)
    try:
        renderer.set_pool(scene.pool)
        controls = CameraController(
            *scene.bounds,
            scene.axes,
            upright=resolve_up(scene.upright, opts.up),
            cameras=load_cameras(opts.cameras),
        )
        w, h = opts.size
        controls.handle_event({"event_type": "resize", "width": w, "height": h})
        controls.reset()
        camera = controls.camera(w, h)
        await settle(scene, camera)  # a LOD set: stream in what the start view needs
        await renderer.render(camera, opts.background)
        rgba = await renderer.read_rgba8()
    finally:
        await scene.close()
    return save_png(rgba, w, h, path or output_path(source, ""))


async def run_window(source: str | Sequence[str] | None, opts: ViewerOptions) -> int:
    title = f"{scene_name(source)} - splatrender" if source else "splatrender (drop a scene file)"
    try:
        app = await ViewerApp.create(opts, title)
    except SplatError:
        raise
    except Exception as e:  # glfw window or surface creation failed
        raise WindowUnavailable(f"{type(e).__name__}: {e}") from e
    if source:
        app.open(source)
    else:
        app.info.status = "drop a scene file on the window"
    # The canvas was made inside this running loop, so rendercanvas drives it from
    # here ("interactive" mode); we only wait for the window to close.
    while not app.canvas.get_closed():
        await asyncio.sleep(0.05)
    return 0


def run(source: str | Sequence[str] | None, opts: ViewerOptions) -> int:
    """Open the window, or without a display render the start view to a PNG."""
    problem = display_problem()
    if problem is not None:
        if not source:
            print(f"splatrender view: {problem}, and no scene to render", file=sys.stderr)
            return 1
        print(f"splatrender view: {problem}; rendering to a PNG instead", file=sys.stderr)
        path = asyncio.run(render_png(source, opts))
        print(path)
        return 0
    try:
        return asyncio.run(run_window(source, opts))
    except WindowUnavailable as e:
        if not source:
            raise SplatError(f"cannot open a window: {e}") from None
        print(f"splatrender view: cannot open a window ({e}); rendering to a PNG instead",
              file=sys.stderr)  # fmt: skip
        print(asyncio.run(render_png(source, opts)))
        return 0
