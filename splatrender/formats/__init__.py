"""Scene formats: content-sniffed readers, writers, and the one splat type.

``load(path_or_bytes)`` recognises the format from the bytes (the file name is only
a hint, used for the magic-less ``.splat``), reads it, and returns :class:`Splats`
with ``format``, ``source`` and ``quirks`` filled. ``save`` writes INRIA PLY, SPZ or
``.splat``. Axis conventions are recorded, never converted here: see :mod:`.axes`.

Importing this package does not import numpy (the browser runtime imports the
sniffer); readers import it when called.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FormatError

if TYPE_CHECKING:
    from .splats import Splats

__all__ = ["FORMATS", "WRITERS", "FormatError", "load", "save", "sniff"]

# The one format table: sniffed format name -> (numpy reader module in this package,
# ``read(src, **options)``; runtime module in ``formats/runtime`` with ``prepare``, whose
# plan a ``shaders/decode_*.wgsl`` runs; None: open_scene converts with the reader).
# A new format adds a row here, its sniffing rule, a reader, a runtime module + WGSL
# decoder, and tests under tests/formats/ (the runtime ones against the reader).
REGISTRY: dict[str, tuple[str, str | None]] = {
    "ply": ("ply", "ply"),
    "ply-pointcloud": ("ply", None),
    "compressed-ply": ("compressed_ply", "cply"),
    "splat": ("splat", "splat"),
    "ksplat": ("ksplat", "ksplat"),
    "spz": ("spz", "spz"),
    "sog": ("sog", "sog"),
    "glb": ("gltf", "gltf"),
    "gltf": ("gltf", "gltf"),
}
FORMATS = {name: reader for name, (reader, _) in REGISTRY.items()}
RUNTIME = {name: runtime for name, (_, runtime) in REGISTRY.items() if runtime}
# format name -> module with ``to_bytes(splats, **options)``
WRITERS = {"ply": "ply", "spz": "spz", "splat": "splat"}
EXTENSIONS = {
    ".ply": "ply", ".splat": "splat", ".ksplat": "ksplat", ".spz": "spz", ".sog": "sog",
    ".json": "sog", ".glb": "glb", ".gltf": "gltf",
}  # fmt: skip


def _ext(name: str | None) -> str:
    if not name:
        return ""
    low = name.lower()
    if low.endswith(".compressed.ply"):
        return ".compressed.ply"
    return os.path.splitext(low)[1]


def sniff_bytes(data: bytes, name: str | None = None) -> str:
    """Format name for these bytes (``name``'s extension breaks ties only)."""
    from . import sniffing

    if not data:
        raise FormatError(name or "", "empty file")
    try:
        return sniffing.sniff(data, _ext(name))
    except FormatError as e:
        raise FormatError(name or e.source, e.problem) from None


def sniff(path_or_bytes: str | os.PathLike | bytes) -> str:
    """Name of the format of a file, folder (SOG) or bytes, from its content."""
    from ._io import make_source

    src = make_source(path_or_bytes)
    return sniff_bytes(src.data, src.name)


def load(
    path_or_bytes: str | os.PathLike | bytes,
    *,
    name: str | None = None,
    format: str | None = None,
    **options,
) -> Splats:
    """Read a scene of any supported format into :class:`Splats`.

    ``name`` labels bytes in messages (and its extension is a hint); ``format``
    skips sniffing. Options go to the reader: ``opacity="auto"|"logit"|"linear"``
    (PLY), ``lod=N`` (SOG LOD sets). Raises :class:`FormatError` naming the source.
    """
    from ._io import make_source
    from ._util import nonfinite_report

    src = make_source(path_or_bytes, name)
    fmt = format or sniff_bytes(src.data, src.name)
    if fmt not in FORMATS:
        raise FormatError(src.name, f"unknown format {fmt!r}")
    mod = importlib.import_module(f".{FORMATS[fmt]}", __name__)
    try:
        splats = mod.read(src, **options)
    except FormatError:
        raise
    except MemoryError:
        raise FormatError(src.name, "not enough memory to decode this file") from None
    except (ValueError, IndexError, KeyError, OverflowError, TypeError) as e:
        # Readers validate before decoding; this catches what slipped through.
        raise FormatError(src.name, f"malformed {fmt} data: {type(e).__name__}: {e}") from None
    splats.source = src.name
    if not splats.format:
        splats.format = fmt
    report = nonfinite_report(
        {
            "means": splats.means,
            "scales": splats.scales,
            "quats": splats.quats,
            "opacities": splats.opacities,
            "sh": splats.sh,
        }
    )
    if report:
        splats.quirks.append(report)
    return splats


def save(
    splats: Splats,
    path: str | os.PathLike,
    format: str | None = None,
    **options,
) -> str:
    """Write ``splats`` as ``format`` (default: from the extension). Returns the format.

    Values are written as they are, in ``splats.axes``; convert first with
    :func:`splatrender.formats.axes.to_axes` when the target expects other axes.
    """
    fmt = format or EXTENSIONS.get(_ext(str(path)))
    if fmt == "ply-pointcloud":
        fmt = "ply"
    if fmt not in WRITERS:
        raise FormatError(str(path), f"cannot write format {fmt!r}; writers: {sorted(WRITERS)}")
    mod = importlib.import_module(f".{WRITERS[fmt]}", __name__)
    data = mod.to_bytes(splats, **options)
    Path(path).write_bytes(data)
    return fmt


def __getattr__(name: str):
    if name == "Splats":
        from .splats import Splats

        return Splats
    raise AttributeError(name)
