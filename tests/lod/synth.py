"""Synthetic scenes for the LOD tests (numpy)."""

from __future__ import annotations

import numpy as np

from splatrender.formats.splats import Splats


def random_splats(n: int, degree: int = 0, seed: int = 0, extent: float = 10.0) -> Splats:
    """Splats scattered over a wavy surface (like a capture: a 2D manifold in 3D)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-extent, extent, (n, 2))
    z = 0.5 * np.sin(xy[:, 0]) * np.cos(0.7 * xy[:, 1]) + rng.normal(0, 0.05, n)
    means = np.column_stack([xy[:, 0], z, xy[:, 1]])
    spacing = 2 * extent / np.sqrt(n)
    scales = np.log(spacing * rng.uniform(0.3, 1.0, (n, 3)))
    scales[:, 1] -= 1.5  # flattish
    quats = rng.normal(size=(n, 4))
    opac = rng.normal(1.0, 1.5, n)
    k = (degree + 1) ** 2
    sh = rng.normal(0, 0.3, (n, k, 3))
    sh[:, 0] = rng.normal(0, 1.0, (n, 3))
    return Splats(means, scales, quats, opac, sh)


def write_inria_ply(path, n: int, degree: int = 3, block: int = 262144, seed: int = 0) -> None:
    """Write an n-splat INRIA 3DGS PLY block by block (never all of it in memory)."""
    rest = ((degree + 1) ** 2 - 1) * 3
    names = ["x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"]
    names += [f"f_rest_{i}" for i in range(rest)]
    names += ["opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2", "rot_3"]
    dt = np.dtype([(k, "<f4") for k in names])
    head = "ply\nformat binary_little_endian 1.0\n"
    head += f"element vertex {n}\n" + "".join(f"property float {k}\n" for k in names)
    head += "end_header\n"
    with open(path, "wb") as f:
        f.write(head.encode())
        for i, a in enumerate(range(0, n, block)):
            m = min(block, n - a)
            s = random_splats(m, degree, seed=seed + i, extent=10.0)
            rec = np.zeros(m, dt)
            for j, k in enumerate("xyz"):
                rec[k] = s.means[:, j]
            for c in range(3):
                rec[f"f_dc_{c}"] = s.sh[:, 0, c]
                for j in range(1, (degree + 1) ** 2):
                    rec[f"f_rest_{c * ((degree + 1) ** 2 - 1) + j - 1}"] = s.sh[:, j, c]
            rec["opacity"] = s.opacities
            for j in range(3):
                rec[f"scale_{j}"] = s.scales[:, j]
            for j in range(4):
                rec[f"rot_{j}"] = s.quats[:, j]
            f.write(rec.tobytes())
