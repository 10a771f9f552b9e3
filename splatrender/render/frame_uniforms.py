"""Packs the per-frame uniform block (shaders/layout.py FRAME_UNIFORMS; its only writer)."""

from __future__ import annotations

from ..shaders.layout import FRAME_UNIFORMS
from .camera import Camera
from .mat4 import columns


def tile_grid(width: int, height: int, tile: int) -> tuple[int, int]:
    return -(-width // tile), -(-height // tile)


def pack_frame(
    camera: Camera,
    background: tuple[float, float, float],
    visible_capacity: int,
    pair_capacity: int,
    debug_f32: bool,
    tile: int,
    time: float = 0.0,
) -> bytes:
    m = camera.world_to_camera
    w, h = camera.width, camera.height
    tan_x, tan_y = 0.5 * w / camera.fx, 0.5 * h / camera.fy
    # The 1.3 * tan(fov) clamp of the EWA Jacobian, split per side so an off-centre
    # principal point clamps the same as gsplat.
    lim_xp = (w - camera.cx) / camera.fx + 0.3 * tan_x
    lim_xn = camera.cx / camera.fx + 0.3 * tan_x
    lim_yp = (h - camera.cy) / camera.fy + 0.3 * tan_y
    lim_yn = camera.cy / camera.fy + 0.3 * tan_y
    return FRAME_UNIFORMS.pack(
        view=columns(m),
        campos=(*camera.position, 0.0),
        focal=(camera.fx, camera.fy, camera.cx, camera.cy),
        clip=(camera.near, camera.far, lim_xp, lim_yp),
        clip_neg=(lim_xn, lim_yn, 0.0, 0.0),
        background=(*background, time),
        size=(w, h, *tile_grid(w, h, tile)),
        caps=(visible_capacity, pair_capacity, 1 if debug_f32 else 0, 0),
    )
