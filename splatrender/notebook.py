"""``splatrender.show(scene)``: a scene in a Jupyter cell.

Interactive: the web viewer (the same page ``serve`` gives) in an iframe, served by a
local server that starts on first use and lives as long as the kernel. It needs the
browser to reach the kernel's machine on 127.0.0.1, which holds for a local Jupyter and
not for a remote kernel (JupyterHub, Colab, a server over SSH): there, and when asked with
``interactive=False``, the cell shows a PNG rendered natively instead. Frontends that
cannot show HTML (nbconvert to PDF, a terminal) get the PNG too.
"""

from __future__ import annotations

import asyncio
import base64
import html
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .scene.upright import Upright, resolve_up

_lock = threading.Lock()
_server: Any = None


def viewer_url(scene: str | Path, up: str | None = None) -> str:
    """URL of the viewer page opening ``scene`` (a local path is mounted on the kernel's
    server, started on first use; a URL is opened as it is)."""
    global _server
    from .cli.serve import SceneServer, entry_url
    from .web.site import assemble

    with _lock:
        if _server is None:
            _server = SceneServer(("127.0.0.1", 0), {}, assemble())
            threading.Thread(target=_server.serve_forever, daemon=True).start()
        s = str(scene)
        if "://" in s:
            src = s
        else:
            path = Path(s).resolve()
            if not path.exists():
                raise FileNotFoundError(f"{scene}: no such file or folder")
            mounted = {v: k for k, v in _server.mounts.items()}
            # a file keeps its name: it is the format hint for magic-less .splat
            name = f"/{path.name}" if path.is_file() else ""
            prefix = mounted.get(path) or f"/scenes/{len(mounted)}{name}"
            # a new dict, not an update: the server's threads read it meanwhile
            _server.mounts = {**_server.mounts, prefix: path}
            src = entry_url(prefix, path) or prefix
        query = {"src": src} | ({"up": up} if up else {})
        return _server.url + "index.html?" + urllib.parse.urlencode(query, safe=":/")


def render_png(
    scene: str | Path,
    width: int = 960,
    height: int = 540,
    mode: str = "classic",
    background: tuple[float, float, float] = (0.0, 0.0, 0.0),
    up: str | None = None,
) -> bytes:
    """The scene framed as ``render`` frames it, as PNG bytes (native GPU); ``up`` as
    ``render --up`` takes it (None: the scene's own)."""

    async def draw() -> bytes:
        from .gpu import request_device
        from .render.camera import Camera
        from .render.renderer import Renderer
        from .scene import open_scene, settle
        from .scene.upright import resolve_up

        device = await request_device()
        scene_ = await open_scene(str(scene), device)
        try:
            camera = Camera.framing(
                *scene_.bounds,
                scene_.axes,
                width=width,
                height=height,
                up=resolve_up(scene_.upright, up).up,
            )
            renderer = Renderer(device, mode=mode)
            renderer.set_pool(scene_.pool)
            await settle(scene_, camera)
            await renderer.render(camera, background)
            return await renderer.read_rgba8()
        finally:
            await scene_.close()

    import io

    from PIL import Image

    # A worker thread with its own loop: a Jupyter kernel already runs one here.
    with ThreadPoolExecutor(1) as pool:
        rgba = pool.submit(asyncio.run, draw()).result()
    buf = io.BytesIO()
    Image.frombytes("RGBA", (width, height), rgba).convert("RGB").save(buf, "PNG")
    return buf.getvalue()


class SceneView:
    """What :func:`show` returns: Jupyter displays it through ``_repr_mimebundle_``."""

    def __init__(
        self, scene: str | Path, width: int, height: int, interactive: bool, up: str | None
    ) -> None:
        self.scene, self.width, self.height, self.up = scene, width, height, up
        self.interactive = interactive
        self.url = viewer_url(scene, up) if interactive else None

    def png(self) -> bytes:
        return render_png(self.scene, self.width, self.height, up=self.up)

    def html(self) -> str:
        assert self.url is not None
        src = html.escape(self.url, quote=True)
        return (
            f'<iframe src="{src}" width="{self.width}" height="{self.height}" '
            'style="border:0" allow="fullscreen; xr-spatial-tracking" title="splatrender">'
            "</iframe>"
            f'<div style="font-size:11px;opacity:.7">splatrender viewer at {src} '
            "(blank? the kernel is remote: use <code>show(scene, interactive=False)</code>)"
            "</div>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, Any]:
        text = f"splatrender view of {self.scene}"
        if self.url is not None:
            return {"text/html": self.html(), "text/plain": text + f" at {self.url}"}
        return {"image/png": base64.b64encode(self.png()).decode(), "text/plain": text}


def show(
    scene: str | Path,
    width: int = 960,
    height: int = 540,
    interactive: bool | None = None,
    up: str | None = None,
) -> SceneView:
    """Display ``scene`` (a file, folder, LOD manifest or URL) in a notebook cell.

    ``interactive``: the web viewer in an iframe (default, unless the kernel looks
    remote) or, when False, a PNG rendered natively. ``up``: ``"-y"``, ``"+z"``, ...
    (None: the file's, or the upright guess).
    """
    if interactive is None:
        interactive = not _remote_kernel()
    if up is not None:
        resolve_up(Upright((0.0, -1.0, 0.0), "file"), up)  # refuse bad text here, not later
    return SceneView(scene, width, height, interactive, up)


def _remote_kernel() -> bool:
    """Environments where the browser cannot reach the kernel's 127.0.0.1."""
    import os

    return any(k in os.environ for k in REMOTE_HINTS)


# Set in Colab, in a JupyterHub single-user server, in a shell reached over SSH.
REMOTE_HINTS = ("COLAB_RELEASE_TAG", "JUPYTERHUB_API_TOKEN", "SSH_CONNECTION")
