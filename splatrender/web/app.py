"""The viewer session the page's JavaScript drives (runs inside Pyodide).

JS owns the canvas, the input and the orbit state; it calls, through Pyodide's FFI:

    app = await ViewerApp.create(canvas, mode)
    info = json.loads(await app.load(name, uint8array))     # or {"error": ...}
    info = json.loads(await app.load_files(name, names_json, arrays))  # SOG file sets
    info = json.loads(await app.open_lod(url, on_progress))  # a streamed LOD set
    info = json.loads(await app.load_objects(doc_json, base_url, on_progress))  # objects
    info = json.loads(await app.add_object(entry_json, base_url))  # one more object
    info = json.loads(app.set_object(key, changes_json))  # move / hide / fade / modify one
    info = json.loads(await app.set_edits(edits_json))  # the scene's SDF edits
    info = json.loads(await app.remove_object(key))
    app.set_view(json)                                        # camera + background
    info = json.loads(app.set_up(flag))  # "+y".. / "x,y,z" / "auto" (attribute), "flip", "next"
    r = json.loads(await app.frame())                         # (LOD update +) render
    p = json.loads(await app.poll())                          # LOD: redraw needed yet?

Results cross to JS as JSON strings (no proxies to free). Failures the user can
cause (bad files, no WebGPU) come back as ``{"error": message}`` and leave the
previous scene on screen.

A LOD set (``lod.json`` of ``splatrender lod build``, or a PlayCanvas
``lod-meta.json``) streams into a fixed page pool like the native viewer's: each
frame runs ``LodScene.update`` (selection and uploads, never waiting for I/O) before
drawing; fetches run as asyncio tasks on Pyodide's event loop through the page's
``fetch`` (``io.browser_fetch``). While some are pending, the page calls ``poll``
between frames and draws again only when what is drawable changed.

A scene of objects (``scene.objects.ObjectScene``) comes from a scene file given to
``load`` (its bytes: the page fetched them) or from a scene-file document built by the
page (``load_objects``: the ``<splat-object>`` children, ``viewer.loadObjects``). Either
is read by ``parse_scene_file`` against its URL, and each object's source is fetched
here (``_fetch_object``): a file as bytes, a SOG ``meta.json`` or ``.gltf`` with the
files it names, a LOD set through its manifest like ``open_lod``. ``add_object`` and
``remove_object`` make a new ``ObjectScene`` of the same (already open) objects plus or
minus one; ``set_object`` edits one in place (the scene's update version changes, so
the next frame draws it).
"""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
from collections.abc import Hashable
from typing import Any

from ..errors import FormatError, SplatError
from ..gpu import GPUError, request_device
from ..io.fetch import FetchError
from ..lod.locate import LOD_MANIFESTS, lod_manifest
from ..render.camera import Camera
from ..render.renderer import REDRAWS, Renderer
from ..scene import SceneSource, open_scene
from ..scene.edits import Edit, pack_edits
from ..scene.modifiers import Modifier
from ..scene.objects import ObjectScene, SceneObject, check_opacity
from ..scene.open import open_objects, referenced_files
from ..scene.scene_file import (
    PLACEMENT_KEYS,
    ObjectSpec,
    looks_like_scene_file,
    parse_scene_file,
)
from ..scene.upright import Upright, resolve_up

PAGE_SPLATS = 1 << 16  # pool page size in the browser: the splat budget's granularity
# Splats drawn from a LOD set when the page sets no budget: the "android" device class,
# so the pool (about 1.5x this) stays within a phone's or an integrated GPU's memory.
LOD_BUDGET = 1_000_000
SOG_CACHE_BYTES = 128 << 20  # decoded SOG level files kept in the page (see sog_source)


def _error(e: BaseException) -> str:
    return json.dumps({"error": str(e) or type(e).__name__})


def _bytes(data: Any) -> bytes:
    """Bytes of a JS typed array proxy (copied once) or of a bytes-like object."""
    return bytes(data) if isinstance(data, bytes | bytearray | memoryview) else data.to_bytes()


def _url_name(url: str) -> str:
    """A short name for a fetched source: its file name, or the folder of a manifest."""
    parts = [urllib.parse.unquote(p) for p in urllib.parse.urlparse(url).path.split("/") if p]
    if len(parts) > 1 and parts[-1] in (*LOD_MANIFESTS, "meta.json"):
        return parts[-2]
    return parts[-1] if parts else url


def _key(key: Any) -> int | str:
    """An object key from JS: an index (a JS number) or a name."""
    if isinstance(key, float) and key.is_integer():
        return int(key)
    if isinstance(key, int | str):
        return key
    raise SplatError(f"an object is named by its index or name, got {key!r}")


def _unique_names(objects: list[SceneObject]) -> None:
    """Name repeats " (2)", " (3)", ...: ``set_object`` finds objects by name."""
    seen: set[str] = set()
    for o in objects:
        name, n = o.name, 1
        while name in seen:
            n += 1
            name = f"{o.name} ({n})"
        o.name = name
        seen.add(name)


def _entry_doc(entry_json: str) -> bytes:
    """One object entry (JSON) as a one-object scene-file document."""
    entry = json.loads(entry_json)
    return json.dumps({"objects": [entry]}).encode()


SETTABLE = {"visible", "opacity", "modifier"} | PLACEMENT_KEYS


class ViewerApp:
    """One viewer: a device, a renderer, a canvas presenter and the current view."""

    def __init__(self, renderer: Renderer, presenter: Any, canvas: Any, codecs: Any) -> None:
        self.renderer = renderer
        self.device = renderer.device
        self.presenter = presenter
        self.canvas = canvas
        self.codecs = codecs
        self.scene: SceneSource | None = None
        self._drawn: Hashable = None  # what the last frame drew (SceneUpdate.version)
        self.view: dict[str, Any] = {}
        self.background = (0.0, 0.0, 0.0)
        self.budget = 0
        self.last_frame_ms = 0.0
        self.up_attr: str | None = None  # the element's up attribute (every scene)
        self.up_turn: Upright | None = None  # the U key's choice (this scene only)

    @classmethod
    async def create(cls, canvas: Any, mode: str = "classic") -> ViewerApp:
        from ..gpu.browser_present import CanvasPresenter
        from ..io.browser_codecs import BrowserCodecs

        device = await request_device()
        renderer = await Renderer.create(device, mode=mode)
        return cls(renderer, CanvasPresenter(device, canvas), canvas, BrowserCodecs(device))

    # -- scene ---------------------------------------------------------------------
    async def load(self, name: str, data: Any, url: str = "", on_progress: Any = None) -> str:
        """Decode one file (a JS Uint8Array or bytes); JSON scene info or error. A scene
        file (JSON with ``objects``) opens its objects, fetched relative to ``url``;
        ``on_progress(fraction)`` follows them."""
        data = _bytes(data)
        if looks_like_scene_file(data):
            return await self._load_objects(data, url or name, name, on_progress)
        return await self._open(data, name=name, page_size=PAGE_SPLATS)

    async def load_objects(self, doc_json: str, base_url: str, on_progress: Any = None) -> str:
        """Open a scene-file document (``{"objects": [...]}``, sources relative to
        ``base_url``) as the scene; JSON info or error (the old scene stays)."""
        return await self._load_objects(doc_json.encode(), base_url, "objects", on_progress)

    async def _load_objects(self, data: bytes, location: str, name: str, on_progress: Any) -> str:
        try:
            spec = parse_scene_file(data, location)
            done = 0

            async def opener(o: ObjectSpec, budget: int) -> SceneSource:
                nonlocal done
                source = await self._fetch_object(o.source, budget)
                done += 1
                if on_progress is not None:
                    on_progress(done / len(spec.objects))
                return source

            scene = await open_objects(
                spec, self.device, name=name, budget=self.budget or LOD_BUDGET, opener=opener
            )
        except (SplatError, GPUError, ValueError, TimeoutError) as e:
            return _error(e)
        _unique_names(scene.objects)
        return await self._show(scene)

    async def _fetch_object(self, url: str, budget: int) -> SceneSource:
        """Fetch and open one object's source (an absolute URL) on the GPU."""
        from ..io.browser_fetch import BrowserFetcher

        name = _url_name(url)
        fetcher = BrowserFetcher(url)
        if lod_manifest(url) is not None:
            return await open_scene(
                fetcher.base,
                self.device,
                name=name,
                fetcher=fetcher,
                codecs=self.codecs,
                budget=budget,
                lod_options={"source_options": {"cache_bytes": SOG_CACHE_BYTES}},
            )
        try:
            data = await fetcher.fetch(fetcher.base)
            file = urllib.parse.urlparse(fetcher.base).path.rsplit("/", 1)[-1].lower()
            source: Any = data
            if file == "meta.json" or file.endswith(".gltf"):
                try:
                    doc = json.loads(data)
                except ValueError as e:
                    raise FormatError(url, f"not JSON: {e}") from None
                if not isinstance(doc, dict):
                    raise FormatError(url, "not a SOG meta.json or a glTF document")
                names = referenced_files(doc, gltf=file.endswith(".gltf"))
                source = {file: data}
                for n in dict.fromkeys(names):
                    if ".." in n or n.startswith("/"):
                        raise FormatError(url, f"refuses to fetch {n!r} (outside its folder)")
                    source[n] = await fetcher.fetch(n)
            elif looks_like_scene_file(data):
                raise FormatError(url, "a scene file cannot hold another scene file")
        except FetchError as e:
            raise FormatError(url, str(e)) from None
        return await open_scene(
            source, self.device, name=name, codecs=self.codecs, page_size=PAGE_SPLATS
        )

    async def load_files(self, name: str, names_json: str, arrays: Any) -> str:
        """Decode a file set (SOG: meta.json + WebP files), given as parallel lists."""
        names = json.loads(names_json)
        files = {n: _bytes(a) for n, a in zip(names, arrays, strict=True)}
        return await self._open(files, name=name, page_size=PAGE_SPLATS)

    async def open_lod(self, url: str, on_progress: Any = None) -> str:
        """Open a LOD set from its manifest URL (relative to the page); JSON info or error.

        Resolves once the root set is on the GPU (the first frame shows the whole scene
        coarsely); ``on_progress(fraction)`` is called while the roots stream in."""
        from ..io.browser_fetch import BrowserFetcher

        fetcher = BrowserFetcher(url)
        location = fetcher.base
        name = "/".join(location.split("?")[0].rstrip("/").split("/")[-2:])

        def progress(done: int, total: int | None) -> None:
            if on_progress is not None and total:
                on_progress(done / total)

        return await self._open(
            location,
            name=name,
            fetcher=fetcher,
            budget=self.budget or LOD_BUDGET,
            progress=progress,
            lod_options={"source_options": {"cache_bytes": SOG_CACHE_BYTES}},
        )

    async def _open(self, source: Any, **options: Any) -> str:
        """Open a scene the one way (``open_scene``); the old one stays until it is ready."""
        try:
            scene = await open_scene(source, self.device, codecs=self.codecs, **options)
        except (SplatError, GPUError, ValueError, TimeoutError) as e:
            return _error(e)
        return await self._show(scene)

    async def _show(self, scene: SceneSource, close_old: bool = True) -> str:
        """Make ``scene`` the one drawn (closing the old one unless it shares objects)."""
        if close_old:
            await self._close()
        if close_old or not isinstance(self.scene, ObjectScene):
            self.up_turn = None  # the U key's choice was for another world
        self.scene = scene
        self._drawn = None
        self.renderer.set_pool(scene.pool)
        if self.budget:
            scene.set_budget(self.budget)
        return json.dumps(self.info())

    # -- objects ---------------------------------------------------------------------
    def _objects(self) -> ObjectScene:
        if not isinstance(self.scene, ObjectScene):
            raise SplatError("no scene of objects is open (load a scene file or add objects)")
        return self.scene

    async def add_object(self, entry_json: str, base_url: str) -> str:
        """Add one object (a scene file's object entry as JSON: ``source`` relative to
        ``base_url``, ``name``, placement, ``visible``, ``opacity``, ``up``) to the scene;
        a single-file scene becomes the first object. JSON info (``objects`` lists every
        object's name) or error (the scene stays as it was)."""
        try:
            (o,) = parse_scene_file(_entry_doc(entry_json), base_url).objects
            old = self.scene
            if isinstance(old, ObjectScene):
                objects, axes, upright = list(old.objects), old.axes, old.upright
            elif old is not None:
                objects, axes, upright = [SceneObject(old)], old.axes, None
            else:
                objects, axes, upright = [], None, None
            budget = self.budget or LOD_BUDGET
            source = await self._fetch_object(o.source, budget)
            obj = o.placed(source)
            try:
                scene = ObjectScene(
                    [*objects, obj], axes=axes, name=old.name if old else obj.name, upright=upright
                )
            except BaseException:
                await source.close()
                raise
        except (SplatError, GPUError, ValueError, TimeoutError) as e:
            return _error(e)
        _unique_names(scene.objects)
        return await self._show(scene, close_old=False)

    async def remove_object(self, key: Any) -> str:
        """Remove an object (by index or name) and free it; JSON info or error (the last
        object cannot be removed: load another scene instead)."""
        try:
            old = self._objects()
            gone = old.object(_key(key))
            rest = [o for o in old.objects if o is not gone]
            scene = ObjectScene(rest, axes=old.axes, name=old.name, upright=old.upright)
        except SplatError as e:
            return _error(e)
        info = await self._show(scene, close_old=False)
        await gone.source.close()
        return info

    def set_object(self, key: Any, changes_json: str) -> str:
        """Change one object (by index or name): any of ``translation``, ``rotation``
        (w,x,y,z) or ``rotation_deg`` (x,y,z), ``scale``, ``visible``, ``opacity``,
        ``modifier`` (``{"builtin", "params"}`` or null); what is not given is kept. All or
        nothing; JSON info or error. The next frame shows it."""
        try:
            scene = self._objects()
            obj = scene.object(_key(key))
            changes = json.loads(changes_json)
            if not isinstance(changes, dict):
                raise SplatError(f"object changes are a JSON object, got {changes!r}")
            extra = sorted(set(changes) - SETTABLE)
            if extra:
                raise SplatError(f"{obj.name}: unknown key(s) {extra}; known: {sorted(SETTABLE)}")
            transform = obj.transform
            if PLACEMENT_KEYS & set(changes):
                try:
                    place = {k: v for k, v in changes.items() if k in PLACEMENT_KEYS}
                    transform = transform.updated(place)
                except SplatError as e:
                    raise SplatError(f"{obj.name}: {e}") from None
            visible = changes.get("visible", obj.visible)
            if not isinstance(visible, bool):
                raise SplatError(f"{obj.name}: visible must be true or false")
            opacity = check_opacity(changes.get("opacity", obj.opacity), obj.name)
            i = scene.objects.index(obj)
            if "modifier" in changes:  # compiled first: a WGSL error changes nothing
                m = changes["modifier"]
                scene.set_modifier(i, None if m is None else Modifier.from_dict(m))
        except (SplatError, ValueError) as e:
            return _error(e)
        if transform is not obj.transform:
            scene.set_transform(i, transform)
        if opacity != obj.opacity:
            scene.set_opacity(i, opacity)
        if visible != obj.visible:
            scene.set_visible(i, visible)
        return json.dumps(self.info())

    async def set_edits(self, edits_json: str) -> str:
        """The scene's edits (a JSON list of ``Edit.from_dict`` entries; ``[]`` clears
        them); a single-file scene becomes a scene of one object. JSON info or error."""
        try:
            items = json.loads(edits_json)
            if not isinstance(items, list):
                raise SplatError(f"edits are a JSON list, got {items!r}")
            edits = [Edit.from_dict(e) for e in items]
            pack_edits(edits)  # refuse too many before anything changes
        except (SplatError, ValueError) as e:
            return _error(e)
        if self.scene is None:
            return _error(SplatError("no scene to edit"))
        if not isinstance(self.scene, ObjectScene):
            old = self.scene
            await self._show(ObjectScene([SceneObject(old)], name=old.name), close_old=False)
        self._objects().set_edits(edits)
        return json.dumps(self.info())

    async def _close(self) -> None:
        """Let go of the current scene."""
        if self.scene is not None:
            scene, self.scene = self.scene, None
            await scene.close()

    def info(self) -> dict[str, Any]:
        s = self.scene
        if s is None:
            return {}
        lo, hi = s.bounds
        upright = self.upright()
        cam = Camera.framing(lo, hi, s.axes, width=16, height=16, up=upright.up)
        out = {
            "name": s.name,
            "count": s.count,
            "shDegree": s.sh_degree,
            "format": s.format,
            "quirks": s.quirks,
            "lod": s.streamed,
            "axes": s.axes,
            "up": list(upright.up),
            "upLabel": upright.label,
            "upHow": upright.how,
            "upWhy": upright.why,
            "boundsMin": list(lo),
            "boundsMax": list(hi),
            "target": [(a + b) / 2 for a, b in zip(lo, hi, strict=True)],
            "eye": list(cam.position),
            "adapter": self.device.info.describe(),
        }
        if isinstance(s, ObjectScene):
            out["objects"] = [
                {
                    "name": o.name,
                    "source": o.location,
                    "format": o.source.format,
                    "count": o.source.count,
                    "visible": o.visible,
                    "opacity": o.opacity,
                    "translation": list(o.transform.translation),
                    "rotation": list(o.transform.rotation),
                    "scale": list(o.transform.scale),
                }
                for o in s.objects
            ]
        elif s.streamed:
            out.update(budget=s.budget, nodes=len(s.hierarchy.nodes))
        return out

    def upright(self) -> Upright:
        """The up the current scene is shown with: the U key's, the attribute's, or its own."""
        assert self.scene is not None
        return self.up_turn or resolve_up(self.scene.upright, self.up_attr)

    def set_up(self, flag: str) -> str:
        """The ``up`` attribute (``+y``, ``-z``, ``x,y,z``; ``auto`` or empty: the scene's
        own), or a key's ``flip`` / ``next`` (axis) for this scene; JSON info or error."""
        flag = (flag or "").strip()
        try:
            if flag in ("flip", "next"):
                if self.scene is not None:
                    up = self.upright()
                    self.up_turn = up.flipped() if flag == "flip" else up.next_axis()
            else:
                resolve_up(Upright((0.0, -1.0, 0.0), "file"), flag)  # refuse bad text now
                self.up_attr, self.up_turn = flag or None, None
        except SplatError as e:
            return _error(e)
        self._drawn = None
        return json.dumps(self.info())

    def set_budget(self, splats: int) -> None:
        """Draw at most about ``splats`` splats (a plain scene: whole pages in file
        order); 0 = all. A LOD set sizes its pool by the budget when it opens: later
        changes apply up to that size (raising it further needs a reload)."""
        self.budget = max(0, int(splats))
        if self.scene is not None:
            self.scene.set_budget(self.budget)
            self._drawn = None

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
            up = v.get("up") or (self.upright().up if s else (0.0, -1.0, 0.0))
            return Camera.look_at(
                v["eye"], v["target"], up, width=w, height=h, fov_y_deg=float(v.get("fov", 50))
            )
        if s is None:
            raise SplatError("no scene loaded")
        return Camera.framing(*s.bounds, s.axes, width=w, height=h, up=self.upright().up)

    async def frame(self) -> str:
        """Render the current view onto the canvas; JSON {ms, visible, redraw} or error.

        With a LOD set: also ``streaming`` (fetches pending: call ``poll`` until false)
        and ``drawn`` (splats drawn)."""
        if self.scene is None:
            return json.dumps({"ms": 0.0, "visible": 0, "redraw": False})
        t0 = time.perf_counter()
        try:
            cam = self.camera()
            info = await self.scene.update(cam)  # LOD: selection + uploads; no I/O waits
            self._drawn = info.version
            extra = {"streaming": info.streaming, "drawn": info.drawn_splats}
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
        redraw = grew or self.scene.animated  # a modifier on the clock: the next frame too
        result = {"ms": self.last_frame_ms, "visible": stats.visible, "redraw": redraw, **extra}
        return json.dumps(result)

    async def poll(self) -> str:
        """Between frames while a LOD set streams: upload arrivals for the current view;
        JSON {changed: draw again, streaming: keep polling}."""
        if self.scene is None:
            return json.dumps({"changed": False, "streaming": False})
        try:
            info = await self.scene.update(self.camera())
        except (SplatError, GPUError, ValueError) as e:
            return _error(e)
        return json.dumps({"changed": info.version != self._drawn, "streaming": info.streaming})

    async def render_offscreen(self, width: int, height: int) -> str:
        """Render the current view at ``width`` x ``height``; base64 RGBA8 (tests)."""
        await self.renderer.render(self.camera(width, height), self.background)
        return base64.b64encode(await self.renderer.read_rgba8()).decode("ascii")

    async def timings(self) -> str:
        """Per-pass GPU milliseconds of one frame (empty without timestamp queries)."""
        self.device.begin_timing()
        await self.frame()
        return json.dumps(await self.device.end_timing())

    # -- WebXR (static/xr.js drives it; geometry in web/xr.py) -------------------------
    # Per XR frame: ``xr_view`` chooses the LOD cut once for the centre of the eyes, then
    # ``render_eye`` draws each eye with that cut onto the XR canvas (a WebGPU canvas of
    # the eye's size, which xr.js uploads into a WebGL texture of the XR layer).
    def xr_start(self, canvas: Any, options_json: str = "{}") -> str:
        """Begin an XR session drawing onto ``canvas`` (its own WebGPU canvas):
        ``{"scale": metres per scene unit or 0 (the scene about 1.5 m), "floor": the
        space is local-floor}``. JSON placement (``matrix``: scene -> XR space, row-major;
        ``scale``, ``centre``, ``offset``) and ``background``, or error."""
        from ..gpu.browser_present import CanvasPresenter
        from .xr import Placement

        try:
            if self.scene is None:
                raise SplatError("enter XR after a scene has loaded")
            opts = json.loads(options_json or "{}")
            self._xr_placement = Placement.for_scene(
                self.scene.bounds,
                self.scene.axes,
                self.upright().up,
                scale=float(opts.get("scale") or 0),
                floor=bool(opts.get("floor", True)),
            )
            self._xr_presenter = CanvasPresenter(self.device, canvas)
            self._xr_canvas = canvas
        except (SplatError, GPUError, ValueError, RuntimeError) as e:
            return _error(e)
        self._xr_eyes: list[Any] = []
        return json.dumps({**self._xr_placement.to_dict(), "background": list(self.background)})

    async def xr_view(self, frame_json: str) -> str:
        """One XR frame's views ``{"views": [{"view": ref->eye, "projection": [16]
        (column-major, as XR gives them), "width", "height"}]}``: choose the LOD cut for
        the centre of the eyes (every eye draws it). JSON {streaming, drawn} or error."""
        from .xr import centre_camera, eye

        try:
            views = json.loads(frame_json)["views"]
            eyes = [eye(v["view"], v["projection"], self._xr_placement) for v in views]
            if not eyes or self.scene is None:
                raise SplatError("an XR frame needs a scene and at least one view")
            w, h = int(views[0]["width"]), int(views[0]["height"])
            info = await self.scene.update(centre_camera(eyes, w, h))
        except (SplatError, GPUError, ValueError, KeyError, TypeError, AttributeError) as e:
            return _error(e)
        self._xr_eyes = eyes
        self._drawn = None  # the page's own view draws again after the session
        return json.dumps({"streaming": info.streaming, "drawn": info.drawn_splats})

    async def render_eye(self, index: int, width: int, height: int) -> str:
        """Draw eye ``index`` of the last ``xr_view`` (its cut, no new selection) at
        ``width`` x ``height`` onto the XR canvas. JSON {ms, visible} or error."""
        t0 = time.perf_counter()
        try:
            cam = self._xr_eyes[int(index)].camera(int(width), int(height))
            canvas = self._xr_canvas
            if (int(canvas.width), int(canvas.height)) != (cam.width, cam.height):
                canvas.width, canvas.height = cam.width, cam.height
            if not self.renderer.sized:
                await self.renderer.prepare(cam, self.background)
            for _ in range(REDRAWS):  # a frame whose buffers had to grow is drawn again
                enc = self.device.encoder("xr-eye")
                self.renderer.encode(enc, cam, self.background)
                self._xr_presenter.encode(enc, self.renderer.output, cam.width, cam.height)
                self.device.submit(enc)
                if not await self.renderer.grow_if_needed():
                    break
        except (SplatError, GPUError, ValueError, IndexError, AttributeError) as e:
            return _error(e)
        ms = (time.perf_counter() - t0) * 1000
        return json.dumps({"ms": ms, "visible": self.renderer.stats.visible})

    def xr_end(self) -> None:
        """The session ended: the page's own canvas draws the next frame."""
        self._xr_eyes = []
        self._drawn = None
