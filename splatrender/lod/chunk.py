"""The LOD chunk binary layout (pure Python: the runtime parses headers without numpy).

A chunk holds at most ``MAX_CHUNK`` splats of one hierarchy level, quantised so the
browser uploads its bytes as they are and a WGSL pass (shaders/lod_decode.wgsl)
expands them into splat-pool pages. Little-endian u32 words throughout.

Header: ``HEADER_WORDS`` u32 (128 B)::

    0 magic "SLC1"      1 version         2 count            3 sh_degree
    4-6 pos_min f32     7-9 pos_step f32 (per axis, 16-bit grid over the chunk bounds)
    10 lscale_min f32   11 lscale_step f32 (log scale, 8-bit, shared by the 3 axes)
    12-14 dc_min f32    15-17 dc_step f32  (SH DC per channel, 8-bit)
    18-20 sh_min f32 per band 1..3         21-23 sh_step f32 per band (8-bit)
    24 core word offset 25 sh word offset  26 sh words per splat
    27 dilation word offset (0: no dilation section)   28 dilation_step f32   29-31 zero

Core record, ``CORE_WORDS`` u32 = 16 B per splat::

    w0 = x:u16 | y:u16 << 16
    w1 = z:u16 | alpha:u8 << 16 | ls_x:u8 << 24
    w2 = ls_y:u8 | ls_z:u8 << 8 | dc_r:u8 << 16 | dc_g:u8 << 24
    w3 = dc_b:u8 | quat:u24 << 8
         quat = i:2 | a:7 << 2 | b:7 << 9 | c:7 << 16  (smallest three; i = index of
         the largest of w,x,y,z, which is made positive and rebuilt from the others;
         a,b,c map [-1/sqrt2, 1/sqrt2] to 0..126)

alpha byte q decodes to sigmoid^-1((q + 0.5) / 256): never 0 or 1, so never infinite.
SH rest (degree > 0): one byte per coefficient, coefficient-major rgb interleaved (the
pool's sh_rest order), padded to whole u32 words per splat. Bytes per splat: 16 (degree
0), 28 (1), 40 (2), 64 (3); float32 pool pages need 64, 100, 160, 244.
Dilation (optional, after the SH rest): one byte per splat, q x dilation_step px^2 of
extra screen-space dilation (merged splats of classic sets, lod/merge.py), padded to a
whole u32 word. Chunks without it (all leaves) read as 0; readers that predate it
ignore it (the word was zero and the section sits past what they read).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass

from ..errors import FormatError
from ..shaders.layout import CHUNK_HEADER

MAGIC = 0x31434C53  # b"SLC1" little-endian
VERSION = 1
HEADER_WORDS = CHUNK_HEADER.size  # field offsets: shaders/layout.py
HEADER_BYTES = HEADER_WORDS * 4
CORE_WORDS = 4
MAX_CHUNK = 65536
POS_LEVELS = 65535
BYTE_LEVELS = 255
QUAT_LEVELS = 126  # even, so 0 is exact (code 63); codes use 7 bits
QUAT_MASK = 127
ALPHA_BINS = 256
_FORMAT = "<4I3f3f2f3f3f3f3f3IIf"  # the header up to dilation_step (then zero words)


def sh_rest_coeffs(degree: int) -> int:
    return ((degree + 1) ** 2 - 1) * 3


def sh_words(degree: int) -> int:
    """u32 words of quantised SH rest per splat."""
    return (sh_rest_coeffs(degree) + 3) // 4


def bytes_per_splat(degree: int) -> int:
    return 4 * (CORE_WORDS + sh_words(degree))


def dilation_words(count: int) -> int:
    return (count + 3) // 4


def dilation_offset(count: int, degree: int) -> int:
    """Word offset of the dilation section: right after the SH rest."""
    return HEADER_WORDS + (CORE_WORDS + sh_words(degree)) * count


def chunk_size(count: int, degree: int, dilated: bool = False) -> int:
    """Bytes of a chunk; ``dilated``: with the dilation section."""
    return HEADER_BYTES + count * bytes_per_splat(degree) + 4 * dilated * dilation_words(count)


@dataclass(frozen=True)
class ChunkHeader:
    count: int
    sh_degree: int
    pos_min: tuple[float, float, float]
    pos_step: tuple[float, float, float]
    lscale_min: float
    lscale_step: float
    dc_min: tuple[float, float, float]
    dc_step: tuple[float, float, float]
    sh_min: tuple[float, float, float]
    sh_step: tuple[float, float, float]
    dilation_step: float | None = None  # None: no dilation section

    @property
    def dilated(self) -> bool:
        return self.dilation_step is not None

    @property
    def size(self) -> int:
        return chunk_size(self.count, self.sh_degree, self.dilated)

    @property
    def dilation_offset(self) -> int:
        return dilation_offset(self.count, self.sh_degree)

    def pack(self) -> bytes:
        d = self.sh_degree
        core_off = HEADER_WORDS
        sh_off = core_off + CORE_WORDS * self.count
        return struct.pack(
            _FORMAT + "3I",
            MAGIC,
            VERSION,
            self.count,
            d,
            *self.pos_min,
            *self.pos_step,
            self.lscale_min,
            self.lscale_step,
            *self.dc_min,
            *self.dc_step,
            *self.sh_min,
            *self.sh_step,
            core_off,
            sh_off,
            sh_words(d),
            self.dilation_offset if self.dilated else 0,
            self.dilation_step or 0.0,
            0,
            0,
            0,
        )

    @classmethod
    def parse(cls, data: bytes | memoryview, source: str = "chunk") -> ChunkHeader:
        """Validate and parse a chunk's header (and that the body is all there)."""
        if len(data) < HEADER_BYTES:
            raise FormatError(source, f"chunk is {len(data)} bytes, shorter than its header")
        v = struct.unpack_from(_FORMAT, data, 0)
        magic, version, count, degree = v[:4]
        if magic != MAGIC:
            raise FormatError(source, "not a splatrender LOD chunk (bad magic)")
        if version != VERSION:
            raise FormatError(source, f"unsupported chunk version {version}")
        if degree > 3:
            raise FormatError(source, f"SH degree {degree} out of range")
        if count > MAX_CHUNK:
            raise FormatError(source, f"chunk claims {count} splats (max {MAX_CHUNK})")
        at = CHUNK_HEADER.offset("core_offset")
        core_off, sh_off, shw, dil_off, dil_step = v[at : at + 5]
        if (
            core_off != HEADER_WORDS
            or sh_off != HEADER_WORDS + CORE_WORDS * count
            or shw != (sh_words(degree))
            or dil_off not in (0, dilation_offset(count, degree))
        ):
            raise FormatError(source, "chunk header offsets are inconsistent")
        if dil_off and not (math.isfinite(dil_step) and dil_step >= 0):
            raise FormatError(source, f"chunk dilation step {dil_step} is not a finite >= 0")
        need = chunk_size(count, degree, bool(dil_off))
        if len(data) < need:
            raise FormatError(source, f"chunk truncated: {len(data)} of {need} bytes")
        return cls(
            count,
            degree,
            tuple(v[4:7]),
            tuple(v[7:10]),
            v[10],
            v[11],
            tuple(v[12:15]),
            tuple(v[15:18]),
            tuple(v[18:21]),
            tuple(v[21:24]),
            dil_step if dil_off else None,
        )
