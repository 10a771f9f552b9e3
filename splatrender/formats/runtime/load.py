"""``load_to_pool``: sniff, parse the header in Python, decode on the GPU into a pool."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping

from ...errors import FormatError, RuntimeUnsupported
from ...gpu import Device
from ...io.codecs import Codecs, native_codecs
from ...scene.bounds import pool_framing
from ...scene.plain import PlainScene
from ...shaders.layout import STAT_INVISIBLE
from .. import RUNTIME, sniff_bytes
from .common import Decoded
from .fill import PoolFiller

Source = bytes | bytearray | memoryview | Mapping[str, bytes]


def _basename(key: str) -> str:
    return key.replace("\\", "/").rsplit("/", 1)[-1]


def _pick(source: Source, name: str) -> tuple[str, bytes, Mapping[str, bytes] | None]:
    """(format, main bytes, sibling files) of a source."""
    if isinstance(source, Mapping):
        files = {_basename(k): v for k, v in source.items()}
        if not files:
            raise FormatError(name, "no files given")
        for key in ("meta.json",):
            if key in files:
                return "sog", bytes(files[key]), files
        for key, value in files.items():
            if key.lower().endswith((".gltf", ".glb")):
                data = bytes(value)
                return sniff_bytes(data, key), data, files
        if len(files) == 1:
            ((key, value),) = files.items()
            data = bytes(value)
            return sniff_bytes(data, key), data, files
        raise FormatError(name, "file set has neither a meta.json (SOG) nor a .gltf/.glb")
    data = source if isinstance(source, bytes) else bytes(source)
    try:
        return sniff_bytes(data, name), data, None
    except FormatError as e:
        raise FormatError(name, e.problem) from None


async def _prepare(
    fmt: str, data: bytes, name: str, files, codecs: Codecs, options: dict
) -> Decoded:
    if fmt not in RUNTIME:
        raise RuntimeUnsupported(name, f"{fmt} scenes are read by the numpy reader only")
    mod = importlib.import_module(f".{RUNTIME[fmt]}", __package__)
    # prepare(data, name, *, codecs, files, opacity): what a format does not use it ignores;
    # those that entropy-decode are coroutines (codecs may be async in a page).
    dec = mod.prepare(data, name, codecs=codecs, files=files, **options)
    return await dec if inspect.isawaitable(dec) else dec


async def load_to_pool(
    device: Device,
    source: Source,
    *,
    name: str,
    codecs: Codecs | None = None,
    sh_degree: int | None = None,
    opacity: str = "auto",
    page_size: int | None = None,
    chunk_splats: int | None = None,
) -> PlainScene:
    """Decode a scene file (bytes, or a mapping of file name -> bytes) into a GPU pool.

    The CPU parses headers and does the entropy decoding (gzip, zstd, WebP); WGSL
    turns the bytes into pool pages. ``sh_degree`` caps the SH degree kept;
    ``opacity`` is the PLY opacity convention ("auto", "logit", "linear");
    ``page_size`` and ``chunk_splats`` (splats per page / per dispatch) are for tests.
    Raises ``FormatError`` naming ``name`` for anything it cannot read.
    """
    codecs = codecs or native_codecs()
    fmt, data, files = _pick(source, name)
    options = {"opacity": opacity}
    try:
        dec = await _prepare(fmt, data, name, files, codecs, options)
    except FormatError:
        raise
    except MemoryError:
        raise FormatError(name, "not enough memory to decode this file") from None
    except (ValueError, IndexError, KeyError, OverflowError, TypeError, EOFError) as e:
        raise FormatError(name, f"malformed {fmt} data: {type(e).__name__}: {e}") from None
    except Exception as e:  # struct.error, zipfile errors, ...
        raise FormatError(name, f"malformed {fmt} data: {type(e).__name__}: {e}") from None
    degree = dec.sh_degree if sh_degree is None else max(0, min(sh_degree, dec.sh_degree))
    filler = PoolFiller(device, dec.count, degree, page_size=page_size, chunk_splats=chunk_splats)
    quirks = list(dec.quirks)
    try:
        stats = await filler.run(dec.plan)
        invisible = stats[STAT_INVISIBLE]
        if invisible:
            quirks.append(
                f"{invisible} splats with non-finite values or a zero rotation stored invisible"
            )
        if dec.after is not None:
            quirks += await dec.after(filler, stats)
        pool = filler.finish()
        lo, hi, upright = await pool_framing(pool, dec.axes, dec.format)
    except BaseException:
        filler.destroy()
        raise
    return PlainScene(
        pool, dec.count, degree, dec.axes, lo, hi, name, dec.format, quirks, invisible, upright
    )
