"""Bad input: the outcome of any bytes is Splats or FormatError, never another error or a hang.

Byte mutations and truncations of the real scenes, plus hypothesis-generated headers for
every format. The readers must raise FormatError themselves: an error that only the
catch-all in ``load`` turned into a FormatError (message "malformed <fmt> data: <Type>")
counts as a failure here, so reader gaps show up.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from splatrender.errors import FormatError
from splatrender.formats import load
from splatrender.formats.splats import Splats

SINGLE_FILES = [
    "guitar.compressed.ply",
    "biker.spz",
    "justdealman__model.spz",
    "kacytran1122_try__point_cloud_iter7000.ply",
    "VictorTrumpel__model.splat",
    "PostArchiveFaction_compressed_mobile.ksplat",
]
NAMES = {
    "guitar.compressed.ply": "x.ply", "biker.spz": "x.spz", "justdealman__model.spz": "x.spz",
    "kacytran1122_try__point_cloud_iter7000.ply": "x.ply", "VictorTrumpel__model.splat": "x.splat",
    "PostArchiveFaction_compressed_mobile.ksplat": "x.ksplat",
}  # fmt: skip


def outcome(data: bytes, name: str = "fuzz.bin") -> str:
    """'ok' or 'error'; anything else raises (the test fails)."""
    try:
        s = load(data, name=name)
    except FormatError as e:
        assert name in str(e) or e.source == name, e
        assert "data: " not in e.problem or "malformed" not in e.problem, (
            f"reader let a raw error escape: {e}"
        )
        return "error"
    assert isinstance(s, Splats)
    return "ok"


def mutations(data: bytes, seed: int, count: int):
    rng = np.random.default_rng(seed)
    for i in range(count):
        b = bytearray(data)
        # half the mutations hit the header region, where counts and offsets live
        span = min(len(b), 4096) if i % 2 == 0 else len(b)
        for _ in range(int(rng.integers(1, 6))):
            pos = int(rng.integers(0, span))
            b[pos] = int(rng.integers(0, 256))
        yield bytes(b)
    for frac in (0.0, 0.001, 0.1, 0.5, 0.999):
        yield data[: int(len(data) * frac)]
    yield data[:-1]


def run_mutations(path, name, count, seed=0):
    data = path.read_bytes()
    seen = {"ok": 0, "error": 0}
    for m in mutations(data, seed, count):
        seen[outcome(m, name)] += 1
    return seen


@pytest.mark.timeout(240)
@pytest.mark.parametrize("scene", SINGLE_FILES)
def test_mutations_and_truncations_of_real_files(scenes_dir, scene):
    seen = run_mutations(scenes_dir / scene, NAMES[scene], count=10)
    assert seen["error"] >= 2  # the truncations at least


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("scene", SINGLE_FILES)
def test_many_mutations_of_real_files(scenes_dir, scene):
    run_mutations(scenes_dir / scene, NAMES[scene], count=150, seed=1)


@pytest.mark.timeout(240)
def test_mutated_sog_bundle(scenes_dir):
    folder = scenes_dir / "playbot" / "6_0"
    rng = np.random.default_rng(5)
    files = {f.name: f.read_bytes() for f in folder.iterdir()}
    for i in range(12):
        target = sorted(files)[i % len(files)]
        b = bytearray(files[target])
        for _ in range(3):
            b[int(rng.integers(0, len(b)))] = int(rng.integers(0, 256))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            for n, d in files.items():
                z.writestr(n, bytes(b) if n == target else d)
        outcome(buf.getvalue(), "x.sog")
        outcome(buf.getvalue()[: int(rng.integers(0, len(buf.getvalue())))], "x.sog")


@pytest.mark.timeout(240)
def test_mutated_sog_meta(scenes_dir, tmp_path):
    folder = scenes_dir / "playbot" / "6_0"
    for f in folder.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes())
    meta = json.loads((folder / "meta.json").read_text())
    values = [None, -1, 0, 1, 2**40, "x", [], {}, 1.5, [1, 2, 3], float("nan")]
    for i, (key, sub) in enumerate(
        [(k, s) for k in meta for s in (meta[k] if isinstance(meta[k], dict) else [None])]
    ):
        for j, v in enumerate(values[i % 3 :: 3]):
            m = json.loads(json.dumps(meta))
            if sub is None:
                m[key] = v
            else:
                m[key][sub] = v
            p = tmp_path / f"m{i}_{j}.json"
            p.write_text(json.dumps(m))
            try:
                load(p)
            except FormatError as e:
                assert "data: " not in e.problem or "malformed" not in e.problem, e


MAGICS = [
    b"ply\nformat binary_little_endian 1.0\n",
    b"ply\nformat ascii 1.0\n",
    b"NGSP",
    b"\x1f\x8b",
    b"PK\x03\x04",
    b"glTF\x02\x00\x00\x00",
    b'{"version":2,"means":',
    b"\x00\x01",
    b"",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(MAGICS), st.binary(max_size=2048))
def test_arbitrary_bytes_behind_each_magic(magic, tail):
    outcome(magic + tail)


@st.composite
def ply_headers(draw):
    fmt = draw(st.sampled_from(["binary_little_endian", "binary_big_endian", "ascii"]))
    n = draw(st.one_of(st.integers(0, 50), st.integers(0, 2**40)))
    props = draw(
        st.lists(
            st.sampled_from(
                [
                    "x",
                    "y",
                    "z",
                    "opacity",
                    "scale_0",
                    "scale_1",
                    "scale_2",
                    "rot_0",
                    "rot_1",
                    "rot_2",
                    "rot_3",
                    "f_dc_0",
                    "f_dc_1",
                    "f_dc_2",
                    "f_rest_0",
                    "f_rest_1",
                    "f_rest_2",
                    "red",
                    "packed_position",
                    "min_x",
                ]
            ),
            max_size=20,
        )
    )
    types = draw(
        st.lists(
            st.sampled_from(["float", "uchar", "double", "int", "short"]),
            min_size=len(props),
            max_size=len(props),
        )
    )
    lines = ["ply", f"format {fmt} 1.0", f"element vertex {n}"]
    lines += [f"property {t} {p}" for t, p in zip(types, props, strict=True)]
    if draw(st.booleans()):
        lines += [f"element chunk {draw(st.integers(0, 5))}", "property float min_x"]
    lines.append("end_header")
    body = draw(st.binary(max_size=1024))
    return ("\n".join(lines) + "\n").encode() + body


@settings(max_examples=300, deadline=None)
@given(ply_headers())
def test_generated_ply_headers(data):
    outcome(data, "gen.ply")


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 4),
    st.integers(0, 2**32 - 1),
    st.integers(0, 5),
    st.integers(0, 30),
    st.integers(0, 255),
    st.integers(0, 2**32 - 1),
    st.binary(max_size=600),
)
def test_generated_spz_headers(version, n, degree, frac, streams, toc, tail):
    if version == 4:
        head = struct.pack("<IIIBBBBI", 0x5053474E, 4, n, degree, frac, 0, streams, toc)
        outcome(head + bytes(12) + tail, "gen.spz")
    else:
        head = struct.pack("<IIIBBBB", 0x5053474E, version, n, degree, frac, 0, 0)
        outcome(gzip.compress(head + tail), "gen.spz")


@settings(max_examples=150, deadline=None)
@given(
    st.integers(0, 3),
    st.integers(0, 2**32 - 1),
    st.integers(0, 4),
    st.integers(0, 2**20),
    st.lists(st.integers(0, 2**32 - 1), min_size=11, max_size=11),
    st.binary(max_size=2000),
)
def test_generated_ksplat_headers(sections, n, level, minor, fields, tail):
    head = bytearray(4096)
    head[1] = 1 + minor % 3
    struct.pack_into("<IIIH", head, 4, sections, 0, 0, 0)
    struct.pack_into("<IH", head, 16, n, level)
    sec = bytearray(1024 * sections)
    for i in range(sections):
        struct.pack_into("<IIII", sec, i * 1024, *fields[:4])
        struct.pack_into(
            "<IIIH", sec, i * 1024 + 24, fields[4], fields[5], fields[6], fields[7] % 5
        )
    outcome(bytes(head) + bytes(sec) + tail, "gen.ksplat")


def test_huge_claims_do_not_allocate(scenes_dir):
    """A header claiming billions of splats is refused before any large allocation."""
    claims = [
        b"ply\nformat binary_little_endian 1.0\nelement vertex 4000000000\nproperty float x\n"
        b"property float y\nproperty float z\nproperty float opacity\nend_header\n" + bytes(900),
        struct.pack("<IIIBBBBI", 0x5053474E, 4, 4_000_000_000, 3, 12, 0, 6, 32) + bytes(990),
        gzip.compress(struct.pack("<IIIBBBB", 0x5053474E, 3, 4_000_000_000, 3, 12, 0, 0)),
    ]
    k = bytearray(4096 + 1024)
    k[1] = 1
    struct.pack_into("<I", k, 4, 1)
    struct.pack_into("<IH", k, 16, 4_000_000_000, 0)
    struct.pack_into("<II", k, 4096, 4_000_000_000, 4_000_000_000)
    claims.append(bytes(k))
    meta = json.loads((scenes_dir / "playbot" / "6_0" / "meta.json").read_text())
    meta["count"] = 4_000_000_000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("meta.json", json.dumps(meta))
    claims.append(buf.getvalue())
    for data in claims:
        tracemalloc.start()
        with pytest.raises(FormatError):
            load(data, name="claim")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 16 << 20, (data[:16], peak)


def test_nan_and_inf_kept_and_reported():
    from splatrender.formats.ply import to_bytes

    rng = np.random.default_rng(0)
    s = Splats(
        rng.normal(size=(20, 3)),
        rng.normal(size=(20, 3)),
        rng.normal(size=(20, 4)),
        rng.normal(size=20),
        rng.normal(size=(20, 1, 3)),
    )
    s.means[3, 1] = np.nan
    s.opacities[5] = np.inf
    back = load(to_bytes(s))
    assert np.isnan(back.means[3, 1]) and np.isinf(back.opacities[5])
    assert any("non-finite values in 2 splats" in q for q in back.quirks), back.quirks
