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

import numpy as np

from ..errors import FormatError
from ._io import Source
from ._util import logit, rgb_to_dc
from .gltf_container import (
    COMPONENTS,
    EXT,
    GLB_MAGIC,
    accessor_layout,
    load_buffers,
    parse_glb,
    parse_json,
    sh_degree_of,
)
from .splats import AXES_RUB, Splats, sh_coeffs

FORMAT = "gltf"


def read(src: Source, **_: object) -> Splats:
    data = src.data
    if data[:4] == GLB_MAGIC:
        doc, bin_chunk = parse_glb(src.name, data)
    else:
        doc, bin_chunk = parse_json(src.name, data), None
    buffers = load_buffers(src.name, doc, bin_chunk, src.open_sibling)
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
    out.format, out.quirks, out.axes = fmt, quirks + out.quirks, AXES_RUB
    return out


def _accessor(src: Source, doc: dict, buffers: list, index: int) -> np.ndarray:
    buf, start, stride, count, width, ctype = accessor_layout(src.name, doc, buffers, index)
    acc = doc["accessors"][index]
    dt = np.dtype(COMPONENTS[ctype][0])
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
    degree = sh_degree_of(attrs)
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
    return Splats(pos, scales, quats, logit(alpha), sh, axes=AXES_RUB, format=FORMAT)
