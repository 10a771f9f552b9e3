"""Camera controller: every binding moves the camera the way the user expects (no GPU)."""

from __future__ import annotations

import math

import pytest

from splatrender.render.camera import Camera
from splatrender.scene.upright import Upright
from splatrender.viewer.controls import CameraController

W, H = 320, 240


def project(cam: Camera, p) -> tuple[float, float, float]:
    m = cam.world_to_camera
    x, y, z = (
        m[4 * i] * p[0] + m[4 * i + 1] * p[1] + m[4 * i + 2] * p[2] + m[4 * i + 3] for i in range(3)
    )
    return cam.fx * x / z + cam.cx, cam.fy * y / z + cam.cy, z


def ctl(axes="RDF", lo=(-1, -1, -1), hi=(1, 1, 1), **kw) -> CameraController:
    c = CameraController(lo, hi, axes, **kw)
    c.handle_event({"event_type": "resize", "width": W, "height": H, "pixel_ratio": 1})
    c.frame_scene()
    return c


def drag(c, button, x0, y0, x1, y1, steps=4) -> bool:
    changed = False
    c.handle_event(
        {"event_type": "pointer_down", "x": x0, "y": y0, "button": button, "buttons": (button,)}
    )
    for i in range(1, steps + 1):
        x = x0 + (x1 - x0) * i / steps
        y = y0 + (y1 - y0) * i / steps
        ev = {"event_type": "pointer_move", "x": x, "y": y, "button": 0, "buttons": (button,)}
        changed |= c.handle_event(ev)
    c.handle_event({"event_type": "pointer_up", "x": x1, "y": y1, "button": button, "buttons": ()})
    return changed


def key(c, k, mods=()) -> bool:
    changed = c.handle_event({"event_type": "key_down", "key": k, "modifiers": mods})
    return changed


def dist(a, b) -> float:
    return math.dist(a, b)


@pytest.mark.parametrize("axes, up", [("RDF", (0, -1, 0)), ("RUB", (0, 1, 0))])
def test_up_vector_follows_the_scene_frame(axes, up):
    c = ctl(axes)
    cam = c.camera(W, H)
    down = cam.rotation()[1]
    assert sum(d * u for d, u in zip(down, up, strict=True)) < -0.9  # image "down" is world "down"
    # The centre of the scene is in the middle of the image, in front of the camera.
    u, v, z = project(cam, c.center)
    assert z > 0 and abs(u - W / 2) < 1e-6 and abs(v - H / 2) < 1e-6
    above = tuple(ci + 0.5 * ui for ci, ui in zip(c.center, up, strict=True))
    assert project(cam, above)[1] < H / 2  # a point above the centre is drawn higher


def test_framing_shows_the_whole_box():
    c = ctl(lo=(-3, -1, -2), hi=(5, 2, 4))
    c.orbit(123, -40)
    c.dolly(3.0)
    assert key(c, "f")
    cam = c.camera(W, H)
    for corner in [(x, y, z) for x in (-3, 5) for y in (-1, 2) for z in (-2, 4)]:
        u, v, z = project(cam, corner)
        assert z > 0 and 0 <= u <= W and 0 <= v <= H


def test_orbit_drag_keeps_the_target_and_turns_the_scene_with_the_cursor():
    c = ctl()
    eye0, target0 = c.eye, c.target
    near = tuple(t - 0.5 * f for t, f in zip(c.target, c.forward, strict=True))  # a point in front
    u0 = project(c.camera(W, H), near)[0]
    assert drag(c, 1, 100, 100, 160, 100)
    cam = c.camera(W, H)
    assert c.target == target0
    assert abs(dist(c.eye, c.target) - dist(eye0, target0)) < 1e-9
    assert dist(c.eye, eye0) > 0.1
    assert project(cam, near)[0] > u0  # grabbed the scene and pulled it right
    # Vertical drags tilt, clamped short of the pole.
    drag(c, 1, 100, 100, 100, 100 + 10_000)
    assert abs(c.pitch) <= math.radians(89) + 1e-9
    c.camera(W, H)  # still a valid camera at the pole limit


def test_pan_moves_the_target_under_the_cursor():
    c = ctl()
    cam0 = c.camera(W, H)
    u0, v0, _ = project(cam0, c.target)
    for button in (2, 3):  # right and middle drag
        c2 = ctl()
        assert drag(c2, button, 100, 100, 130, 110)
        u, v, _ = project(c2.camera(W, H), c.target)  # the old target point
        assert abs(u - (u0 + 30)) < 0.5 and abs(v - (v0 + 10)) < 0.5


def test_wheel_and_pinch_dolly():
    c = ctl()
    d0 = c.distance
    assert c.handle_event(
        {"event_type": "wheel", "dx": 0, "dy": -100, "x": 5, "y": 5, "modifiers": ()}
    )
    assert c.distance < d0  # wheel up (away from the user) moves closer
    d1 = c.distance
    assert c.handle_event(
        {"event_type": "wheel", "dx": 0, "dy": 10, "x": 5, "y": 5, "modifiers": ("Control",)}
    )
    assert c.distance > d1  # pinch in
    assert not c.handle_event({"event_type": "wheel", "dx": 3, "dy": 0, "modifiers": ()})


def test_dolly_clamps_and_fly_mode_wheel_moves_the_eye():
    c = ctl()
    for _ in range(200):
        c.dolly(-1)
    assert c.distance >= c.radius * 1e-3
    c = ctl()
    key(c, "Tab")
    assert c.fly
    e0, d0 = c.eye, c.distance
    c.handle_event({"event_type": "wheel", "dx": 0, "dy": -100, "modifiers": ()})
    assert c.distance == d0 and dist(c.eye, e0) > 0


def test_wasd_qe_fly_and_shift_is_faster():
    c = ctl()
    r, _, f = c.camera(W, H).rotation()
    moves = {"w": f, "s": tuple(-x for x in f), "d": r, "a": tuple(-x for x in r)}
    for k, want in moves.items():
        c = ctl()
        e0 = c.eye
        assert key(c, k) and c.moving
        assert c.update(0.05)
        step = tuple(b - a for a, b in zip(e0, c.eye, strict=True))
        n = math.hypot(*step)
        assert n > 0 and sum(s * w for s, w in zip(step, want, strict=True)) / n > 0.999
        c.handle_event({"event_type": "key_up", "key": k, "modifiers": ()})
        assert not c.moving and not c.update(0.05)
    # Q/E move along the world up axis (RDF: -y is up).
    c = ctl()
    y0 = c.eye[1]
    key(c, "e")
    c.update(0.05)
    assert c.eye[1] < y0
    c = ctl()
    key(c, "q")
    c.update(0.05)
    assert c.eye[1] > y0
    # Shift: faster; speed scales with scene size.
    slow, fast, big = ctl(), ctl(), ctl(lo=(-100, -100, -100), hi=(100, 100, 100))
    for cc, mods in ((slow, ()), (fast, ("Shift",)), (big, ())):
        e0 = cc.eye
        key(cc, "W" if mods else "w", mods)
        cc.update(0.05)
        cc.step = dist(e0, cc.eye)
    assert fast.step == pytest.approx(4 * slow.step)
    assert big.step == pytest.approx(100 * slow.step)


def test_fly_mode_mouse_look_turns_around_the_eye():
    c = ctl()
    key(c, "Tab")
    e0, f0 = c.eye, c.forward
    assert drag(c, 1, 50, 50, 90, 60)
    assert dist(c.eye, e0) < 1e-9
    assert c.forward != f0
    key(c, "Tab")
    assert not c.fly


def test_arrow_keys_orbit_and_fly():
    c = ctl()
    e0, t0 = c.eye, c.target
    key(c, "ArrowLeft")
    assert c.update(0.1)
    assert c.target == t0 and dist(c.eye, e0) > 0
    c = ctl()
    key(c, "Tab")
    e0 = c.eye
    key(c, "ArrowUp")
    c.update(0.05)
    step = tuple(b - a for a, b in zip(e0, c.eye, strict=True))
    assert sum(s * f for s, f in zip(step, c.forward, strict=True)) > 0


def test_reset_returns_to_the_start_view():
    c = ctl()
    start = c.camera(W, H)
    drag(c, 1, 0, 0, 50, 30)
    drag(c, 2, 0, 0, 20, 30)
    key(c, "=")
    assert c.camera(W, H) != start
    assert key(c, "r")
    assert c.camera(W, H) == start


def test_fov_keys():
    c = ctl()
    f0 = c.fov_y_deg
    assert key(c, "=") and c.fov_y_deg == f0 + 5  # "+" (glfw reports the unshifted key)
    assert key(c, "-") and key(c, "-") and c.fov_y_deg == f0 - 5
    for _ in range(50):
        key(c, "-")
    assert c.fov_y_deg == 10 and not key(c, "-")
    assert c.camera(W, H).fov_y_deg == pytest.approx(10)


def inria(pos, rot_c2w, w=640, h=480, f=500.0) -> dict:
    return {
        "id": 0,
        "img_name": "x",
        "width": w,
        "height": h,
        "position": pos,
        "rotation": rot_c2w,
        "fx": f,
        "fy": f,
    }


def test_number_keys_jump_to_cameras_json():
    ident = [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    # A second camera rolled and turned: c2w columns are the camera axes in world.
    a = math.radians(30)
    turned = [[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]]
    cams = [inria([0, 0, -5], ident), inria([2, 0, -4], turned, f=400.0)]
    c = ctl(cameras=cams)
    assert key(c, "2")
    got = c.camera(640, 480)
    want = Camera.from_inria(cams[1])
    assert got.position == pytest.approx(want.position)
    assert got.world_to_camera == pytest.approx(want.world_to_camera)
    assert got.fy == pytest.approx(400.0)
    assert not key(c, "3")  # no such camera: nothing changes
    assert key(c, "1")
    assert c.camera(640, 480).position == pytest.approx((0, 0, -5))
    # Moving from a camera pose continues smoothly from it.
    drag(c, 1, 0, 0, 1, 0)
    assert dist(c.camera(640, 480).position, (0, 0, -5)) < 0.1
    # The start view with cameras is the first camera.
    c.reset()
    assert c.camera(640, 480).position == pytest.approx((0, 0, -5))


def test_up_from_cameras_json_wins_over_the_frame():
    # Cameras whose "down" (camera +y) is world +z: up is -z.
    c2w = [[1, 0, 0], [0, 0, -1], [0, 1, 0]]  # columns: x=(1,0,0), y=(0,0,1), z=(0,-1,0)
    c = ctl(cameras=[inria([0, 5, 0], c2w)])
    assert c.up == pytest.approx((0, 0, -1))


def image_up_is(c, up) -> bool:
    """A point above the centre along ``up`` is drawn straight above it."""
    cam = c.camera(W, H)
    above = tuple(ci + 0.5 * ui for ci, ui in zip(c.center, up, strict=True))
    u, v, z = project(cam, above)
    return z > 0 and v < H / 2 - 5 and abs(u - W / 2) < 1e-3


def test_u_flips_the_scene_and_shift_u_takes_the_next_axis():
    c = ctl("RDF", upright=Upright((0.0, -1.0, 0.0), "guess"))
    assert image_up_is(c, (0, -1, 0))
    assert key(c, "u")
    assert c.upright.label == "+y" and c.upright.how == "user" and image_up_is(c, (0, 1, 0))
    assert key(c, "U", ("Shift",))
    assert c.upright.label == "+z" and image_up_is(c, (0, 0, 1))
    assert key(c, "U", ("Shift",)) and image_up_is(c, (1, 0, 0))
    assert key(c, "u") and c.upright.label == "-x" and image_up_is(c, (-1, 0, 0))
    # The view starts over from the new side: the whole scene framed.
    assert project(c.camera(W, H), c.center)[2] > c.radius


def test_the_users_up_wins_over_cameras_json():
    c2w = [[1, 0, 0], [0, 0, -1], [0, 1, 0]]  # cameras' up is -z
    c = ctl(cameras=[inria([0, 5, 0], c2w)], upright=Upright((0.0, 1.0, 0.0), "user"))
    assert c.up == pytest.approx((0, 1, 0))
    c = ctl(cameras=[inria([0, 5, 0], c2w)], upright=Upright((0.0, 1.0, 0.0), "guess"))
    assert c.up == pytest.approx((0, 0, -1)) and c.upright.how == "cameras"


def test_degenerate_bounds_and_unknown_events_are_harmless():
    c = CameraController((float("nan"),) * 3, (1, 1, 1), "RDF")
    c.camera(W, H)
    c = CameraController((0, 0, 0), (0, 0, 0), "RUB")
    c.camera(1, 1)
    assert not c.handle_event({"event_type": "char", "data": "x"})
    assert not c.handle_event({"event_type": "pointer_move", "x": 1, "y": 1, "buttons": ()})
    assert not key(c, "x")
