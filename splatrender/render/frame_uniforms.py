"""Packs the per-frame uniform block of shaders/frame.wgsl (its only writer)."""

from __future__ import annotations

import struct

from .camera import Camera

# 7 vec4<f32|u32> after a mat4x4<f32>.
FRAME_UNIFORM_BYTES = 64 + 7 * 16


def tile_grid(width: int, height: int, tile: int) -> tuple[int, int]:
    return -(-width // tile), -(-height // tile)


def pack_frame(
    camera: Camera,
    background: tuple[float, float, float],
    visible_capacity: int,
    pair_capacity: int,
    debug_f32: bool,
    tile: int,
) -> bytes:
    m = camera.world_to_camera
    column_major = [m[r * 4 + c] for c in range(4) for r in range(4)]
    w, h = camera.width, camera.height
    tan_x, tan_y = 0.5 * w / camera.fx, 0.5 * h / camera.fy
    # The 1.3 * tan(fov) clamp of the EWA Jacobian, split per side so an off-centre
    # principal point clamps the same as gsplat.
    lim_xp = (w - camera.cx) / camera.fx + 0.3 * tan_x
    lim_xn = camera.cx / camera.fx + 0.3 * tan_x
    lim_yp = (h - camera.cy) / camera.fy + 0.3 * tan_y
    lim_yn = camera.cy / camera.fy + 0.3 * tan_y
    tx, ty = tile_grid(w, h, tile)
    return struct.pack(
        "<16f4f4f4f4f4f4I4I",
        *column_major,
        *camera.position,
        0.0,
        camera.fx,
        camera.fy,
        camera.cx,
        camera.cy,
        camera.near,
        camera.far,
        lim_xp,
        lim_yp,
        lim_xn,
        lim_yn,
        0.0,
        0.0,
        *background,
        0.0,
        w,
        h,
        tx,
        ty,
        visible_capacity,
        pair_capacity,
        1 if debug_f32 else 0,
        0,
    )
