"""Camera construction: look-at, INRIA cameras.json, framing, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from splatrender.errors import RenderError
from splatrender.render.camera import Camera, default_up
from splatrender.render.cameras_json import camera_from_file


def rot(cam: Camera) -> np.ndarray:
    return np.array(cam.world_to_camera).reshape(4, 4)


def test_look_at_is_a_rigid_transform_towards_target():
    cam = Camera.look_at((1, 2, 3), (0, 0, 0), (0, -1, 0), width=64, height=48)
    m = rot(cam)
    np.testing.assert_allclose(m[:3, :3] @ m[:3, :3].T, np.eye(3), atol=1e-12)
    assert np.linalg.det(m[:3, :3]) == pytest.approx(1.0)
    target_cam = m @ [0, 0, 0, 1]
    assert target_cam[0] == pytest.approx(0, abs=1e-12)
    assert target_cam[1] == pytest.approx(0, abs=1e-12)
    assert target_cam[2] == pytest.approx(math.sqrt(14))
    np.testing.assert_allclose(cam.position, (1, 2, 3))
    assert cam.fov_y_deg == pytest.approx(50)


def test_up_points_up_in_the_image():
    # RUB scene: +y is up, so a point above the target projects above the centre.
    cam = Camera.look_at((0, 0, 5), (0, 0, 0), default_up("RUB"), width=64, height=64)
    p = rot(cam) @ [0, 1, 0, 1]
    assert cam.fy * p[1] / p[2] + cam.cy < cam.cy


def test_from_inria_matches_training_convention(tmp_path):
    r_c2w = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]], float)
    entry = {"id": 0, "img_name": "x", "width": 800, "height": 600, "fx": 700.0, "fy": 710.0}
    entry.update(position=[1.0, 2.0, 3.0], rotation=r_c2w.tolist())
    f = tmp_path / "cameras.json"
    f.write_text(json.dumps([entry, entry]))
    cam = camera_from_file(f, 1)
    np.testing.assert_allclose(rot(cam)[:3, :3], r_c2w.T)
    np.testing.assert_allclose(cam.position, (1, 2, 3), atol=1e-12)
    half = camera_from_file(f, 0, 400, 300)
    assert (half.fx, half.fy, half.cx, half.cy) == (350, 355, 200, 150)
    with pytest.raises(RenderError, match="camera index 5"):
        camera_from_file(f, 5)


@pytest.mark.parametrize("bad", ["[]", "{}", "not json", '[{"width": 1}]'])
def test_bad_cameras_json(tmp_path, bad):
    f = tmp_path / "cameras.json"
    f.write_text(bad)
    with pytest.raises(RenderError):
        camera_from_file(f, 0)


@pytest.mark.parametrize("axes", ["RDF", "RUB"])
def test_framing_sees_the_whole_box(axes):
    lo, hi = np.array([-1.0, -2.0, 0.5]), np.array([3.0, 1.0, 2.5])
    cam = Camera.framing(lo, hi, axes, width=160, height=90)
    xs, ys, zs = np.meshgrid(*zip(lo, hi, strict=True))
    corners = np.stack([xs.ravel(), ys.ravel(), zs.ravel(), np.ones(8)], axis=1)
    pc = corners @ rot(cam).T
    assert (pc[:, 2] > 0).all()
    u = cam.fx * pc[:, 0] / pc[:, 2] + cam.cx
    v = cam.fy * pc[:, 1] / pc[:, 2] + cam.cy
    assert (u >= 0).all() and (u <= 160).all() and (v >= 0).all() and (v <= 90).all()


def test_invalid_cameras_are_refused():
    with pytest.raises(RenderError):
        Camera.look_at((0, 0, 0), (0, 0, 0), (0, 1, 0), width=10, height=10)
    with pytest.raises(RenderError):
        Camera.look_at((0, 0, 1), (0, 0, 0), (0, 0, 1), width=10, height=10)
    with pytest.raises(RenderError):
        Camera.look_at((0, 0, 1), (0, 0, 0), (0, 1, 0), width=0, height=10)
    with pytest.raises(RenderError):
        Camera.look_at((0, 0, 1), (0, 0, 0), (0, 1, 0), width=10, height=10, fov_y_deg=0)
