"""Is a location a LOD set? (pure Python: the CLI, the viewer and the web share it)."""

from __future__ import annotations

import urllib.parse
from pathlib import Path

LOD_MANIFESTS = ("lod.json", "lod-meta.json")


def is_url(source: str) -> bool:
    return urllib.parse.urlparse(str(source)).scheme in ("http", "https")


def lod_manifest(source: str) -> str | None:
    """The manifest of a LOD set (splatrender ``lod.json`` or PlayCanvas ``lod-meta.json``)
    when ``source`` is one, or a folder holding one; else None."""
    if is_url(source):
        path = urllib.parse.urlparse(source).path
        return source if path.rsplit("/", 1)[-1] in LOD_MANIFESTS else None
    p = Path(source)
    if p.name in LOD_MANIFESTS and p.is_file():
        return str(p)
    if p.is_dir():
        for name in LOD_MANIFESTS:
            if (p / name).is_file():
                return str(p / name)
    return None
