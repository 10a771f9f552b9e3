"""PLY container: header parsing in pure Python and element decoding with numpy.

The header is parsed here (no numpy needed, so the runtime path can use it); the
element bodies become numpy structured arrays without Python loops over rows:
binary bodies through ``np.frombuffer`` with a dtype built from the header, ASCII
bodies and elements with list properties through ``plyfile``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import FormatError
from ._io import MAX_SPLATS, Source

MAX_HEADER = 1 << 20

# PLY scalar type -> (numpy kind code, bytes)
TYPES = {
    "char": ("i1", 1), "int8": ("i1", 1),
    "uchar": ("u1", 1), "uint8": ("u1", 1),
    "short": ("i2", 2), "int16": ("i2", 2),
    "ushort": ("u2", 2), "uint16": ("u2", 2),
    "int": ("i4", 4), "int32": ("i4", 4),
    "uint": ("u4", 4), "uint32": ("u4", 4),
    "float": ("f4", 4), "float32": ("f4", 4),
    "double": ("f8", 8), "float64": ("f8", 8),
}  # fmt: skip


@dataclass
class PlyProperty:
    name: str
    type: str
    list_count_type: str | None = None  # set for list properties


@dataclass
class PlyElement:
    name: str
    count: int
    properties: list[PlyProperty] = field(default_factory=list)

    @property
    def is_list(self) -> bool:
        return any(p.list_count_type for p in self.properties)

    @property
    def row_bytes(self) -> int:
        """Bytes per row in binary (lists count their length field only)."""
        return sum(TYPES[p.list_count_type or p.type][1] for p in self.properties)

    def names(self) -> list[str]:
        return [p.name for p in self.properties]

    def prop(self, name: str) -> PlyProperty | None:
        for p in self.properties:
            if p.name == name:
                return p
        return None


@dataclass
class PlyHeader:
    format: str  # "binary_little_endian" | "binary_big_endian" | "ascii"
    elements: list[PlyElement]
    comments: list[str]
    body_offset: int

    def element(self, name: str) -> PlyElement | None:
        for e in self.elements:
            if e.name == name:
                return e
        return None


def is_ply(data: bytes) -> bool:
    return data[:4] in (b"ply\n", b"ply\r")


def parse_header(src: Source, data: bytes) -> PlyHeader:
    """Parse the text header; checks counts against the bytes that follow it."""
    if not is_ply(data):
        raise FormatError(src.name, "not a PLY file (no 'ply' magic)")
    end = data.find(b"end_header", 0, MAX_HEADER)
    if end < 0:
        raise FormatError(src.name, "PLY header has no end_header (truncated or not PLY)")
    nl = data.find(b"\n", end)
    if nl < 0:
        raise FormatError(src.name, "PLY header is truncated after end_header")
    try:
        text = data[:end].decode("ascii")
    except UnicodeDecodeError:
        raise FormatError(src.name, "PLY header is not ASCII text") from None
    fmt = None
    elements: list[PlyElement] = []
    comments: list[str] = []
    for lineno, raw in enumerate(text.splitlines()[1:], start=2):
        parts = raw.split()
        if not parts:
            continue
        key = parts[0]
        try:
            if key == "format":
                fmt = parts[1]
                if fmt not in ("binary_little_endian", "binary_big_endian", "ascii"):
                    raise FormatError(src.name, f"unknown PLY format {fmt!r}")
            elif key in ("comment", "obj_info"):
                comments.append(raw.partition(" ")[2])
            elif key == "element":
                count = int(parts[2])
                if count < 0 or count > MAX_SPLATS:
                    raise FormatError(
                        src.name,
                        f"PLY element {parts[1]!r} claims {count:,} rows (limit {MAX_SPLATS:,})",
                    )
                elements.append(PlyElement(parts[1], count))
            elif key == "property":
                if not elements:
                    raise FormatError(
                        src.name, f"PLY header line {lineno}: property before element"
                    )
                if parts[1] == "list":
                    ct, vt, name = parts[2], parts[3], parts[4]
                    if ct not in TYPES or vt not in TYPES:
                        raise FormatError(src.name, f"PLY header line {lineno}: unknown type")
                    elements[-1].properties.append(PlyProperty(name, vt, ct))
                else:
                    if parts[1] not in TYPES:
                        raise FormatError(
                            src.name, f"PLY header line {lineno}: unknown type {parts[1]!r}"
                        )
                    elements[-1].properties.append(PlyProperty(parts[2], parts[1]))
            # unknown keywords are ignored, as other readers do
        except (IndexError, ValueError):
            raise FormatError(src.name, f"PLY header line {lineno} is malformed: {raw!r}") from None
    if fmt is None:
        raise FormatError(src.name, "PLY header has no format line")
    header = PlyHeader(fmt, elements, comments, nl + 1)
    _check_sizes(src, header, len(data))
    return header


def _check_sizes(src: Source, h: PlyHeader, size: int) -> None:
    """Refuse element counts the body cannot hold (before allocating anything)."""
    avail = size - h.body_offset
    need = 0
    for e in h.elements:
        per_row = e.row_bytes if h.format != "ascii" else 2 * max(1, len(e.properties))
        need += e.count * per_row
        if need > avail:
            raise FormatError(
                src.name,
                f"PLY element {e.name!r} claims {e.count:,} rows but the file is "
                f"{size:,} bytes (needs at least {need + h.body_offset:,}): truncated or corrupt",
            )


def element_dtype(e: PlyElement, fmt: str):
    import numpy as np

    order = ">" if fmt == "binary_big_endian" else "<"
    names = [p.name for p in e.properties]
    if len(set(names)) != len(names):
        raise ValueError("duplicate property names")
    return np.dtype([(p.name, order + TYPES[p.type][0]) for p in e.properties])


def read_elements(src: Source, data: bytes, h: PlyHeader, wanted: set[str] | None = None):
    """Decode the elements named in ``wanted`` (all if None) into structured arrays."""
    import numpy as np

    out = {}
    if h.format != "ascii" and not any(e.is_list for e in h.elements):
        offset = h.body_offset
        for e in h.elements:
            try:
                dt = element_dtype(e, h.format)
            except ValueError as err:
                raise FormatError(src.name, f"PLY element {e.name!r}: {err}") from None
            nbytes = dt.itemsize * e.count
            if offset + nbytes > len(data):
                raise FormatError(src.name, f"PLY element {e.name!r} is truncated")
            if wanted is None or e.name in wanted:
                out[e.name] = np.frombuffer(data, dt, e.count, offset)
            offset += nbytes
        return out
    return _read_with_plyfile(src, data, wanted)


def _read_with_plyfile(src: Source, data: bytes, wanted: set[str] | None):
    import io

    import numpy as np
    import plyfile

    try:
        ply = plyfile.PlyData.read(io.BytesIO(data))
    except Exception as e:  # plyfile raises many kinds of errors on bad input
        raise FormatError(src.name, f"cannot parse PLY body: {type(e).__name__}: {e}") from None
    out = {}
    for el in ply.elements:
        if wanted is None or el.name in wanted:
            arr = el.data
            if arr.dtype.hasobject:  # list properties: keep the scalar ones
                keep = [n for n in arr.dtype.names if arr.dtype[n] != np.dtype(object)]
                arr = arr[keep]
            out[el.name] = arr
    return out
