"""PlayCanvas SOG (version 2) reader: ``meta.json`` + lossless WebP textures, or a ``.sog`` zip.

Layout (one texel per splat, row-major, textures at least ``count`` texels):

- ``means_l``/``means_u``: low/high bytes of a 16-bit value per axis (RGB); the value
  lerps between ``means.mins``/``maxs`` in log space, ``v = sign(x)*ln(|x|+1)``.
- ``quats``: smallest-three packing; RGB are the three small components mapped from
  [-1/sqrt2, 1/sqrt2] to bytes, A = 252 + index of the dropped (largest) component
  in w,x,y,z order, which is reconstructed positive.
- ``scales``: RGB index a 256-entry codebook of log scales.
- ``sh0``: RGB index a 256-entry codebook of DC coefficients; A is sigmoid(opacity)*255.
- ``shN`` (optional): ``labels`` RG = 16-bit palette index; ``centroids`` holds the
  palette, 64 entries per row, each entry ``coeffs`` texels wide, RGB index the shN
  codebook.

Frame: splat-transform writes the columns of its input unchanged, so a SOG made
from an INRIA PLY is in the PLY's axes; the file does not say. We record "RDF"
(what splat-transform and PlayCanvas assume when reading it) - see ``AXES``.
"""

from __future__ import annotations

import io

import numpy as np

from ..errors import FormatError
from ._io import MAX_RATIO, SMALL_OUTPUT, Source
from ._util import logit
from .sog_container import (
    MAX_META,
    ZIP_MAGIC,
    field,
    parse_meta,
    splat_count,
    zip_member_reader,
)
from .splats import AXES_RDF, Splats, sh_coeffs, sh_degree_for

FORMAT = "sog"
AXES = AXES_RDF
# Component slots (in w,x,y,z) of the three stored values, by dropped component.
QUAT_SLOTS = ((1, 2, 3), (0, 2, 3), (0, 1, 3), (0, 1, 2))
SLOTS = np.array(QUAT_SLOTS)


def is_sog_meta(data: bytes) -> bool:
    head = data[:4096].lstrip()
    return head[:1] == b"{" and b'"means"' in data[:MAX_META] and b'"quats"' in data[:MAX_META]


def is_lod_meta(data: bytes) -> bool:
    head = data[:4096].lstrip()
    return head[:1] == b"{" and b'"lodLevels"' in head


def read(src: Source, *, lod: int = 0, **_: object) -> Splats:
    """Read a SOG scene from a ``meta.json`` (files beside it) or a bundled ``.sog`` zip."""
    if src.data[:4] == ZIP_MAGIC:
        return _read_zip(src)
    if is_lod_meta(src.data):
        return _read_lod(src, lod)
    meta = parse_meta(src.name, src.data)
    return decode(src, meta, src.open_sibling)


def _read_zip(src: Source) -> Splats:
    member = zip_member_reader(src.name, src.data)
    return decode(src, parse_meta(src.name, member("meta.json")), member)


def _read_lod(src: Source, lod: int = 0) -> Splats:
    """A streamed LOD set's ``lod-meta.json``: every file of one level, concatenated.

    Level 0 is the finest. The runtime LOD streamer reads the tree itself; this is
    for tools (info, convert) that want the set as one plain scene.
    """
    from ..lod.sog_source import parse_lod_meta  # the one lod-meta.json parser

    h, files, ranges = parse_lod_meta(src.data[:MAX_META], src.name)
    names = [files[i] for i in sorted({ranges[i][0] for i, n in h.nodes.items() if n.level == lod})]
    if not names:
        raise FormatError(src.name, f"lod-meta.json has no files for level {lod}")
    parts = []
    for first in names:
        meta = parse_meta(src.name, src.open_sibling(first))
        base = first.rsplit("/", 1)[0] + "/" if "/" in first else ""
        parts.append(decode(src, meta, lambda name, b=base: src.open_sibling(b + name)))
    out = concat(parts)
    out.quirks.append(f"LOD set: level {lod} of {len(names)} file(s) loaded as one scene")
    return out


def concat(parts: list[Splats]) -> Splats:
    k = max(p.sh.shape[1] for p in parts)
    parts = [p if p.sh.shape[1] == k else p.with_sh_degree(sh_degree_for(k)) for p in parts]
    return Splats(
        np.concatenate([p.means for p in parts]),
        np.concatenate([p.scales for p in parts]),
        np.concatenate([p.quats for p in parts]),
        np.concatenate([p.opacities for p in parts]),
        np.concatenate([p.sh for p in parts]),
        axes=parts[0].axes,
        format=parts[0].format,
        quirks=[],
    )


def _codebook(src: Source, meta: dict, key: str) -> np.ndarray:
    cb = field(src.name, meta, key, "codebook")
    try:
        arr = np.asarray(cb, np.float32)
    except (ValueError, TypeError):
        raise FormatError(src.name, f"SOG {key}.codebook is not a list of numbers") from None
    if arr.shape != (256,):
        raise FormatError(src.name, f"SOG {key}.codebook has {arr.size} entries, expected 256")
    return arr


def _vec3(src: Source, meta: dict, key: str) -> np.ndarray:
    try:
        arr = np.asarray(field(src.name, meta, "means", key), np.float64)
    except (ValueError, TypeError):
        raise FormatError(src.name, f"SOG means.{key} is not 3 numbers") from None
    if arr.shape != (3,):
        raise FormatError(src.name, f"SOG means.{key} is not 3 numbers")
    return arr


def webp_rgba(src: Source, data: bytes, name: str, max_pixels: int) -> np.ndarray:
    """Decode one WebP to (H,W,4) uint8, refusing images past ``max_pixels``."""
    from PIL import Image

    try:
        im = Image.open(io.BytesIO(data), formats=["WEBP"])
        w, h = im.size
        if w * h > max_pixels:
            raise FormatError(
                src.name,
                f"{name} is {w}x{h}, more than the {max_pixels:,} texels the splat count implies",
            )
        if w * h > max(SMALL_OUTPUT, len(data) * MAX_RATIO) // 4:
            raise FormatError(src.name, f"{name} ({w}x{h}) decompresses too far: refusing")
        arr = np.asarray(im.convert("RGBA"))
    except FormatError:
        raise
    except Exception as e:  # Pillow raises OSError, ValueError, SyntaxError, ...
        raise FormatError(src.name, f"cannot decode {name}: {type(e).__name__}: {e}") from None
    if arr.shape != (h, w, 4):
        raise FormatError(src.name, f"{name} decoded to an unexpected shape {arr.shape}")
    return arr


def decode(src: Source, meta: dict, open_file) -> Splats:
    """Decode a parsed v2 meta and its textures (``open_file(name) -> bytes``)."""
    count, max_px = splat_count(src.name, meta)

    def tex(key: str, idx: int = 0) -> np.ndarray:
        files = field(src.name, meta, key, "files")
        if not isinstance(files, list) or len(files) <= idx or not isinstance(files[idx], str):
            raise FormatError(src.name, f"SOG {key}.files is malformed")
        name = files[idx]
        img = webp_rgba(src, open_file(name), name, max_px)
        if img.shape[0] * img.shape[1] < count:
            raise FormatError(
                src.name, f"{name} has {img.shape[0] * img.shape[1]:,} texels for {count:,} splats"
            )
        return img.reshape(-1, 4)[:count]

    mins, maxs = _vec3(src, meta, "mins"), _vec3(src, meta, "maxs")
    lo = tex("means", 0).astype(np.uint32)
    hi = tex("means", 1).astype(np.uint32)
    q16 = (lo[:, :3] | (hi[:, :3] << 8)).astype(np.float32)
    v = mins.astype(np.float32) + ((maxs - mins) / 65535.0).astype(np.float32) * q16
    means = np.copysign(np.expm1(np.abs(v)), v)
    del lo, hi, q16, v

    quats = unpack_quats(tex("quats"))
    scales = _codebook(src, meta, "scales")[tex("scales")[:, :3]]
    sh0 = tex("sh0")
    dc = _codebook(src, meta, "sh0")[sh0[:, :3]]
    opac = logit(sh0[:, 3].astype(np.float32) / 255.0)

    degree = 0
    shn = meta.get("shN")
    if shn is not None:
        degree = field(src.name, meta, "shN", "bands")
        if degree not in (0, 1, 2, 3):
            raise FormatError(src.name, f"SOG shN.bands {degree!r} is not 0-3")
    k = sh_coeffs(degree)
    sh = np.zeros((count, k, 3), np.float32)
    sh[:, 0] = dc
    if degree:
        sh[:, 1:] = _shn(src, meta, count, k - 1, open_file, max_px)
    return Splats(means, scales, quats, opac, sh, axes=AXES, format=FORMAT, quirks=[])


def unpack_quats(q: np.ndarray) -> np.ndarray:
    """Smallest-three RGBA bytes -> unit w,x,y,z quaternions (bad tags -> identity)."""
    n = q.shape[0]
    small = q[:, :3].astype(np.float32) * np.float32(2 / 255 / np.sqrt(2.0))
    small -= np.float32(1 / np.sqrt(2.0))
    tag = q[:, 3].astype(np.intp) - 252
    bad = (tag < 0) | (tag > 3)
    tag[bad] = 0
    out = np.empty((n, 4), np.float32)
    rows = np.arange(n)
    out[rows[:, None], SLOTS[tag]] = small
    out[rows, tag] = np.sqrt(np.maximum(0.0, 1.0 - (small**2).sum(axis=1)))
    out[bad] = (1, 0, 0, 0)
    return out


def _shn(src: Source, meta: dict, count: int, m: int, open_file, max_px: int) -> np.ndarray:
    palette_count = field(src.name, meta, "shN", "count")
    if not isinstance(palette_count, int) or not 0 <= palette_count <= 65536:
        raise FormatError(src.name, f"SOG shN.count {palette_count!r} is not 0..65536")
    codebook = _codebook(src, meta, "shN")
    files = field(src.name, meta, "shN", "files")
    if not isinstance(files, list) or len(files) < 2:
        raise FormatError(src.name, "SOG shN.files needs centroids and labels")
    cent = webp_rgba(src, open_file(files[0]), files[0], 64 * 16 * 1024)
    h, w = cent.shape[:2]
    if w != 64 * m:
        raise FormatError(src.name, f"{files[0]} is {w} wide, expected {64 * m} for {m} coeffs")
    palette = codebook[cent[:, :, :3].reshape(h * 64, m, 3)]  # (h*64, m, 3)
    labels_img = webp_rgba(src, open_file(files[1]), files[1], max_px)
    if labels_img.shape[0] * labels_img.shape[1] < count:
        raise FormatError(src.name, f"{files[1]} has fewer texels than splats")
    lab = labels_img.reshape(-1, 4)[:count]
    labels = lab[:, 0].astype(np.int64) | (lab[:, 1].astype(np.int64) << 8)
    usable = min(palette_count, h * 64)
    # invalid labels point at an appended zero entry: one gather, no masks
    palette = np.concatenate([palette[:usable], np.zeros((1, m, 3), np.float32)])
    return palette[np.minimum(labels, usable)]
