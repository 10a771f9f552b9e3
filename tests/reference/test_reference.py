"""The float64 reference against a literal per-pixel transcription of the model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from splatrender.reference.project import project
from splatrender.reference.raster import (
    TOUCH_SLACK,
    depth_order,
    rasterize,
    rect_tiles,
    row_spans,
    touches,
)
from splatrender.reference.sh import sh_basis
from splatrender.render.camera import Camera
from tests.render.scenes import random_splats


def naive_pixel(proj, order, px: int, py: int, bg) -> np.ndarray:
    """One pixel, splat by splat, with the tile membership rule written out."""
    tile_x, tile_y = px // 16, py // 16
    t, c = 1.0, np.zeros(3)
    for i in order:
        x0, y0, x1, y1 = proj.rect[i]
        if not (x0 <= tile_x < x1 and y0 <= tile_y < y1):
            continue
        dx, dy = proj.xy[i, 0] - (px + 0.5), proj.xy[i, 1] - (py + 0.5)
        a, b, cc = proj.conic[i]
        sigma = 0.5 * (a * dx * dx + cc * dy * dy) + b * dx * dy
        if sigma < 0:
            continue
        alpha = min(0.99, proj.opacity[i] * math.exp(-sigma))
        if alpha < 1 / 255:
            continue
        if t * (1 - alpha) < 1e-4:
            break
        c += proj.color[i] * alpha * t
        t *= 1 - alpha
    return c + t * np.asarray(bg)


@pytest.mark.parametrize("mode", ["classic", "antialiased"])
def test_rasterize_matches_naive_loop(mode):
    rng = np.random.default_rng(7)
    s = random_splats(rng, 300, 1, log_scale=(-3.5, -1.5))
    s.opacities[:50] = 8.0  # some opaque splats so early stop happens
    cam = Camera.look_at((0.2, -0.3, -3), (0, 0, 0), (0, -1, 0), width=37, height=29)
    proj = project(s, cam, mode)
    img = rasterize(proj, cam.width, cam.height, (0.2, 0.1, 0.0))
    order = depth_order(proj)
    for py in range(0, cam.height, 3):
        for px in range(0, cam.width, 3):
            np.testing.assert_allclose(
                img[py, px], naive_pixel(proj, order, px, py, (0.2, 0.1, 0.0)), atol=1e-12
            )


@pytest.mark.parametrize("tile", [8, 16])
def test_row_spans_are_the_tiles_touches_keeps(tile):
    """The per-row spans (the GPU's way) hold exactly the tiles of the per-tile test,
    up to ties at the boundary (a relative 1e-9 either way of the reach)."""
    rng = np.random.default_rng(11)
    s = random_splats(rng, 2000, 0, log_scale=(-4.0, -0.5))  # tilted, thin and wide
    cam = Camera.look_at((0.2, -0.3, -3), (0, 0, 0), (0, -1, 0), width=320, height=240)
    proj = project(s, cam, tile=tile)
    splat, tx, ty = rect_tiles(proj, np.flatnonzero(proj.visible))
    first, end = row_spans(proj, splat, ty, tile, TOUCH_SLACK)
    in_span = (first <= tx) & (tx < end)
    inner = touches(proj, splat, tx, ty, tile, TOUCH_SLACK * (1 - 1e-9))
    outer = touches(proj, splat, tx, ty, tile, TOUCH_SLACK * (1 + 1e-9))
    assert inner.sum() > 0.5 * len(tx) > 0 and not inner.all()  # corners are missed
    assert not (inner & ~in_span).any()
    assert not (in_span & ~outer).any()


def test_projection_of_isotropic_splat_at_centre():
    """A round splat straight ahead: conic = 1 / (f^2 s^2 / z^2 + 0.3)."""
    rng = np.random.default_rng(0)
    s = random_splats(rng, 1, 0)
    s.means[:] = (0, 0, 0)
    s.scales[:] = np.log(0.05)
    s.quats[:] = (1, 0, 0, 0)
    s.opacities[:] = 0.0
    cam = Camera.look_at((0, 0, -2), (0, 0, 0), (0, -1, 0), width=100, height=100, fov_y_deg=60)
    p = project(s, cam)
    var = (cam.fx * 0.05 / 2) ** 2 + 0.3
    np.testing.assert_allclose(p.xy[0], (50, 50))
    np.testing.assert_allclose(
        p.conic[0], (1 / var, 0, 1 / var), rtol=1e-6, atol=1e-12
    )  # float32 input
    assert p.opacity[0] == pytest.approx(0.5)
    assert p.radius[0] == math.ceil(3 * math.sqrt(var))


def test_sh_basis_is_orthonormal():
    """Monte-Carlo check of the SH constants: E[Y_i Y_j] over the sphere = delta_ij/4pi."""
    rng = np.random.default_rng(1)
    d = rng.normal(size=(400_000, 3))
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    b = sh_basis(d, 3)
    gram = 4 * np.pi * (b.T @ b) / len(d)
    np.testing.assert_allclose(gram, np.eye(16), atol=0.02)


def test_behind_camera_and_low_opacity_are_culled():
    rng = np.random.default_rng(2)
    s = random_splats(rng, 3, 0)
    s.means[:] = [(0, 0, 0), (0, 0, -5), (0.1, 0, 0)]  # camera at z=-2 looking +z
    s.opacities[:] = [0.0, 0.0, -10.0]  # sigmoid(-10) < 1/255
    cam = Camera.look_at((0, 0, -2), (0, 0, 0), (0, -1, 0), width=64, height=64)
    assert project(s, cam).visible.tolist() == [True, False, False]
