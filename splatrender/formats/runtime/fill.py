"""Run a WGSL decoder over raw bytes and write the splats straight into pool pages.

A format module describes its decode as a :class:`Plan`: the shader, its constants,
and one or more :class:`Part` (a run of splats sharing one parameter block, e.g. a
.ksplat section or a glTF primitive). The filler cuts every part into dispatches that
never cross a page and whose input fits one storage binding, uploads each dispatch's
input segments into one reused staging buffer, and dispatches 2D past the
per-dimension workgroup limit. Queue order makes the reuse safe: each write lands
after the previous submit and before the next.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ...errors import RenderError
from ...gpu import COPY_DST, COPY_SRC, STORAGE, UNIFORM, Device, load_shader
from ...render.indirect import max_dim
from ...render.layout import GEOM_FLOATS, WORKGROUP, page_capacity, sh_rest_floats
from ...render.pool import SplatPool

MAX_SEGMENTS = 24
COMMON_BYTES = 128  # struct Common in shaders/decode_common.wgsl
STATS_BYTES = 16

Segments = Callable[[int, int], Sequence[bytes | bytearray | memoryview]]


@dataclass
class Part:
    """``count`` splats decoded with one parameter block.

    ``segments(first, m)`` returns the input byte ranges of splats ``first..first+m``
    (part-relative); ``per_splat`` and ``fixed`` bound their total size
    (``fixed + m * per_splat``) so dispatches can be sized before slicing.
    """

    count: int
    params: bytes
    segments: Segments
    per_splat: int
    fixed: int = 0


@dataclass
class Plan:
    shader: str
    parts: list[Part]
    consts: dict[str, object] = field(default_factory=dict)
    stats: bool = False  # the shader has the binding-4 stats counters (decode_attrs)

    @property
    def count(self) -> int:
        return sum(p.count for p in self.parts)


def _align4(n: int) -> int:
    return (n + 3) & ~3


class PoolFiller:
    """Owns the pool being filled and the transient decode buffers."""

    def __init__(
        self,
        device: Device,
        count: int,
        sh_degree: int,
        *,
        page_size: int | None = None,
        chunk_splats: int | None = None,
    ) -> None:
        self.device = device
        self.count = count
        self.sh_degree = sh_degree
        cap = page_capacity(device.limits.max_storage_binding, sh_degree)
        size = max(1, min(cap, count))
        if page_size is not None:
            size = max(1, min(page_size, cap))
        self.page_size = size
        self.pool = SplatPool(device, size, max(1, -(-count // size)), sh_degree)
        self.sh_floats = sh_rest_floats(sh_degree)
        self.chunk_splats = chunk_splats
        self.limit = min(device.limits.max_storage_binding, device.limits.max_buffer_size)
        self._stats = None

    def _chunk(self, part: Part) -> int:
        """Splats per dispatch for ``part``: its input within one binding."""
        room = self.limit - part.fixed - 4 * MAX_SEGMENTS
        m = room // max(1, part.per_splat)
        if m >= WORKGROUP:
            m = m // WORKGROUP * WORKGROUP
        if m < 1:
            raise RenderError("a decode dispatch does not fit one storage binding")
        if self.chunk_splats is not None:
            m = min(m, max(1, self.chunk_splats))
        return min(m, self.page_size)

    async def run(self, plan: Plan) -> bytes:
        """Decode every part into the pool; returns the stats words (or b"")."""
        d = self.device
        consts = {"WG": WORKGROUP, "GEOM_FLOATS": GEOM_FLOATS, **plan.consts}
        pipeline = d.compute_pipeline(load_shader(plan.shader, consts), "main", plan.shader)
        if plan.count != self.count:
            raise RenderError(f"decode plan holds {plan.count} splats, pool {self.count}")
        chunks = [self._chunk(p) for p in plan.parts]
        need = (
            max(
                (p.fixed + min(c, p.count) * p.per_splat + 4 * MAX_SEGMENTS)
                for p, c in zip(plan.parts, chunks, strict=True)
            )
            if plan.parts
            else 16
        )
        staging = d.create_buffer(max(16, _align4(need)), [STORAGE, COPY_DST], "decode-input")
        plen = max(len(p.params) for p in plan.parts) if plan.parts else 0
        ubuf = d.create_buffer(
            (COMMON_BYTES + plen + 15) // 16 * 16, [UNIFORM, COPY_DST], "decode-params"
        )
        stats = None
        if plan.stats:
            stats = d.create_buffer(STATS_BYTES, [STORAGE, COPY_SRC, COPY_DST], "decode-stats")
        groups_cache: dict[int, object] = {}
        limit_x = max_dim(d, None)
        base = 0
        try:
            for part, chunk in zip(plan.parts, chunks, strict=True):
                first = 0
                while first < part.count:
                    g = base + first
                    page, slot = divmod(g, self.page_size)
                    m = min(chunk, part.count - first, self.page_size - slot)
                    offsets = self._upload(staging, part.segments(first, m))
                    groups = -(-m // WORKGROUP)
                    gx = min(groups, limit_x)
                    common = struct.pack(
                        "<8I24I", m, gx, slot, self.sh_floats, first, 0, 0, 0,
                        *offsets, *([0] * (MAX_SEGMENTS - len(offsets))),
                    )  # fmt: skip
                    d.write_buffer(ubuf, common + part.params)
                    group = groups_cache.get(page)
                    if group is None:
                        geom, sh = self.pool.page_buffers(page)
                        bindings = {0: staging, 1: geom, 2: sh, 3: ubuf}
                        if stats is not None:
                            bindings[4] = stats
                        group = d.bind_group(pipeline, 0, bindings, f"{plan.shader}-{page}")
                        groups_cache[page] = group
                    enc = d.encoder(plan.shader)
                    with enc.compute_pass(plan.shader) as cp:
                        cp.dispatch(pipeline, [group], gx, -(-groups // gx))
                    d.submit(enc)
                    first += m
                base += part.count
            out = b""
            if stats is not None:
                out = bytes(await d.read_buffer(stats))
            else:
                await d.done()
        finally:
            d.destroy_buffer(staging)
            d.destroy_buffer(ubuf)
            if stats is not None:
                d.destroy_buffer(stats)
        return out

    def _upload(self, staging, segments) -> list[int]:
        return _upload_segments(self.device, staging, segments)

    async def run_pages(self, shader: str, entry: str, consts: dict[str, object]) -> None:
        """A per-splat fix-up pass over every filled page (e.g. linear opacity -> logit)."""
        d = self.device
        consts = {"WG": WORKGROUP, "GEOM_FLOATS": GEOM_FLOATS, **consts}
        pipeline = d.compute_pipeline(load_shader(shader, consts), entry, f"{shader}:{entry}")
        limit_x = max_dim(d, None)
        for page in range(self.pool.num_pages):
            n = min(self.page_size, self.count - page * self.page_size)
            if n <= 0:
                continue
            groups = -(-n // WORKGROUP)
            gx = min(groups, limit_x)
            ubuf = d.create_buffer(2048, [UNIFORM, COPY_DST], "fixup-params")
            d.write_buffer(
                ubuf, struct.pack("<8I", n, gx, 0, self.sh_floats, 0, 0, 0, 0) + bytes(96)
            )
            geom, _ = self.pool.page_buffers(page)
            group = d.bind_group(pipeline, 0, {1: geom, 3: ubuf}, f"{shader}-fixup")
            enc = d.encoder(entry)
            with enc.compute_pass(entry) as cp:
                cp.dispatch(pipeline, [group], gx, -(-groups // gx))
            d.submit(enc)
            await d.done()
            d.destroy_buffer(ubuf)

    def finish(self) -> SplatPool:
        """Record each page's count and make every page active."""
        pages = []
        for page in range(self.pool.num_pages):
            n = max(0, min(self.page_size, self.count - page * self.page_size))
            self.pool.set_count(page, n)
            pages.append(page)
        self.pool.set_active(pages)
        return self.pool

    def destroy(self) -> None:
        self.pool.destroy()


class PartWriter:
    """Decode ranges of a :class:`Part` into chosen pages of an existing pool.

    The LOD streamer's twin of :class:`PoolFiller`: a streamed SOG node is a range of
    its level file, written into whatever pool pages the page table hands out, long
    after the file was entropy-decoded. ``write`` only queues GPU work (no waiting), so
    it fits a frame loop; the staging and uniform buffers are reused in queue order
    and grow (rarely) to the largest dispatch seen.
    """

    def __init__(self, device: Device, pool: SplatPool, shader: str, consts=None) -> None:
        self.device = device
        self.pool = pool
        consts = {"WG": WORKGROUP, "GEOM_FLOATS": GEOM_FLOATS, **(consts or {})}
        self.pipeline = device.compute_pipeline(load_shader(shader, consts), "main", shader)
        self.shader = shader
        self.sh_floats = sh_rest_floats(pool.sh_degree)
        self.limit = min(device.limits.max_storage_binding, device.limits.max_buffer_size)
        self.staging = None
        self.ubuf = None
        self._groups: dict[int, object] = {}

    def _buffers(self, need: int, plen: int) -> None:
        d = self.device
        if self.staging is None or self.staging.size < need:
            if self.staging is not None:
                d.destroy_buffer(self.staging)
            size = max(16, _align4(need))
            self.staging = d.create_buffer(size, [STORAGE, COPY_DST], f"{self.shader}-input")
            self._groups.clear()
        usize = (COMMON_BYTES + plen + 15) // 16 * 16
        if self.ubuf is None or self.ubuf.size < usize:
            if self.ubuf is not None:
                d.destroy_buffer(self.ubuf)
            self.ubuf = d.create_buffer(usize, [UNIFORM, COPY_DST], f"{self.shader}-params")
            self._groups.clear()

    def write(self, part: Part, first: int, count: int, pages: Sequence[int]) -> None:
        """Splats ``first..first+count`` of ``part`` into ``pages`` (filled in order, from
        slot 0); sets each page's count."""
        ps = self.pool.page_size
        if count < 0 or first < 0 or first + count > part.count:
            raise RenderError(f"range {first}+{count} outside a part of {part.count} splats")
        if len(pages) * ps < count:
            raise RenderError(f"{count} splats do not fit {len(pages)} pages of {ps}")
        room = self.limit - part.fixed - 4 * MAX_SEGMENTS
        chunk = min(ps, room // max(1, part.per_splat))
        if chunk >= WORKGROUP:
            chunk = chunk // WORKGROUP * WORKGROUP
        if chunk < 1:
            raise RenderError("a decode dispatch does not fit one storage binding")
        self._buffers(
            part.fixed + min(chunk, count) * part.per_splat + 4 * MAX_SEGMENTS, len(part.params)
        )
        d = self.device
        limit_x = max_dim(d, None)
        done = 0
        for page in pages:
            n_page = min(ps, count - done)
            slot = 0
            while slot < n_page:
                m = min(chunk, n_page - slot)
                offsets = _upload_segments(d, self.staging, part.segments(first + done + slot, m))
                groups = -(-m // WORKGROUP)
                gx = min(groups, limit_x)
                common = struct.pack(
                    "<8I24I", m, gx, slot, self.sh_floats, first + done + slot, 0, 0, 0,
                    *offsets, *([0] * (MAX_SEGMENTS - len(offsets))),
                )  # fmt: skip
                d.write_buffer(self.ubuf, common + part.params)
                group = self._groups.get(page)
                if group is None:
                    geom, sh = self.pool.page_buffers(page)
                    bindings = {0: self.staging, 1: geom, 2: sh, 3: self.ubuf}
                    group = d.bind_group(self.pipeline, 0, bindings, f"{self.shader}-{page}")
                    self._groups[page] = group
                enc = d.encoder(self.shader)
                with enc.compute_pass(self.shader) as cp:
                    cp.dispatch(self.pipeline, [group], gx, -(-groups // gx))
                d.submit(enc)
                slot += m
            self.pool.set_count(page, n_page)
            done += n_page
            if done >= count:
                break

    def destroy(self) -> None:
        for b in (self.staging, self.ubuf):
            if b is not None:
                self.device.destroy_buffer(b)
        self.staging = self.ubuf = None
        self._groups.clear()


def _upload_segments(device: Device, staging, segments) -> list[int]:
    """Write a dispatch's input segments into ``staging`` at 4-byte aligned offsets; their
    word offsets."""
    if len(segments) > MAX_SEGMENTS:
        raise RenderError(f"{len(segments)} input segments; at most {MAX_SEGMENTS}")
    offsets, at = [], 0
    for seg in segments:
        mv = memoryview(seg).cast("B")
        if at + mv.nbytes > staging.size:
            raise RenderError("decode input outgrew its staging buffer (sizing bug)")
        offsets.append(at // 4)
        if mv.nbytes:
            device.write_buffer(staging, mv, at)
        at = _align4(at + mv.nbytes)
    return offsets
