"""glTF / GLB container: the JSON document, its buffers and accessor layouts, in pure
Python, so the numpy reader (formats/gltf.py) and the numpy-free runtime decoder
(formats/runtime/gltf.py) read and bound-check a file the same way."""

from __future__ import annotations

import base64
import json
import struct
from collections.abc import Callable

from ..errors import FormatError
from ._io import MAX_SPLATS

EXT = "KHR_gaussian_splatting"
GLB_MAGIC = b"glTF"
JSON_CHUNK, BIN_CHUNK = 0x4E4F534A, 0x004E4942
FLOAT = 5126
# componentType -> (numpy dtype string, bytes)
COMPONENTS = {
    5120: ("i1", 1),
    5121: ("u1", 1),
    5122: ("<i2", 2),
    5123: ("<u2", 2),
    5125: ("<u4", 4),
    FLOAT: ("<f4", 4),
}
WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def parse_json(name: str, text: bytes) -> dict:
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise FormatError(name, f"glTF JSON is invalid: {e}") from None
    if not isinstance(doc, dict):
        raise FormatError(name, "glTF JSON is not an object")
    return doc


def parse_glb(name: str, data: bytes) -> tuple[dict, memoryview | None]:
    """The JSON document and the BIN chunk (a view, not a copy) of a GLB file."""
    if len(data) < 20:
        raise FormatError(name, "GLB shorter than its header")
    _, version, length = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise FormatError(name, f"unsupported GLB version {version}")
    if length > len(data):
        raise FormatError(name, f"GLB claims {length:,} bytes, file has {len(data):,}")
    off, doc, binary = 12, None, None
    view = memoryview(data)
    while off + 8 <= length:
        clen, ctype = struct.unpack_from("<II", data, off)
        if off + 8 + clen > length:
            raise FormatError(name, "GLB chunk runs past the end of the file")
        if ctype == JSON_CHUNK and doc is None:
            doc = parse_json(name, data[off + 8 : off + 8 + clen])
        elif ctype == BIN_CHUNK and binary is None:
            binary = view[off + 8 : off + 8 + clen]
        off += 8 + ((clen + 3) & ~3)
    if doc is None:
        raise FormatError(name, "GLB has no JSON chunk")
    return doc, binary


def load_buffers(
    name: str, doc: dict, binary: memoryview | None, open_file: Callable[[str], bytes]
) -> list[memoryview]:
    """Every buffer of the document: the GLB BIN chunk, a data URI, or a relative file
    fetched with ``open_file(uri)`` (never a path that leaves the file's folder)."""
    out = []
    for i, b in enumerate(doc.get("buffers") or []):
        if not isinstance(b, dict):
            raise FormatError(name, f"glTF buffer {i} is malformed")
        uri = b.get("uri")
        if uri is None:
            if binary is None:
                raise FormatError(name, f"glTF buffer {i} has no uri and no GLB BIN chunk")
            out.append(binary)
        elif isinstance(uri, str) and uri.startswith("data:"):
            try:
                out.append(memoryview(base64.b64decode(uri.split(",", 1)[1], validate=True)))
            except (ValueError, IndexError):
                raise FormatError(name, f"glTF buffer {i} data URI is malformed") from None
        elif isinstance(uri, str) and ".." not in uri and ":" not in uri and uri[:1] != "/":
            out.append(memoryview(open_file(uri)))
        else:
            raise FormatError(name, f"glTF buffer {i} uri {uri!r} is not allowed")
    return out


def accessor_layout(
    name: str, doc: dict, buffers: list[memoryview], index: object
) -> tuple[memoryview, int, int, int, int, int]:
    """(buffer, start, stride, count, width, componentType) of an accessor, checked to
    stay inside its buffer view."""
    try:
        acc = doc["accessors"][index]
        count, kind, ctype = int(acc["count"]), acc["type"], int(acc["componentType"])
        view = doc["bufferViews"][acc["bufferView"]]
        buf = buffers[view["buffer"]]
    except (KeyError, IndexError, TypeError, ValueError):
        raise FormatError(name, f"glTF accessor {index} is malformed") from None
    if ctype not in COMPONENTS or kind not in WIDTH or not 0 <= count <= MAX_SPLATS:
        raise FormatError(name, f"glTF accessor {index} has an unsupported layout")
    width = WIDTH[kind]
    item = COMPONENTS[ctype][1] * width
    stride = int(view.get("byteStride") or item)
    start = int(view.get("byteOffset", 0)) + int(acc.get("byteOffset", 0))
    vend = int(view.get("byteOffset", 0)) + int(view["byteLength"])
    if (
        stride < item
        or start < 0
        or vend > len(buf)
        or (count and start + stride * (count - 1) + item > vend)
    ):
        raise FormatError(name, f"glTF accessor {index} reads past its buffer")
    return buf, start, stride, count, width, ctype


def sh_degree_of(attrs) -> int:
    """The SH degree a primitive's attributes hold: every band up to it complete."""
    degree = 0
    for d in (1, 2, 3):
        if not all(f"{EXT}:SH_DEGREE_{d}_COEF_{c}" in attrs for c in range(2 * d + 1)):
            break
        degree = d
    return degree
