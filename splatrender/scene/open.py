"""``open_scene``: any scene the user names, opened the one way, as a ``SceneSource``.

A LOD set (``lod.json`` of ``splatrender lod build``, a PlayCanvas ``lod-meta.json``, or a
folder holding one; a path or URL) streams into a fixed pool. Anything else is read as
bytes (a file, a SOG folder or its ``meta.json``, a glTF with its buffers, a URL; or bytes
/ a file-name mapping the caller already has, as the web page does) and decoded on the
GPU by ``formats.runtime.load_to_pool``: the same decoders natively and in a page.
Several sources, or a scene file (JSON listing placed objects, ``scene/scene_file.py``),
open as one ``ObjectScene`` whose objects are each opened this way.
"""

from __future__ import annotations

import asyncio
import json
import os
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import FormatError, RuntimeUnsupported
from ..gpu import Device
from ..io.fetch import Fetcher, FetchError, download
from ..lod.locate import LOD_MANIFESTS, is_url, lod_manifest
from ..render.pool_order import sort_pool
from .objects import ObjectScene, SceneObject
from .scene_file import (
    ObjectSpec,
    SceneSpec,
    looks_like_scene_file,
    parse_scene_file,
    specs_of,
)
from .source import SceneSource
from .upright import Upright

Source = str | os.PathLike | bytes | bytearray | memoryview | Mapping[str, bytes]
Progress = Callable[[int, int | None], None]
Opener = Callable[[ObjectSpec, int], Awaitable[SceneSource]]  # (object, LOD budget)


def scene_name(source: str | Sequence[str]) -> str:
    """A short name for titles and messages: the file (or folder) name; several names
    joined for several sources."""
    if isinstance(source, list | tuple):
        return ", ".join(scene_name(s) for s in source)
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
    return referenced_files(doc, gltf=path.suffix.lower() == ".gltf")


def referenced_files(doc: Any, *, gltf: bool = False) -> list[str]:
    """Files a parsed SOG ``meta.json`` (or a ``.gltf``: ``gltf=True``) names beside
    itself (the web page fetches them the same way)."""
    if gltf:
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


async def open_objects(
    spec: SceneSpec,
    device: Device,
    *,
    name: str = "scene",
    budget: int | None = None,
    device_class: str = "desktop",
    opener: Opener | None = None,
    **options: Any,
) -> ObjectScene:
    """Open every object of ``spec`` (each the way ``open_scene`` opens a source, or by
    ``opener(object_spec, budget)``: the web page fetches) as one ``ObjectScene``. The
    LOD sets among them share the splat budget equally."""
    from ..lod.select import device_budget  # here: lod.manifest imports scene (a cycle)

    lod = [o for o in spec.objects if lod_manifest(o.source) is not None]
    share = device_budget(device_class, budget) // max(1, len(lod))
    objects: list[SceneObject] = []
    try:
        for o in spec.objects:
            if opener is not None:
                source = await opener(o, max(1, share))
            else:
                source = await open_scene(
                    o.source, device, budget=max(1, share), device_class=device_class, **options
                )
            objects.append(o.placed(source))
            if isinstance(source, ObjectScene):
                raise FormatError(o.source, "a scene file cannot hold another scene file")
        upright = None
        if spec.up is not None:
            upright = Upright(spec.up, "file", "the scene file says")
        return ObjectScene(objects, axes=spec.axes, name=name, upright=upright, edits=spec.edits)
    except BaseException:
        for obj in objects:
            await obj.source.close()
        raise


async def open_scene(
    source: Source | Sequence[str],
    device: Device,
    *,
    name: str | None = None,
    budget: int | None = None,
    device_class: str = "desktop",
    fetcher: Fetcher | None = None,
    codecs: Any = None,
    progress: Progress | None = None,
    lod_options: dict | None = None,
    spatial_order: bool = True,
    **decode_options: Any,
) -> SceneSource:
    """Open ``source`` on ``device``: a path or URL (file, SOG folder, LOD set), bytes, or
        a mapping of file names to bytes.

        ``budget`` (splats) sizes a LOD set's pool (``device_class`` picks the default);
        ``scene.set_budget`` caps what any scene draws later. ``fetcher`` reads a LOD set's files
        (the browser's; default: the folder or HTTP), ``codecs`` undo zstd/WebP (default:
        native). ``progress(done, total)`` follows a download (bytes) or a LOD set's root
    set (nodes). ``spatial_order``: sort a plain scene's pool pages by position
        (``render.pool_order``: faster frames, the same image; off keeps the file's order,
        which per-splat indices then follow). ``decode_options`` go to
        ``load_to_pool`` (``sh_degree``, ``opacity``, ``page_size``).
        Raises ``FormatError`` naming the source for anything it cannot open.
    """

    def as_objects(spec: SceneSpec, label: str):
        return open_objects(
            spec, device, name=label, budget=budget, device_class=device_class,
            fetcher=fetcher, codecs=codecs, progress=progress, lod_options=lod_options,
            spatial_order=spatial_order, **decode_options,
        )  # fmt: skip

    if isinstance(source, list | tuple):
        if len(source) != 1:
            return await as_objects(specs_of(source), name or scene_name(source))
        source = source[0]
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    location = source if isinstance(source, str) else ""
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
    if isinstance(source, bytes | bytearray | memoryview) and looks_like_scene_file(source):
        return await as_objects(parse_scene_file(source, location or label), label)
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
    if spatial_order:
        try:
            await sort_pool(device, scene.pool, *scene.bounds)
        except BaseException:
            await scene.close()
            raise
    return scene
