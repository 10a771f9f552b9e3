"""Files written by our writers (and by hand / splat-transform) decode like their numpy twins.

Same tolerance as test_real_scenes: float32 rtol 1e-5 / atol 1e-5. Also covers
multi-page pools and chunked dispatches (small ``page_size`` / ``chunk_splats``),
unaligned PLY rows, any PLY property order, non-finite rows, the PLY opacity
conventions and the SH degree cap.
"""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest

from splatrender.formats import ply, splat, spz
from splatrender.formats.axes import to_axes
from splatrender.formats.runtime import load_to_pool
from splatrender.formats.splats import Splats
from tests.formats.runtime.twins import compare, numpy_twin, read_pool

pytestmark = pytest.mark.gpu


def random_splats(n: int, degree: int, seed: int = 0, axes: str = "RDF") -> Splats:
    rng = np.random.default_rng(seed)
    k = (degree + 1) ** 2
    sh = rng.normal(0, 0.3, (n, k, 3))
    sh[:, 0] = rng.normal(0, 1, (n, 3))
    return Splats(
        rng.normal(0, 2, (n, 3)), rng.uniform(-6, -1, (n, 3)), rng.normal(size=(n, 4)),
        rng.normal(0, 3, n), sh, axes=axes,
    )  # fmt: skip


def check(device, run, data, name, *, sh_degree=None, **kw):
    scene = run(load_to_pool(device, data, name=name, sh_degree=sh_degree, **kw))
    try:
        opts = {"opacity": kw["opacity"]} if "opacity" in kw else {}
        s, bad, g, r, _ = numpy_twin(data, name, sh_degree, **opts)
        assert (scene.count, scene.axes) == (len(s), s.axes)
        assert scene.sh_degree == (
            s.sh_degree if sh_degree is None else min(sh_degree, s.sh_degree)
        )
        geom, sh = read_pool(run, scene)
        compare(geom, sh, bad, g, r)
        return scene.quirks, s.quirks
    finally:
        scene.destroy()


def odd_ply(s: Splats, seed: int = 0, extra: bool = True) -> bytes:
    """A 3DGS PLY with shuffled property order and (optionally) a uchar in each row."""
    n, k = s.count, s.sh.shape[1]
    cols = {"x": s.means[:, 0], "y": s.means[:, 1], "z": s.means[:, 2], "opacity": s.opacities}
    for i in range(3):
        cols[f"scale_{i}"] = s.scales[:, i]
        cols[f"f_dc_{i}"] = s.sh[:, 0, i]
    for i in range(4):
        cols[f"rot_{i}"] = s.quats[:, i]
    rest = s.sh[:, 1:].transpose(0, 2, 1).reshape(n, 3 * (k - 1))
    for i in range(rest.shape[1]):
        cols[f"f_rest_{i}"] = rest[:, i]
    names = list(cols)
    np.random.default_rng(seed).shuffle(names)
    fields = [(nm, "<f4") for nm in names]
    if extra:
        fields.insert(3, ("flag", "u1"))
    arr = np.zeros(n, np.dtype(fields))
    for nm in names:
        arr[nm] = cols[nm]
    head = ["ply", "format binary_little_endian 1.0", f"element vertex {n}"]
    head += [f"property {'uchar' if t == 'u1' else 'float'} {nm}" for nm, t in fields]
    return ("\n".join([*head, "end_header"]) + "\n").encode() + arr.tobytes()


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_ply_our_writer(device, run, degree):
    check(device, run, ply.to_bytes(random_splats(700, degree, degree)), "w.ply")


@pytest.mark.parametrize("extra", [True, False])
def test_ply_any_order_unaligned_rows_multi_page(device, run, extra):
    data = odd_ply(random_splats(1500, 2, 5), extra=extra)
    check(device, run, data, "odd.ply", page_size=512, chunk_splats=256)


def test_ply_nonfinite_rows_are_invisible(device, run):
    s = random_splats(600, 1, 3)
    s.means[5, 1] = np.nan
    s.scales[17, 0] = np.inf
    s.quats[40] = 0
    s.sh[99, 2, 1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(device, run, ply.to_bytes(s), "nan.ply")


def test_ply_opacity_after_sigmoid_detected(device, run):
    s = random_splats(500, 0, 4)
    s.opacities = np.random.default_rng(1).uniform(0, 1, 500).astype(np.float32)
    data = ply.to_bytes(s)
    with pytest.warns(UserWarning, match="after the sigmoid"):
        ours, _ = check(device, run, data, "hy.ply")
    assert any(q.startswith("opacity-after-sigmoid") for q in ours)
    check(device, run, data, "hy.ply", opacity="logit")
    check(device, run, ply.to_bytes(random_splats(300, 0, 9)), "lin.ply", opacity="linear")


@pytest.mark.parametrize("cap", [0, 1, 2])
def test_sh_degree_cap(device, run, cap):
    check(device, run, ply.to_bytes(random_splats(300, 3, 11)), "cap.ply", sh_degree=cap)


def test_splat_our_writer(device, run):
    check(device, run, splat.to_bytes(random_splats(1000, 0, 2)), "w.splat", chunk_splats=256)


@pytest.mark.parametrize(("version", "degree", "axes"), [(3, 0, "RUB"), (3, 3, "RUB"),
                         (4, 2, "RUB"), (4, 1, "RDF")])  # fmt: skip
def test_spz_our_writer(device, run, version, degree, axes):
    s = to_axes(random_splats(900, degree, version + degree), axes)
    check(device, run, spz.to_bytes(s, version=version), "w.spz", page_size=512)


def _ksplat(level: int, seed: int = 0) -> bytes:
    """Two sections (SH 1 and 0) with full and partial buckets, written by hand."""
    rng = np.random.default_rng(seed)
    cb, sb, rb, hb = {0: (12, 12, 16, 4), 1: (6, 6, 8, 2), 2: (6, 6, 8, 1)}[level]
    sections = [(700, 256, 2, [100, 150], 1), (300, 128, 2, [60], 0)]
    head = bytearray(4096)
    head[0], head[1] = 0, 1
    struct.pack_into("<I", head, 4, len(sections))
    struct.pack_into("<I", head, 16, sum(s[0] for s in sections))
    struct.pack_into("<H", head, 20, level)
    struct.pack_into("<ff", head, 36, -2.0, 2.5)
    heads, bodies = b"", b""
    for count, cap, full, partial, sdeg in sections:
        ncomp = (0, 9)[sdeg]
        rec = cb + sb + rb + 4 + ncomp * hb
        nb = full + len(partial) if level else 0
        bb = 12 if level else 0
        sh = bytearray(1024)
        struct.pack_into("<IIIIfH", sh, 0, count, count, cap, nb, 5.0, bb)
        struct.pack_into("<I", sh, 24, 32767)
        struct.pack_into("<IIH", sh, 32, full, len(partial) if level else 0, sdeg)
        heads += bytes(sh)
        meta = b""
        if level:
            meta = (
                np.array(partial, "<u4").tobytes()
                + rng.normal(0, 3, (nb, 3)).astype("<f4").tobytes()
            )
        body = rng.integers(0, 256, (count, rec), dtype=np.uint8)
        if level == 0:
            body[:, : cb + sb + rb] = np.frombuffer(
                rng.normal(0, 1, (count, 10)).astype("<f4").tobytes(), np.uint8
            ).reshape(count, 40)
            body[:, 12:24] = np.frombuffer(
                rng.uniform(0.01, 1, (count, 3)).astype("<f4").tobytes(), np.uint8
            ).reshape(count, 12)
            if ncomp:
                body[:, 44:] = np.frombuffer(
                    rng.normal(0, 1, (count, ncomp)).astype("<f4").tobytes(), np.uint8
                ).reshape(count, 4 * ncomp)
        else:
            halves = rng.normal(0, 0.5, (count, 7)).astype("<f2")
            halves[:, :3] = np.abs(halves[:, :3]) + np.float16(0.01)
            body[:, 6:20] = np.frombuffer(halves.tobytes(), np.uint8).reshape(count, 14)
            if ncomp and level == 1:
                body[:, 24:] = np.frombuffer(
                    rng.normal(0, 1, (count, ncomp)).astype("<f2").tobytes(), np.uint8
                ).reshape(count, 2 * ncomp)
        bodies += meta + body.tobytes()
    return bytes(head) + heads + bodies


@pytest.mark.parametrize("level", [0, 1, 2])
def test_ksplat_sections_and_buckets(device, run, level):
    check(device, run, _ksplat(level, level), "hand.ksplat", page_size=512, chunk_splats=256)


@pytest.mark.parametrize("ext", ["compressed.ply", "sog", "glb"])
def test_splat_transform_outputs(device, run, tmp_path, splat_transform, ext):
    """Compressed PLY, bundled SOG and GLB written by an independent tool from our PLY."""
    src = tmp_path / "in.ply"
    src.write_bytes(ply.to_bytes(random_splats(1200, 2, 21)))
    out = tmp_path / f"out.{ext}"
    splat_transform(src, out)
    data = out.read_bytes()
    check(device, run, data, out.name, page_size=512, chunk_splats=256)
