"""Numpy-free scene decoding for the browser: header in pure Python, rows on the GPU.

Covers the formats whose rows are plain fixed-size records, so a WGSL pass can turn
them into the pool layout without any CPU work per splat:

- antimatter15 ``.splat`` (32 bytes per splat), ``shaders/decode_splat32.wgsl``
- INRIA 3DGS PLY with float32 properties, ``shaders/decode_ply_f32.wgsl``
- PlayCanvas compressed PLY, ``shaders/decode_compressed_ply.wgsl``

Other formats raise ``FormatError`` saying that the browser cannot read them yet.
The result is a :class:`SceneData`, the same thing the native packer produces, so
the renderer does not know which path a scene took. Works on any ``gpu.Device``
(tests run it natively on lavapipe).
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

from ..errors import FormatError
from ..formats import sniffing
from ..formats._io import MAX_SPLATS, Source
from ..formats.plyheader import parse_header
from ..gpu import COPY_DST, COPY_SRC, STORAGE, UNIFORM, Device, load_shader
from ..render.layout import GEOM_FLOATS, WORKGROUP, sh_rest_floats
from ..render.scene_data import SceneData

SUPPORTED = (sniffing.SPLAT, sniffing.PLY, sniffing.COMPRESSED_PLY)
_BOUNDS_SAMPLES = 4096
_BOUNDS_PERCENTILE = 0.01
_PLY_FIELDS = (
    "x", "y", "z", "opacity",
    "rot_0", "rot_1", "rot_2", "rot_3",
    "scale_0", "scale_1", "scale_2", "f_dc_0",
    "f_dc_1", "f_dc_2",
)  # fmt: skip


def _ext(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot >= 0 else ""


async def decode_scene(device: Device, data: bytes, name: str) -> SceneData:
    """Decode ``data`` (the whole file) into a :class:`SceneData` with GPU passes."""
    try:
        fmt = sniffing.sniff(data, _ext(name.split("?")[0]))
    except FormatError as e:
        raise FormatError(name, e.problem) from None
    if fmt == sniffing.SPLAT:
        return await _decode_splat(device, data, name)
    if fmt == sniffing.PLY:
        return await _decode_ply(device, data, name)
    if fmt == sniffing.COMPRESSED_PLY:
        return await _decode_compressed_ply(device, data, name)
    raise FormatError(
        name,
        f"{fmt} scenes cannot be read in the browser yet "
        "(supported: .splat, float PLY, compressed PLY)",
    )


async def _decode_splat(device: Device, data: bytes, name: str) -> SceneData:
    if len(data) == 0 or len(data) % 32:
        raise FormatError(name, f".splat size {len(data):,} is not a positive multiple of 32")
    n = len(data) // 32
    if n > MAX_SPLATS:
        raise FormatError(name, f"{n:,} splats is above the limit of {MAX_SPLATS:,}")
    shader = load_shader("decode_splat32", {"WG": WORKGROUP, "GEOM_FLOATS": GEOM_FLOATS})
    view = memoryview(data)
    geometry, _ = await _run(
        device,
        shader,
        "decode-splat",
        n,
        0,
        lambda first, m: [view[first * 32 : (first + m) * 32]],
        32,
        b"",
        with_sh=False,
    )
    lo, hi = _bounds(data, 0, 32, (0, 4, 8), n)
    return SceneData(n, 0, geometry, b"", "RDF", lo, hi, name)


async def _decode_ply(device: Device, data: bytes, name: str) -> SceneData:
    header = parse_header(Source(data, name), data)
    vertex = header.element("vertex")
    if vertex is None or vertex.count == 0:
        raise FormatError(name, "PLY has no vertex rows")
    if header.format != "binary_little_endian":
        raise FormatError(
            name, f"the browser reads binary_little_endian PLY only, not {header.format}"
        )
    if header.elements[0] is not vertex:
        raise FormatError(name, "the browser reads PLY files whose first element is vertex only")
    off: dict[str, int] = {}
    for i, p in enumerate(vertex.properties):
        if p.list_count_type or p.type not in ("float", "float32"):
            raise FormatError(
                name, f"the browser reads float32 PLY only; property {p.name!r} is {p.type}"
            )
        off[p.name] = i
    missing = [f for f in _PLY_FIELDS if f not in off]
    if missing:
        raise FormatError(name, f"PLY lacks Gaussian properties {', '.join(missing)}")
    rest = sorted(
        (int(k[7:]) for k in off if k.startswith("f_rest_") and k[7:].isdigit()),
    )
    n_rest = len(rest)
    degree = next((d for d in (3, 2, 1, 0) if ((d + 1) ** 2 - 1) * 3 <= n_rest), 0)
    per_channel = (degree + 1) ** 2 - 1
    if n_rest and [off[f"f_rest_{k}"] for k in range(n_rest)] != list(
        range(off["f_rest_0"], off["f_rest_0"] + n_rest)
    ):
        raise FormatError(name, "PLY f_rest_* properties are not contiguous and in order")
    # Channel-major f_rest with n_rest/3 per channel; a higher stored degree than we
    # use (never the case in practice) is read with its own per-channel stride.
    stored = n_rest // 3 if n_rest else 0
    if stored != per_channel:
        raise FormatError(name, f"PLY has {n_rest} f_rest values, not a degree 0-3 layout")
    offsets = [off[f] for f in _PLY_FIELDS] + [off.get("f_rest_0", 0), 0]
    stride = len(vertex.properties) * 4
    body = data[header.body_offset : header.body_offset + vertex.count * stride]
    shader = load_shader("decode_ply_f32", {"WG": WORKGROUP, "GEOM_FLOATS": GEOM_FLOATS})
    extra = struct.pack("<2I16I", stride // 4, per_channel, *offsets)
    view = memoryview(body)
    geometry, sh_rest = await _run(
        device,
        shader,
        "decode-ply",
        vertex.count,
        degree,
        lambda first, m: [view[first * stride : (first + m) * stride]],
        stride,
        extra,
        with_sh=True,
    )
    xyz = (4 * off["x"], 4 * off["y"], 4 * off["z"])
    lo, hi = _bounds(body, 0, stride, xyz, vertex.count)
    return SceneData(vertex.count, degree, geometry, sh_rest, "RDF", lo, hi, name)


_CHUNK_FIELDS = (
    "min_x", "min_y", "min_z", "max_x", "max_y", "max_z",
    "min_scale_x", "min_scale_y", "min_scale_z", "max_scale_x", "max_scale_y", "max_scale_z",
)  # fmt: skip
_COLOR_FIELDS = ("min_r", "min_g", "min_b", "max_r", "max_g", "max_b")
_PACKED_FIELDS = ("packed_position", "packed_rotation", "packed_scale", "packed_color")
_CHUNK = 256


def _word_offsets(name: str, element, allowed: tuple[str, ...]) -> dict[str, int]:
    off = {}
    for i, p in enumerate(element.properties):
        if p.list_count_type or p.type not in allowed:
            raise FormatError(
                name, f"compressed PLY {element.name}.{p.name} is {p.type}, expected {allowed[0]}"
            )
        off[p.name] = i
    return off


async def _decode_compressed_ply(device: Device, data: bytes, name: str) -> SceneData:
    header = parse_header(Source(data, name), data)
    if header.format != "binary_little_endian":
        raise FormatError(name, f"compressed PLY must be binary_little_endian, not {header.format}")
    ce, ve, she = header.element("chunk"), header.element("vertex"), header.element("sh")
    if ce is None or ve is None:
        raise FormatError(name, "compressed PLY needs 'chunk' and 'vertex' elements")
    n = ve.count
    if n == 0:
        raise FormatError(name, "compressed PLY has no splats")
    if ce.count != -(-n // _CHUNK):
        raise FormatError(name, f"compressed PLY has {ce.count} chunks for {n:,} splats")
    coff = _word_offsets(name, ce, ("float", "float32"))
    voff = _word_offsets(name, ve, ("uint", "uint32"))
    missing = [f for f in (*_CHUNK_FIELDS, *_PACKED_FIELDS) if f not in coff and f not in voff]
    if missing:
        raise FormatError(name, f"compressed PLY lacks {', '.join(missing)}")
    has_color = all(f in coff for f in _COLOR_FIELDS)
    degree, rest, sh_stride = 0, 0, 0
    starts: dict[str, int] = {}
    pos = header.body_offset
    for e in header.elements:
        if e.is_list:
            raise FormatError(name, f"compressed PLY element {e.name!r} has list properties")
        starts[e.name] = pos
        pos += e.count * e.row_bytes
    if she is not None:
        m = sum(1 for p in she.properties if p.name.startswith("f_rest_"))
        if she.count != n or m not in (9, 24, 45) or she.row_bytes != len(she.properties):
            raise FormatError(name, f"compressed PLY 'sh' element is {she.count}x{m} bytes")
        degree, rest, sh_stride = {9: 1, 24: 2, 45: 3}[m], m // 3, she.row_bytes
    chunk_fields = [coff[f] for f in _CHUNK_FIELDS]
    chunk_fields += [coff[f] for f in _COLOR_FIELDS] if has_color else [0] * 6
    extra = struct.pack(
        "<6I4I20I",
        ce.row_bytes // 4,
        ve.row_bytes // 4,
        sh_stride,
        rest,
        int(has_color),
        0,
        *(voff[f] for f in _PACKED_FIELDS),
        *chunk_fields,
        0,
        0,
    )
    view = memoryview(data)
    cs, vs = ce.row_bytes, ve.row_bytes

    def inputs(first: int, m: int) -> list[memoryview]:
        c0, c1 = first // _CHUNK, -(-(first + m) // _CHUNK)
        out = [
            view[starts["chunk"] + c0 * cs : starts["chunk"] + c1 * cs],
            view[starts["vertex"] + first * vs : starts["vertex"] + (first + m) * vs],
        ]
        if she is not None:
            out.append(
                view[starts["sh"] + first * sh_stride : starts["sh"] + (first + m) * sh_stride]
            )
        else:
            out.append(memoryview(b"\0\0\0\0"))
        return out

    shader = load_shader("decode_compressed_ply", {"WG": WORKGROUP, "GEOM_FLOATS": GEOM_FLOATS})
    geometry, sh_rest = await _run(
        device, shader, "decode-cply", n, degree, inputs, vs + sh_stride, extra, with_sh=True
    )
    b_lo, b_hi = _bounds(geometry, 0, 4 * GEOM_FLOATS, (0, 4, 8), n)
    return SceneData(n, degree, geometry, sh_rest, "RDF", b_lo, b_hi, name)


Slicer = Callable[[int, int], list[memoryview]]


async def _run(
    device: Device,
    shader: str,
    label: str,
    n: int,
    degree: int,
    inputs: Slicer,
    bytes_per_splat: int,
    extra: bytes,
    with_sh: bool,
) -> tuple[bytearray, bytearray]:
    """Run a row decoder over ``n`` splats in chunks that each fit one storage binding.

    ``inputs(first, m)`` gives the input byte ranges (one binding each) for splats
    ``first..first+m``; the decoder's bindings are those inputs, the geometry output,
    the SH output when ``with_sh``, then the uniform (count, groups_x, ``extra``).
    """
    rest_floats = sh_rest_floats(degree)
    per_splat = max(bytes_per_splat, 4 * GEOM_FLOATS, 4 * rest_floats)
    limit = min(device.limits.max_storage_binding, device.limits.max_buffer_size)
    chunk = max(WORKGROUP, (limit // per_splat) // WORKGROUP * WORKGROUP)
    pipeline = device.compute_pipeline(shader, label=label)
    geometry = bytearray()
    sh_rest = bytearray()
    max_x = device.limits.max_workgroups_per_dim
    for first in range(0, n, chunk):
        m = min(chunk, n - first)
        bufs = []
        for k, data in enumerate(inputs(first, m)):
            b = device.create_buffer(max(4, len(data)), [STORAGE, COPY_DST], f"{label}-in{k}")
            device.write_buffer(b, data)
            bufs.append(b)
        geom = device.create_buffer(m * 4 * GEOM_FLOATS, [STORAGE, COPY_SRC], f"{label}-geometry")
        bufs.append(geom)
        shb = None
        if with_sh:
            shb = device.create_buffer(max(4, m * 4 * rest_floats), [STORAGE, COPY_SRC], label)
            bufs.append(shb)
        groups = math.ceil(m / WORKGROUP)
        gx = min(groups, max_x)
        params = struct.pack("<2I", m, gx) + (extra or b"\0" * 8)
        ubuf = device.create_buffer(len(params), [UNIFORM, COPY_DST], f"{label}-params")
        device.write_buffer(ubuf, params)
        group = device.bind_group(pipeline, 0, [*bufs, ubuf], label)
        enc = device.encoder(label)
        with enc.compute_pass(label) as p:
            p.dispatch(pipeline, [group], gx, math.ceil(groups / gx))
        device.submit(enc)
        geometry += await device.read_buffer(geom, 0, m * 4 * GEOM_FLOATS)
        if shb is not None and rest_floats:
            sh_rest += await device.read_buffer(shb, 0, m * 4 * rest_floats)
        for b in (*bufs, ubuf):
            device.destroy_buffer(b)
    return geometry, sh_rest


def _bounds(
    rows: bytes, start: int, stride: int, xyz: tuple[int, int, int], n: int
) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Robust (1st-99th percentile) bounds of the positions of up to 4096 sampled rows."""
    step = max(1, n // _BOUNDS_SAMPLES)
    axes: list[list[float]] = [[], [], []]
    for i in range(0, n, step):
        base = start + i * stride
        p = [struct.unpack_from("<f", rows, base + o)[0] for o in xyz]
        if all(math.isfinite(v) for v in p):
            for a in range(3):
                axes[a].append(p[a])
    if not axes[0]:
        return (-1.0, -1.0, -1.0), (1.0, 1.0, 1.0)
    trim = _BOUNDS_PERCENTILE if len(axes[0]) >= 100 else 0.0
    lo, hi = [], []
    for vals in axes:
        vals.sort()
        k = int(trim * (len(vals) - 1))
        lo.append(vals[k])
        hi.append(vals[len(vals) - 1 - k])
    return tuple(lo), tuple(hi)  # type: ignore[return-value]
