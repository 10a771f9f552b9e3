"""A procedural splat scene shaped like a capture: opaque splats on surfaces.

Random splats in a cube are a poor benchmark (no surface, nothing occludes, so no
pixel ever stops early). This builds a ground heightfield, a few spheres and a
wall, splats oriented along the surface, sized to the local spacing, mostly opaque.
"""

from __future__ import annotations

import numpy as np

from splatrender.formats.splats import Splats


def _basis_quats(normals: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Quaternions (w,x,y,z) whose local z axis is the surface normal, random spin."""
    n = normals / np.linalg.norm(normals, axis=1, keepdims=True)
    a = np.where(np.abs(n[:, :1]) < 0.9, [[1.0, 0, 0]], [[0, 1.0, 0]])
    t = np.cross(n, a)
    t /= np.linalg.norm(t, axis=1, keepdims=True)
    b = np.cross(n, t)
    phi = rng.uniform(0, 2 * np.pi, len(n))[:, None]
    t, b = np.cos(phi) * t + np.sin(phi) * b, -np.sin(phi) * t + np.cos(phi) * b
    m = np.stack([t, b, n], axis=2)  # columns
    w = np.sqrt(np.maximum(1 + m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2], 1e-12)) / 2
    x = (m[:, 2, 1] - m[:, 1, 2]) / (4 * w)
    y = (m[:, 0, 2] - m[:, 2, 0]) / (4 * w)
    z = (m[:, 1, 0] - m[:, 0, 1]) / (4 * w)
    return np.stack([w, x, y, z], axis=1)


def surface_scene(n: int, sh_degree: int = 0, seed: int = 0) -> Splats:
    """``n`` splats, RDF axes (y down), ground at y ~ 0 spanning [-10, 10]^2."""
    rng = np.random.default_rng(seed)
    n_ground = n // 2
    n_spheres = n // 3
    n_wall = n - n_ground - n_spheres

    gx, gz = rng.uniform(-10, 10, (2, n_ground))
    gy = 0.3 * np.sin(gx * 0.7) * np.cos(gz * 0.5)
    gn = np.stack(
        [
            0.21 * np.cos(gx * 0.7) * np.cos(gz * 0.5),
            -np.ones_like(gx),
            -0.15 * np.sin(gx * 0.7) * np.sin(gz * 0.5),
        ],
        1,
    )
    ground = np.stack([gx, gy, gz], 1)

    centres = rng.uniform([-6, -3, -6], [6, -1, 6], (6, 3))
    radii = rng.uniform(0.8, 2.0, 6)
    k = rng.integers(0, 6, n_spheres)
    d = rng.normal(size=(n_spheres, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    spheres = centres[k] + radii[k, None] * d

    wx, wy = rng.uniform(-10, 10, n_wall), rng.uniform(-5, 0, n_wall)
    wall = np.stack([wx, wy, np.full(n_wall, 9.0)], 1)
    wn = np.tile([[0.0, 0.0, -1.0]], (n_wall, 1))

    means = np.concatenate([ground, spheres, wall])
    normals = np.concatenate([gn, d, wn])
    per_sphere = np.bincount(k, minlength=6)[k]
    area = np.concatenate(
        [
            np.full(n_ground, 400.0 / n_ground),
            4 * np.pi * radii[k] ** 2 / per_sphere,
            np.full(n_wall, 200.0 / max(n_wall, 1)),
        ]
    )
    spacing = np.sqrt(area)
    tangent = np.log(spacing * rng.uniform(0.5, 1.2, (2, len(means)))).T
    scales = np.concatenate([tangent, np.log(spacing * 0.05)[:, None]], axis=1)
    k_sh = (sh_degree + 1) ** 2
    sh = rng.normal(0, 0.08, (len(means), k_sh, 3))
    base = np.where(means[:, 1:2] > -0.5, [[0.2, 0.5, -0.3]], [[-0.6, 0.1, 0.9]])
    sh[:, 0] = base + rng.normal(0, 0.3, (len(means), 3))
    return Splats(
        means=means,
        scales=scales,
        quats=_basis_quats(normals, rng),
        opacities=rng.normal(2.5, 1.0, len(means)),
        sh=sh,
        axes="RDF",
        source=f"procedural surface scene ({n} splats)",
    )
