"""The projection pass: cull, EWA-project, SH colour, append each visible splat.

One dispatch per active pool page (shaders/project.wgsl); the visible count stays on
the GPU and becomes the indirect grid of the passes after it. Twin:
``reference/project.py``.
"""

from __future__ import annotations

from ..gpu import COPY_DST, UNIFORM, ComputePass, Device
from ..gpu.base import SUBGROUPS
from ..shaders import load_shader, shader_text
from ..shaders.layout import EDIT_UNIFORMS, WORKGROUP, sh_rest_floats
from .frame_buffers import ARGS_VISIBLE, FrameBuffers
from .indirect import BindCache, DispatchArgs
from .pool import PoolSet, SplatPool

NO_EDITS = bytes(EDIT_UNIFORMS.size)  # a scene without edits: zero counts


def project_source(
    tile_size: int,
    mode: str,
    sh_degree: int,
    modifier: str | None = None,
    placed: bool = True,
    edits: bool = True,
    subgroup_slots: bool = False,
) -> str:
    """The WGSL of the projection pass for these settings; ``subgroup_slots``: visible
    slots taken one atomic per subgroup (the device must have subgroups)."""
    consts = {
        "PLACED": placed,
        "HAS_EDITS": edits,
        "TILE_SIZE": tile_size,
        "SH_DEGREE": sh_degree,
        "SH_REST_FLOATS": max(1, sh_rest_floats(sh_degree)),
        "ANTIALIASED": mode == "antialiased",
        "HAS_MODIFIER": modifier is not None,
    }
    modules = {"modifier": modifier} if modifier else {}
    if subgroup_slots:
        modules["visible_slot"] = shader_text("visible_slot_subgroup")
    return load_shader("project", consts, modules)


class Projection:
    """Projects a pool's active pages into ``FrameBuffers`` (projected, rects, depth
    keys and values, ids) and counts them."""

    def __init__(
        self, device: Device, tile_size: int, mode: str, subgroup_slots: bool = False
    ) -> None:
        """``subgroup_slots``: one atomic per subgroup for the visible slots, where the
        device has subgroups (``Tuning.subgroup_slots``)."""
        self.device = device
        self.tile_size = tile_size
        self.mode = mode
        self.subgroup_slots = subgroup_slots and SUBGROUPS in device.features
        self._pipelines: dict[int, object] = {}
        clamp = load_shader("bin", {"TILE_SIZE": tile_size})
        self._clamp = device.compute_pipeline(clamp, "clamp_visible", "clamp-visible")
        self.dispatch_args = DispatchArgs(device, "visible-args")
        self.edits_uniform = device.create_buffer(EDIT_UNIFORMS.size, [UNIFORM, COPY_DST], "edits")
        self._edits: bytes | None = None
        self._write_edits(NO_EDITS)
        self._binds = BindCache(limit=4096)  # two groups per pool page, kept across frames

    def pipeline(
        self,
        sh_degree: int,
        modifier: str | None = None,
        placed: bool = False,
        edits: bool = False,
    ):
        """The projection of pages of ``sh_degree`` splats, with an object's modifier
        (its WGSL, replacing ``shaders/modifier.wgsl``) compiled in; ``placed``: with the
        placement's matrix products, ``edits``: with the edits stage (without, a pool at
        the identity in a scene without edits costs what it did before objects)."""
        key = (sh_degree, modifier, placed, edits)
        p = self._pipelines.get(key)
        if p is None:
            src = project_source(
                self.tile_size, self.mode, sh_degree, modifier, placed, edits, self.subgroup_slots
            )
            p = self.device.compute_pipeline(src, "main", "project")
            self._pipelines[key] = p
        return p

    def encode(self, cp: ComputePass, pool: SplatPool | PoolSet, fb: FrameBuffers) -> None:
        """Inside a compute pass: every drawn page (of one pool, or of every object's),
        then the clamped visible count and its dispatch args (``ARGS_VISIBLE``). All
        pages append to one visible list, so objects share one depth sort."""
        self._write_edits(pool.edits or NO_EDITS)
        edited = pool.edits is not None
        outputs = {
            "edits": self.edits_uniform,
            "frame": fb.frame_uniform,
            "counters": fb.counters,
            "projected": fb.projected,
            "rects": fb.rects,
            "depth_keys": fb.depth_keys,
            "depth_vals": fb.depth_vals,
            "ids": fb.ids,
        }
        limit = self.device.limits.max_workgroups_per_dim
        for owner, page in pool.drawn_pages():
            n = owner.counts[page]
            if n == 0:
                continue
            pipeline = self.pipeline(owner.sh_degree, owner.modifier, owner.placed, edited)
            g0 = self._group(pipeline, 0, outputs)
            geom, sh = owner.page_buffers(page)
            inputs = {"page": owner.page_uniform(page), "geometry": geom, "sh_rest": sh}
            g1 = self._group(pipeline, 1, inputs)
            groups = -(-n // WORKGROUP)
            x = min(groups, limit)
            cp.dispatch(pipeline, [g0, g1], x, -(-groups // x))
        clamp = self._group(self._clamp, 0, {"frame": fb.frame_uniform, "counters": fb.counters})
        cp.dispatch(self._clamp, [clamp], 1)
        self.dispatch_args.encode(
            cp, fb.counter("visible_eff"), WORKGROUP, fb.args_binding(ARGS_VISIBLE)
        )

    def _write_edits(self, data: bytes) -> None:
        if data is not self._edits:  # written when the scene's edits change, not per frame
            self.device.write_buffer(self.edits_uniform, data)
            self._edits = data

    def _group(self, pipeline, index: int, bindings: dict):
        return self._binds.group(self.device, pipeline, index, bindings, "project")
