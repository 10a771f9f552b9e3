"""Interop with an independent implementation, @playcanvas/splat-transform 3.x.

1. splat-transform converts the real INRIA scene into every splat format it writes;
   we read each and compare every splat with the source within that format's
   quantisation bound (each bound is stated, with its reason, next to its check).
   Its compressed PLY and SOG writers reorder splats along a Morton curve, so the
   source is first put in Morton order by splat-transform itself (``-m``; a pure
   permutation, checked), which the writers then keep.
2. splat-transform decodes the real files of the other formats to PLY; our decoders
   must agree with it to float32 rounding.
3. Files we write are read back by splat-transform (to PLY): same count and per-column
   statistics.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import plyfile
import pytest

from splatrender.formats import load, save
from splatrender.formats.axes import rotate_180
from splatrender.formats.splats import SH_C0, Splats

INRIA = "kacytran1122_try__point_cloud_iter7000.ply"


@pytest.fixture(scope="module")
def work(tmp_path_factory, splat_transform, scenes_dir):
    """The Morton-ordered source and a cache of splat-transform outputs."""
    d = tmp_path_factory.mktemp("interop")
    splat_transform(scenes_dir / INRIA, "-m", d / "source.ply")
    return d


def convert(st, work, name: str, *opts: str):
    out = work / name
    if not out.exists():
        st(work / "source.ply", *opts, out)
    return out


def source(work) -> Splats:
    return load(work / "source.ply")


def unit(q: np.ndarray) -> np.ndarray:
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def principal_axes_error(q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Sign-agnostic distance between rotations (quaternions or their negatives)."""
    a, b = unit(q1.astype(np.float64)), unit(q2.astype(np.float64))
    return np.minimum(np.abs(a - b).max(1), np.abs(a + b).max(1))


def within(name: str, got, want, bound) -> None:
    err = np.abs(np.asarray(got, np.float64) - np.asarray(want, np.float64))
    bad = err > bound
    worst = np.unravel_index(err.argmax(), err.shape)
    assert not bad.any(), (
        f"{name}: {int(bad.sum())} values beyond the bound; worst error {err.max():.3g} "
        f"(bound there {np.broadcast_to(bound, err.shape)[worst]:.3g})"
    )


def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, np.float64)))


def test_morton_source_is_a_permutation(work, scenes_dir):
    a, b = load(scenes_dir / INRIA), source(work)
    ka = np.lexsort(a.means.T)
    kb = np.lexsort(b.means.T)
    np.testing.assert_array_equal(a.means[ka], b.means[kb])
    np.testing.assert_array_equal(a.sh[ka], b.sh[kb])


def test_ply(splat_transform, work):
    src, got = source(work), load(convert(splat_transform, work, "out.ply"))
    # float32 PLY: lossless
    for attr in ("means", "scales", "quats", "opacities", "sh"):
        np.testing.assert_array_equal(getattr(got, attr), getattr(src, attr))


def test_compressed_ply(splat_transform, work):
    path = convert(splat_transform, work, "out.compressed.ply")
    src, got = source(work), load(path)
    assert got.format == "compressed-ply" and got.count == src.count and got.sh_degree == 3
    chunk = plyfile.PlyData.read(str(path))["chunk"].data
    ci = np.arange(src.count) // 256
    eps = 1e-5
    # position/scale: 11-10-11 bit fractions of each chunk's [min, max]: half a step
    for attr, pre in (("means", ""), ("scales", "scale_")):
        for i, (a, bits) in enumerate(zip("xyz", (11, 10, 11), strict=True)):
            ext = (chunk[f"max_{pre}{a}"] - chunk[f"min_{pre}{a}"])[ci].astype(np.float64)
            # values outside the chunk range are clamped to it by the writer
            want = np.clip(
                getattr(src, attr)[:, i], chunk[f"min_{pre}{a}"][ci], chunk[f"max_{pre}{a}"][ci]
            )
            within(
                f"{attr}.{a}",
                getattr(got, attr)[:, i],
                want,
                ext / (2**bits - 1) / 2 + eps * (1 + np.abs(want)),
            )
    # rotation: 10 bits over [-1/sqrt2, 1/sqrt2] per stored component -> half a step each;
    # the rebuilt largest component adds at most as much again
    assert principal_axes_error(got.quats, src.quats).max() < 2 * np.sqrt(2) / 1023
    # opacity: 8-bit sigmoid
    within("alpha", got.alphas(), sigmoid(src.opacities), 0.5 / 255 + 1e-6)
    # colour: 8 bits of each chunk's colour range -> half a step, in colour units
    rgb_src = SH_C0 * src.sh[:, 0].astype(np.float64) + 0.5
    rgb_got = SH_C0 * got.sh[:, 0].astype(np.float64) + 0.5
    for i, c in enumerate("rgb"):
        lo, hi = chunk[f"min_{c}"][ci], chunk[f"max_{c}"][ci]
        within(
            f"colour.{c}", rgb_got[:, i], np.clip(rgb_src[:, i], lo, hi), (hi - lo) / 255 / 2 + 1e-5
        )
    # SH rest: 8 bits over [-4, 4] (clamped): one step 8/256 (floor encode, centred decode)
    within("sh rest", got.sh[:, 1:], np.clip(src.sh[:, 1:], -4, 4), 8 / 256 + 1e-6)


@pytest.mark.parametrize("version", ["3", "4"])
def test_spz(splat_transform, work, version):
    path = convert(splat_transform, work, f"out{version}.spz", "--spz-version", version)
    src, got = source(work), load(path)
    assert got.count == src.count and got.sh_degree == 3
    # splat-transform writes SPZ without turning PLY data into SPZ's RUB: same numbers
    assert got.axes == "RUB"
    # positions: 24-bit fixed point with 12 fractional bits -> half of 1/4096
    within("means", got.means, src.means, 0.5 / 4096 + 1e-6 * np.abs(src.means))
    # log scales: (s + 10) * 16 in a byte -> half of 1/16 (inside [-10, 5.94])
    within("scales", got.scales, np.clip(src.scales, -10, 255 / 16 - 10), 0.5 / 16 + 1e-6)
    # alpha byte of sigmoid(opacity)
    within("alpha", got.alphas(), sigmoid(src.opacities), 0.5 / 255 + 1e-6)
    # DC colour byte of dc*0.15+0.5 -> half a step = 0.5/255/0.15 in DC units (clamped)
    lim = 0.5 / 0.15
    within("dc", got.sh[:, 0], np.clip(src.sh[:, 0], -lim, lim), 0.5 / 255 / 0.15 + 1e-5)
    # SH rest: round(v*128)+128 then 5-bit (degree 1) / 4-bit (2-3) buckets, clamped
    # to [-1, 127/128]: half a bucket plus half a step
    rest = np.clip(src.sh, -1, 127 / 128)
    within("sh1", got.sh[:, 1:4], rest[:, 1:4], 4.5 / 128 + 1e-6)
    within("sh2-3", got.sh[:, 4:], rest[:, 4:], 8.5 / 128 + 1e-6)
    # smallest three, 9 bits over [0, 1/sqrt2] + sign: half a step per stored component
    assert principal_axes_error(got.quats, src.quats).max() < 2.5e-3


def test_glb(splat_transform, work):
    src = source(work)
    got = load(convert(splat_transform, work, "out.glb"))
    assert (got.format, got.axes, got.count, got.sh_degree) == ("glb", "RUB", src.count, 3)
    # splat-transform turns PLY data 180 degrees about z into glTF space; undo it
    back = rotate_180(got, "z")
    # float32 storage: exact, but scale and opacity pass through exp/log and sigmoid/logit
    np.testing.assert_array_equal(back.means, src.means)
    np.testing.assert_array_equal(back.sh, src.sh)
    within("scales", back.scales, src.scales, 1e-6 * (1 + np.abs(src.scales)))
    within("alpha", back.alphas(), sigmoid(src.opacities), 1e-6)
    # the turn is applied to the rotation as q_z * q (splat-transform) vs conjugation
    # (ours): both give the same covariance, so compare covariances
    assert covariance_error(back, src) < 1e-5


def covariance_error(a: Splats, b: Splats) -> float:
    def cov(s):
        q = unit(s.quats.astype(np.float64))
        w, x, y, z = q.T
        m = np.stack(
            [
                1 - 2 * (y * y + z * z),
                2 * (x * y - w * z),
                2 * (x * z + w * y),
                2 * (x * y + w * z),
                1 - 2 * (x * x + z * z),
                2 * (y * z - w * x),
                2 * (x * z - w * y),
                2 * (y * z + w * x),
                1 - 2 * (x * x + y * y),
            ],
            1,
        ).reshape(-1, 3, 3)
        ms = m * np.exp(s.scales.astype(np.float64))[:, None, :]
        return ms @ ms.transpose(0, 2, 1)

    ca, cb = cov(a), cov(b)
    scale = np.abs(cb).max(axis=(1, 2)) + 1e-30
    return float((np.abs(ca - cb).max(axis=(1, 2)) / scale).max())


@pytest.mark.slow
def test_sog(splat_transform, work):
    path = convert(splat_transform, work, "out.sog", "-i", "2")
    src, got = source(work), load(path)
    assert (got.format, got.count, got.sh_degree) == ("sog", src.count, 3)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as z:
        meta = json.loads(z.read("meta.json"))
    # positions: 16 bits of sign(x)*ln(|x|+1) over [min, max]; the writer truncates
    # (x & 0xff on a float) rather than rounding, so up to one full step dv in log space,
    # i.e. |dx| <= (|x|+1) * (exp(dv) - 1)
    dv = (np.array(meta["means"]["maxs"]) - np.array(meta["means"]["mins"])) / 65535
    # (+1% of a step and 1e-6 relative for float32 rounding of the decode)
    within(
        "means",
        got.means,
        src.means,
        (np.abs(src.means) + 1) * np.expm1(dv * 1.01) + 1e-6 * np.abs(src.means),
    )

    # scales and DC: each value becomes its nearest entry of a 256-entry codebook
    def nearest(cb, v):
        cb = np.asarray(cb, np.float64)
        return np.abs(v.astype(np.float64)[..., None] - cb).min(-1)

    within("scales", got.scales, src.scales, nearest(meta["scales"]["codebook"], src.scales) + 1e-5)
    within("dc", got.sh[:, 0], src.sh[:, 0], nearest(meta["sh0"]["codebook"], src.sh[:, 0]) + 1e-5)
    # opacity: 8-bit sigmoid, truncated by the writer -> up to one step
    within("alpha", got.alphas(), sigmoid(src.opacities), 1 / 255 + 1e-6)
    # quaternions: 8 bits over [-1/sqrt2, 1/sqrt2] per stored component, truncated -> one
    # step s = sqrt2/255 each; the rebuilt largest (>= 1/2) moves by at most
    # sum(|v_i|) * s / (1/2) <= 3 * (1/sqrt2) * s * 2
    step = np.sqrt(2) / 255
    assert principal_axes_error(got.quats, src.quats).max() < 3 / np.sqrt(2) * step * 2
    # SH rest: k-means palette (lossy by design: no per-splat bound), then a 256-entry
    # codebook. Bound the palette's error statistically: RMS below 10% of the signal's.
    err = np.sqrt(((got.sh[:, 1:] - src.sh[:, 1:]) ** 2).mean())
    assert err < 0.1 * np.sqrt((src.sh[:, 1:] ** 2).mean())


REAL = {
    "guitar.compressed.ply": "compressed-ply",
    "biker.spz": "spz",
    "justdealman__model.spz": "spz",
    "VictorTrumpel__model.splat": "splat",
    "PostArchiveFaction_compressed_mobile.ksplat": "ksplat",
    "playbot/6_0/meta.json": "sog",
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_decoders_agree_with_splat_transform(splat_transform, scenes_dir, tmp_path, name):
    """Same file, two decoders: ours vs splat-transform's (written as float32 PLY)."""
    out = tmp_path / "decoded.ply"
    splat_transform(scenes_dir / name, out)
    ours, theirs = load(scenes_dir / name), load(out)
    assert ours.format == REAL[name] and ours.count == theirs.count
    assert ours.sh_degree == theirs.sh_degree
    # float32 rounding of the same arithmetic, done in float64 (JS) vs float32 (numpy)
    for attr in ("means", "scales", "sh"):
        a, b = getattr(ours, attr), getattr(theirs, attr)
        within(attr, a, b, 2e-6 * (1 + np.abs(b)))
    within("alpha", ours.alphas(), theirs.alphas(), 1e-6)
    # .splat rotation bytes: antimatter15's viewer decodes (b-128)/128 (ours),
    # splat-transform b/255*2-1; they differ by up to 1/128 per component
    bound = 1.5 / 128 if REAL[name] == "splat" else 1e-5
    assert principal_axes_error(ours.quats, theirs.quats).max() < bound


def column_stats(s: Splats) -> dict[str, np.ndarray]:
    cols = {
        "means": s.means,
        "scales": s.scales,
        "alpha": s.alphas()[:, None],
        "sh": s.sh.reshape(s.count, -1),
        "quat_abs": np.abs(unit(s.quats)),
    }
    return {k: np.stack([v.mean(0), v.std(0), v.min(0), v.max(0)]) for k, v in cols.items()}


@pytest.mark.parametrize("fmt", ["ply", "spz3", "spz4", "splat"])
def test_splat_transform_reads_what_we_write(splat_transform, scenes_dir, tmp_path, fmt):
    s = load(scenes_dir / INRIA)
    if fmt == "splat":
        s = s.with_sh_degree(0)
    ext = {"ply": "ply", "spz3": "spz", "spz4": "spz", "splat": "splat"}[fmt]
    ours = tmp_path / f"ours.{ext}"
    opts = {"version": int(fmt[-1])} if fmt.startswith("spz") else {}
    save(s, ours, ext, **opts)
    back = tmp_path / "back.ply"
    splat_transform(ours, back)
    mine, theirs = load(ours), load(back)
    assert theirs.count == s.count and theirs.sh_degree == mine.sh_degree
    a, b = column_stats(mine), column_stats(theirs)
    for k in a:
        # .splat rotations: (b-128)/128 vs splat-transform's b/255*2-1 (see above)
        atol = 1.5 / 128 if fmt == "splat" and k == "quat_abs" else 1e-5
        np.testing.assert_allclose(b[k], a[k], rtol=1e-4, atol=atol, err_msg=k)
