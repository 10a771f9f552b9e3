""".splat, .ksplat, compressed PLY and glTF/GLB readers on files built here from the specs.

The encoders below are written from the format descriptions (independent of the
readers); each test states the quantisation bound it checks.
"""

from __future__ import annotations

import base64
import io
import json
import struct

import numpy as np
import plyfile
import pytest

from splatrender.errors import FormatError
from splatrender.formats import load, save, sniff
from splatrender.formats.splats import SH_C0, Splats, sh_coeffs


def scene(n=40, degree=0, seed=0) -> Splats:
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return Splats(
        rng.uniform(-5, 5, (n, 3)),
        rng.uniform(-6, -1, (n, 3)),
        q,
        rng.uniform(-4, 4, n),
        rng.uniform(-1.5, 1.5, (n, sh_coeffs(degree), 3)),
    )


def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, np.float64)))


def qdist(a, b):
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.minimum(np.abs(a - b).max(1), np.abs(a + b).max(1))


# ---------------------------------------------------------------- .splat


def test_splat_round_trip(tmp_path):
    s = scene(100)
    s.sh[:, 0] = np.clip(s.sh[:, 0], -1.7, 1.7)  # keep colours inside [0, 1]
    save(s, tmp_path / "a.splat")
    assert sniff(tmp_path / "a.splat") == "splat"
    b = load(tmp_path / "a.splat")
    assert (b.format, b.count, b.axes) == ("splat", 100, "RDF")
    np.testing.assert_array_equal(b.means, s.means)  # float32 stored
    np.testing.assert_allclose(b.scales, s.scales, atol=1e-5)  # linear float32, log on read
    # RGBA bytes: colour within half a step (0.5/255) of the DC colour
    np.testing.assert_allclose(b.colors(), s.colors(), atol=0.5 / 255 + 1e-6)
    np.testing.assert_allclose(b.alphas(), sigmoid(s.opacities), atol=0.5 / 255 + 1e-6)
    # rotation bytes q*128+128: half a step 1/256 per component, before normalising
    assert qdist(b.quats, s.quats).max() < 0.01


def test_splat_bad_size():
    with pytest.raises(FormatError, match=r"x\.splat.*multiple of 32"):
        load(bytes(33), name="x.splat")


# ---------------------------------------------------------------- .ksplat


def ksplat_bytes(sections: list[Splats], level: int, sh_range=(-1.5, 1.5)) -> bytes:
    """Build a .ksplat from the layout description: buckets of 4, last bucket partial."""
    cap = 4
    header = bytearray(4096)
    header[0], header[1] = 0, 1
    total = sum(s.count for s in sections)
    struct.pack_into("<I", header, 4, len(sections))
    struct.pack_into("<I", header, 16, total)
    struct.pack_into("<H", header, 20, level)
    struct.pack_into("<ff", header, 36, *sh_range)
    heads, bodies = b"", b""
    for s in sections:
        n, deg = s.count, s.sh_degree
        full, rem = divmod(n, cap)
        partial = 1 if rem else 0
        nb = full + partial
        bucket = np.minimum(np.arange(n) // cap, nb - 1)
        centres = np.stack([s.means[bucket == b].mean(0) for b in range(nb)]).astype("<f4")
        qrange = 32767
        block = 2.02 * float(np.abs(s.means - centres[bucket]).max())
        h = bytearray(1024)
        struct.pack_into("<IIIIfH", h, 0, n, n, cap, nb, block, 12)
        struct.pack_into("<I", h, 24, qrange)
        struct.pack_into("<IIH", h, 32, full, partial, deg)
        heads += bytes(h)
        recs = []
        if level == 0:
            recs += [s.means.astype("<f4"), np.exp(s.scales).astype("<f4"), s.quats.astype("<f4")]
        else:
            step = block / 2 / qrange
            u = np.round((s.means - centres[bucket]) / step) + qrange
            recs += [u.astype("<u2"), np.exp(s.scales).astype("<f2"), s.quats.astype("<f2")]
        rgba = np.empty((n, 4), np.uint8)
        rgba[:, :3] = np.clip(np.round((SH_C0 * s.sh[:, 0] + 0.5) * 255), 0, 255)
        rgba[:, 3] = np.clip(np.round(sigmoid(s.opacities) * 255), 0, 255)
        recs.append(rgba)
        if deg:
            comps = []
            for band in range(1, deg + 1):  # per band, channel-major
                first, width = band * band, 2 * band + 1
                for c in range(3):
                    comps += [s.sh[:, first + j, c] for j in range(width)]
            shv = np.stack(comps, 1)
            if level == 0:
                recs.append(shv.astype("<f4"))
            elif level == 1:
                recs.append(shv.astype("<f2"))
            else:
                t = (shv - sh_range[0]) / (sh_range[1] - sh_range[0])
                recs.append(np.clip(np.round(t * 255), 0, 255).astype(np.uint8))
        rec = np.concatenate(
            [np.ascontiguousarray(r).view(np.uint8).reshape(n, -1) for r in recs], 1
        )
        sizes = np.array([rem] if partial else [], "<u4")
        bodies += sizes.tobytes() + centres.tobytes() + rec.tobytes()
    return bytes(header) + heads + bodies


@pytest.mark.parametrize("level", [0, 1, 2])
def test_ksplat_levels_sections_and_sh(level):
    a, b = scene(10, 2, seed=1), scene(7, 2, seed=2)
    for s in (a, b):
        s.sh[:, 0] = np.clip(s.sh[:, 0], -1.7, 1.7)
    data = ksplat_bytes([a, b], level)
    assert sniff(data) == "ksplat"
    k = load(data, name="t.ksplat")
    assert (k.format, k.count, k.sh_degree, k.axes) == ("ksplat", 17, 2, "RDF")
    src = Splats(
        *(
            np.concatenate([getattr(a, f), getattr(b, f)])
            for f in ("means", "scales", "quats", "opacities", "sh")
        )
    )
    # positions: level 0 float32; levels 1-2 u16 offsets, half a step of block/2/32767
    np.testing.assert_allclose(k.means, src.means, atol=1e-6 if level == 0 else 2e-4)
    # scales/rotations float16 in levels 1-2: relative 2^-11
    np.testing.assert_allclose(k.scales, src.scales, atol=1e-6 if level == 0 else 1e-3)
    assert qdist(k.quats, src.quats).max() < (1e-6 if level == 0 else 1e-3)
    np.testing.assert_allclose(k.colors(), src.colors(), atol=0.5 / 255 + 1e-6)
    # SH: float32 / float16 (|v|<=1.5: 2^-11 * 1.5) / u8 over [-1.5, 1.5] (half a step)
    tol = {0: 1e-6, 1: 1e-3, 2: 1.5 / 255 + 1e-6}[level]
    np.testing.assert_allclose(k.sh[:, 1:], src.sh[:, 1:], atol=tol)


def test_ksplat_absurd_count():
    data = bytearray(ksplat_bytes([scene(4)], 0))
    struct.pack_into("<I", data, 16, 3_000_000_000)
    with pytest.raises(FormatError, match=r"huge\.ksplat"):
        load(bytes(data), name="huge.ksplat")


# ---------------------------------------------------------------- compressed PLY


def compressed_ply_bytes(s: Splats, color_bounds: bool, sh: bool) -> bytes:
    n = s.count
    nc = -(-n // 256)
    ci = np.arange(n) // 256
    rgb = SH_C0 * s.sh[:, 0] + 0.5
    chunk_cols = {}
    for name, arr in (("", s.means), ("scale_", s.scales)):
        for i, a in enumerate("xyz"):
            lo = np.array([arr[ci == c, i].min() for c in range(nc)], np.float32)
            hi = np.array([arr[ci == c, i].max() for c in range(nc)], np.float32)
            chunk_cols[f"min_{name}{a}"], chunk_cols[f"max_{name}{a}"] = lo, hi
    if color_bounds:
        for i, c in enumerate("rgb"):
            chunk_cols[f"min_{c}"] = np.array([rgb[ci == k, i].min() for k in range(nc)], "f4")
            chunk_cols[f"max_{c}"] = np.array([rgb[ci == k, i].max() for k in range(nc)], "f4")

    def norm(v, lo, hi):
        return np.where(hi > lo, (v - lo) / np.where(hi > lo, hi - lo, 1), 0)

    def pack(arr, prefix):
        t = [
            norm(arr[:, i], chunk_cols[f"min_{prefix}{a}"][ci], chunk_cols[f"max_{prefix}{a}"][ci])
            for i, a in enumerate("xyz")
        ]
        x = np.round(t[0] * 2047).astype(np.uint32)
        y = np.round(t[1] * 1023).astype(np.uint32)
        z = np.round(t[2] * 2047).astype(np.uint32)
        return (x << 21) | (y << 11) | z

    q = s.quats / np.linalg.norm(s.quats, axis=1, keepdims=True)
    largest = np.abs(q).argmax(1)
    q = q * np.where(q[np.arange(n), largest] < 0, -1, 1)[:, None]
    rot = largest.astype(np.uint32) << 30
    slot = 20
    rest = np.array([[j for j in range(4) if j != m] for m in largest])
    for k in range(3):
        v = q[np.arange(n), rest[:, k]] / np.sqrt(2) + 0.5
        rot |= np.round(v * 1023).astype(np.uint32) << slot
        slot -= 10
    if color_bounds:
        ct = [
            norm(rgb[:, i], chunk_cols[f"min_{c}"][ci], chunk_cols[f"max_{c}"][ci])
            for i, c in enumerate("rgb")
        ]
    else:
        ct = [np.clip(rgb[:, i], 0, 1) for i in range(3)]
    ct.append(sigmoid(s.opacities))
    col = np.zeros(n, np.uint32)
    for i, v in enumerate(ct):
        col |= np.round(v * 255).astype(np.uint32) << (24 - 8 * i)
    vert = np.empty(
        n,
        [
            (p, "<u4")
            for p in ("packed_position", "packed_rotation", "packed_scale", "packed_color")
        ],
    )
    vert["packed_position"], vert["packed_rotation"] = pack(s.means, ""), rot
    vert["packed_scale"], vert["packed_color"] = pack(s.scales, "scale_"), col
    chunk = np.empty(nc, [(k, "<f4") for k in chunk_cols])
    for k, v in chunk_cols.items():
        chunk[k] = v
    els = [plyfile.PlyElement.describe(chunk, "chunk"), plyfile.PlyElement.describe(vert, "vertex")]
    if sh:
        m = sh_coeffs(s.sh_degree) - 1
        restv = s.sh[:, 1:].transpose(0, 2, 1).reshape(n, 3 * m)  # channel-major
        b = np.clip(np.trunc((restv / 8 + 0.5) * 256), 0, 255).astype(np.uint8)
        sha = np.empty(n, [(f"f_rest_{i}", "u1") for i in range(3 * m)])
        for i in range(3 * m):
            sha[f"f_rest_{i}"] = b[:, i]
        els.append(plyfile.PlyElement.describe(sha, "sh"))
    buf = io.BytesIO()
    plyfile.PlyData(els).write(buf)
    return buf.getvalue()


@pytest.mark.parametrize(("color_bounds", "sh"), [(True, True), (False, False), (False, True)])
def test_compressed_ply(color_bounds, sh):
    s = scene(600, 3 if sh else 0, seed=4)
    s.sh[:, 0] = np.clip(s.sh[:, 0], -1.7, 1.7)
    data = compressed_ply_bytes(s, color_bounds, sh)
    assert sniff(data) == "compressed-ply"
    c = load(data)
    assert (c.format, c.count, c.sh_degree) == ("compressed-ply", 600, 3 if sh else 0)
    ext = np.ptp(s.means, axis=0)
    # 11/10/11 bits over each chunk's extent (bounded by the scene's): half a step
    assert (np.abs(c.means - s.means) <= ext / np.r_[2047, 1023, 2047] / 2 + 1e-5).all()
    sext = np.ptp(s.scales, axis=0)
    assert (np.abs(c.scales - s.scales) <= sext / np.r_[2047, 1023, 2047] / 2 + 1e-5).all()
    assert qdist(c.quats, s.quats).max() < np.sqrt(2) / 1023  # 10 bits over [-1/sqrt2, 1/sqrt2]
    np.testing.assert_allclose(c.alphas(), sigmoid(s.opacities), atol=0.5 / 255 + 1e-6)
    np.testing.assert_allclose(c.colors(), s.colors(), atol=0.5 / 255 + 1e-5)
    if sh:  # 8 bits over [-4, 4]: one step 8/256 (truncating encoder, centred decoder)
        np.testing.assert_allclose(c.sh[:, 1:], s.sh[:, 1:], atol=8 / 256 / 2 + 1e-6)


def test_compressed_ply_wrong_chunk_count():
    data = compressed_ply_bytes(scene(300), True, False)
    bad = data.replace(b"element chunk 2", b"element chunk 1", 1)
    with pytest.raises(FormatError):
        load(bad, name="c.ply")


# ---------------------------------------------------------------- glTF / GLB


def gltf_doc(s: Splats, strided: bool = False) -> tuple[dict, bytes]:
    n = s.count
    arrays = {
        "POSITION": s.means.astype("<f4"),
        "KHR_gaussian_splatting:ROTATION": s.quats[:, [1, 2, 3, 0]].astype("<f4"),
        "KHR_gaussian_splatting:SCALE": np.exp(s.scales).astype("<f4"),
        "KHR_gaussian_splatting:OPACITY": sigmoid(s.opacities).astype("<f4")[:, None],
        "KHR_gaussian_splatting:SH_DEGREE_0_COEF_0": s.sh[:, 0].astype("<f4"),
    }
    j = 1
    for d in range(1, s.sh_degree + 1):
        for c in range(2 * d + 1):
            arrays[f"KHR_gaussian_splatting:SH_DEGREE_{d}_COEF_{c}"] = s.sh[:, j].astype("<f4")
            j += 1
    kinds = {1: "SCALAR", 3: "VEC3", 4: "VEC4"}
    views, accs, attrs, blob = [], [], {}, b""
    if strided:  # POSITION interleaved with 4 bytes of padding per element
        pos = np.zeros((n, 4), "<f4")
        pos[:, :3] = arrays.pop("POSITION")
        views.append({"buffer": 0, "byteOffset": 0, "byteLength": pos.nbytes, "byteStride": 16})
        accs.append({"bufferView": 0, "componentType": 5126, "count": n, "type": "VEC3"})
        attrs["POSITION"] = 0
        blob = pos.tobytes()
    for name, a in arrays.items():
        views.append({"buffer": 0, "byteOffset": len(blob), "byteLength": a.nbytes})
        accs.append(
            {
                "bufferView": len(views) - 1,
                "componentType": 5126,
                "count": n,
                "type": kinds[a.shape[1]],
            }
        )
        attrs[name] = len(accs) - 1
        blob += a.tobytes()
    doc = {
        "asset": {"version": "2.0"},
        "extensionsUsed": ["KHR_gaussian_splatting"],
        "buffers": [{"byteLength": len(blob)}],
        "bufferViews": views,
        "accessors": accs,
        "meshes": [
            {
                "primitives": [
                    {"mode": 0, "attributes": attrs, "extensions": {"KHR_gaussian_splatting": {}}}
                ]
            }
        ],
        "nodes": [{"mesh": 0}],
    }
    return doc, blob


def glb(doc: dict, blob: bytes) -> bytes:
    js = json.dumps(doc).encode()
    js += b" " * (-len(js) % 4)
    blob += bytes(-len(blob) % 4)
    body = struct.pack("<II", len(js), 0x4E4F534A) + js + struct.pack("<II", len(blob), 0x004E4942)
    body += blob
    return struct.pack("<4sII", b"glTF", 2, 12 + len(body)) + body


@pytest.mark.parametrize("strided", [False, True])
def test_glb_round_trip(strided):
    s = scene(50, 3)
    data = glb(*gltf_doc(s, strided))
    assert sniff(data) == "glb"
    g = load(data, name="t.glb")
    assert (g.format, g.count, g.sh_degree, g.axes) == ("glb", 50, 3, "RUB")
    np.testing.assert_array_equal(g.means, s.means)
    np.testing.assert_allclose(g.scales, s.scales, atol=1e-5)
    np.testing.assert_allclose(g.opacities, s.opacities, atol=1e-4)
    np.testing.assert_array_equal(g.sh, s.sh)
    assert qdist(g.quats, s.quats).max() < 1e-6


def test_gltf_json_with_data_uri():
    s = scene(5, 1)
    doc, blob = gltf_doc(s)
    doc["buffers"][0]["uri"] = (
        "data:application/octet-stream;base64," + base64.b64encode(blob).decode()
    )
    data = json.dumps(doc).encode()
    assert sniff(data) == "gltf"
    g = load(data)
    np.testing.assert_array_equal(g.sh, s.sh)


def test_gltf_accessor_past_buffer_is_refused():
    s = scene(5)
    doc, blob = gltf_doc(s)
    doc["accessors"][0]["count"] = 10**6
    with pytest.raises(FormatError, match=r"bad\.glb"):
        load(glb(doc, blob), name="bad.glb")
