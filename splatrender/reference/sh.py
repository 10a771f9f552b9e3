"""Real spherical harmonics up to degree 3, as the 3DGS reference evaluates them."""

from __future__ import annotations

import numpy as np

C0 = 0.28209479177387814
C1 = 0.4886025119029199
C2 = (
    1.0925484305920792,
    -1.0925484305920792,
    0.31539156525252005,
    -1.0925484305920792,
    0.5462742152960396,
)
C3 = (
    -0.5900435899266435,
    2.890611442640554,
    -0.4570457994644658,
    0.3731763325901154,
    -0.4570457994644658,
    1.445305721320277,
    -0.5900435899266435,
)


def sh_basis(dirs: np.ndarray, degree: int) -> np.ndarray:
    """(N,K) basis values for unit directions (N,3), K = (degree+1)^2."""
    x, y, z = dirs[:, 0], dirs[:, 1], dirs[:, 2]
    cols = [np.full_like(x, C0)]
    if degree > 0:
        cols += [-C1 * y, C1 * z, -C1 * x]
    if degree > 1:
        xx, yy, zz = x * x, y * y, z * z
        cols += [
            C2[0] * x * y,
            C2[1] * y * z,
            C2[2] * (2 * zz - xx - yy),
            C2[3] * x * z,
            C2[4] * (xx - yy),
        ]
    if degree > 2:
        cols += [
            C3[0] * y * (3 * xx - yy),
            C3[1] * x * y * z,
            C3[2] * y * (4 * zz - xx - yy),
            C3[3] * z * (2 * zz - 3 * xx - 3 * yy),
            C3[4] * x * (4 * zz - xx - yy),
            C3[5] * z * (xx - yy),
            C3[6] * x * (xx - 3 * yy),
        ]
    return np.stack(cols, axis=1)


def sh_to_color(sh: np.ndarray, dirs: np.ndarray) -> np.ndarray:
    """Colour max(SH(dir) + 0.5, 0) for coefficients (N,K,3) and unit dirs (N,3)."""
    degree = round(np.sqrt(sh.shape[1])) - 1
    basis = sh_basis(dirs, degree)
    return np.maximum(np.einsum("nk,nkc->nc", basis, sh) + 0.5, 0.0)
