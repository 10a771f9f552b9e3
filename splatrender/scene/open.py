"""``open_scene``: any scene the user names, opened the one way, as a ``SceneSource``.

A LOD set (``lod.json`` of ``splatrender lod build``, a PlayCanvas ``lod-meta.json``, or a
folder holding one; a path or URL) streams into a fixed pool. Anything else is read as
bytes (a file, a SOG folder or its ``meta.json``, a glTF with its buffers, a URL; or bytes
/ a file-name mapping the caller already has, as the web page does) and decoded on the
GPU by ``formats.runtime.load_to_pool``: the same decoders natively and in a page.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..errors import FormatError, RuntimeUnsupported
from ..gpu import Device
from ..io.fetch import Fetcher, FetchError, download
from ..lod.locate import LOD_MANIFESTS, is_url, lod_manifest
from .source import SceneSource

Source = str | os.PathLike | bytes | bytearray | memoryview | Mapping[str, bytes]
Progress = Callable[[int, int | None], None]


def scene_name(source: str) -> str:
    """A short name for titles and messages: the file (or folder) name."""
    if is_url(source):
        path = urllib.parse.urlparse(source).path.rstrip("/")
        return urllib.parse.unquote(path.rsplit("/", 1)[-1]) or source
    p = Path(source)
    return p.parent.name if p.name in LOD_MANIFESTS else p.name or str(p)


def _referenced(path: Path) -> list[str]:
    """Files a SOG meta.json or a .gltf names beside itself."""
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError) as e:
        raise FormatError(str(path), f"cannot read JSON: {e}") from None
    if path.suffix.lower() == ".gltf":
        items = [*doc.get("buffers", []), *doc.get("images", [])]
        uris = [i.get("uri", "") for i in items if isinstance(i, dict)]
        return [urllib.parse.unquote(u) for u in uris if u and not u.startswith("data:")]
    out = []
    for section in doc.values() if isinstance(doc, dict) else ():
        if isinstance(section, dict):
            out += [f for f in section.get("files", []) if isinstance(f, str)]
    return out


def read_local(location: str) -> bytes | dict[str, bytes]:
    """The bytes of a scene file, or the file-name mapping of a file set (SOG folder or
    ``meta.json``, ``.gltf`` with its buffers), as ``load_to_pool`` takes them."""
    p = Path(location)
    if p.is_dir():
        p = p / "meta.json"
        if not p.is_file():
            raise FormatError(location, "a folder scene needs a meta.json (SOG)")
    if not p.exists():
        raise FormatError(location, "no such file or folder")
    try:
        if p.name == "meta.json" or p.suffix.lower() == ".gltf":
            names = [p.name, *_referenced(p)]
            return {n: (p.parent / n).read_bytes() for n in dict.fromkeys(names)}
        return p.read_bytes()
    except OSError as e:
        raise FormatError(location, f"cannot read: {e.strerror or e}") from None


def _convert(source: Any, name: str, why: RuntimeUnsupported) -> tuple[bytes, list[str]]:
    """A file the GPU decoders do not read, as the binary float PLY they do (natively
    only: the numpy reader, the oracle, does the conversion)."""
    try:
        from ..formats import load, ply
    except ImportError:  # a web page: no numpy
        raise why from None
    if isinstance(source, Mapping):
        raise why
    splats = load(bytes(source), name=name)
    return ply.to_bytes(splats), list(splats.quirks)


async def open_scene(
    source: Source,
    device: Device,
    *,
    name: str | None = None,
    budget: int | None = None,
    device_class: str = "desktop",
    fetcher: Fetcher | None = None,
    codecs: Any = None,
    progress: Progress | None = None,
    lod_options: dict | None = None,
    **decode_options: Any,
) -> SceneSource:
    """Open ``source`` on ``device``: a path or URL (file, SOG folder, LOD set), bytes, or
        a mapping of file names to bytes.

        ``budget`` (splats) sizes a LOD set's pool (``device_class`` picks the default);
        ``scene.set_budget`` caps what any scene draws later. ``fetcher`` reads a LOD set's files
        (the browser's; default: the folder or HTTP), ``codecs`` undo zstd/WebP (default:
        native). ``progress(done, total)`` follows a download (bytes) or a LOD set's root
    set (nodes). ``decode_options`` go to
        ``load_to_pool`` (``sh_degree``, ``opacity``, ``page_size``).
        Raises ``FormatError`` naming the source for anything it cannot open.
    """
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if isinstance(source, str):
        label = name or scene_name(source)
        manifest = source if fetcher is not None else lod_manifest(source)
        if manifest is not None:
            from ..lod.scene import LodScene

            try:
                lod = await LodScene.open(
                    manifest,
                    device,
                    budget=budget,
                    device_class=device_class,
                    fetcher=fetcher,
                    codecs=codecs,
                    progress=progress,
                    **(lod_options or {}),
                )
            except FetchError as e:
                raise FormatError(source, str(e)) from None
            lod.name = label
            return lod
        if is_url(source):
            try:
                data: Any = await asyncio.to_thread(download, source, progress)
            except FetchError as e:
                raise FormatError(source, str(e)) from None
        else:
            data = await asyncio.to_thread(read_local, source)
        source = data
    else:
        label = name or "scene"
    from ..formats.runtime import load_to_pool

    try:
        scene = await load_to_pool(device, source, name=label, codecs=codecs, **decode_options)
    except RuntimeUnsupported as e:
        data, quirks = await asyncio.to_thread(_convert, source, label, e)
        scene = await load_to_pool(device, data, name=label, codecs=codecs, **decode_options)
        scene.quirks = [f"converted by the numpy reader: {e.problem}", *quirks]
    if scene.count == 0:
        await scene.close()
        raise FormatError(label, "the scene holds no splats")
    return scene
