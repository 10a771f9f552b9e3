"""The one place where splats change axis convention.

RDF (right, down, forward; INRIA/COLMAP) and RUB (right, up, back; three.js, SPZ,
glTF) differ by a 180-degree rotation about x: R = diag(1, -1, -1). Applying it:

- means: (x, y, z) -> (x, -y, -z)
- rotations: the covariance becomes R M S^2 M^T R^T. Because R is diagonal and
  S^2 is diagonal, R M R^T gives the same covariance and keeps w: the quaternion
  is conjugated by the 180-degree x rotation, (w, x, y, z) -> (w, x, -y, -z).
- SH: the colour in direction d becomes f(R^T d) = f(R d). Each real SH basis
  function is a polynomial in x, y, z; under y -> -y, z -> -z it keeps or flips its
  sign by the parity of its combined y and z degree, so each coefficient gets a
  fixed sign (SH_SIGNS_X180, indexed in the 3DGS basis order; tested numerically).
"""

from __future__ import annotations

import numpy as np

from .splats import AXES_NAMES, Splats

# Parity (x, y, z degree mod 2) of each real SH basis function, in the 3DGS order:
# 0 const; 1 y, 2 z, 3 x; 4 xy, 5 yz, 6 3z^2-1, 7 xz, 8 x^2-y^2; 9 y(3x^2-y^2), 10 xyz,
# 11 y(5z^2-1), 12 z(5z^2-3), 13 x(5z^2-1), 14 z(x^2-y^2), 15 x(x^2-3y^2).
SH_PARITY = np.array([
    (0, 0, 0), (0, 1, 0), (0, 0, 1), (1, 0, 0), (1, 1, 0), (0, 1, 1), (0, 0, 0), (1, 0, 1),
    (0, 0, 0), (0, 1, 0), (1, 1, 1), (0, 1, 0), (0, 0, 1), (1, 0, 0), (0, 0, 1), (1, 0, 0),
])  # fmt: skip
AXIS_INDEX = {"x": 0, "y": 1, "z": 2}


def flip_signs(axis: str) -> tuple[np.ndarray, np.ndarray]:
    """(per-axis position signs, per-SH-coefficient signs) of a 180-degree turn about ``axis``."""
    flip = np.ones(3, np.float32)
    flip[[i for i in range(3) if i != AXIS_INDEX[axis]]] = -1
    odd = SH_PARITY @ (flip < 0).astype(np.int64)  # degree in the flipped axes
    return flip, np.where(odd % 2 == 1, -1.0, 1.0).astype(np.float32)


SH_SIGNS_X180 = flip_signs("x")[1]


def rotate_180(s: Splats, axis: str, axes: str | None = None) -> Splats:
    """Splats turned 180 degrees about ``axis`` ("x", "y" or "z"), labelled ``axes``.

    The quaternion is conjugated by the turn, so w is kept and the vector part
    turns like a position.
    """
    flip, sh_signs = flip_signs(axis)
    k = s.sh.shape[1]
    return Splats(
        s.means * flip,
        s.scales.copy(),
        s.quats * np.concatenate([[1.0], flip]).astype(np.float32),
        s.opacities.copy(),
        s.sh * sh_signs[:k, None],
        axes=axes or s.axes,
        source=s.source,
        format=s.format,
        quirks=list(s.quirks),
    )


def to_axes(s: Splats, axes: str) -> Splats:
    """Return ``s`` expressed in ``axes`` ("RDF" or "RUB"); ``s`` itself if already there."""
    if axes not in AXES_NAMES:
        raise ValueError(f"unknown axes {axes!r}; expected one of {AXES_NAMES}")
    if s.axes == axes:
        return s
    return rotate_180(s, "x", axes)


def relabel(s: Splats, axes: str) -> Splats:
    """Same numbers, another axes label: for files whose writer ignored the convention."""
    out = s.subset(slice(None))
    out.axes = axes
    return out
