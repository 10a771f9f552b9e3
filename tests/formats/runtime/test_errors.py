"""Bad input to the runtime path: a scene or FormatError naming the file, nothing else."""

from __future__ import annotations

import gzip
import json
import struct

import numpy as np
import pytest

from splatrender.errors import FormatError
from splatrender.formats.runtime import load_to_pool
from tests.formats.runtime.conftest import REAL, source_of

pytestmark = pytest.mark.gpu


def outcome(device, run, source, name="bad.bin", **kw):
    """None on success (scene destroyed), else the FormatError; anything else fails."""
    try:
        scene = run(load_to_pool(device, source, name=name, **kw))
    except FormatError as e:
        assert name in str(e)
        return e
    scene.destroy()
    return None


def _cut(source, frac: float):
    if isinstance(source, dict):  # truncate the largest texture
        key = max((k for k in source if k.endswith(".webp")), key=lambda k: len(source[k]))
        return {**source, key: source[key][: int(len(source[key]) * frac)]}
    return source[: int(len(source) * frac)]


def _flip(source, seed: int):
    rng = np.random.default_rng(seed)
    if isinstance(source, dict):
        key = "meta.json" if seed % 2 else sorted(k for k in source if k.endswith(".webp"))[0]
        body = bytearray(source[key])
        for _ in range(4):
            body[int(rng.integers(0, min(len(body), 512)))] = int(rng.integers(0, 256))
        return {**source, key: bytes(body)}
    body = bytearray(source)
    for _ in range(4):
        body[int(rng.integers(0, min(len(body), 4096)))] = int(rng.integers(0, 256))
    return bytes(body)


@pytest.mark.parametrize(("kind", "rel"), REAL, ids=[r[0] for r in REAL])
def test_truncated_and_mutated_real_files(device, run, scenes_dir, kind, rel):
    src = source_of(scenes_dir / rel)
    name = rel.rsplit("/", 1)[-1] if not isinstance(src, dict) else rel
    for frac in (0.0005, 0.3, 0.97):
        outcome(device, run, _cut(src, frac), name)
    for seed in range(3):
        outcome(device, run, _flip(src, seed), name)


def test_absurd_counts_refused_before_allocating(device, run):
    ply = (
        b"ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\n"
        b"property float x\nproperty float opacity\nend_header\n"
    )
    assert "4,000,000,000" in str(outcome(device, run, ply + bytes(64), "big.ply"))
    ks = bytearray(4096 + 1024)
    ks[1] = 1
    struct.pack_into("<IIH", ks, 4, 1, 0, 0)
    struct.pack_into("<I", ks, 16, 3_000_000_000)
    assert outcome(device, run, bytes(ks), "big.ksplat") is not None
    meta = {"version": 2, "count": 10**12, "means": {}}
    assert "above" in str(outcome(device, run, {"meta.json": json.dumps(meta).encode()}, "x"))


def test_decompression_bombs_refused(device, run):
    # SPZ v3 header claiming 60M splats of SH 3, body a few KB of zeros that inflate far
    head = struct.pack("<IIIBBBB", 0x5053474E, 3, 60_000_000, 3, 12, 0, 0)
    bomb = gzip.compress(head + bytes(8 << 20))
    err = outcome(device, run, bomb, "bomb.spz")
    assert err is not None and ("bomb" in err.problem or "bytes" in err.problem)
    # SPZ v4 whose TOC promises far more output than the file could hold
    v4 = struct.pack("<IIIBBBBI", 0x5053474E, 4, 50_000_000, 0, 12, 0, 5, 32) + bytes(12)
    v4 += b"".join(struct.pack("<QQ", 10, s) for s in (450_000_000, 50_000_000, 150_000_000,
                                                       150_000_000, 200_000_000))  # fmt: skip
    assert outcome(device, run, v4 + bytes(50), "bomb4.spz") is not None


def test_webp_dimensions_checked_before_decoding(device, run, scenes_dir):
    src = source_of(scenes_dir / "Taebak_Streaming" / "2_3")
    calls = []

    class Spy:
        def zstd_decompress(self, data, max_size):
            raise AssertionError("no zstd here")

        def decode_webp(self, data):
            calls.append(bytes(data))
            raise RuntimeError("other textures may be decoded, just not the huge one")

    # a VP8L header claiming 16384 x 16384 texels
    bits = (16383) | (16383 << 14)
    huge = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8L" + struct.pack("<I", 10) + b"\x2f"
    huge += struct.pack("<I", bits) + bytes(8)
    err = outcome(device, run, {**src, "means_l.webp": huge}, "taebak", codecs=Spy())
    assert err is not None and "16384x16384" in err.problem
    assert huge not in calls


def test_codec_failures_become_format_errors(device, run, scenes_dir):
    class Broken:
        def zstd_decompress(self, data, max_size):
            raise RuntimeError("js says no")

        async def decode_webp(self, data):
            raise RuntimeError("js says no")

    biker = (scenes_dir / "biker.spz").read_bytes()
    assert "js says no" in str(outcome(device, run, biker, "biker.spz", codecs=Broken()))
    sog = source_of(scenes_dir / "playbot" / "2_0")
    assert "js says no" in str(outcome(device, run, sog, "playbot", codecs=Broken()))
