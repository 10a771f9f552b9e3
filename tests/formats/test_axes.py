"""Frame conversion RDF <-> RUB: positions, covariances and SH colours all rotate."""

from __future__ import annotations

import numpy as np
import pytest

from splatrender.formats.axes import SH_SIGNS_X180, to_axes
from splatrender.formats.splats import Splats

R = np.diag([1.0, -1.0, -1.0])


def sh_basis(d: np.ndarray) -> np.ndarray:
    """Real SH basis (3DGS/gsplat constants and order) at unit directions (M,3) -> (M,16)."""
    x, y, z = d[:, 0], d[:, 1], d[:, 2]
    c1, c2 = (
        0.4886025119029199,
        [
            1.0925484305920792,
            -1.0925484305920792,
            0.31539156525252005,
            -1.0925484305920792,
            0.5462742152960396,
        ],
    )
    c3 = [
        -0.5900435899266435,
        2.890611442640554,
        -0.4570457994644658,
        0.3731763325901154,
        -0.4570457994644658,
        1.445305721320277,
        -0.5900435899266435,
    ]
    xx, yy, zz = x * x, y * y, z * z
    return np.stack([
        np.full_like(x, 0.28209479177387814),
        -c1 * y, c1 * z, -c1 * x,
        c2[0] * x * y, c2[1] * y * z, c2[2] * (2 * zz - xx - yy), c2[3] * x * z, c2[4] * (xx - yy),
        c3[0] * y * (3 * xx - yy), c3[1] * x * y * z, c3[2] * y * (4 * zz - xx - yy),
        c3[3] * z * (2 * zz - 3 * xx - 3 * yy), c3[4] * x * (4 * zz - xx - yy),
        c3[5] * z * (xx - yy), c3[6] * x * (xx - 3 * yy),
    ], axis=1)  # fmt: skip


def quat_to_mat(q: np.ndarray) -> np.ndarray:
    q = q / np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    return np.stack([
        1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
        2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
        2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
    ], axis=1).reshape(-1, 3, 3)  # fmt: skip


def covariances(s: Splats) -> np.ndarray:
    m = quat_to_mat(s.quats.astype(np.float64))
    sc = np.exp(s.scales.astype(np.float64))
    ms = m * sc[:, None, :]
    return ms @ ms.transpose(0, 2, 1)


@pytest.fixture
def splats():
    rng = np.random.default_rng(7)
    n = 64
    return Splats(
        rng.normal(size=(n, 3)),
        rng.normal(-2, 0.5, (n, 3)),
        rng.normal(size=(n, 4)),
        rng.normal(size=n),
        rng.normal(size=(n, 16, 3)),
        axes="RDF",
    )


def test_sign_table_matches_parity_of_basis():
    d = np.random.default_rng(1).normal(size=(200, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    ratio = sh_basis(d @ R.T) / sh_basis(d)
    np.testing.assert_allclose(ratio, np.broadcast_to(SH_SIGNS_X180, ratio.shape), rtol=1e-9)


def test_rdf_to_rub_rotates_everything(splats):
    rub = to_axes(splats, "RUB")
    assert rub.axes == "RUB"
    np.testing.assert_allclose(rub.means, splats.means @ R.T, rtol=1e-6)
    np.testing.assert_allclose(covariances(rub), R @ covariances(splats) @ R.T, atol=1e-9)
    # colour seen from direction d in RUB equals colour from R^T d in RDF
    d = np.random.default_rng(2).normal(size=(50, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    col_rub = np.einsum("mk,nkc->nmc", sh_basis(d), rub.sh.astype(np.float64))
    col_rdf = np.einsum("mk,nkc->nmc", sh_basis(d @ R), splats.sh.astype(np.float64))
    np.testing.assert_allclose(col_rub, col_rdf, atol=1e-5)


def test_round_trip_and_identity(splats):
    assert to_axes(splats, "RDF") is splats
    back = to_axes(to_axes(splats, "RUB"), "RDF")
    for a in ("means", "scales", "quats", "opacities", "sh"):
        np.testing.assert_array_equal(getattr(back, a), getattr(splats, a))
    with pytest.raises(ValueError):
        to_axes(splats, "LUF")
