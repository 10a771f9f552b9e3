"""A scene of several objects: splat sources placed in one world and drawn in one sort.

Each object is a ``SceneSource`` (a plain file or a streamed LOD set) with a
``Transform``, a visible flag, an opacity and optionally a ``Modifier`` (its own WGSL,
compiled into the projection pass); the scene's ``Edit``s (SDF shapes) recolour or fade
the splats of every object they contain. Its pool carries its placement (page
uniforms), and the scene's ``PoolSet`` projects every object's pages into one visible
list, so splats of interpenetrating objects interleave per splat, not per object.

The world takes the first object's axis convention (or the one given). Every object is
first turned so that its own up (its file's, the upright guess, or the one given) is the
world's up, then its transform applies: a y-up SPZ beside a y-down PLY stands upright
without the user knowing either convention.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import SplatError
from ..render.camera import Camera, default_up
from ..render.mat4 import (
    IDENTITY,
    Mat4,
    linear_inverse,
    mat4_mul,
    scale_of,
    transform_point,
)
from ..render.pool import PoolSet
from .edits import Edit, pack_edits
from .modifiers import Modifier
from .source import SceneSource, Vec3
from .transform import Transform
from .upright import Upright


def turn_onto(u: Sequence[float], w: Sequence[float]) -> Mat4:
    """The least rotation taking unit vector ``u`` onto unit vector ``w`` (4x4); for
    opposite vectors a half turn about x (or z when ``u`` lies along x), which is the
    RDF <-> RUB conversion for the y axis."""
    c = sum(a * b for a, b in zip(u, w, strict=True))
    if c > 1 - 1e-12:
        return IDENTITY
    if c < -1 + 1e-12:
        k = (0.0, 0.0, 1.0) if abs(u[0]) > 0.9 else (1.0, 0.0, 0.0)
        # 180 degrees about the unit axis a perpendicular to u: R = 2 a a^T - I.
        d = sum(a * b for a, b in zip(k, u, strict=True))
        a = [k[i] - d * u[i] for i in range(3)]
        n = math.sqrt(sum(x * x for x in a))
        a = [x / n for x in a]
        r = [[2 * a[i] * a[j] - (i == j) for j in range(3)] for i in range(3)]
    else:
        v = (u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0])
        kx = ((0.0, -v[2], v[1]), (v[2], 0.0, -v[0]), (-v[1], v[0], 0.0))
        kk = [[sum(kx[i][m] * kx[m][j] for m in range(3)) for j in range(3)] for i in range(3)]
        r = [[(i == j) + kx[i][j] + kk[i][j] / (1 + c) for j in range(3)] for i in range(3)]
    return (*r[0], 0.0, *r[1], 0.0, *r[2], 0.0, 0.0, 0.0, 0.0, 1.0)


@dataclass
class SceneObject:
    """One splat source in the scene and how it is shown."""

    source: SceneSource
    transform: Transform = field(default_factory=Transform)
    visible: bool = True
    opacity: float = 1.0
    name: str = ""
    up: Sequence[float] | None = None  # the object's own up (None: its source's upright)
    location: str = ""  # where it was opened from (a path or URL), when known
    modifier: Modifier | None = None  # its WGSL hook (scene/modifiers.py)

    def __post_init__(self) -> None:
        self.name = self.name or self.source.name
        check_opacity(self.opacity, self.name)


def check_opacity(value: float, name: str) -> float:
    if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
        raise SplatError(f"{name}: object opacity must be a number in [0, 1], got {value!r}")
    return float(value)


@dataclass(frozen=True)
class ObjectsUpdate:
    drawn_splats: int
    streaming: bool
    version: Hashable


def object_camera(camera: Camera, model: Mat4) -> Camera:
    """``camera`` as seen from inside an object placed by ``model``: what a LOD set's
    selection needs (its node boxes and errors are in object units). Exact for rotations,
    translations and uniform scales; a non-uniform scale is taken at its largest."""
    view = mat4_mul(camera.world_to_camera, model)
    k = scale_of(model)
    rows = [[view[r * 4 + c] / k for c in range(3)] for r in range(3)]
    inv = linear_inverse(model)
    rel = [camera.position[i] - model[i * 4 + 3] for i in range(3)]
    pos = transform_point(inv, rel)
    return Camera.from_rotation(
        rows,
        pos,
        width=camera.width,
        height=camera.height,
        fx=camera.fx,
        fy=camera.fy,
        cx=camera.cx,
        cy=camera.cy,
        near=camera.near / k,
        far=camera.far / k,
    )


class ObjectScene:
    """Several ``SceneObject`` drawn together (a ``SceneSource`` whose ``pool`` is a
    ``PoolSet``). Change them through ``set_transform``, ``set_visible``, ``set_opacity``,
    ``set_modifier`` and ``set_edits``: they rewrite uniforms (never per-splat data) and
    the next ``update`` reports a new version."""

    format = "objects"

    def __init__(
        self,
        objects: Sequence[SceneObject],
        *,
        axes: str | None = None,
        name: str = "scene",
        upright: Upright | None = None,
        edits: Sequence[Edit] = (),
    ) -> None:
        if not objects:
            raise SplatError("a scene of objects needs at least one object")
        self.objects = list(objects)
        if len({id(o.source.pool) for o in self.objects}) != len(self.objects):
            raise SplatError("each object needs a source of its own (open a file twice to copy it)")
        for o in self.objects:
            if o.modifier is not None:
                o.modifier.check(o.source.pool.device)
        self.axes = axes or self.objects[0].source.axes
        self.name = name
        self.upright = upright or Upright(
            default_up(self.axes), "file", f"{len(self.objects)} objects, each turned upright"
        )
        self.pool = PoolSet([])
        self._version = 0
        self.edits: list[Edit] = []
        self.set_edits(edits)
        for o in self.objects:
            self._place(o)
        self._refresh()

    # -- what the scene holds ------------------------------------------------------
    @property
    def count(self) -> int:
        return sum(o.source.count for o in self.objects)

    @property
    def sh_degree(self) -> int:
        return max(o.source.sh_degree for o in self.objects)

    @property
    def streamed(self) -> bool:
        return any(o.source.streamed for o in self.objects)

    @property
    def quirks(self) -> list[str]:
        return [f"{o.name}: {q}" for o in self.objects for q in o.source.quirks]

    def object(self, key: int | str) -> SceneObject:
        """An object by index or name."""
        if isinstance(key, int):
            if not -len(self.objects) <= key < len(self.objects):
                raise SplatError(f"no object {key}: the scene has {len(self.objects)}")
            return self.objects[key]
        for o in self.objects:
            if o.name == key:
                return o
        raise SplatError(f"no object named {key!r} (have {[o.name for o in self.objects]})")

    def model(self, obj: SceneObject) -> Mat4:
        """Object-to-world: its transform after turning its up onto the world's."""
        up = obj.up if obj.up is not None else obj.source.upright.up
        return mat4_mul(obj.transform.matrix(), turn_onto(up, default_up(self.axes)))

    @property
    def bounds(self) -> tuple[Vec3, Vec3]:
        """The box of the shown objects' bounds, each placed (all objects if none is)."""
        shown = [o for o in self.objects if o.visible] or self.objects
        corners = []
        for o in shown:
            lo, hi = o.source.bounds
            m = self.model(o)
            corners += [
                transform_point(m, (x, y, z))
                for x in (lo[0], hi[0])
                for y in (lo[1], hi[1])
                for z in (lo[2], hi[2])
            ]
        lo3 = tuple(min(c[i] for c in corners) for i in range(3))
        hi3 = tuple(max(c[i] for c in corners) for i in range(3))
        return lo3, hi3  # type: ignore[return-value]

    # -- edits -----------------------------------------------------------------------
    def set_transform(self, key: int | str, transform: Transform) -> None:
        o = self.object(key)
        o.transform = transform
        self._place(o)
        self._refresh()

    def set_opacity(self, key: int | str, opacity: float) -> None:
        o = self.object(key)
        o.opacity = check_opacity(opacity, o.name)
        self._place(o)
        self._refresh()

    def set_visible(self, key: int | str, visible: bool) -> None:
        self.object(key).visible = bool(visible)
        self._refresh()

    def set_edits(self, edits: Sequence[Edit]) -> None:
        """Replace the scene's edits: applied in order to every object's splats, in world
        space, each frame (scene/edits.py)."""
        self.pool.edits = pack_edits(edits) if edits else None
        self.edits = list(edits)
        self._version += 1

    def set_modifier(self, key: int | str, modifier: Modifier | None) -> None:
        """Give an object a modifier (None: none); it is compiled first, so a WGSL error
        is a ``SplatError`` here and the object keeps its old one."""
        o = self.object(key)
        if modifier is not None:
            modifier.check(o.source.pool.device)
        o.modifier = modifier
        self._place(o)
        self._refresh()

    @property
    def animated(self) -> bool:
        """Some shown object's modifier uses the clock: draw every frame."""
        return any(o.modifier is not None and o.modifier.animated for o in self._shown())

    def _place(self, o: SceneObject) -> None:
        m, mod = self.model(o), o.modifier
        pool = o.source.pool
        pool.modifier = mod.source if mod is not None else None
        params = mod.params if mod is not None else (0.0, 0.0, 0.0, 0.0)
        pool.set_placement(m, linear_inverse(m), o.opacity, params)

    def _refresh(self) -> None:
        self.pool.pools = [o.source.pool for o in self._shown()]
        self._version += 1

    def _shown(self) -> list[SceneObject]:
        return [o for o in self.objects if o.visible and o.opacity > 0]

    # -- per frame -------------------------------------------------------------------
    async def update(self, camera: Any) -> ObjectsUpdate:
        """Update every shown object (a LOD set selects with the camera in its frame)."""
        drawn, streaming, versions = 0, False, []
        for o in self._shown():
            cam = object_camera(camera, self.model(o)) if o.source.streamed else camera
            info = await o.source.update(cam)
            drawn += info.drawn_splats
            streaming |= info.streaming
            versions.append(info.version)
        return ObjectsUpdate(drawn, streaming, (self._version, *versions))

    def set_budget(self, splats: int) -> None:
        """Draw at most about ``splats``: plain objects are drawn whole while they fit
        (else cut in proportion), the LOD sets share the rest in proportion to their full
        detail; 0 gives every object its default."""
        if splats <= 0:
            for o in self.objects:
                o.source.set_budget(0)
            return
        plain = [o for o in self.objects if not o.source.streamed]
        lod = [o for o in self.objects if o.source.streamed]
        fixed = sum(o.source.count for o in plain)
        for o in plain:
            share = 0 if splats >= fixed else max(1, splats * o.source.count // fixed)
            o.source.set_budget(share)
        rest, total = max(1, splats - fixed), max(1, sum(o.source.count for o in lod))
        for o in lod:
            o.source.set_budget(max(1, rest * o.source.count // total))

    async def close(self) -> None:
        for o in self.objects:
            await o.source.close()
        self.pool.pools = []
