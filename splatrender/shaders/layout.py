"""What WGSL and Python share, defined once: records, counters, clamps, the frame block.

``layout_wgsl()`` emits all of it as the generated WGSL module ``layout``, which shaders
take with ``// #import layout``; Python packers, readers, twins and passes import the
same names from here. Nothing in this file may be retyped in a ``.wgsl`` file.

Splat pool (what a pool page holds per splat, float32, raw 3DGS parameters):
  geometry, ``GEOM_FLOATS`` per splat: mean xyz, opacity logit, quaternion w,x,y,z
  (unnormalised), log scale xyz, SH DC rgb, extra dilation (px^2 added to the projected
  covariance on top of ``EPS2D``: 0 from every file decoder; merged LOD splats of a
  classic set carry it, see lod/merge.py), padding to 16 floats.
  SH rest, ``sh_rest_floats(degree)`` per splat: coefficient-major, rgb interleaved,
  ``[(k-1)*3 + c]`` for k = 1..(deg+1)^2-1, c = r,g,b.

Projected splat (one per visible splat, written by the projection pass): pixel xy,
conic a,b,c (of the inverse 2D covariance), rgb, opacity.
"""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass


@dataclass(frozen=True)
class Record:
    """A run of 4-byte fields (float32 or u32): WGSL gets ``const <PREFIX>_<FIELD>: u32``
    offsets and the length ``<PREFIX>_<UNIT>``; numpy code slices columns with ``cols``."""

    prefix: str
    fields: tuple[tuple[str, int], ...]
    unit: str = "FLOATS"

    @property
    def size(self) -> int:
        """Length in 4-byte words."""
        return sum(n for _, n in self.fields)

    def offset(self, field: str) -> int:
        at = 0
        for name, n in self.fields:
            if name == field:
                return at
            at += n
        raise KeyError(f"{self.prefix} has no field {field!r}")

    def cols(self, field: str) -> slice:
        """The columns of ``field`` in an (N, floats) array."""
        at = self.offset(field)
        return slice(at, at + dict(self.fields)[field])

    def wgsl(self) -> str:
        lines = [f"const {self.prefix}_{self.unit}: u32 = {self.size}u;"]
        lines += [
            f"const {self.prefix}_{name.upper()}: u32 = {self.offset(name)}u;"
            for name, _ in self.fields
        ]
        return "\n".join(lines)


GEOMETRY = Record(
    "GEOM",
    (
        ("mean", 3), ("opacity", 1), ("quat", 4), ("log_scale", 3), ("dc", 3),
        ("dilation", 1), ("pad", 1),
    ),
)  # fmt: skip
PROJECTED = Record("PROJ", (("xy", 2), ("conic", 3), ("color", 3), ("opacity", 1)))
# The header of a LOD chunk in u32 words (lod/chunk.py documents the format).
CHUNK_HEADER = Record(
    "CHUNK",
    (
        ("magic", 1), ("version", 1), ("count", 1), ("sh_degree", 1),
        ("pos_min", 3), ("pos_step", 3), ("lscale_min", 1), ("lscale_step", 1),
        ("dc_min", 3), ("dc_step", 3), ("sh_min", 3), ("sh_step", 3),
        ("core_offset", 1), ("sh_offset", 1), ("sh_words", 1),
        ("dilation_offset", 1), ("dilation_step", 1), ("zero", 3),
    ),
    unit="WORDS",
)  # fmt: skip
# Per visible splat in the rects buffer: its tile rect (xmin | ymin << 16, xmax | ymax <<
# 16, max exclusive) and the tiles its ellipse touches, as a bit mask for a small rect
# (shaders/tile_touch.wgsl) and as a count.
RECT = Record("RECT", (("lo", 1), ("hi", 1), ("mask", 1), ("count", 1)), unit="WORDS")
GEOM_FLOATS = GEOMETRY.size
PROJ_FLOATS = PROJECTED.size

# Words of the renderer's counters buffer (u32 each), in order.
COUNTERS = ("visible", "visible_eff", "pairs", "pairs_eff", "tiles", "walk_cut")
COUNTER = {name: i for i, name in enumerate(COUNTERS)}

WORKGROUP = 256  # threads per workgroup of the per-splat kernels
TILE_SIZE = 16  # default tile edge; CPU adapters use SOFTWARE_TILE_SIZE (render/tuning.py)
SOFTWARE_TILE_SIZE = 8

# Clamps the GPU decoders and the reference packer both apply. exp(14) ~ 1.2e6 scene
# units: larger splats are clamped so covariance products stay inside float32 range;
# logits past +-20 are sigmoid 0 or 1 anyway. A splat with a non-finite value or a zero
# rotation is kept in place but made invisible: opacity at LOGIT_MIN, identity rotation,
# scales at LOG_SCALE_MIN, everything else zero.
LOGIT_MIN, LOGIT_MAX = -20.0, 20.0
LOG_SCALE_MIN, LOG_SCALE_MAX = -30.0, 14.0
OPACITY_EPS = 1e-6  # inverse sigmoid input clamp [eps, 1 - eps]

# Image formation (the reference 3DGS model; reference/ uses the same values).
EPS2D = 0.3  # px^2 added to every projected covariance
ALPHA_MIN = 1.0 / 255.0  # cull and skip threshold
ALPHA_MAX = 0.99
T_MIN = 1e-4  # a pixel stops once its transmittance would fall under this
SH_C0 = 0.28209479177387814
SH_C1 = 0.4886025119029199
# The bin pass's relative slack on its ellipse test: float32 rounding may only add pairs,
# never drop one the image needs (the reference twin uses the same slack).
TOUCH_SLACK = 1.0001

_ARRAY = re.compile(r"array<(.+), (\d+)>")
_SCALARS = {"u32": "I", "f32": "f"}
_VECTORS = {"vec4<u32>": ("I", 4), "vec4<f32>": ("f", 4), "mat4x4<f32>": ("f", 16)}


@dataclass(frozen=True)
class Struct:
    """A uniform block: WGSL gets the struct, Python packs it by field name.

    Fields are (name, WGSL type, comment). Types: u32, f32, vec4<u32|f32>, mat4x4<f32>
    (column-major) and array<vec4<...>, N>; 16-byte members must sit at 16-byte offsets
    (checked), as WGSL's uniform layout puts them there.
    """

    name: str
    fields: tuple[tuple[str, str, str], ...]
    head: str = ""  # a WGSL-only first member (``c: Common``: fill.py prepends its bytes)

    @staticmethod
    def _kind(wgsl_type: str) -> tuple[str, int]:
        m = _ARRAY.fullmatch(wgsl_type)
        if m:
            code, n = _VECTORS[m.group(1)]
            return code, n * int(m.group(2))
        if wgsl_type in _SCALARS:
            return _SCALARS[wgsl_type], 1
        return _VECTORS[wgsl_type]

    @property
    def format(self) -> str:
        at, out = 0, "<"
        for name, wgsl_type, _ in self.fields:
            code, n = self._kind(wgsl_type)
            if n > 1 and at % 4:
                raise ValueError(f"{self.name}.{name} ({wgsl_type}) is not 16-byte aligned")
            out += f"{n}{code}"
            at += n
        return out + f"{-at % 4}x" * 4 if at % 4 else out

    @property
    def size(self) -> int:
        return struct.calcsize(self.format)

    def pack(self, **values: object) -> bytes:
        """Bytes of the block; every field by name (padding ``_*`` fields default to 0),
        scalars or sequences of its length."""
        flat: list = []
        for name, wgsl_type, _ in self.fields:
            n = self._kind(wgsl_type)[1]
            if name not in values and not name.startswith("_"):
                raise TypeError(f"{self.name}.{name} is missing")
            v = values.pop(name, [0] * n if n > 1 else 0)
            items = [v] if n == 1 else list(v)  # type: ignore[call-overload]
            if len(items) != n:
                raise ValueError(f"{self.name}.{name} takes {n} values, got {len(items)}")
            flat += items
        if values:
            raise TypeError(f"{self.name} has no field(s) {', '.join(values)}")
        return struct.pack(self.format, *flat)

    def wgsl(self) -> str:
        lines = [f"    {self.head},"] if self.head else []
        lines += [f"    {n}: {t}," + (f"  // {c}" if c else "") for n, t, c in self.fields]
        body = "\n".join(lines)
        return f"struct {self.name} {{\n{body}\n}}"


# The per-frame uniform block of the projection, binning and raster passes.
FRAME_UNIFORMS = Struct(
    "FrameUniforms",
    (
        ("view", "mat4x4<f32>", "world-to-camera (camera: x right, y down, z forward)"),
        ("campos", "vec4<f32>", "camera centre in world (xyz)"),
        ("focal", "vec4<f32>", "fx, fy, cx, cy in pixels"),
        ("clip", "vec4<f32>", "near, far, tan-fov clamp x (1.3 rule), tan-fov clamp y"),
        ("clip_neg", "vec4<f32>", "negative-side clamps x, y (principal point off centre)"),
        ("background", "vec4<f32>", "rgb, seconds on the renderer's clock (modifiers' time)"),
        ("size", "vec4<u32>", "width, height, tiles_x, tiles_y"),
        ("caps", "vec4<u32>", "visible capacity, pair capacity, write f32 debug image, unused"),
    ),
)
# One pool page's uniform (render/pool.py writes it). The placement of the page's object
# lives here, not in the frame block: it changes only when the object moves, so a frame
# writes nothing per page, and the pages of many objects share one projection pipeline.
PAGE_UNIFORMS = Struct(
    "Page",
    (
        ("count", "u32", "splats in the page"),
        ("base", "u32", "global index of the page's first splat (the ids buffer)"),
        ("opacity", "f32", "the object's opacity, multiplies each splat's"),
        ("_pad0", "u32", ""),
        ("model", "mat4x4<f32>", "object-to-world (column-major)"),
        ("to_object", "mat4x4<f32>", "inverse of model's linear part: SH view directions"),
        ("params", "vec4<f32>", "the object's modifier parameters"),
    ),
)
# What an object's modifier (scene/modifiers.py, shaders/modifier.wgsl) is told about a
# splat. WGSL only: the projection pass fills it; nothing packs it.
MODIFIER_INPUT = Struct(
    "ModifierInput",
    (
        ("index", "u32", "the splat's index in its object"),
        ("time", "f32", "seconds on the renderer's clock"),
        ("_pad0", "u32", ""),
        ("_pad1", "u32", ""),
        ("local", "vec4<f32>", "centre in the object's frame as stored (xyz)"),
        ("params", "vec4<f32>", "the object's modifier parameters"),
    ),
)
# Edits (scene/edits.py): SDF shapes that recolour or fade the splats whose centres they
# contain, applied by the projection pass every frame (shaders/edits.wgsl).
MAX_EDITS = 8
MAX_EDIT_SHAPES = 16
EDIT_KINDS = ("sphere", "box", "ellipsoid", "cylinder", "capsule", "plane")
EDIT_MODES = ("multiply", "set_rgb", "add_rgba")
EDIT_UNIFORMS = Struct(
    "Edits",
    (
        ("counts", "vec4<u32>", "edits, shapes, unused, unused"),
        ("edit", f"array<vec4<u32>, {MAX_EDITS}>", "first shape, shape count, mode, invert"),
        ("color", f"array<vec4<f32>, {MAX_EDITS}>", "rgba the mode blends in"),
        ("softness", f"array<vec4<f32>, {MAX_EDITS}>", "edge half-width (scene units), -, -, -"),
        ("kind", f"array<vec4<u32>, {MAX_EDIT_SHAPES}>", "EDIT_<KIND>, -, -, -"),
        ("size", f"array<vec4<f32>, {MAX_EDIT_SHAPES}>", "radius / half extents (xyz)"),
        ("to_shape", f"array<mat4x4<f32>, {MAX_EDIT_SHAPES}>", "world-to-shape (column-major)"),
    ),
)
# One pool page's spatial reorder (render/pool_order.py, shaders/pool_order.wgsl).
ORDER_PARAMS = Struct(
    "OrderParams",
    (
        ("lo", "vec4<f32>", "xyz: the corner the Morton grid starts at"),
        ("scale", "vec4<f32>", "xyz: grid cells per scene unit on each axis"),
        ("count", "u32", "splats in the page"),
        ("sh_floats", "u32", "SH rest floats per splat in the page"),
        ("_pad0", "u32", ""),
        ("_pad1", "u32", ""),
    ),
)
MORTON_BITS = 10  # 2**10 grid cells per axis, 30-bit keys (pool_order.wgsl spread3 masks)
# scene/bounds.py: one sample_geometry dispatch per page.
SAMPLE_PARAMS = Struct(
    "SampleParams",
    (
        ("first", "u32", "the page's first entry in `indices` and `samples`"),
        ("count", "u32", "samples taken from the page"),
        ("_pad0", "u32", ""),
        ("_pad1", "u32", ""),
    ),
)
# The block every runtime decoder's params start with (formats/runtime/fill.py writes it).
DECODE_SEGMENTS = 24  # input segments of one decode dispatch
DECODE_COMMON = Struct(
    "Common",
    (
        ("count", "u32", "splats in this dispatch"),
        ("groups_x", "u32", "workgroups along x (2D grids past 65,535 groups)"),
        ("out_base", "u32", "page slot of the dispatch's first splat"),
        ("sh_floats", "u32", "SH rest floats per splat in the pool"),
        ("first", "u32", "index of the dispatch's first splat within its part"),
        ("_p0", "u32", ""),
        ("_p1", "u32", ""),
        ("_p2", "u32", ""),
        ("seg", f"array<vec4<u32>, {DECODE_SEGMENTS // 4}>", "word offset of each input segment"),
    ),
)


# The `stats` counters every decoder binds: [STAT_INVISIBLE] broken splats stored
# invisible (decode_common.wgsl), the rest free for a format's own checks.
DECODE_STATS = 4
STAT_INVISIBLE = 0


# The params block of each runtime decoder (shaders/decode_*.wgsl), after its Common.
ATTR_SLOTS = 60  # decode_attrs.wgsl: where each output value is read from (common.py)
_U = "u32"
_V4U, _V4F = "vec4<u32>", "vec4<f32>"
_COMMON = "c: Common"
ATTR_PARAMS = Struct(
    "AttrParams",
    (
        ("scale_linear", _U, "1: stored scales are linear (glTF), take the log"),
        ("opacity_linear", _U, "1: stored opacity is after the sigmoid, take the logit"),
        ("file_sh", _U, "SH rest floats stored per splat (<= 45)"),
        ("dc_rgb", _U, "1: the DC slots hold a colour in [0, 1] (glTF COLOR_0), not SH DC"),
        ("count_opacity", _U, "1: count opacities into `stats` (a sample looked linear)"),
        ("_pad0", _U, ""),
        ("_pad1", _U, ""),
        ("_pad2", _U, ""),
        ("seg_of", f"array<{_V4U}, {ATTR_SLOTS // 4}>", "input segment of each slot"),
        ("offset", f"array<{_V4U}, {ATTR_SLOTS // 4}>", "byte offset in a row (MISSING)"),
        ("stride", f"array<{_V4U}, {ATTR_SLOTS // 4}>", "row bytes"),
        ("dflt", f"array<{_V4F}, {ATTR_SLOTS // 4}>", "value of a missing slot"),
    ),
    _COMMON,
)
CPLY_PARAMS = Struct(
    "CplyParams",
    (
        ("chunk_stride", _U, "bytes per chunk row"),
        ("vert_stride", _U, "bytes per vertex row"),
        ("sh_stride", _U, "bytes per sh row (0: no sh element)"),
        ("file_rest", _U, "SH rest coefficients per channel in the file"),
        ("has_color", _U, ""),
        ("_pad0", _U, ""),
        ("_pad1", _U, ""),
        ("_pad2", _U, ""),
        ("voff", _V4U, "vertex offsets: packed_position, _rotation, _scale, _color"),
        ("coff", f"array<{_V4U}, 5>", "chunk offsets: min/max xyz, scale xyz, rgb; -, -"),
    ),
    _COMMON,
)
KSPLAT_PARAMS = Struct(
    "KsplatParams",
    (
        ("level", _U, "compression level 0-2"),
        ("rec", _U, "bytes per record"),
        ("color_at", _U, "byte offset of RGBA in a record"),
        ("ncomp", _U, "SH components stored per splat (0, 9, 24, 45)"),
        ("capacity", _U, "splats per full bucket"),
        ("full", _U, "full buckets"),
        ("partial", _U, "partial buckets"),
        ("bucket_bytes", _U, ""),
        ("qrange", "f32", ""),
        ("pos_scale", "f32", "block_size / 2 / qrange"),
        ("sh_min", "f32", ""),
        ("sh_span", "f32", "sh_max - sh_min"),
    ),
    _COMMON,
)
SOG_PARAMS = Struct(
    "SogParams",
    (
        ("mins", _V4F, "means' log-space minimum (xyz)"),
        ("step", _V4F, "(maxs - mins) / 65535"),
        ("file_rest", _U, "SH rest coefficients per channel in the file (0: no shN)"),
        ("palette", _U, "usable palette entries"),
        ("_pad0", _U, ""),
        ("_pad1", _U, ""),
    ),
    _COMMON,
)
SPZ_PARAMS = Struct(
    "SpzParams",
    (
        ("version", _U, ""),
        ("file_sh", _U, "SH rest floats stored per splat"),
        ("_pad0", _U, ""),
        ("_pad1", _U, ""),
        ("frac_scale", "f32", "1 / 2^fractional_bits"),
        ("_pad2", "f32", ""),
        ("_pad3", "f32", ""),
        ("_pad4", "f32", ""),
    ),
    _COMMON,
)
DECODER_PARAMS = (ATTR_PARAMS, CPLY_PARAMS, KSPLAT_PARAMS, SOG_PARAMS, SPZ_PARAMS)


def sh_rest_floats(degree: int) -> int:
    """Floats of SH beyond DC per splat (0, 9, 24, 45)."""
    return ((degree + 1) ** 2 - 1) * 3


def page_capacity(max_binding: int, sh_degree: int, align: int = WORKGROUP) -> int:
    """Largest splat count whose geometry and SH each fit one storage binding."""
    stride = 4 * max(GEOM_FLOATS, sh_rest_floats(sh_degree))
    return max(align, (max_binding // stride) // align * align)


def _f32(v: float) -> str:
    return f"{v!r}f" if math.isfinite(v) else "3.4028234e38f"


def layout_wgsl() -> str:
    """The generated WGSL module ``layout``."""
    floats = {
        "LOGIT_MIN": LOGIT_MIN,
        "LOGIT_MAX": LOGIT_MAX,
        "LOG_SCALE_MIN": LOG_SCALE_MIN,
        "LOG_SCALE_MAX": LOG_SCALE_MAX,
        "OPACITY_EPS": OPACITY_EPS,
        "EPS2D": EPS2D,
        "ALPHA_MIN": ALPHA_MIN,
        "ALPHA_MAX": ALPHA_MAX,
        "T_MIN": T_MIN,
        "SH_C0": SH_C0,
        "SH_C1": SH_C1,
        "TOUCH_SLACK": TOUCH_SLACK,
    }
    return "\n".join(
        [
            "// Generated from splatrender/shaders/layout.py: edit it there, not here.",
            GEOMETRY.wgsl(),
            PROJECTED.wgsl(),
            RECT.wgsl(),
            CHUNK_HEADER.wgsl(),
            *(f"const COUNTER_{n.upper()}: u32 = {i}u;" for i, n in enumerate(COUNTERS)),
            f"const WORKGROUP: u32 = {WORKGROUP}u;",
            f"const MORTON_BITS: u32 = {MORTON_BITS}u;",
            f"const MAX_EDITS: u32 = {MAX_EDITS}u;",
            *(f"const EDIT_{k.upper()}: u32 = {i}u;" for i, k in enumerate(EDIT_KINDS)),
            *(f"const EDIT_{m.upper()}: u32 = {i}u;" for i, m in enumerate(EDIT_MODES)),
            f"const DECODE_STATS: u32 = {DECODE_STATS}u;",
            f"const STAT_INVISIBLE: u32 = {STAT_INVISIBLE}u;",
            *(f"const {k}: f32 = {_f32(v)};" for k, v in floats.items()),
            FRAME_UNIFORMS.wgsl(),
            PAGE_UNIFORMS.wgsl(),
            MODIFIER_INPUT.wgsl(),
            EDIT_UNIFORMS.wgsl(),
            SAMPLE_PARAMS.wgsl(),
            ORDER_PARAMS.wgsl(),
            DECODE_COMMON.wgsl(),
            *(p.wgsl() for p in DECODER_PARAMS),
            "",
        ]
    )
