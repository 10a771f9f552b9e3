"""Run a WGSL decoder over raw bytes and write the splats straight into pool pages.

A format module describes its decode as a :class:`Plan`: the shader, its constants,
and one or more :class:`Part` (a run of splats sharing one parameter block, e.g. a
.ksplat section or a glTF primitive). A :class:`PartWriter` cuts a range of a part
into dispatches that never cross a page and whose input fits one storage binding,
uploads each dispatch's input segments into one reused staging buffer, and dispatches
2D past the per-dimension workgroup limit. Queue order makes the reuse safe: each
write lands after the previous submit and before the next.

:class:`PoolFiller` decodes a whole plan into a new pool (a plain scene); the LOD
streamer writes node ranges into the pages its page table hands out with the same
``PartWriter``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ...errors import RenderError
from ...gpu import COPY_DST, COPY_SRC, STORAGE, UNIFORM, Buffer, Device
from ...render.indirect import max_dim
from ...render.pool import SplatPool
from ...shaders import load_shader
from ...shaders.layout import (
    DECODE_COMMON,
    DECODE_SEGMENTS,
    DECODE_STATS,
    WORKGROUP,
    page_capacity,
    sh_rest_floats,
)

FIXUP_PARAMS_BYTES = 4096  # at least any decoder's Params block

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

    @property
    def count(self) -> int:
        return sum(p.count for p in self.parts)


def _align4(n: int) -> int:
    return (n + 3) & ~3


def _common(
    count: int, groups_x: int, out_base: int, sh_floats: int, first: int, offsets: list[int]
) -> bytes:
    """The ``Common`` block a decode dispatch's params start with."""
    seg = offsets + [0] * (DECODE_SEGMENTS - len(offsets))
    return DECODE_COMMON.pack(
        count=count, groups_x=groups_x, out_base=out_base, sh_floats=sh_floats,
        first=first, seg=seg,
    )  # fmt: skip


class PartWriter:
    """One decoder pipeline and its reusable staging, params and stats buffers.

    ``write`` only queues GPU work (no waiting), so it fits a frame loop; the staging
    and uniform buffers grow (rarely) to the largest dispatch seen.
    """

    def __init__(
        self,
        device: Device,
        pool: SplatPool,
        shader: str,
        consts: dict[str, object] | None = None,
        *,
        chunk_splats: int | None = None,
    ) -> None:
        self.device = device
        self.pool = pool
        self.pipeline = device.compute_pipeline(load_shader(shader, consts), "main", shader)
        self.shader = shader
        self.sh_floats = sh_rest_floats(pool.sh_degree)
        self.limit = min(device.limits.max_storage_binding, device.limits.max_buffer_size)
        self.chunk_splats = chunk_splats  # splats per dispatch at most (tests)
        self.staging: Buffer | None = None
        self.ubuf: Buffer | None = None
        self.stats = device.create_buffer(
            4 * DECODE_STATS, [STORAGE, COPY_SRC, COPY_DST], f"{shader}-stats"
        )
        device.write_buffer(self.stats, bytes(4 * DECODE_STATS))
        self._groups: dict[int, object] = {}

    def _chunk(self, part: Part) -> int:
        """Splats per dispatch for ``part``: its input within one binding."""
        room = self.limit - part.fixed - 4 * DECODE_SEGMENTS
        m = min(self.pool.page_size, room // max(1, part.per_splat))
        if m >= WORKGROUP:
            m = m // WORKGROUP * WORKGROUP
        if m < 1:
            raise RenderError("a decode dispatch does not fit one storage binding")
        return min(m, self.chunk_splats) if self.chunk_splats else m

    def _buffers(self, need: int, plen: int) -> None:
        d = self.device
        if self.staging is None or self.staging.size < need:
            if self.staging is not None:
                d.destroy_buffer(self.staging)
            size = max(16, _align4(need))
            self.staging = d.create_buffer(size, [STORAGE, COPY_DST], f"{self.shader}-input")
            self._groups.clear()
        usize = (DECODE_COMMON.size + plen + 15) // 16 * 16
        if self.ubuf is None or self.ubuf.size < usize:
            if self.ubuf is not None:
                d.destroy_buffer(self.ubuf)
            self.ubuf = d.create_buffer(usize, [UNIFORM, COPY_DST], f"{self.shader}-params")
            self._groups.clear()

    def write(
        self, part: Part, first: int, count: int, pages: Sequence[int], slot: int = 0
    ) -> None:
        """Splats ``first..first+count`` of ``part`` into ``pages``, filled in order from
        ``slot`` of the first page (slot 0 of the others); sets each page's count."""
        ps = self.pool.page_size
        if count < 0 or first < 0 or first + count > part.count:
            raise RenderError(f"range {first}+{count} outside a part of {part.count} splats")
        if not 0 <= slot < ps or len(pages) * ps - slot < count:
            raise RenderError(f"{count} splats do not fit {len(pages)} pages of {ps} from {slot}")
        chunk = self._chunk(part)
        need = part.fixed + min(chunk, count) * part.per_splat + 4 * DECODE_SEGMENTS
        self._buffers(need, len(part.params))
        d = self.device
        limit_x = max_dim(d, None)
        done = 0
        for page in pages:
            if done >= count:
                break
            n_page = min(ps - slot, count - done)
            end = slot + n_page
            while slot < end:
                m = min(chunk, end - slot)
                at = first + done
                offsets = _upload_segments(d, self.staging, part.segments(at, m))
                groups = -(-m // WORKGROUP)
                gx = min(groups, limit_x)
                common = _common(m, gx, slot, self.sh_floats, at, offsets)
                d.write_buffer(self.ubuf, common + part.params)
                enc = d.encoder(self.shader)
                with enc.compute_pass(self.shader) as cp:
                    cp.dispatch(self.pipeline, [self._group(page)], gx, -(-groups // gx))
                d.submit(enc)
                slot += m
                done += m
            self.pool.set_count(page, end)
            slot = 0

    def _group(self, page: int):
        group = self._groups.get(page)
        if group is None:
            geom, sh = self.pool.page_buffers(page)
            bindings = {
                "src": self.staging,
                "geometry": geom,
                "sh_rest": sh,
                "params": self.ubuf,
                "stats": self.stats,
            }
            group = self.device.bind_group(self.pipeline, 0, bindings, f"{self.shader}-{page}")
            self._groups[page] = group
        return group

    async def read_stats(self) -> tuple[int, ...]:
        """The stats words so far (awaits the queued decodes)."""
        raw = await self.device.read_buffer(self.stats, 0, 4 * DECODE_STATS)
        return struct.unpack(f"<{DECODE_STATS}I", raw)

    def destroy(self) -> None:
        for b in (self.staging, self.ubuf, self.stats):
            if b is not None:
                self.device.destroy_buffer(b)
        self.staging = self.ubuf = None
        self._groups.clear()


class PoolFiller:
    """Decodes a whole :class:`Plan` into a new pool sized for it (a plain scene)."""

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
        self.page_size = max(1, min(page_size or cap, cap, max(1, count)))
        pages = max(1, -(-count // self.page_size))
        self.pool = SplatPool(device, self.page_size, pages, sh_degree)
        self.chunk_splats = chunk_splats

    async def run(self, plan: Plan) -> tuple[int, ...]:
        """Decode every part into the pool; returns the decoder's stats words."""
        if plan.count != self.count:
            raise RenderError(f"decode plan holds {plan.count} splats, pool {self.count}")
        writer = PartWriter(
            self.device, self.pool, plan.shader, plan.consts, chunk_splats=self.chunk_splats
        )
        try:
            base = 0
            for part in plan.parts:
                page, slot = divmod(base, self.page_size)
                last = (base + part.count - 1) // self.page_size if part.count else page
                writer.write(part, 0, part.count, range(page, last + 1), slot)
                base += part.count
            return await writer.read_stats()
        finally:
            writer.destroy()

    async def run_pages(self, shader: str, entry: str, consts: dict[str, object]) -> None:
        """A per-splat fix-up pass over every filled page (e.g. linear opacity -> logit)."""
        d = self.device
        pipeline = d.compute_pipeline(load_shader(shader, consts), entry, f"{shader}:{entry}")
        limit_x = max_dim(d, None)
        # Bound as the shader's whole Params block, of which only Common is read here.
        ubuf = d.create_buffer(FIXUP_PARAMS_BYTES, [UNIFORM, COPY_DST], "fixup-params")
        try:
            for page in range(self.pool.num_pages):
                n = min(self.page_size, self.count - page * self.page_size)
                if n <= 0:
                    continue
                groups = -(-n // WORKGROUP)
                gx = min(groups, limit_x)
                d.write_buffer(ubuf, _common(n, gx, 0, sh_rest_floats(self.sh_degree), 0, []))
                geom, _ = self.pool.page_buffers(page)
                bindings = {"geometry": geom, "params": ubuf}
                group = d.bind_group(pipeline, 0, bindings, f"{shader}-fixup")
                enc = d.encoder(entry)
                with enc.compute_pass(entry) as cp:
                    cp.dispatch(pipeline, [group], gx, -(-groups // gx))
                d.submit(enc)
                await d.done()  # the params buffer is rewritten for the next page
        finally:
            d.destroy_buffer(ubuf)

    def finish(self) -> SplatPool:
        """Record each page's count and make every page active."""
        for page in range(self.pool.num_pages):
            left = self.count - page * self.page_size
            self.pool.set_count(page, max(0, min(self.page_size, left)))
        self.pool.set_active(range(self.pool.num_pages))
        return self.pool

    def destroy(self) -> None:
        self.pool.destroy()


def _upload_segments(device: Device, staging, segments) -> list[int]:
    """Write a dispatch's input segments into ``staging`` at 4-byte aligned offsets; their
    word offsets."""
    if len(segments) > DECODE_SEGMENTS:
        raise RenderError(f"{len(segments)} input segments; at most {DECODE_SEGMENTS}")
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
