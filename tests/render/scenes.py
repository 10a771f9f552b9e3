"""Random splat scenes and cameras for GPU-vs-reference tests."""

from __future__ import annotations

import os

import numpy as np

from splatrender.formats.splats import Splats
from splatrender.render.camera import Camera

# Fresh each run; SPLATRENDER_TEST_SEED replays a printed failure.
SEED = int(os.environ.get("SPLATRENDER_TEST_SEED", 0)) or np.random.SeedSequence().entropy


def fresh_rng(salt: int) -> np.random.Generator:
    print(f"seed {SEED} salt {salt}")
    return np.random.default_rng([SEED, salt])


def random_splats(
    rng: np.random.Generator,
    n: int,
    sh_degree: int = 0,
    *,
    extent: float = 1.0,
    log_scale: tuple[float, float] = (-4.5, -2.0),
    axes: str = "RDF",
) -> Splats:
    k = (sh_degree + 1) ** 2
    sh = rng.normal(0.0, 0.25, (n, k, 3))
    sh[:, 0] = rng.normal(0.0, 1.0, (n, 3))
    return Splats(
        means=rng.uniform(-extent, extent, (n, 3)),
        scales=rng.uniform(*log_scale, (n, 3)),
        quats=rng.normal(size=(n, 4)),
        opacities=rng.normal(0.0, 2.0, n),
        sh=sh,
        axes=axes,
    )


def orbit_cameras(
    centre, radius: float, count: int, width: int, height: int, up=(0.0, -1.0, 0.0)
) -> list[Camera]:
    """``count`` cameras around ``centre`` at ``radius``, slightly above it."""
    cams = []
    for i in range(count):
        a = 2 * np.pi * i / count + 0.3
        eye = np.asarray(centre) + radius * np.array([np.sin(a), -0.35, -np.cos(a)])
        cams.append(Camera.look_at(eye, centre, up, width=width, height=height, fov_y_deg=55))
    return cams
