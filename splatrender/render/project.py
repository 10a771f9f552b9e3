"""The projection pass: cull, EWA-project, SH colour, append each visible splat.

One dispatch per active pool page (shaders/project.wgsl); the visible count stays on
the GPU and becomes the indirect grid of the passes after it. Twin:
``reference/project.py``.
"""

from __future__ import annotations

from ..gpu import ComputePass, Device
from ..shaders import load_shader
from ..shaders.layout import WORKGROUP, sh_rest_floats
from .frame_buffers import ARGS_VISIBLE, FrameBuffers
from .indirect import BindCache, DispatchArgs
from .pool import SplatPool


class Projection:
    """Projects a pool's active pages into ``FrameBuffers`` (projected, rects, depth
    keys and values, ids) and counts them."""

    def __init__(self, device: Device, tile_size: int, mode: str) -> None:
        self.device = device
        self.tile_size = tile_size
        self.mode = mode
        self._pipelines: dict[int, object] = {}
        clamp = load_shader("bin", {"TILE_SIZE": tile_size})
        self._clamp = device.compute_pipeline(clamp, "clamp_visible", "clamp-visible")
        self.dispatch_args = DispatchArgs(device, "visible-args")
        self._binds = BindCache(limit=4096)  # two groups per pool page, kept across frames

    def pipeline(self, sh_degree: int):
        p = self._pipelines.get(sh_degree)
        if p is None:
            consts = {
                "TILE_SIZE": self.tile_size,
                "SH_DEGREE": sh_degree,
                "SH_REST_FLOATS": max(1, sh_rest_floats(sh_degree)),
                "ANTIALIASED": self.mode == "antialiased",
            }
            p = self.device.compute_pipeline(load_shader("project", consts), "main", "project")
            self._pipelines[sh_degree] = p
        return p

    def encode(self, cp: ComputePass, pool: SplatPool, fb: FrameBuffers) -> None:
        """Inside a compute pass: every active page, then the clamped visible count and
        its dispatch args (``ARGS_VISIBLE``)."""
        pipeline = self.pipeline(pool.sh_degree)
        outputs = {
            "frame": fb.frame_uniform,
            "counters": fb.counters,
            "projected": fb.projected,
            "rects": fb.rects,
            "depth_keys": fb.depth_keys,
            "depth_vals": fb.depth_vals,
            "ids": fb.ids,
        }
        g0 = self._group(pipeline, 0, outputs)
        limit = self.device.limits.max_workgroups_per_dim
        for page in pool.active:
            n = pool.counts[page]
            if n == 0:
                continue
            geom, sh = pool.page_buffers(page)
            inputs = {"page": pool.page_uniform(page), "geometry": geom, "sh_rest": sh}
            g1 = self._group(pipeline, 1, inputs)
            groups = -(-n // WORKGROUP)
            x = min(groups, limit)
            cp.dispatch(pipeline, [g0, g1], x, -(-groups // x))
        clamp = self._group(self._clamp, 0, {"frame": fb.frame_uniform, "counters": fb.counters})
        cp.dispatch(self._clamp, [clamp], 1)
        self.dispatch_args.encode(
            cp, fb.counter("visible_eff"), WORKGROUP, fb.args_binding(ARGS_VISIBLE)
        )

    def _group(self, pipeline, index: int, bindings: dict):
        return self._binds.group(self.device, pipeline, index, bindings, "project")
