"""Edits: SDF shapes that recolour or fade the splats whose centres they contain.

An ``Edit`` is a union of ``Shape``s (sphere, box, ellipsoid, cylinder, capsule, plane),
a blend ``mode`` and an RGBA ``color``. Its weight at a splat's world centre is 1 inside,
0 outside, with a linear ramp of half-width ``softness`` across the surface (``invert``
swaps inside and outside). Edits apply in order, per frame, on the GPU (the projection
pass, shaders/edits.wgsl); reference/edits.py is the float64 twin:

- ``multiply``: rgb *= mix(1, color.rgb, w) and opacity *= mix(1, color.a, w)
  (color (1, 1, 1, 0) hides what the shape holds);
- ``set_rgb``: rgb = mix(rgb, color.rgb, w), opacity kept;
- ``add_rgba``: rgb += color.rgb * w and opacity += color.a * w.

Colours stay >= 0 and opacities in [0, 1]. Shapes are placed by a rigid ``Transform``
(scale 1; give sizes instead): ``size`` is the radius (sphere), half extents (box),
radii (ellipsoid), radius and half height along local y (cylinder, capsule); a plane
holds the half-space below its local xz plane (local y < 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..errors import SplatError
from ..render.mat4 import Mat4, columns, linear_inverse, transform_point
from ..shaders.layout import EDIT_KINDS, EDIT_MODES, EDIT_UNIFORMS, MAX_EDIT_SHAPES, MAX_EDITS
from .transform import Transform, finite_values

Vec3 = tuple[float, float, float]
Rgba = tuple[float, float, float, float]


def _size(value: float | Sequence[float]) -> Vec3:
    v = (value, value, value) if isinstance(value, int | float) else value
    x, y, z = finite_values("size", v, 3)
    if not (x > 0 and y > 0 and z > 0):
        raise SplatError(f"shape size must be positive, got {value!r}")
    return x, y, z


@dataclass(frozen=True)
class Shape:
    """One SDF primitive, placed rigidly in the world."""

    kind: str = "sphere"
    size: Vec3 = (1.0, 1.0, 1.0)
    transform: Transform = field(default_factory=Transform)

    def __post_init__(self) -> None:
        if self.kind not in EDIT_KINDS:
            raise SplatError(f"shape kind must be one of {EDIT_KINDS}, got {self.kind!r}")
        object.__setattr__(self, "size", _size(self.size))
        if self.transform.scale != (1.0, 1.0, 1.0):
            raise SplatError("a shape is placed rigidly (scale 1): give its size instead")

    @classmethod
    def from_dict(cls, d: Mapping) -> Shape:
        """``{"kind", "size", "translation", "rotation" | "rotation_deg"}``."""
        if not isinstance(d, Mapping):
            raise SplatError(f"a shape is an object with kind/size/translation: {d!r}")
        known = {"kind", "size", "translation", "rotation", "rotation_deg"}
        extra = sorted(set(d) - known)
        if extra:
            raise SplatError(f"unknown shape key(s) {extra}; known: {sorted(known)}")
        placement = {k: d[k] for k in ("translation", "rotation", "rotation_deg") if k in d}
        return cls(d.get("kind", "sphere"), d.get("size", 1.0), Transform.from_dict(placement))

    def to_shape(self) -> Mat4:
        """World-to-shape (the inverse of the rigid placement)."""
        m = self.transform.matrix()
        inv = linear_inverse(m)
        t = transform_point(inv, (-m[3], -m[7], -m[11]))
        return (*inv[0:3], t[0], *inv[4:7], t[1], *inv[8:11], t[2], 0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True)
class Edit:
    """A union of shapes and what it does to the splats inside."""

    shapes: tuple[Shape, ...]
    mode: str = "multiply"
    color: Rgba = (1.0, 1.0, 1.0, 1.0)
    softness: float = 0.0
    invert: bool = False

    def __post_init__(self) -> None:
        shapes = tuple(self.shapes) if not isinstance(self.shapes, Shape) else (self.shapes,)
        if not shapes:
            raise SplatError("an edit needs at least one shape")
        if self.mode not in EDIT_MODES:
            raise SplatError(f"edit mode must be one of {EDIT_MODES}, got {self.mode!r}")
        soft = finite_values("softness", (self.softness,), 1)[0]
        if soft < 0:
            raise SplatError(f"softness must be >= 0, got {self.softness!r}")
        object.__setattr__(self, "shapes", shapes)
        object.__setattr__(self, "color", finite_values("color (r, g, b, a)", self.color, 4))
        object.__setattr__(self, "softness", soft)

    @classmethod
    def from_dict(cls, d: Mapping) -> Edit:
        """``{"shapes": [...], "mode", "color", "softness", "invert"}`` (a scene file's or
        the page's)."""
        if not isinstance(d, Mapping) or not isinstance(d.get("shapes"), list):
            raise SplatError('an edit is an object with a "shapes" list')
        known = {"shapes", "mode", "color", "softness", "invert"}
        extra = sorted(set(d) - known)
        if extra:
            raise SplatError(f"unknown edit key(s) {extra}; known: {sorted(known)}")
        return cls(
            tuple(Shape.from_dict(s) for s in d["shapes"]),
            d.get("mode", "multiply"),
            d.get("color", (1.0, 1.0, 1.0, 1.0)),
            d.get("softness", 0.0),
            bool(d.get("invert", False)),
        )


def pack_edits(edits: Sequence[Edit]) -> bytes:
    """The ``Edits`` uniform block (shaders/layout.py) of ``edits``, in order."""
    shapes = [s for e in edits for s in e.shapes]
    if len(edits) > MAX_EDITS or len(shapes) > MAX_EDIT_SHAPES:
        raise SplatError(
            f"at most {MAX_EDITS} edits of {MAX_EDIT_SHAPES} shapes in all, "
            f"got {len(edits)} of {len(shapes)}"
        )
    info, first = [], 0
    for e in edits:
        info += [first, len(e.shapes), EDIT_MODES.index(e.mode), int(e.invert)]
        first += len(e.shapes)
    pad_e, pad_s = MAX_EDITS - len(edits), MAX_EDIT_SHAPES - len(shapes)
    return EDIT_UNIFORMS.pack(
        counts=(len(edits), len(shapes), 0, 0),
        edit=info + [0] * 4 * pad_e,
        color=[c for e in edits for c in e.color] + [0.0] * 4 * pad_e,
        softness=[v for e in edits for v in (e.softness, 0.0, 0.0, 0.0)] + [0.0] * 4 * pad_e,
        kind=[v for s in shapes for v in (EDIT_KINDS.index(s.kind), 0, 0, 0)] + [0] * 4 * pad_s,
        size=[v for s in shapes for v in (*s.size, 0.0)] + [0.0] * 4 * pad_s,
        to_shape=[v for s in shapes for v in columns(s.to_shape())] + [0.0] * 16 * pad_s,
    )
