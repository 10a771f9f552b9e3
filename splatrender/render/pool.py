"""GPU splat storage: pages of splats in the layout of ``shaders.layout``.

A page is a geometry buffer and an SH buffer, each within one storage binding, so a
pool can hold more splats than one binding allows (lavapipe: 128 MiB). The frame
projects every active page with one dispatch each: per-frame work is O(pages).
A pool is one object's splats: its placement (object-to-world matrix, opacity) sits in
every page's uniform, so moving the object rewrites O(pages) uniforms and a frame none.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ..errors import RenderError
from ..gpu import COPY_DST, COPY_SRC, STORAGE, UNIFORM, Buffer, Device
from ..shaders.layout import GEOM_FLOATS, PAGE_UNIFORMS, page_capacity, sh_rest_floats
from .mat4 import IDENTITY, columns


class SplatPool:
    """``num_pages`` pages of ``page_size`` splats with SH up to ``sh_degree``."""

    edits: bytes | None = None  # edits are a scene of objects' (PoolSet.edits)
    modifier: str | None = None  # the object's modifier WGSL (scene/modifiers.py)

    def __init__(self, device: Device, page_size: int, num_pages: int, sh_degree: int) -> None:
        if not 0 <= sh_degree <= 3:
            raise RenderError(f"SH degree must be 0-3, got {sh_degree}")
        cap = page_capacity(device.limits.max_storage_binding, sh_degree, align=1)
        if page_size < 1 or page_size > cap:
            raise RenderError(f"page size {page_size} outside 1..{cap} for this adapter")
        self.device = device
        self.page_size = page_size
        self.num_pages = num_pages
        self.sh_degree = sh_degree
        self.geom_stride = 4 * GEOM_FLOATS
        self.sh_stride = 4 * sh_rest_floats(sh_degree)
        self._geometry: list[Buffer] = []
        self._sh: list[Buffer] = []
        self._page_uniforms: list[Buffer] = []
        self.counts = [0] * num_pages
        self.base = [0] * num_pages
        self.model, self.to_object, self.opacity = IDENTITY, IDENTITY, 1.0
        self.params: tuple[float, ...] = (0.0, 0.0, 0.0, 0.0)  # the modifier's
        usage = [STORAGE, COPY_DST, COPY_SRC]
        for p in range(num_pages):
            self._geometry.append(
                device.create_buffer(page_size * self.geom_stride, usage, f"pool-geom-{p}")
            )
            self._sh.append(
                device.create_buffer(max(16, page_size * self.sh_stride), usage, f"pool-sh-{p}")
            )
            self._page_uniforms.append(
                device.create_buffer(PAGE_UNIFORMS.size, [UNIFORM, COPY_DST], f"page-{p}")
            )
            self.base[p] = p * page_size
            self._write_uniform(p)
        self.active: list[int] = []

    @property
    def capacity(self) -> int:
        return self.page_size * self.num_pages

    @property
    def placed(self) -> bool:
        """Whether the placement is other than the identity (the projection then
        compiles in its matrix products)."""
        return self.model != IDENTITY

    @property
    def gpu_bytes(self) -> int:
        return sum(b.size for b in self._geometry) + sum(b.size for b in self._sh)

    def _write_uniform(self, page: int) -> None:
        data = PAGE_UNIFORMS.pack(
            count=self.counts[page],
            base=self.base[page] & 0xFFFFFFFF,
            opacity=self.opacity,
            model=columns(self.model),
            to_object=columns(self.to_object),
            params=self.params,
        )
        self.device.write_buffer(self._page_uniforms[page], data)

    def set_placement(
        self,
        model: Sequence[float],
        to_object: Sequence[float],
        opacity: float,
        params: Sequence[float] = (0.0, 0.0, 0.0, 0.0),
    ) -> None:
        """Place the pool's splats: ``model`` object-to-world (row-major 4x4),
        ``to_object`` the inverse of its linear part, ``opacity`` multiplies every splat's,
        ``params`` go to its modifier."""
        self.model, self.to_object = tuple(model), tuple(to_object)
        self.opacity, self.params = float(opacity), tuple(float(v) for v in params)
        for p in range(len(self._page_uniforms)):
            self._write_uniform(p)

    def write_page(self, page: int, geometry, sh_rest, count: int) -> None:
        """Upload ``count`` splats (bytes-like in the pool layout) into ``page``."""
        if not 0 <= count <= self.page_size:
            raise RenderError(f"page holds at most {self.page_size} splats, got {count}")
        g = memoryview(geometry).cast("B")
        s = memoryview(sh_rest).cast("B")
        if g.nbytes != count * self.geom_stride or s.nbytes != count * self.sh_stride:
            raise RenderError(f"page data does not match {count} splats of SH {self.sh_degree}")
        self.device.write_buffer(self._geometry[page], g)
        if s.nbytes:
            self.device.write_buffer(self._sh[page], s)
        self.set_count(page, count)

    def page_buffers(self, page: int) -> tuple[Buffer, Buffer]:
        """(geometry, sh_rest) buffers of a page, for GPU-side decoders."""
        return self._geometry[page], self._sh[page]

    def page_uniform(self, page: int) -> Buffer:
        return self._page_uniforms[page]

    def set_count(self, page: int, count: int, base: int | None = None) -> None:
        """Declare how many splats ``page`` holds (and optionally their global base id)."""
        self.counts[page] = count
        if base is not None:
            self.base[page] = base
        self._write_uniform(page)

    def set_active(self, pages: Sequence[int]) -> None:
        """The pages drawn from the next frame on."""
        for p in pages:
            if not 0 <= p < self.num_pages:
                raise RenderError(f"page {p} outside the pool (0..{self.num_pages - 1})")
        self.active = list(pages)

    @property
    def active_count(self) -> int:
        return sum(self.counts[p] for p in self.active)

    def drawn_pages(self) -> Iterator[tuple[SplatPool, int]]:
        """(pool, page) of every page the next frame projects (``PoolSet`` has the same)."""
        return ((self, p) for p in self.active)

    def destroy(self) -> None:
        for b in (*self._geometry, *self._sh, *self._page_uniforms):
            self.device.destroy_buffer(b)
        self._geometry.clear()
        self._sh.clear()
        self._page_uniforms.clear()
        self.active = []

    @classmethod
    def for_scene(cls, device: Device, scene, page_size: int | None = None) -> SplatPool:
        """A pool just big enough for ``scene`` (a SceneData), filled and all active;
        ``page_size`` (splats per page, for tests) defaults to what a binding holds."""
        cap = page_capacity(device.limits.max_storage_binding, scene.sh_degree)
        page_size = max(1, min(page_size or cap, cap, scene.count))
        pages = max(1, -(-scene.count // page_size))
        pool = cls(device, page_size, pages, scene.sh_degree)
        g = memoryview(scene.geometry).cast("B")
        s = memoryview(scene.sh_rest).cast("B")
        for p in range(pages):
            lo = p * page_size
            n = min(page_size, scene.count - lo)
            pool.write_page(
                p,
                g[lo * pool.geom_stride : (lo + n) * pool.geom_stride],
                s[lo * pool.sh_stride : (lo + n) * pool.sh_stride],
                n,
            )
        pool.set_active(range(pages))
        return pool


class PoolSet:
    """The pools of several objects drawn as one scene (``Renderer.set_pool`` takes it
    like a pool): their pages project into one visible list and share one sort."""

    def __init__(self, pools: Sequence[SplatPool]) -> None:
        self.pools = list(pools)
        self.edits: bytes | None = None  # the packed Edits uniform (scene/edits.py)

    @property
    def sh_degree(self) -> int:
        return max((p.sh_degree for p in self.pools), default=0)

    @property
    def active_count(self) -> int:
        return sum(p.active_count for p in self.pools)

    @property
    def capacity(self) -> int:
        return sum(p.capacity for p in self.pools)

    @property
    def gpu_bytes(self) -> int:
        return sum(p.gpu_bytes for p in self.pools)

    def drawn_pages(self) -> Iterator[tuple[SplatPool, int]]:
        return ((pool, page) for pool in self.pools for page in pool.active)

    def destroy(self) -> None:
        for p in self.pools:
            p.destroy()
