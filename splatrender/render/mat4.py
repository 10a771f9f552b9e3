"""Row-major 4x4 affine matrices as flat tuples, and 3-vectors (pure Python: cameras,
placements of objects, XR eyes)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..errors import RenderError

Vec3 = tuple[float, float, float]
Mat4 = tuple[float, ...]
IDENTITY: Mat4 = tuple(float(r == c) for r in range(4) for c in range(4))


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a: Sequence[float], b: Sequence[float]) -> Vec3:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def unit(a: Sequence[float]) -> Vec3:
    """``a`` normalised; a ``RenderError`` for a zero or non-finite vector."""
    n = math.sqrt(dot(a, a))
    if not n > 1e-30 or not math.isfinite(n):
        raise RenderError(f"degenerate direction vector {tuple(a)}")
    return (a[0] / n, a[1] / n, a[2] / n)


def mat4_mul(a: Sequence[float], b: Sequence[float]) -> Mat4:
    return tuple(
        sum(a[r * 4 + k] * b[k * 4 + c] for k in range(4)) for r in range(4) for c in range(4)
    )


def linear_inverse(m: Sequence[float]) -> Mat4:
    """The 4x4 holding the inverse of ``m``'s 3x3 linear part (no translation)."""
    a, b, c, d, e, f, g, h, i = m[0], m[1], m[2], m[4], m[5], m[6], m[8], m[9], m[10]
    det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)
    if not abs(det) > 1e-300:
        raise RenderError("the placement flattens the object (its matrix is singular)")
    inv = (
        (e * i - f * h, c * h - b * i, b * f - c * e),
        (f * g - d * i, a * i - c * g, c * d - a * f),
        (d * h - e * g, b * g - a * h, a * e - b * d),
    )
    return (
        *(v / det for v in inv[0]), 0.0,
        *(v / det for v in inv[1]), 0.0,
        *(v / det for v in inv[2]), 0.0,
        0.0, 0.0, 0.0, 1.0,
    )  # fmt: skip


def transform_point(m: Sequence[float], p: Sequence[float]) -> Vec3:
    x, y, z = (
        m[r * 4] * p[0] + m[r * 4 + 1] * p[1] + m[r * 4 + 2] * p[2] + m[r * 4 + 3] for r in range(3)
    )
    return x, y, z


def scale_of(m: Sequence[float]) -> float:
    """The largest factor by which ``m`` stretches a length (its largest column norm is
    exact for rotation x diagonal scale, an upper bound otherwise)."""
    return max(math.sqrt(sum(m[r * 4 + c] ** 2 for r in range(3))) for c in range(3))


def columns(m: Sequence[float]) -> list[float]:
    """A row-major 4x4 as WGSL's column-major mat4x4."""
    return [float(m[r * 4 + c]) for c in range(4) for r in range(4)]
