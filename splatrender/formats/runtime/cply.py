"""PlayCanvas compressed PLY for the runtime path (decode_cply.wgsl).

Header in Python; chunk rows, packed vertex rows and the optional uint8 ``sh`` rows
are uploaded as they are. Twin: formats/compressed_ply.py.
"""

from __future__ import annotations

from ...errors import FormatError
from ...shaders.layout import CPLY_PARAMS
from .._io import Source
from ..compressed_ply_layout import CHUNK, CHUNK_PROPS, COLOR_PROPS, PACKED
from ..plyheader import TYPES, PlyElement, parse_header
from .common import Decoded, rows
from .fill import Part, Plan


def _offsets(name: str, e: PlyElement, wanted, types: tuple[str, ...]) -> dict[str, int]:
    out, at = {}, 0
    for p in e.properties:
        if p.name in wanted:
            if p.type not in types:
                raise FormatError(
                    name, f"compressed PLY {e.name}.{p.name} is {p.type}, expected {types[0]}"
                )
            out[p.name] = at
        at += TYPES[p.type][1]
    return out


def prepare(data: bytes, name: str, **_: object) -> Decoded:
    h = parse_header(Source(data, name), data)
    if h.format != "binary_little_endian":
        raise FormatError(name, f"compressed PLY must be binary_little_endian, not {h.format}")
    ce, ve, she = h.element("chunk"), h.element("vertex"), h.element("sh")
    if ce is None or ve is None:
        raise FormatError(name, "compressed PLY needs 'chunk' and 'vertex' elements")
    missing = [p for p in CHUNK_PROPS if p not in ce.names()] + [
        p for p in PACKED if p not in ve.names()
    ]
    if missing:
        raise FormatError(name, f"compressed PLY lacks {', '.join(missing)}")
    n = ve.count
    if ce.count != -(-n // CHUNK):
        raise FormatError(name, f"compressed PLY has {ce.count} chunks for {n:,} splats")
    starts, pos = {}, h.body_offset
    for e in h.elements:
        if e.is_list:
            raise FormatError(name, f"compressed PLY element {e.name!r} has list properties")
        starts[e.name] = pos
        pos += e.count * e.row_bytes
    coff = _offsets(name, ce, (*CHUNK_PROPS, *COLOR_PROPS), ("float", "float32"))
    voff = _offsets(name, ve, PACKED, ("uint", "uint32"))
    has_color = all(p in coff for p in COLOR_PROPS)
    degree, rest, sh_stride = 0, 0, 0
    if she is not None:
        names = [p.name for p in she.properties if p.name.startswith("f_rest_")]
        m = len(names)
        if she.count != n or m not in (9, 24, 45):
            raise FormatError(name, f"compressed PLY 'sh' element is {she.count}x{m}")
        expect = [f"f_rest_{i}" for i in range(m)]
        if [p.name for p in she.properties] != expect or any(
            TYPES[p.type][1] != 1 for p in she.properties
        ):
            raise FormatError(name, "compressed PLY 'sh' element must be uchar f_rest_0.. in order")
        degree, rest, sh_stride = {9: 1, 24: 2, 45: 3}[m], m // 3, she.row_bytes
    cs, vs = ce.row_bytes, ve.row_bytes
    chunk_offs = [coff[p] for p in CHUNK_PROPS]
    chunk_offs += [coff[p] for p in COLOR_PROPS] if has_color else [0] * 6
    params = CPLY_PARAMS.pack(
        chunk_stride=cs, vert_stride=vs, sh_stride=sh_stride, file_rest=rest,
        has_color=int(has_color), voff=[voff[p] for p in PACKED], coff=[*chunk_offs, 0, 0],
    )  # fmt: skip
    view = memoryview(data)
    vert_rows = rows(view, starts["vertex"], vs)
    sh_rows = rows(view, starts["sh"], sh_stride) if she is not None else None

    def segments(first: int, m: int):
        c0, c1 = first // CHUNK, -(-(first + m) // CHUNK)
        chunk = view[starts["chunk"] + c0 * cs : starts["chunk"] + c1 * cs]
        return [chunk, vert_rows(first, m), sh_rows(first, m) if sh_rows else b""]

    part = Part(n, params, segments, vs + sh_stride + cs // CHUNK + 1, fixed=2 * cs)
    return Decoded(Plan("decode_cply", [part]), n, degree, "RDF", "compressed-ply")
