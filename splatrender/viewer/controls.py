"""Camera controller for the desktop viewer: input events in, a ``Camera`` out (no GPU).

The state is an orbit rig around a target point: ``target``, ``distance`` and a
view direction given by ``yaw``/``pitch`` about the scene's up axis. Orbit turns the
direction around the target; fly mode turns it around the eye; pan and WASD move the
target (and with it the eye). Keeping one rig for both modes means switching mode
never makes the view jump.

Events are rendercanvas event dicts (``pointer_down``, ``pointer_move``, ``wheel``,
``key_down``...), in logical pixels. ``handle_event`` returns True when the view
changed, so the app draws only then; held keys move the camera through ``update(dt)``.

Bindings: left drag orbits (fly mode: looks around), right or middle drag pans,
wheel or pinch dollies, WASD / arrows move (Q/E down/up, Shift faster), Tab toggles
fly mode, F frames the scene, R resets, 1-9 jump to the cameras of a cameras.json,
+/- change the field of view, U turns the scene upside down (Shift+U: up is the next
axis, +x -> +y -> +z).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..render.camera import Camera, default_back, default_up
from ..scene.upright import Upright

Vec3 = tuple[float, float, float]

ORBIT_RAD_PER_PX = 0.006
KEY_TURN_RAD_PER_S = math.radians(60)
WHEEL_DOLLY = 0.0015  # distance *= exp(dy * WHEEL_DOLLY); a glfw wheel notch is dy = 100
PINCH_DOLLY = 0.01  # browsers send a pinch as wheel + Control with small dy
FLY_SPEED = 0.5  # scene radii per second
SHIFT_FACTOR = 4.0
FOV_STEP = 5.0
FOV_RANGE = (10.0, 120.0)
PITCH_LIMIT = math.radians(89)
FRAME_MARGIN = 1.05

_MOVE_KEYS = {
    "w": (0, 0, 1),
    "s": (0, 0, -1),
    "a": (-1, 0, 0),
    "d": (1, 0, 0),
    "q": (0, -1, 0),
    "e": (0, 1, 0),
}
_ARROWS = ("arrowup", "arrowdown", "arrowleft", "arrowright")


def _add(a: Sequence[float], b: Sequence[float], s: float = 1.0) -> Vec3:
    return (a[0] + s * b[0], a[1] + s * b[1], a[2] + s * b[2])


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: Sequence[float], b: Sequence[float]) -> Vec3:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _unit(a: Sequence[float], fallback: Vec3 = (0.0, 0.0, 1.0)) -> Vec3:
    n = math.sqrt(_dot(a, a))
    if not (n > 1e-12 and math.isfinite(n)):
        return fallback
    return (a[0] / n, a[1] / n, a[2] / n)


def _clamp(v: float, lo: float, hi: float) -> float:
    return lo if v < lo else hi if v > hi else v


class CameraController:
    """Orbit / pan / dolly / fly camera over a scene's bounds, in the scene's own axes."""

    def __init__(
        self,
        bounds_min: Sequence[float],
        bounds_max: Sequence[float],
        axes: str = "RDF",
        *,
        upright: Upright | None = None,
        cameras: Sequence[dict] = (),
        fov_y_deg: float = 50.0,
    ) -> None:
        self.view_size = (1280.0, 720.0)  # logical pixels: pan follows the cursor
        self.fly = False
        self._keys: set[str] = set()
        self._shift = False
        self._drag: tuple[int, float, float] | None = None  # button, last x, last y
        self._exact: Camera | None = None  # a cameras.json pose (keeps its roll) until moved
        self.set_scene(
            bounds_min, bounds_max, axes, upright=upright, cameras=cameras, fov_y_deg=fov_y_deg
        )

    # -- scene -------------------------------------------------------------------
    def set_scene(
        self,
        bounds_min: Sequence[float],
        bounds_max: Sequence[float],
        axes: str = "RDF",
        *,
        upright: Upright | None = None,
        cameras: Sequence[dict] = (),
        fov_y_deg: float | None = None,
    ) -> None:
        """Adopt a new scene: its size sets the speeds; its up is the user's choice, else
        the capture cameras', else the scene's (``upright``, by default its axes')."""
        lo = [float(v) for v in bounds_min]
        hi = [float(v) for v in bounds_max]
        if not all(math.isfinite(v) for v in lo + hi):
            lo, hi = [-1.0] * 3, [1.0] * 3
        self.center: Vec3 = tuple((a + b) / 2 for a, b in zip(lo, hi, strict=True))
        ext = [b - a for a, b in zip(lo, hi, strict=True)]
        self.radius = max(0.5 * math.sqrt(_dot(ext, ext)), 1e-6)
        self.axes = axes
        self.cameras = list(cameras)
        if upright is None:
            upright = Upright(default_up(axes), "file", axes)
        cams_up = self._up_from_cameras() if upright.how != "user" else None
        if cams_up is not None:
            upright = Upright(cams_up, "cameras", "the capture cameras' mean up")
        if fov_y_deg is not None:
            self._fov0 = _clamp(float(fov_y_deg), *FOV_RANGE)
        self.set_up(upright)

    def set_up(self, upright: Upright) -> bool:
        """Show the scene with another up (the view starts over from the new side)."""
        self.upright = upright
        self.up: Vec3 = _unit(upright.up, default_up(self.axes))
        # Horizontal basis: increasing yaw turns the view to the right.
        seed = (1.0, 0.0, 0.0) if abs(self.up[0]) < 0.9 else (0.0, 0.0, 1.0)
        self._h1 = _unit(_cross(_cross(self.up, seed), self.up))
        self._h2 = _unit(_cross(self._h1, self.up))
        return self.reset()

    def _up_from_cameras(self) -> Vec3 | None:
        """Mean 'up' of the capture cameras: better than the frame's axis for COLMAP scenes."""
        acc = (0.0, 0.0, 0.0)
        for entry in self.cameras:
            try:
                rot = Camera.from_inria(entry).rotation()
            except Exception:
                continue
            acc = _add(acc, rot[1], -1.0)  # camera y points down
        n = math.sqrt(_dot(acc, acc))
        return _unit(acc) if n > 1e-6 * max(1, len(self.cameras)) else None

    # -- the camera --------------------------------------------------------------
    @property
    def forward(self) -> Vec3:
        cp = math.cos(self.pitch)
        h = _add(_add((0.0, 0.0, 0.0), self._h1, math.cos(self.yaw)), self._h2, math.sin(self.yaw))
        return _unit(_add(_add((0.0, 0.0, 0.0), h, cp), self.up, math.sin(self.pitch)))

    @property
    def eye(self) -> Vec3:
        return _add(self.target, self.forward, -self.distance)

    def _axes(self) -> tuple[Vec3, Vec3, Vec3]:
        f = self.forward
        r = _unit(_cross(f, self.up), self._h2)
        return r, _cross(f, r), f  # right, down, forward (OpenCV camera axes)

    def camera(self, width: int, height: int) -> Camera:
        """The current view at an image size in physical pixels."""
        width, height = max(1, int(width)), max(1, int(height))
        if self._exact is not None:
            return self._exact.resized(width, height)
        focal = 0.5 * height / math.tan(math.radians(self.fov_y_deg) / 2)
        return Camera.from_rotation(
            self._axes(),
            self.eye,
            width=width,
            height=height,
            fx=focal,
            fy=focal,
            near=max(1e-6, self.radius * 1e-4),
        )

    def _set_direction(self, f: Sequence[float]) -> None:
        f = _unit(f)
        self.pitch = _clamp(
            math.asin(_clamp(_dot(f, self.up), -1.0, 1.0)), -PITCH_LIMIT, PITCH_LIMIT
        )
        self.yaw = math.atan2(_dot(f, self._h2), _dot(f, self._h1))

    def _moved(self) -> bool:
        self._exact = None
        return True

    # -- actions -----------------------------------------------------------------
    def reset(self) -> bool:
        """The start view: the first capture camera if any, else the whole scene framed."""
        self.fov_y_deg = self._fov0
        self.fly = False
        if self.cameras and self.jump(0):
            return True
        back = default_back(self.axes, self.up)
        e = math.radians(20)  # from behind and a little above, like Camera.framing
        self._set_direction(_add(_add((0.0, 0.0, 0.0), back, -math.cos(e)), self.up, -math.sin(e)))
        return self.frame_scene()

    def frame_scene(self) -> bool:
        """Look at the scene's centre from the current direction, with all of it in view."""
        w, h = self.view_size
        fov = math.radians(min(self.fov_y_deg, self.fov_y_deg * w / max(h, 1.0)))
        self.target = self.center
        self.distance = self.radius / math.sin(fov / 2) * FRAME_MARGIN
        return self._moved()

    def jump(self, index: int) -> bool:
        """Go to camera ``index`` of the cameras.json; False when there is no such camera."""
        if not 0 <= index < len(self.cameras):
            return False
        try:
            cam = Camera.from_inria(self.cameras[index])
        except Exception:
            return False
        rot = cam.rotation()
        eye = cam.position
        self._set_direction(rot[2])
        to_center = _add(self.center, eye, -1.0)
        self.distance = max(_dot(to_center, rot[2]), 0.1 * self.radius)
        self.target = _add(eye, self.forward, self.distance)
        self.fov_y_deg = _clamp(cam.fov_y_deg, *FOV_RANGE)
        self._exact = cam
        return True

    def orbit(self, dx: float, dy: float) -> bool:
        """Turn the view around the target by a drag of (dx, dy) pixels (grab the scene)."""
        self.yaw += dx * ORBIT_RAD_PER_PX
        self.pitch = _clamp(self.pitch - dy * ORBIT_RAD_PER_PX, -PITCH_LIMIT, PITCH_LIMIT)
        return self._moved()

    def look(self, dx: float, dy: float) -> bool:
        """Turn the view around the eye (fly mode's mouse look)."""
        eye = self.eye
        self.yaw += dx * ORBIT_RAD_PER_PX
        self.pitch = _clamp(self.pitch - dy * ORBIT_RAD_PER_PX, -PITCH_LIMIT, PITCH_LIMIT)
        self.target = _add(eye, self.forward, self.distance)
        return self._moved()

    def pan(self, dx: float, dy: float) -> bool:
        """Slide the view so the point under the cursor at target depth follows the drag."""
        right, down, _ = self._axes()
        per_px = 2 * self.distance * math.tan(math.radians(self.fov_y_deg) / 2) / self.view_size[1]
        self.target = _add(self.target, right, -dx * per_px)
        self.target = _add(self.target, down, -dy * per_px)
        return self._moved()

    def dolly(self, amount: float) -> bool:
        """Move towards (amount < 0) or away from the target; fly mode moves the eye instead."""
        if self.fly:
            return self.move(0.0, 0.0, -amount * self.radius * 0.5)
        self.distance = _clamp(
            self.distance * math.exp(amount), self.radius * 1e-3, self.radius * 1e3
        )
        return self._moved()

    def move(self, right: float, up: float, forward: float) -> bool:
        """Translate the eye and target (world units) along the view's axes; up is world up."""
        r, _, f = self._axes()
        t = _add(self.target, r, right)
        t = _add(t, f, forward)
        self.target = _add(t, self.up, up)
        return self._moved()

    def change_fov(self, steps: float) -> bool:
        fov = _clamp(self.fov_y_deg + steps * FOV_STEP, *FOV_RANGE)
        if fov == self.fov_y_deg:
            return False
        self.fov_y_deg = fov
        return self._moved()

    def toggle_fly(self) -> bool:
        self.fly = not self.fly
        return False  # the view itself does not change

    # -- continuous motion -------------------------------------------------------
    @property
    def moving(self) -> bool:
        """True while held keys keep the camera moving (the app keeps drawing)."""
        return any(k in _MOVE_KEYS or k in _ARROWS for k in self._keys)

    def update(self, dt: float) -> bool:
        """Advance held-key motion by ``dt`` seconds; True when the view changed."""
        if not self.moving:
            return False
        dt = _clamp(dt, 0.0, 0.1)  # a stalled frame must not teleport the camera
        speed = FLY_SPEED * self.radius * (SHIFT_FACTOR if self._shift else 1.0) * dt
        turn = KEY_TURN_RAD_PER_S * (SHIFT_FACTOR if self._shift else 1.0) * dt
        mx = my = mz = 0.0
        for k in self._keys:
            if k in _MOVE_KEYS:
                x, y, z = _MOVE_KEYS[k]
                mx, my, mz = mx + x, my + y, mz + z
        keys = self._keys
        if self.fly:
            mz += ("arrowup" in keys) - ("arrowdown" in keys)
            yaw = ("arrowright" in keys) - ("arrowleft" in keys)
            if yaw:
                self.look(yaw * turn / ORBIT_RAD_PER_PX, 0.0)
        else:
            yaw = ("arrowright" in keys) - ("arrowleft" in keys)
            pitch = ("arrowdown" in keys) - ("arrowup" in keys)
            if yaw or pitch:
                self.orbit(yaw * turn / ORBIT_RAD_PER_PX, pitch * turn / ORBIT_RAD_PER_PX)
        if mx or my or mz:
            self.move(mx * speed, my * speed, mz * speed)
        return True

    # -- events ------------------------------------------------------------------
    def handle_event(self, event: dict) -> bool:
        """Apply one rendercanvas event; True when the view changed (draw again)."""
        kind = event.get("event_type", "")
        mods = event.get("modifiers", ())
        if mods is not None and kind != "resize":
            self._shift = "Shift" in mods
        if kind == "resize":
            w, h = event.get("width", 0), event.get("height", 0)
            if w > 0 and h > 0:
                self.view_size = (float(w), float(h))
            return False
        if kind == "pointer_down":
            self._drag = (int(event.get("button", 0)), event["x"], event["y"])
            return False
        if kind == "pointer_up":
            self._drag = None
            return False
        if kind == "pointer_move":
            return self._on_move(event)
        if kind == "wheel":
            k = PINCH_DOLLY if "Control" in (mods or ()) else WHEEL_DOLLY
            dy = float(event.get("dy", 0.0))
            return self.dolly(dy * k) if dy else False
        if kind == "key_down":
            return self._on_key_down(str(event.get("key", "")))
        if kind == "key_up":
            self._keys.discard(str(event.get("key", "")).lower())
            return False
        if kind in ("pointer_leave", "close"):
            self._keys.clear()
            self._drag = None
        return False

    def _on_move(self, event: dict) -> bool:
        if self._drag is None or not event.get("buttons"):
            self._drag = None
            return False
        button, x0, y0 = self._drag
        x, y = event["x"], event["y"]
        self._drag = (button, x, y)
        dx, dy = x - x0, y - y0
        if not (dx or dy):
            return False
        if button == 1:
            return self.look(dx, dy) if self.fly else self.orbit(dx, dy)
        if button in (2, 3):
            return self.pan(dx, dy)
        return False

    def _on_key_down(self, key: str) -> bool:
        k = key.lower()
        if k in _MOVE_KEYS or k in _ARROWS:
            self._keys.add(k)
            return True  # the app calls update(dt) while keys are held
        if k == "f":
            return self.frame_scene()
        if k == "r":
            return self.reset()
        if k == "tab":
            return self.toggle_fly()
        if k == "u":
            return self.set_up(self.upright.next_axis() if self._shift else self.upright.flipped())
        if k in ("+", "="):  # glfw reports the unshifted key: "=" for "+"
            return self.change_fov(+1)
        if k in ("-", "_"):
            return self.change_fov(-1)
        if len(k) == 1 and "1" <= k <= "9":
            return self.jump(int(k) - 1)
        return False
