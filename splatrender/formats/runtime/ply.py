"""INRIA 3DGS PLY for the runtime path: header in Python, rows decoded by decode_attrs.wgsl.

Binary little-endian bodies; the properties the renderer uses must be float32, in any
order (others, of any type, are skipped by their byte offsets). Missing rotations,
opacity or a third scale get the numpy reader's defaults and quirks; point clouds and
ASCII bodies are for the numpy reader. Twin: formats/ply.py.
"""

from __future__ import annotations

import math
import warnings

from ...errors import FormatError, RuntimeUnsupported
from ...scene.bounds import sample_indices
from .._io import Source
from ..plyheader import TYPES, parse_header
from .common import (
    ATTR_CONSTS,
    SLOT_DC,
    SLOT_MEAN,
    SLOT_OPACITY,
    SLOT_QUAT,
    SLOT_REST,
    SLOT_SCALE,
    STAT_FINITE,
    STAT_OUTSIDE,
    AttrTable,
    Decoded,
    rows,
    unpack_f32,
)
from .fill import Part, Plan, PoolFiller

FLOAT_TYPES = ("float", "float32")
POINT_OPACITY = 0.9
OPACITY_MODES = ("auto", "logit", "linear")


def _logit(p: float, eps: float = 1e-6) -> float:
    p = min(max(p, eps), 1 - eps)
    return math.log(p / (1 - p))


def prepare(data: bytes, name: str, *, opacity: str = "auto", **_: object) -> Decoded:
    if opacity not in OPACITY_MODES:
        raise ValueError(f"opacity must be one of {OPACITY_MODES}, got {opacity!r}")
    h = parse_header(Source(data, name), data)
    if h.format != "binary_little_endian":
        raise RuntimeUnsupported(
            name, f"the runtime path reads binary_little_endian PLY, not {h.format}"
        )
    start = h.body_offset
    vertex = None
    for e in h.elements:
        if e.name == "vertex":
            vertex = e
            break
        if e.is_list:
            raise FormatError(name, f"PLY element {e.name!r} before 'vertex' has list properties")
        start += e.count * e.row_bytes
    if vertex is None:
        raise FormatError(name, "PLY has no 'vertex' element")
    if vertex.is_list:
        raise FormatError(name, "PLY vertex element has list properties")
    stride = vertex.row_bytes
    n = vertex.count
    offsets: dict[str, int] = {}
    types: dict[str, str] = {}
    at = 0
    for p in vertex.properties:
        if p.name in offsets:
            raise FormatError(name, f"PLY element 'vertex': duplicate property {p.name!r}")
        offsets[p.name], types[p.name] = at, p.type
        at += TYPES[p.type][1]
    if not {"x", "y", "z"} <= offsets.keys():
        raise FormatError(name, "PLY vertex element lacks x, y, z")
    quirks: list[str] = []
    table = AttrTable()
    used: list[str] = []

    def put(slot: int, prop: str) -> None:
        if types[prop] not in FLOAT_TYPES:
            raise RuntimeUnsupported(
                name, f"the runtime path reads float32 PLY properties; {prop!r} is {types[prop]}"
            )
        table.set(slot, 0, offsets[prop], stride)
        used.append(prop)

    for k, a in enumerate("xyz"):
        put(SLOT_MEAN + k, a)
    scales = [f"scale_{i}" for i in range(3) if f"scale_{i}" in offsets]
    if len(scales) == 3:
        for k, s in enumerate(scales):
            put(SLOT_SCALE + k, s)
    elif len(scales) == 2:
        put(SLOT_SCALE, scales[0])
        put(SLOT_SCALE + 1, scales[1])
        table.default[SLOT_SCALE + 2] = math.log(1e-7)
        quirks.append("2D Gaussian splats (two scales): third scale set to 1e-7")
    else:
        raise RuntimeUnsupported(
            name, "PLY without scale_* properties (a point cloud) needs the numpy reader"
        )
    if all(f"rot_{i}" in offsets for i in range(4)):
        for k in range(4):
            put(SLOT_QUAT + k, f"rot_{k}")
    else:
        table.default[SLOT_QUAT] = 1.0
        if any(f"rot_{i}" in offsets for i in range(4)):
            quirks.append("incomplete rot_* properties: identity rotations used")
    has_opacity = "opacity" in offsets
    if has_opacity:
        put(SLOT_OPACITY, "opacity")
    else:
        table.default[SLOT_OPACITY] = _logit(POINT_OPACITY)
        quirks.append("no opacity property: opacity 0.9 used")
    if not all(f"f_dc_{i}" in offsets for i in range(3)):
        raise RuntimeUnsupported(name, "PLY without f_dc_* colours needs the numpy reader")
    for k in range(3):
        put(SLOT_DC + k, f"f_dc_{k}")
    rest = 0
    while f"f_rest_{rest}" in offsets:
        rest += 1
    degree = next((d for d in (3, 2, 1) if rest >= 3 * ((d + 1) ** 2 - 1)), 0)
    m = (degree + 1) ** 2 - 1
    if rest != 3 * m:
        quirks.append(
            f"{rest} f_rest properties is not a degree 0-3 layout: read as degree {degree}"
        )
    for c in range(3):
        for j in range(m):
            put(SLOT_REST + 3 * j + c, f"f_rest_{c * m + j}")
    for c in h.comments:
        if c.lower().strip() in ("antialiased 1", "splatrendermode: mip"):
            quirks.append("trained with antialiasing (mip) per the header comment")

    linear = has_opacity and opacity == "linear"
    if linear:
        quirks.append("opacity read as linear [0,1] values (opacity='linear')")
    view = memoryview(data)
    oo = start + offsets["opacity"] if has_opacity else 0
    # The exact all-splat check (GPU counters) runs only when a sample looks linear:
    # one finite sampled value outside [0, 1] already rules the convention out.
    maybe_linear = (
        has_opacity
        and opacity == "auto"
        and all(
            not math.isfinite(v) or 0.0 <= v <= 1.0
            for v in (unpack_f32(data, oo + i * stride) for i in sample_indices(n))
        )
    )
    params = table.pack(
        scale_linear=False, opacity_linear=linear, file_sh=3 * m, count_opacity=maybe_linear
    )
    part = Part(n, params, lambda first, k: [rows(view, start, stride)(first, k)], stride)
    plan = Plan("decode_attrs", [part], ATTR_CONSTS)

    after = None
    if maybe_linear:

        async def after(filler: PoolFiller, stats: tuple[int, ...]) -> list[str]:
            outside, finite = stats[STAT_OUTSIDE], stats[STAT_FINITE]
            if finite < 16 or outside:
                return []
            await filler.run_pages("decode_attrs", "linear_opacity", ATTR_CONSTS)
            msg = (
                "opacity values all lie in [0,1]: read as opacity after the sigmoid "
                "(HY-World 2.0 style); pass opacity='logit' to keep them as logits"
            )
            warnings.warn(f"{name}: {msg}", stacklevel=3)
            return [f"opacity-after-sigmoid: {msg}"]

    return Decoded(plan, n, degree, "RDF", "ply", quirks, after)
