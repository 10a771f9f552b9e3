"""Milestone 1: Pyodide boots offline from the build, installs the wheel, and the
browser backend runs compute round trips (incl. the radix sort) in headless Chromium.

Results are checked in Python inside the page and reported back as plain values.
"""

from __future__ import annotations

import pytest

from tests.web.webtools import boot_python, run_python

pytestmark = [pytest.mark.browser, pytest.mark.gpu]


@pytest.fixture(scope="module")
def page(desktop):
    page, _ = desktop
    boot_python(page)
    return page


ROUND_TRIP = """
import struct, sys
from splatrender.gpu import request_device, STORAGE, COPY_DST, COPY_SRC
from splatrender.gpu.browser import BrowserDevice
d = await request_device()
src = '''
@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    if g.x < arrayLength(&data) { data[g.x] = data[g.x] * 3u + 1u; }
}
'''
p = d.compute_pipeline(src, label="triple")
n = 1000
b = d.create_buffer(4 * n, [STORAGE, COPY_DST, COPY_SRC], "data")
d.write_buffer(b, struct.pack(f"<{n}I", *range(n)))
g = d.bind_group(p, 0, {"data": b})
e = d.encoder("t")
with e.compute_pass("triple") as cp:
    cp.dispatch(p, [g], (n + 63) // 64)
d.submit(e)
await d.done()
out = struct.unpack(f"<{n}I", await d.read_buffer(b, 0, 4 * n))
odd = await d.read_buffer(b, 4, 7)  # unaligned size: padded copy, trimmed result
{"ok": out == tuple(3 * i + 1 for i in range(n)),
 "odd": odd == struct.pack("<2I", 4, 7)[:7],
 "browser": isinstance(d, BrowserDevice), "platform": sys.platform,
 "adapter": d.info.describe(), "features": sorted(d.features),
 "max_binding": d.limits.max_storage_binding, "numpy": "numpy" in sys.modules}
"""


def test_compute_round_trip(page):
    r = run_python(page, ROUND_TRIP)
    assert r["platform"] == "emscripten" and r["browser"]
    assert r["ok"] and r["odd"]
    assert r["max_binding"] >= 128 << 20
    assert not r["numpy"], "numpy was imported on the browser path"
    print("adapter:", r["adapter"], "features:", r["features"])


SHADER_ERROR = """
from splatrender.gpu import GPUError
p = d.compute_pipeline("fn main( {", label="broken")
try:
    await d.done()
    msg = ""
except GPUError as e:
    msg = str(e)
msg
"""


def test_rejected_shader_raises_gpu_error(page):
    run_python(page, "from splatrender.gpu import request_device\nd = await request_device()")
    msg = run_python(page, SHADER_ERROR)
    assert "broken" in msg and "rejected" in msg


SORT = """
import random, struct
from splatrender.gpu import request_device, Binding, STORAGE, COPY_DST, COPY_SRC
from splatrender.render.sort import RadixSort
d = await request_device()
U = [STORAGE, COPY_DST, COPY_SRC]
rng = random.Random(5)
results = []
for n, bits in ((5000, 32), (4097, 12), (1, 32)):
    keys = [rng.randrange(1 << bits) for _ in range(n)]
    vals = list(range(n))
    kb = d.create_buffer(4 * n, U, "keys"); vb = d.create_buffer(4 * n, U, "vals")
    d.write_buffer(kb, struct.pack(f"<{n}I", *keys))
    d.write_buffer(vb, struct.pack(f"<{n}I", *vals))
    cb = d.create_buffer(256, U, "count"); d.write_buffer(cb, struct.pack("<I", n))
    sort = RadixSort(d, n, "sort")
    e = d.encoder()
    ko, vo = sort.encode(e, kb, vb, Binding(cb, 0, 4), bits)
    d.submit(e)
    k = struct.unpack(f"<{n}I", await d.read_buffer(ko, 0, 4 * n))
    v = struct.unpack(f"<{n}I", await d.read_buffer(vo, 0, 4 * n))
    want = sorted(range(n), key=lambda i: keys[i])  # stable
    results.append(list(v) == want and list(k) == [keys[i] for i in want])
results
"""


def test_radix_sort_in_browser(page):
    assert run_python(page, SORT) == [True, True, True]


TIMING = """
d.begin_timing()
e = d.encoder()
with e.compute_pass("triple") as cp:
    cp.dispatch(p, [g], 16)
d.submit(e)
t = await d.end_timing()
{"supported": d.timestamps_supported(), "labels": sorted(t)}
"""


def test_timestamps_when_available(page):
    run_python(page, ROUND_TRIP)
    r = run_python(page, TIMING)
    if r["supported"]:
        assert r["labels"] == ["triple"]
    else:
        assert r["labels"] == []
        print("timestamp-query not offered by this adapter: CPU timing only")


ALL_SHADERS = """
from splatrender.gpu import GPUError, request_device
from splatrender.shaders import load_shader, shader_names
d = await request_device()
bad = {}
names = shader_names()
for name in names:
    d.validate_shader(load_shader(name), name)
    try:
        await d.done()
    except GPUError as e:
        bad[name] = str(e)
d.validate_shader("fn broken( {", "broken")
try:
    await d.done()
    caught = ""
except GPUError as e:
    caught = str(e)
{"names": names, "bad": bad, "caught": caught}
"""


def test_every_shader_passes_tint(page):
    """Every WGSL file as the package ships it compiles in Chrome (Tint), not only naga."""
    r = run_python(page, ALL_SHADERS)
    assert "blit" in r["names"] and "raster" in r["names"]
    assert r["bad"] == {}
    assert "broken" in r["caught"]  # the check itself works


WEBP = """
import hashlib
from pyodide.http import pyfetch
from splatrender.gpu import request_device
from splatrender.io.browser_codecs import BrowserCodecs
d = await request_device()
out = {}
for name in NAMES:
    data = await (await pyfetch(BASE + name)).bytes()
    w, h, rgba = await BrowserCodecs(d).decode_webp(data)
    out[name] = [w, h, hashlib.sha256(rgba).hexdigest()]
out
"""


def test_webp_decode_is_exact(page, scenes_dir):
    """SOG texels are data: the browser decode must equal Pillow's, byte for byte."""
    import hashlib
    import io

    from PIL import Image

    level = scenes_dir / "playbot" / "6_0"
    names = sorted(p.name for p in level.glob("*.webp"))
    assert names
    want = {}
    for n in names:
        im = Image.open(io.BytesIO((level / n).read_bytes()))
        want[n] = [*im.size, hashlib.sha256(im.convert("RGBA").tobytes()).hexdigest()]
    code = f"NAMES = {names!r}\nBASE = '/scenes/shared/playbot/6_0/'\n" + WEBP
    assert run_python(page, code) == want


ZSTD = """
import base64
from splatrender.errors import FormatError
from splatrender.gpu import request_device
from splatrender.io.browser_codecs import BrowserCodecs
codecs = BrowserCodecs(await request_device())
out = {"small": (await codecs.zstd_decompress(base64.b64decode(SMALL), 1 << 20)).hex()}
try:
    await codecs.zstd_decompress(base64.b64decode(BOMB), 1 << 16)
    out["bomb"] = "accepted"
except FormatError as e:
    out["bomb"] = str(e)
out
"""


def test_zstd_in_the_browser_matches_and_refuses_bombs(page):
    """SPZ v4 streams decode through the bundled fzstd, stopping at the size limit."""
    import base64

    import zstandard

    plain = bytes(range(256)) * 40
    small = base64.b64encode(zstandard.compress(plain)).decode()
    bomb = base64.b64encode(zstandard.compress(b"\0" * (4 << 20))).decode()
    r = run_python(page, f"SMALL = {small!r}\nBOMB = {bomb!r}\n" + ZSTD)
    assert bytes.fromhex(r["small"]) == plain
    assert "expands past 65536 bytes" in r["bomb"]
