"""glTF 2.0 / GLB with ``KHR_gaussian_splatting`` (as splat-transform writes ``.glb``).

Each mesh primitive carrying the extension is a point set; its attributes are
``POSITION``, ``KHR_gaussian_splatting:ROTATION`` (x,y,z,w), ``:SCALE`` (linear),
``:OPACITY`` (after the sigmoid), ``:SH_DEGREE_l_COEF_c`` (RGB per coefficient), and
``COLOR_0`` as a fallback colour. All primitives are concatenated; node transforms
are not applied (recorded as a quirk when present).

Frame: glTF is right-handed, +Y up, viewer looking down -Z: recorded as "RUB".
splat-transform rotates a PLY 180 degrees about z on the way to glTF.
"""

from __future__ import annotations

import base64
import json
import struct

import numpy as np

from ..errors import FormatError
from ._io import MAX_SPLATS, Source
from ._util import logit, rgb_to_dc
from .splats import FRAME_RUB, Splats, sh_coeffs

FORMAT = "gltf"
EXT = "KHR_gaussian_splatting"
GLB_MAGIC = b"glTF"
JSON_CHUNK, BIN_CHUNK = 0x4E4F534A, 0x004E4942
COMPONENTS = {5120: "i1", 5121: "u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}


def read(src: Source, **_: object) -> Splats:
    data = src.data
    if data[:4] == GLB_MAGIC:
        doc, bin_chunk = _parse_glb(src, data)
    else:
        doc, bin_chunk = _json(src, data), None
    buffers = _load_buffers(src, doc, bin_chunk)
    parts, quirks = [], []
    try:
        meshes = doc.get("meshes") or []
        for node in doc.get("nodes") or []:
            if any(k in node for k in ("matrix", "translation", "rotation", "scale")):
                quirks.append("glTF node transforms are not applied")
                break
        for mesh in meshes:
            for prim in mesh.get("primitives") or []:
                if EXT in (prim.get("extensions") or {}):
                    parts.append(_primitive(src, doc, buffers, prim["attributes"], quirks))
    except (AttributeError, KeyError, TypeError) as e:
        raise FormatError(src.name, f"malformed glTF document: {type(e).__name__}: {e}") from None
    if not parts:
        raise FormatError(src.name, f"glTF has no primitive with {EXT}")
    fmt = "glb" if data[:4] == GLB_MAGIC else "gltf"
    if len(parts) == 1:
        out = parts[0]
    else:
        from .sog import concat

        out = concat(parts)
    out.format, out.quirks, out.frame = fmt, quirks + out.quirks, FRAME_RUB
    return out


def _json(src: Source, text: bytes) -> dict:
    try:
        doc = json.loads(text)
    except (ValueError, UnicodeDecodeError) as e:
        raise FormatError(src.name, f"glTF JSON is invalid: {e}") from None
    if not isinstance(doc, dict):
        raise FormatError(src.name, "glTF JSON is not an object")
    return doc


def _parse_glb(src: Source, data: bytes) -> tuple[dict, bytes | None]:
    if len(data) < 20:
        raise FormatError(src.name, "GLB shorter than its header")
    _, version, length = struct.unpack_from("<4sII", data, 0)
    if version != 2:
        raise FormatError(src.name, f"unsupported GLB version {version}")
    if length > len(data):
        raise FormatError(src.name, f"GLB claims {length:,} bytes, file has {len(data):,}")
    off, doc, binary = 12, None, None
    while off + 8 <= length:
        clen, ctype = struct.unpack_from("<II", data, off)
        if off + 8 + clen > length:
            raise FormatError(src.name, "GLB chunk runs past the end of the file")
        chunk = data[off + 8 : off + 8 + clen]
        if ctype == JSON_CHUNK and doc is None:
            doc = _json(src, chunk)
        elif ctype == BIN_CHUNK and binary is None:
            binary = chunk
        off += 8 + ((clen + 3) & ~3)
    if doc is None:
        raise FormatError(src.name, "GLB has no JSON chunk")
    return doc, binary


def _load_buffers(src: Source, doc: dict, bin_chunk: bytes | None) -> list[bytes]:
    out = []
    for i, b in enumerate(doc.get("buffers") or []):
        if not isinstance(b, dict):
            raise FormatError(src.name, f"glTF buffer {i} is malformed")
        uri = b.get("uri")
        if uri is None:
            if bin_chunk is None:
                raise FormatError(src.name, f"glTF buffer {i} has no uri and no GLB BIN chunk")
            out.append(bin_chunk)
        elif isinstance(uri, str) and uri.startswith("data:"):
            try:
                out.append(base64.b64decode(uri.split(",", 1)[1], validate=True))
            except (ValueError, IndexError):
                raise FormatError(src.name, f"glTF buffer {i} data URI is malformed") from None
        elif isinstance(uri, str) and ".." not in uri and ":" not in uri and uri[:1] != "/":
            out.append(src.open_sibling(uri))
        else:
            raise FormatError(src.name, f"glTF buffer {i} uri {uri!r} is not allowed")
    return out


def _accessor(src: Source, doc: dict, buffers: list[bytes], index: int) -> np.ndarray:
    """Accessor -> (count, width) float32, bounds-checked, strides honoured."""
    try:
        acc = doc["accessors"][index]
        count, kind, ctype = int(acc["count"]), acc["type"], int(acc["componentType"])
        view = doc["bufferViews"][acc["bufferView"]]
        buf = buffers[view["buffer"]]
    except (KeyError, IndexError, TypeError, ValueError):
        raise FormatError(src.name, f"glTF accessor {index} is malformed") from None
    if ctype not in COMPONENTS or kind not in WIDTH or not 0 <= count <= MAX_SPLATS:
        raise FormatError(src.name, f"glTF accessor {index} has an unsupported layout")
    dt = np.dtype(COMPONENTS[ctype])
    width = WIDTH[kind]
    item = dt.itemsize * width
    stride = int(view.get("byteStride") or item)
    start = int(view.get("byteOffset", 0)) + int(acc.get("byteOffset", 0))
    vend = int(view.get("byteOffset", 0)) + int(view["byteLength"])
    if (
        stride < item
        or start < 0
        or vend > len(buf)
        or (count and start + stride * (count - 1) + item > vend)
    ):
        raise FormatError(src.name, f"glTF accessor {index} reads past its buffer")
    if count == 0:
        return np.zeros((0, width), np.float32)
    arr = np.ndarray((count, width), dt, buffer=buf, offset=start, strides=(stride, dt.itemsize))
    out = arr.astype(np.float32)
    if acc.get("normalized") and dt.kind in "ui":
        out /= float(np.iinfo(dt).max)
    return out


def _primitive(src, doc, buffers, attrs: dict, quirks: list[str]) -> Splats:
    def get(name: str, width: int) -> np.ndarray | None:
        for key in (f"{EXT}:{name}", f"_{name}", name):
            if key in attrs:
                a = _accessor(src, doc, buffers, attrs[key])
                if a.shape[1] < width:
                    raise FormatError(src.name, f"glTF attribute {key} has too few components")
                return a[:, :width]
        return None

    pos = get("POSITION", 3)
    if pos is None:
        raise FormatError(src.name, "glTF splat primitive has no POSITION")
    n = pos.shape[0]

    def sized(a: np.ndarray | None, what: str) -> np.ndarray | None:
        if a is not None and a.shape[0] != n:
            raise FormatError(src.name, f"glTF {what} has {a.shape[0]} rows for {n} splats")
        return a

    rot = sized(get("ROTATION", 4), "ROTATION")
    scale = sized(get("SCALE", 3), "SCALE")
    opac = sized(get("OPACITY", 1), "OPACITY")
    color = sized(get("COLOR_0", 4) if "COLOR_0" in attrs else None, "COLOR_0")
    quats = np.tile(np.float32([1, 0, 0, 0]), (n, 1)) if rot is None else rot[:, [3, 0, 1, 2]]
    if scale is None:
        raise FormatError(src.name, "glTF splat primitive has no SCALE")
    with np.errstate(divide="ignore", invalid="ignore"):
        scales = np.log(scale)
    if opac is not None:
        alpha = opac[:, 0]
    elif color is not None:
        alpha = color[:, 3]
    else:
        alpha = np.ones(n, np.float32)
    degree = 0
    for d in (1, 2, 3):
        if all(f"{EXT}:SH_DEGREE_{d}_COEF_{c}" in attrs for c in range(2 * d + 1)):
            degree = d
        else:
            break
    k = sh_coeffs(degree)
    sh = np.zeros((n, k, 3), np.float32)
    dc = sized(get("SH_DEGREE_0_COEF_0", 3), "SH_DEGREE_0_COEF_0")
    if dc is not None:
        sh[:, 0] = dc
    elif color is not None:
        sh[:, 0] = rgb_to_dc(color[:, :3])
    j = 1
    for d in range(1, degree + 1):
        for c in range(2 * d + 1):
            sh[:, j] = sized(get(f"SH_DEGREE_{d}_COEF_{c}", 3), "SH coefficient")
            j += 1
    return Splats(pos, scales, quats, logit(alpha), sh, frame=FRAME_RUB, format=FORMAT)
