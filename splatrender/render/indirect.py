"""GPU-side counts -> indirect-dispatch args, and the small helpers count-driven passes share.

A *count* is a u32 at a byte offset inside a storage buffer (a ``Binding``); the CPU never
reads it per frame. Kernels driven by a count are dispatched indirectly with a grid of
``(x, y, 1)`` workgroups, split into 2D past ``max_workgroups_per_dim``; in WGSL the linear
group is ``linear_group(wid, nwg) = wid.x + wid.y * nwg.x`` (``// #import dispatch``) and
threads whose item index is >= the count do nothing.

Storage bindings must start at a 256-byte aligned offset, so a count at any 4-byte offset
is reached through a :func:`word_window`: an aligned binding around it plus the word index,
which the kernel gets from a tiny uniform buffer (:class:`ParamCache`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from splatrender.gpu import (
    COPY_DST,
    STORAGE,
    UNIFORM,
    Binding,
    Buffer,
    ComputePass,
    Device,
    Pipeline,
)

from ..shaders import load_shader

# WebGPU's default minStorageBufferOffsetAlignment / minUniformBufferOffsetAlignment.
BINDING_ALIGN = 256
# Bytes bound from the aligned base: the word sits in the first 256, so a few words after it
# (e.g. the 3 dispatch args) are always inside.
_WINDOW = 2 * BINDING_ALIGN


def word_window(b: Binding) -> tuple[Binding, int]:
    """An aligned binding that contains the u32 at ``b.offset``, and that word's index in it."""
    if b.offset % 4:
        raise ValueError(f"count/word offset {b.offset} of {b.buffer.label!r} is not 4-aligned")
    if b.offset + 4 > b.buffer.size:
        raise ValueError(f"offset {b.offset} is past the end of {b.buffer.label!r}")
    base = b.offset // BINDING_ALIGN * BINDING_ALIGN
    size = min(_WINDOW, b.buffer.size - base)
    return Binding(b.buffer, base, size), (b.offset - base) // 4


def pair_window(a: Binding, b: Binding) -> tuple[Binding, int, int]:
    """One aligned binding containing both words (same buffer), with both word indices."""
    assert a.buffer is b.buffer
    lo = min(a.offset, b.offset) // BINDING_ALIGN * BINDING_ALIGN
    hi = max(a.offset, b.offset) + 16
    size = min((hi - lo + 15) // 16 * 16, a.buffer.size - lo)
    return Binding(a.buffer, lo, size), (a.offset - lo) // 4, (b.offset - lo) // 4


def u32_bytes(*words: int) -> bytes:
    """Little-endian u32 words, without numpy (the runtime core must not need it)."""
    return b"".join(int(w).to_bytes(4, "little") for w in words)


class ParamCache:
    """Uniform buffers holding constant u32 tuples, each created and written once.

    Per-call parameters that take few distinct values (word indices, clamps) live here,
    so encoding a frame writes nothing and two encodes in one submit never race.
    """

    def __init__(self, device: Device, label: str) -> None:
        self.device = device
        self.label = label
        self._bufs: dict[tuple[int, ...], Buffer] = {}

    def get(self, *words: int) -> Buffer:
        words = tuple(words) + (0,) * (-len(words) % 4)
        buf = self._bufs.get(words)
        if buf is None:
            buf = self.device.create_buffer(4 * len(words), [UNIFORM, COPY_DST], self.label)
            self.device.write_buffer(buf, u32_bytes(*words))
            self._bufs[words] = buf
        return buf


class BindCache:
    """Bind groups keyed by the buffers (and values) they were made for.

    Keys use buffer identity; the cache keeps those buffers referenced so an id is never
    reused while its entry lives. Bounded: a caller cycling through many buffers just
    rebuilds bind groups.
    """

    def __init__(self, limit: int = 64) -> None:
        self._limit = limit
        self._items: dict[Hashable, tuple[Any, tuple[Buffer, ...]]] = {}

    def get(self, buffers: tuple[Buffer, ...], extra: Hashable, make: Callable[[], Any]) -> Any:
        key = (tuple(id(b) for b in buffers), extra)
        hit = self._items.get(key)
        if hit is not None:
            return hit[0]
        if len(self._items) >= self._limit:
            self._items.clear()
        value = make()
        self._items[key] = (value, buffers)
        return value

    def group(
        self,
        device: Device,
        pipeline: Pipeline,
        index: int,
        bindings: Mapping[str, Buffer | Binding],
        label: str = "",
    ) -> Any:
        """The bind group of ``bindings`` (by WGSL name) for ``pipeline``'s group ``index``."""
        bufs = tuple(b.buffer if isinstance(b, Binding) else b for b in bindings.values())
        ranges = tuple(
            (k, b.offset, b.size) if isinstance(b, Binding) else (k,) for k, b in bindings.items()
        )
        return self.get(
            bufs,
            (id(pipeline), index, ranges),
            lambda: device.bind_group(pipeline, index, bindings, label),
        )

    def dispatch(
        self,
        cpass: ComputePass,
        device: Device,
        pipeline: Pipeline,
        bindings: Mapping[str, Buffer | Binding],
        label: str,
        args: Binding | None = None,
        groups: int = 1,
    ) -> None:
        """Dispatch ``pipeline`` with group 0 bound to ``bindings``: indirectly from the
        args at ``args``, else ``groups`` workgroups."""
        group = self.group(device, pipeline, 0, bindings, label)
        if args is None:
            cpass.dispatch(pipeline, [group], groups)
        else:
            cpass.dispatch_indirect(pipeline, [group], args.buffer, args.offset)


def max_dim(device: Device, override: int | None) -> int:
    """The per-dimension workgroup limit to split grids by (``override`` for tests)."""
    lim = device.limits.max_workgroups_per_dim
    return lim if override is None else max(1, min(lim, override))


class DispatchArgs:
    """Writes ``(x, y, 1)`` indirect args for ``ceil(count / items_per_group)`` workgroups.

    ``x = min(groups, max_dim)``, ``y = ceil(groups / x)``; zero groups give ``(0, 1, 1)``.
    ``out`` must be a storage buffer that also has the indirect usage for its consumer.
    """

    def __init__(self, device: Device, label: str, max_workgroups: int | None = None) -> None:
        self.device = device
        self.label = label
        self.max_dim = max_dim(device, max_workgroups)
        self.pipeline = device.compute_pipeline(load_shader("indirect"), "main", label)
        self._params = ParamCache(device, f"{label}-params")
        self._binds = BindCache()
        self._scratch = device.create_buffer(16, [STORAGE], f"{label}-scratch")

    def encode(
        self, cpass: ComputePass, count: Binding, items_per_group: int, out: Binding
    ) -> None:
        if items_per_group < 1:
            raise ValueError(f"items_per_group must be >= 1, got {items_per_group}")
        if out.offset % 4:
            raise ValueError(f"dispatch args offset {out.offset} is not 4-aligned")
        if out.offset + 12 > out.buffer.size:
            raise ValueError(f"dispatch args at {out.offset} overflow {out.buffer.label!r}")
        if count.buffer is out.buffer:
            win, cw, ow = pair_window(count, out)
            bindings = [win, Binding(self._scratch)]
            same = 1
        else:
            cwin, cw = word_window(count)
            owin, ow = word_window(out)  # the window reaches >= 256 bytes past the word
            bindings = [cwin, owin]
            same = 0
        params = self._params.get(cw, ow, items_per_group, self.max_dim, same)
        key = tuple((b.offset, b.size) for b in bindings)
        group = self._binds.get(
            (bindings[0].buffer, bindings[1].buffer, params),
            key,
            lambda: self.device.bind_group(
                self.pipeline,
                0,
                {"src": bindings[0], "dst": bindings[1], "params": params},
                self.label,
            ),
        )
        cpass.dispatch(self.pipeline, [group], 1)
