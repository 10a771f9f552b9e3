"""GPU data layouts shared by the passes, the packers and the LOD decoder.

Defined once here and handed to WGSL as specialised constants.

Splat pool (what a scene page holds, float32, raw 3DGS parameters):
  geometry, GEOM_FLOATS per splat:
    [0:3] mean xyz   [3] opacity logit   [4:8] quat w,x,y,z (unnormalised)
    [8:11] log scale xyz   [11:14] SH DC rgb   [14:16] unused (alignment)
  sh_rest, sh_rest_floats(degree) per splat: coefficient-major, rgb interleaved
    [(k-1)*3 + c] for k = 1..(deg+1)^2-1, c = r,g,b

Projected splat (one per visible splat, written by the projection pass):
  PROJ_FLOATS per splat: [0:2] pixel xy, [2:5] conic a,b,c, [5:8] rgb, [8] opacity
"""

from __future__ import annotations

GEOM_FLOATS = 16
PROJ_FLOATS = 9
TILE_SIZE = 16  # default; CPU adapters use SOFTWARE_TILE_SIZE (renderer.tile_size)
SOFTWARE_TILE_SIZE = 8
WORKGROUP = 256


def sh_rest_floats(degree: int) -> int:
    """Floats of SH beyond DC per splat (0, 9, 24, 45)."""
    return ((degree + 1) ** 2 - 1) * 3


def page_capacity(max_binding: int, sh_degree: int, align: int = WORKGROUP) -> int:
    """Largest splat count whose geometry and SH each fit one storage binding."""
    stride = 4 * max(GEOM_FLOATS, sh_rest_floats(sh_degree))
    return max(align, (max_binding // stride) // align * align)
