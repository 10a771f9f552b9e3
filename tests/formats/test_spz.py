"""SPZ v1-4: round trips within quantisation bounds, legacy layouts, extensions, quirks."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import zstandard

from splatrender.errors import FormatError
from splatrender.formats import load, save
from splatrender.formats.splats import Splats, sh_coeffs
from splatrender.formats.spz import (
    MAGIC,
    encode_blocks,
    pack_smallest_three,
    to_bytes,
    unpack_smallest_three,
)


def scene(n=300, degree=3, seed=0) -> Splats:
    rng = np.random.default_rng(seed)
    return Splats(
        rng.uniform(-50, 50, (n, 3)),
        rng.uniform(-9, 5, (n, 3)),
        rng.normal(size=(n, 4)),
        rng.uniform(-5, 5, n),
        rng.uniform(-0.9, 0.9, (n, sh_coeffs(degree), 3))
        * np.r_[3.0, [1.0] * 15][: sh_coeffs(degree), None],
        axes="RUB",
    )


def axes_error(q1: np.ndarray, q2: np.ndarray) -> np.ndarray:
    """Largest |q1 - (+/-)q2| after normalising: sign-agnostic quaternion distance."""
    a = q1 / np.linalg.norm(q1, axis=1, keepdims=True)
    b = q2 / np.linalg.norm(q2, axis=1, keepdims=True)
    return np.minimum(np.abs(a - b).max(1), np.abs(a + b).max(1))


@pytest.mark.parametrize("version", [3, 4])
def test_round_trip_within_quantisation(version):
    s = scene()
    back = load(to_bytes(s, version=version), name="t.spz")
    assert back.format == "spz" and back.count == s.count and back.sh_degree == 3
    assert back.axes == "RUB"
    # positions: 24-bit fixed point with 2^-frac steps; |x| < 64 keeps frac = 12 -> 1/8192
    np.testing.assert_allclose(back.means, s.means, atol=0.5 / 4096 + 1e-6)
    np.testing.assert_allclose(back.scales, s.scales, atol=0.5 / 16 + 1e-6)  # (s+10)*16 bytes
    np.testing.assert_allclose(back.alphas(), s.alphas(), atol=0.5 / 255 + 1e-6)
    np.testing.assert_allclose(back.sh[:, 0], s.sh[:, 0], atol=0.5 / 255 / 0.15 + 1e-6)
    # SH: round(v*128) (half a step 0.5/128) then 5-bit buckets for degree 1 (step 8/128)
    # and 4-bit buckets above (step 16/128): bound = half a bucket + half a step
    np.testing.assert_allclose(back.sh[:, 1:4], s.sh[:, 1:4], atol=4.5 / 128 + 1e-6)
    np.testing.assert_allclose(back.sh[:, 4:], s.sh[:, 4:], atol=8.5 / 128 + 1e-6)
    # smallest three: 9 bits over [0, 1/sqrt2] per component
    assert axes_error(back.quats, s.quats).max() < 2.5e-3


def test_v4_records_rdf_frame_in_extension_and_skips_unknown_ones():
    s = scene(50, 0)
    s.axes = "RDF"
    data = to_bytes(s, version=4)
    assert load(data).axes == "RDF"
    # insert an unknown extension before the coordinate one; shift the TOC offset
    toc = struct.unpack_from("<I", data, 16)[0]
    unknown = struct.pack("<II", 0x12340001, 5) + b"hello"
    patched = bytearray(data[:32] + unknown + data[32:])
    struct.pack_into("<I", patched, 16, toc + len(unknown))
    back = load(bytes(patched))
    assert back.axes == "RDF" and any("0x12340001" in q for q in back.quirks)
    np.testing.assert_array_equal(back.means, load(data).means)


def test_alpha_255_is_clamped_and_reported():
    s = scene(10, 0)
    s.opacities[:3] = 50.0  # sigmoid -> 1.0 -> byte 255
    back = load(to_bytes(s, version=3))
    assert np.isfinite(back.opacities).all() and back.opacities.max() < 14
    assert any("alpha byte 255 in 3 splats" in q for q in back.quirks)


def legacy_bytes(version: int, s: Splats) -> bytes:
    """A v1/v2 file built from the format description (float16 / first-three rotations)."""
    frac = 12
    blocks = encode_blocks(s, frac)
    if version == 1:
        blocks[0] = s.means.astype("<f2").tobytes()
    q = s.quats / np.linalg.norm(s.quats, axis=1, keepdims=True)
    q = q * np.where(q[:, :1] < 0, -1, 1)
    blocks[4] = np.clip(np.round((q[:, 1:] + 1) * 127.5), 0, 255).astype(np.uint8).tobytes()
    head = struct.pack("<IIIBBBB", MAGIC, version, s.count, s.sh_degree, frac, 0, 0)
    return gzip.compress(head + b"".join(blocks))


@pytest.mark.parametrize("version", [1, 2])
def test_legacy_versions(version):
    s = scene(40, 1)
    s.quats[:, 0] = np.abs(s.quats[:, 0]) + 1.0  # w rebuilt from 1-|xyz|^2 is ill-posed near 0
    back = load(legacy_bytes(version, s))
    tol = 0.05 if version == 1 else 1e-3  # float16 has 11 significant bits at |x| < 64
    np.testing.assert_allclose(back.means, s.means, atol=tol)
    assert axes_error(back.quats, s.quats).max() < 0.02  # 8-bit x,y,z, w rebuilt


def test_smallest_three_pack_unpack():
    q = np.random.default_rng(3).normal(size=(1000, 4)).astype(np.float32)
    q[0] = (1, 0, 0, 0)
    q[1] = (0, 0, 0, -1)
    back = unpack_smallest_three(pack_smallest_three(q))
    assert axes_error(back, q).max() < 1.5e-3


def test_sh_degree_4_is_truncated():
    s = scene(8, 3)
    blocks = encode_blocks(s, 12)
    sh4 = np.full((8, 24, 3), 128, np.uint8)
    sh4[:, :15] = np.frombuffer(blocks[5], np.uint8).reshape(8, 15, 3)
    blocks[5] = sh4.tobytes()
    head = struct.pack("<IIIBBBB", MAGIC, 3, 8, 4, 12, 0, 0)
    back = load(gzip.compress(head + b"".join(blocks)))
    assert back.sh_degree == 3 and any("degree 4" in q for q in back.quirks)
    np.testing.assert_allclose(back.sh[:, 1:], load(to_bytes(s)).sh[:, 1:])


def test_bombs_and_lies_are_refused():
    s = scene(16, 0)
    v4 = to_bytes(s, version=4)
    big = bytearray(v4)
    struct.pack_into("<I", big, 8, 4_000_000_000)
    with pytest.raises(FormatError, match=r"bomb\.spz"):
        load(bytes(big), name="bomb.spz")
    # a zstd stream that inflates far past what the TOC says
    z = zstandard.ZstdCompressor().compress(bytes(10_000_000))
    head = struct.pack("<IIIBBBBI", MAGIC, 4, 16, 0, 12, 0, 5, 32) + bytes(12)
    toc = struct.pack("<QQ", len(z), 16 * 9) + struct.pack("<QQ", 0, 16) * 4
    with pytest.raises(FormatError):
        load(head + toc + z, name="zbomb.spz")
    # gzip body far larger than the header implies
    gz = gzip.compress(struct.pack("<IIIBBBB", MAGIC, 3, 1, 0, 12, 0, 0) + bytes(10_000_000))
    with pytest.raises(FormatError, match="gzbomb"):
        load(gz, name="gzbomb.spz")
    # header claims more than the 1 KB gzip stream can hold at any sane ratio
    gz = gzip.compress(struct.pack("<IIIBBBB", MAGIC, 3, 400_000_000, 0, 12, 0, 0) + bytes(500))
    with pytest.raises(FormatError, match="liar"):
        load(gz, name="liar.spz")


def test_save_spz(tmp_path):
    s = scene(20, 2)
    save(s, tmp_path / "x.spz")
    assert load(tmp_path / "x.spz").count == 20
