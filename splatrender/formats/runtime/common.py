"""What a runtime format module hands back, and helpers shared by several formats."""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ...shaders.layout import ATTR_PARAMS, ATTR_SLOTS
from .fill import Plan, PoolFiller

# decode_attrs.wgsl slots: where each output value is read from (ATTR_CONSTS reach WGSL)
MISSING = 0xFFFFFFFF
SLOT_MEAN, SLOT_OPACITY, SLOT_QUAT, SLOT_SCALE, SLOT_DC, SLOT_REST = 0, 3, 4, 8, 11, 14
# stats words of the PLY opacity check (layout.STAT_INVISIBLE is the shared one)
STAT_OUTSIDE, STAT_FINITE = 1, 2
ATTR_CONSTS = {
    "SLOTS": ATTR_SLOTS,
    "MISSING": MISSING,
    "SLOT_MEAN": SLOT_MEAN,
    "SLOT_OPACITY": SLOT_OPACITY,
    "SLOT_QUAT": SLOT_QUAT,
    "SLOT_SCALE": SLOT_SCALE,
    "SLOT_DC": SLOT_DC,
    "SLOT_REST": SLOT_REST,
    "STAT_OUTSIDE": STAT_OUTSIDE,
    "STAT_FINITE": STAT_FINITE,
}

After = Callable[[PoolFiller, tuple[int, ...]], Awaitable[list[str]]]


@dataclass
class Decoded:
    """A parsed file, ready for the GPU: the plan plus what the scene records."""

    plan: Plan
    count: int
    sh_degree: int
    axes: str
    format: str
    quirks: list[str] = field(default_factory=list)
    after: After | None = None  # runs after the decode (e.g. PLY opacity detection)


@dataclass
class AttrTable:
    """The slot table of decode_attrs.wgsl: where each output value is read from."""

    seg: list[int] = field(default_factory=lambda: [0] * ATTR_SLOTS)
    offset: list[int] = field(default_factory=lambda: [MISSING] * ATTR_SLOTS)
    stride: list[int] = field(default_factory=lambda: [0] * ATTR_SLOTS)
    default: list[float] = field(default_factory=lambda: [0.0] * ATTR_SLOTS)

    def set(self, slot: int, seg: int, offset: int, stride: int) -> None:
        self.seg[slot], self.offset[slot], self.stride[slot] = seg, offset, stride

    def pack(
        self,
        *,
        scale_linear: bool,
        opacity_linear: bool,
        file_sh: int,
        dc_rgb: bool = False,
        count_opacity: bool = False,
    ) -> bytes:
        return ATTR_PARAMS.pack(
            scale_linear=int(scale_linear), opacity_linear=int(opacity_linear),
            file_sh=file_sh, dc_rgb=int(dc_rgb), count_opacity=int(count_opacity),
            seg_of=self.seg, offset=self.offset, stride=self.stride, dflt=self.default,
        )  # fmt: skip


def rows(view: memoryview, start: int, stride: int) -> Callable[[int, int], memoryview]:
    """Slicer of fixed-size rows beginning at byte ``start``."""

    def cut(first: int, m: int) -> memoryview:
        return view[start + first * stride : start + (first + m) * stride]

    return cut


def unpack_f32(data, offset: int) -> float:
    return struct.unpack_from("<f", data, offset)[0]
