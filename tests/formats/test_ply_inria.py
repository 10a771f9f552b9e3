"""INRIA 3DGS PLY reader/writer and point-cloud PLY."""

from __future__ import annotations

import io
import warnings

import numpy as np
import plyfile
import pytest

from splatrender.errors import FormatError
from splatrender.formats import load, save, sniff
from splatrender.formats.ply import property_names, to_bytes
from splatrender.formats.splats import Splats, sh_coeffs


def random_splats(n: int, degree: int, seed: int = 0) -> Splats:
    rng = np.random.default_rng(seed)
    k = sh_coeffs(degree)
    return Splats(
        rng.normal(size=(n, 3)) * 3,
        rng.normal(-4, 1, size=(n, 3)),
        rng.normal(size=(n, 4)),
        rng.normal(size=n) * 3,
        rng.normal(size=(n, k, 3)),
    )


def ply_bytes(columns: dict[str, np.ndarray], text: bool = False, byte_order: str = "<") -> bytes:
    dt = [(k, v.dtype.str.lstrip("<>|=")) for k, v in columns.items()]
    n = len(next(iter(columns.values())))
    arr = np.empty(n, dt)
    for k, v in columns.items():
        arr[k] = v
    el = plyfile.PlyElement.describe(arr, "vertex")
    buf = io.BytesIO()
    plyfile.PlyData([el], text=text, byte_order=byte_order).write(buf)
    return buf.getvalue()


@pytest.mark.parametrize("degree", [0, 1, 2, 3])
def test_roundtrip_exact(degree):
    s = random_splats(257, degree, seed=degree)
    back = load(to_bytes(s), name="x.ply")
    assert back.format == "ply" and back.axes == "RDF" and back.sh_degree == degree
    for a in ("means", "scales", "quats", "opacities", "sh"):
        np.testing.assert_array_equal(getattr(back, a), getattr(s, a))
    assert back.quirks == []


@pytest.mark.parametrize("degree", [1, 2, 3])
def test_f_rest_is_channel_major_and_looked_up_by_name(degree):
    """f_rest_{c*(K-1)+j} is coefficient j+1 of channel c, wherever the column sits."""
    n, m = 5, sh_coeffs(degree) - 1
    cols = {}
    rng = np.random.default_rng(1)
    names = [*property_names(degree), "custom_thing"]
    rng.shuffle(names)  # position must not matter
    for name in names:
        cols[name] = rng.normal(size=n).astype(np.float32)
    cols["flag"] = np.arange(n, dtype=np.uint8)  # unknown non-float property
    s = load(ply_bytes(cols))
    assert s.sh_degree == degree
    for c in range(3):
        np.testing.assert_array_equal(s.sh[:, 0, c], cols[f"f_dc_{c}"])
        for j in range(m):
            np.testing.assert_array_equal(s.sh[:, 1 + j, c], cols[f"f_rest_{c * m + j}"])
    np.testing.assert_array_equal(s.means[:, 1], cols["y"])
    np.testing.assert_array_equal(s.quats[:, 0], cols["rot_0"])
    np.testing.assert_array_equal(s.scales[:, 2], cols["scale_2"])


def test_without_f_rest_is_degree_0():
    cols = {k: np.ones(4, np.float32) for k in property_names(0)}
    cols["opacity"] = np.full(4, -2.0, np.float32)
    s = load(ply_bytes(cols))
    assert s.sh_degree == 0 and s.count == 4


@pytest.mark.parametrize(("text", "order"), [(True, "<"), (False, ">")])
def test_ascii_and_big_endian(text, order):
    s = random_splats(20, 1, seed=3)
    ref = load(to_bytes(s))
    arr = plyfile.PlyData.read(io.BytesIO(to_bytes(s)))["vertex"].data
    cols = {k: arr[k] for k in arr.dtype.names}
    back = load(ply_bytes(cols, text=text, byte_order=order))
    np.testing.assert_allclose(back.sh, ref.sh, rtol=1e-6)
    np.testing.assert_allclose(back.means, ref.means, rtol=1e-6)


def test_opacity_after_sigmoid_detected_and_overridable():
    s = random_splats(100, 0)
    s.opacities = np.linspace(0.05, 0.95, 100).astype(np.float32)
    data = to_bytes(s)
    with pytest.warns(UserWarning, match="after the sigmoid"):
        auto = load(data, name="gaussians.ply")
    assert any(q.startswith("opacity-after-sigmoid") for q in auto.quirks)
    np.testing.assert_allclose(auto.alphas(), s.opacities, atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        raw = load(data, opacity="logit")
    np.testing.assert_array_equal(raw.opacities, s.opacities)
    lin = load(data, opacity="linear")
    np.testing.assert_allclose(lin.alphas(), s.opacities, atol=1e-5)


def test_point_cloud_ply_becomes_isotropic_splats():
    g = np.stack(np.meshgrid(np.arange(20), np.arange(20), indexing="ij"), -1).reshape(-1, 2)
    spacing = 0.1
    cols = {
        "x": (g[:, 0] * spacing).astype(np.float32),
        "y": (g[:, 1] * spacing).astype(np.float32),
        "z": np.zeros(400, np.float32),
        "red": np.full(400, 255, np.uint8),
        "green": np.full(400, 0, np.uint8),
        "blue": np.full(400, 51, np.uint8),
    }
    data = ply_bytes(cols)
    assert sniff(data) == "ply-pointcloud"
    s = load(data)
    assert s.format == "ply-pointcloud" and s.count == 400 and s.sh_degree == 0
    radius = np.exp(s.scales)
    np.testing.assert_allclose(radius, spacing / 2, rtol=1e-3)  # grid: NN spacing exact
    np.testing.assert_allclose(s.colors(), np.tile([1.0, 0.0, 0.2], (400, 1)), atol=1e-6)
    assert np.all((s.alphas() > 0.85) & (s.alphas() < 0.95))


def test_real_inria_file(scenes_dir):
    s = load(scenes_dir / "kacytran1122_try__point_cloud_iter7000.ply")
    assert (s.count, s.sh_degree, s.format, s.axes) == (9080, 3, "ply", "RDF")
    assert s.source.endswith("iter7000.ply")
    arr = plyfile.PlyData.read(str(scenes_dir / "kacytran1122_try__point_cloud_iter7000.ply"))
    v = arr["vertex"].data
    np.testing.assert_array_equal(s.sh[:, 15, 2], v["f_rest_44"])
    np.testing.assert_array_equal(s.sh[:, 1, 1], v["f_rest_15"])
    np.testing.assert_array_equal(s.opacities, v["opacity"])


def test_save_and_load_file(tmp_path):
    s = random_splats(10, 2)
    assert save(s, tmp_path / "a.ply") == "ply"
    back = load(tmp_path / "a.ply")
    np.testing.assert_array_equal(back.sh, s.sh)
    assert back.source == str(tmp_path / "a.ply")


def test_absurd_count_refused_before_allocating():
    data = b"ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\n"
    data += b"property float x\nproperty float y\nproperty float z\nproperty float opacity\n"
    data += b"end_header\n" + bytes(900)
    with pytest.raises(FormatError, match=r"bomb\.ply.*4,000,000,000"):
        load(data, name="bomb.ply")
    data2 = data.replace(b"4000000000", b"1000000")
    with pytest.raises(FormatError, match=r"bomb\.ply"):
        load(data2, name="bomb.ply")


def test_truncated_and_malformed_headers():
    good = to_bytes(random_splats(8, 1))
    for bad in (
        good[:-1],
        good[:40],
        b"ply\nformat nonsense 1.0\nend_header\n",
        good.replace(b"property float x", b"property floot x"),
        b"ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
        b"property float z\nproperty float opacity\nend_header\n1 2 3\n",
    ):
        with pytest.raises(FormatError):
            load(bad, name="bad.ply")
