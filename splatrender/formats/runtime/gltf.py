"""glTF / GLB with ``KHR_gaussian_splatting`` for the runtime path (float accessors).

The document and buffers are parsed in Python; each splat primitive is one decode
part of decode_attrs.wgsl, with one input segment per accessor. Accessors the
renderer uses must be float32 (what splat-transform writes). Twin: formats/gltf.py.
"""

from __future__ import annotations

from collections.abc import Mapping

from ...errors import FormatError
from ...io.codecs import Codecs
from ..gltf_container import (
    EXT,
    FLOAT,
    GLB_MAGIC,
    accessor_layout,
    load_buffers,
    parse_glb,
    parse_json,
    sh_degree_of,
)
from .common import (
    ATTR_CONSTS,
    SLOT_OPACITY,
    SLOT_QUAT,
    SLOT_REST,
    AttrTable,
    Decoded,
)
from .fill import Part, Plan


def _accessor(name: str, doc: dict, buffers: list, index) -> tuple:
    buf, start, stride, count, width, ctype = accessor_layout(name, doc, buffers, index)
    if width > 4:
        raise FormatError(name, f"glTF accessor {index} has an unsupported layout")
    if ctype != FLOAT:
        raise FormatError(name, f"glTF accessor {index}: the runtime path reads float32 only")
    return buf, start, stride, count, width


def _open_file(name: str, files: Mapping[str, bytes] | None):
    def open_file(uri: str) -> bytes:
        body = (files or {}).get(uri.rsplit("/", 1)[-1])
        if body is None:
            raise FormatError(name, f"glTF buffer needs the file {uri!r}")
        return bytes(body)

    return open_file


def _primitive(name: str, doc: dict, buffers: list, attrs: dict):
    accs: list[tuple] = []  # one input segment each
    table = AttrTable()

    def get(attr: str, width: int) -> int | None:
        for key in (f"{EXT}:{attr}", f"_{attr}", attr):
            if key in attrs:
                a = _accessor(name, doc, buffers, attrs[key])
                if a[4] < width:
                    raise FormatError(name, f"glTF attribute {key} has too few components")
                accs.append(a)
                return len(accs) - 1
        return None

    pos = get("POSITION", 3)
    if pos is None:
        raise FormatError(name, "glTF splat primitive has no POSITION")
    n = accs[pos][3]

    def place(seg: int | None, what: str, slots: list[int], comps: list[int]) -> bool:
        if seg is None:
            return False
        if accs[seg][3] != n:
            raise FormatError(name, f"glTF {what} has {accs[seg][3]} rows for {n} splats")
        for s, c in zip(slots, comps, strict=True):
            table.set(s, seg, 4 * c, accs[seg][2])
        return True

    place(pos, "POSITION", [0, 1, 2], [0, 1, 2])
    if not place(get("ROTATION", 4), "ROTATION", [4, 5, 6, 7], [3, 0, 1, 2]):
        table.default[SLOT_QUAT] = 1.0
    if not place(get("SCALE", 3), "SCALE", [8, 9, 10], [0, 1, 2]):
        raise FormatError(name, "glTF splat primitive has no SCALE")
    color: list[int | None] = []

    def colour() -> int | None:  # COLOR_0 is a fallback only: read it only when needed
        if not color:
            color.append(get("COLOR_0", 4) if "COLOR_0" in attrs else None)
        return color[0]

    if not place(get("OPACITY", 1), "OPACITY", [SLOT_OPACITY], [0]) and not place(
        colour(), "COLOR_0", [SLOT_OPACITY], [3]
    ):
        table.default[SLOT_OPACITY] = 1.0
    dc_rgb = False
    if not place(get("SH_DEGREE_0_COEF_0", 3), "SH_DEGREE_0_COEF_0", [11, 12, 13], [0, 1, 2]):
        dc_rgb = place(colour(), "COLOR_0", [11, 12, 13], [0, 1, 2])
    degree = sh_degree_of(attrs)
    j = 0
    for d in range(1, degree + 1):
        for c in range(2 * d + 1):
            seg = get(f"SH_DEGREE_{d}_COEF_{c}", 3)
            place(seg, "SH coefficient", [SLOT_REST + 3 * j + k for k in range(3)], [0, 1, 2])
            j += 1
    return n, degree, table, accs, dc_rgb


async def prepare(
    data: bytes,
    name: str,
    *,
    codecs: Codecs,
    files: Mapping[str, bytes] | None = None,
    **_: object,
) -> Decoded:
    if data[:4] == GLB_MAGIC:
        doc, binary = parse_glb(name, data)
    else:
        doc, binary = parse_json(name, data), None
    buffers = load_buffers(name, doc, binary, _open_file(name, files))
    quirks: list[str] = []
    prims = []
    try:
        for node in doc.get("nodes") or []:
            if any(k in node for k in ("matrix", "translation", "rotation", "scale")):
                quirks.append("glTF node transforms are not applied")
                break
        for mesh in doc.get("meshes") or []:
            for prim in mesh.get("primitives") or []:
                if EXT in (prim.get("extensions") or {}):
                    prims.append(_primitive(name, doc, buffers, prim["attributes"]))
    except (AttributeError, KeyError, TypeError) as e:
        raise FormatError(name, f"malformed glTF document: {type(e).__name__}: {e}") from None
    if not prims:
        raise FormatError(name, f"glTF has no primitive with {EXT}")
    degree = max(p[1] for p in prims)
    parts = []
    for n, deg, table, accs, dc_rgb in prims:
        m = (deg + 1) ** 2 - 1
        params = table.pack(scale_linear=True, opacity_linear=True, file_sh=3 * m, dc_rgb=dc_rgb)

        def segments(first: int, k: int, accs=accs):
            out = []
            for buf, start, stride, _, width in accs:
                a = start + first * stride
                out.append(buf[a : a + (k - 1) * stride + 4 * width] if k else buf[0:0])
            return out

        per = sum(a[2] for a in accs) + 4 * len(accs)
        parts.append(Part(n, params, segments, per))
    total = sum(p.count for p in parts)
    fmt = "glb" if data[:4] == GLB_MAGIC else "gltf"
    return Decoded(Plan("decode_attrs", parts, ATTR_CONSTS), total, degree, "RUB", fmt,
                   quirks)  # fmt: skip
