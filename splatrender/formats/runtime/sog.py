"""PlayCanvas SOG v2 for the runtime path: WebP via codecs on the CPU, decode_sog.wgsl after.

Sources: a mapping of file name -> bytes holding ``meta.json`` and its WebP files (a
SOG folder, e.g. one level of a streamed LOD set), or a bundled ``.sog`` zip.
Streamed LOD sets (``lod-meta.json``) are the LOD streamer's job. Twin: formats/sog.py.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Mapping

from ...errors import FormatError
from ...io.codecs import Codecs
from ...shaders.layout import SOG_PARAMS
from ..sog_container import ZIP_MAGIC, field, parse_meta, splat_count, zip_member_reader
from .common import Decoded
from .entropy import webp_rgba
from .fill import Part, Plan


def _numbers(name: str, value, n: int, what: str) -> list[float]:
    if (
        not isinstance(value, list)
        or len(value) != n
        or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        raise FormatError(name, f"SOG {what} is not {n} numbers")
    return [float(v) for v in value]


def _f32(v: float) -> float:
    return struct.unpack("<f", struct.pack("<f", v))[0]


async def prepare(
    data: bytes,
    name: str,
    *,
    codecs: Codecs,
    files: Mapping[str, bytes] | None = None,
    **_: object,
) -> Decoded:
    member = None
    if data[:4] == ZIP_MAGIC:
        member = zip_member_reader(name, data)
        data = member("meta.json")
    if b'"lodLevels"' in data[:4096]:
        raise FormatError(name, "a streamed LOD set (lod-meta.json) is read by splatrender.lod")
    meta = parse_meta(name, data)
    count, max_px = splat_count(name, meta)

    def open_file(key: str) -> bytes:
        if member is not None:
            return member(key)
        if files is None:
            raise FormatError(name, f"needs the file {key!r} beside meta.json; pass a mapping")
        body = files.get(key.rsplit("/", 1)[-1])
        if body is None:
            raise FormatError(name, f"SOG file {key!r} is missing")
        return bytes(body)

    def file_name(key: str, idx: int = 0) -> str:
        lst = field(name, meta, key, "files")
        if not isinstance(lst, list) or len(lst) <= idx or not isinstance(lst[idx], str):
            raise FormatError(name, f"SOG {key}.files is malformed")
        return lst[idx]

    async def texels(fname: str, need: int, limit: int) -> tuple[int, int, memoryview]:
        w, h, rgba = await webp_rgba(codecs, name, open_file(fname), fname, limit)
        if w * h < need:
            raise FormatError(name, f"{fname} has {w * h:,} texels for {need:,} splats")
        return w, h, memoryview(rgba)

    mins = _numbers(name, field(name, meta, "means", "mins"), 3, "means.mins")
    maxs = _numbers(name, field(name, meta, "means", "maxs"), 3, "means.maxs")
    books = [_numbers(name, field(name, meta, k, "codebook"), 256, f"{k}.codebook")
             for k in ("scales", "sh0")]  # fmt: skip
    degree, m, palette, usable = 0, 0, 0, 0
    shn = meta.get("shN")
    names = [file_name("means", 0), file_name("means", 1), file_name("quats"),
             file_name("scales"), file_name("sh0")]  # fmt: skip
    if shn is not None:
        degree = field(name, meta, "shN", "bands")
        if degree not in (0, 1, 2, 3):
            raise FormatError(name, f"SOG shN.bands {degree!r} is not 0-3")
    if degree:
        m = (degree + 1) ** 2 - 1
        palette = field(name, meta, "shN", "count")
        if not isinstance(palette, int) or isinstance(palette, bool) or not 0 <= palette <= 65536:
            raise FormatError(name, f"SOG shN.count {palette!r} is not 0..65536")
        books.append(_numbers(name, field(name, meta, "shN", "codebook"), 256, "shN.codebook"))
        lst = field(name, meta, "shN", "files")
        if not isinstance(lst, list) or len(lst) < 2 or not all(isinstance(x, str) for x in lst):
            raise FormatError(name, "SOG shN.files needs centroids and labels")
        names += [lst[1], lst[0]]  # labels, centroids
    else:
        books.append([0.0] * 256)
    decoded = await asyncio.gather(
        *(texels(f, count, max_px) for f in names[:6]),
        *([texels(names[6], 0, 64 * 16 * 1024)] if degree else []),
    )
    tex = [t[2] for t in decoded[:6]]
    centroids = memoryview(b"")
    if degree:
        cw, ch, centroids = decoded[6]
        if cw != 64 * m:
            raise FormatError(name, f"{names[6]} is {cw} wide, expected {64 * m} for {m} coeffs")
        usable = min(palette, ch * 64)
    else:
        tex.append(memoryview(b""))
    codebook = struct.pack("<768f", *books[0], *books[1], *books[2])
    step = [_f32((maxs[k] - mins[k]) / 65535.0) for k in range(3)]
    params = SOG_PARAMS.pack(
        mins=(*(_f32(v) for v in mins), 0.0), step=(*step, 0.0), file_rest=m, palette=usable
    )

    def segments(first: int, n: int):
        return [t[4 * first : 4 * (first + n)] for t in tex] + [centroids, codebook]

    part = Part(count, params, segments, 4 * 6, fixed=len(centroids) + len(codebook) + 16)
    return Decoded(Plan("decode_sog", [part]), count, degree, "RDF", "sog")
