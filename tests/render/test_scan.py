"""ExclusiveScan against the numpy twin: counts on the GPU, multi-level, 2D grids."""

from __future__ import annotations

import numpy as np
import pytest

from splatrender.gpu import COPY_DST, COPY_SRC, STORAGE, Binding
from splatrender.reference.sort import exclusive_scan
from splatrender.render.scan import BLOCK, ExclusiveScan

pytestmark = pytest.mark.gpu

USAGE = [STORAGE, COPY_SRC, COPY_DST]


@pytest.fixture
def rng():
    seed = int(np.random.SeedSequence().entropy % 2**32)
    print(f"seed={seed}")
    return np.random.default_rng(seed)


# Both kernels: workgroup blocks (GPUs) and one block per thread (CPU adapters), the
# serial blocks small so that every test crosses many blocks and levels.
KERNELS = {"workgroup": (BLOCK, {}), "serial": (16, {"serial_block": 16})}


@pytest.fixture(params=list(KERNELS))
def kernel(request):
    """(block size, ExclusiveScan keyword arguments)."""
    return KERNELS[request.param]


def scan_on_gpu(device, run, scan, x, count, *, count_offset=260, total_offset=None):
    """Scan ``x`` with the count read at ``count_offset``; returns (data, total or None)."""
    data = device.create_buffer(max(4, x.nbytes), USAGE, "data")
    device.write_buffer(data, x.tobytes())
    cbuf = device.create_buffer(1024, USAGE, "count")
    device.write_buffer(cbuf, np.full(256, 0xDEADBEEF, np.uint32).tobytes())
    device.write_buffer(cbuf, np.array([count], np.uint32).tobytes(), count_offset)
    total = None if total_offset is None else Binding(cbuf, total_offset)
    enc = device.encoder()
    scan.encode(enc, data, Binding(cbuf, count_offset), total)
    device.submit(enc)
    out = np.frombuffer(run(device.read_buffer(data, 0, x.nbytes)), np.uint32)
    tot = None
    if total is not None:
        tot = int(np.frombuffer(run(device.read_buffer(cbuf, total_offset, 4)), np.uint32)[0])
    return out, tot


def check(x, out, count, tot=None):
    n = min(count, x.size)
    np.testing.assert_array_equal(out[:n], exclusive_scan(x[:n]))
    np.testing.assert_array_equal(out[n:], x[n:])  # untouched past the count
    if tot is not None:
        assert tot == int(x[:n].sum(dtype=np.uint64) % 2**32)


@pytest.mark.parametrize("count", [0, 1, 255, 256, 257, 1023, 1024, 1025, 3089, 20_000])
def test_counts(device, run, rng, kernel, count):
    scan = ExclusiveScan(device, 20_000, "scan", **kernel[1])
    x = rng.integers(0, 1000, 20_000, dtype=np.uint32)
    out, tot = scan_on_gpu(device, run, scan, x, count, total_offset=8)
    check(x, out, count, tot)


def test_single_level_and_total_beside_count(device, run, rng, kernel):
    """capacity <= block: data is the top level; total sits next to the count."""
    block, kw = kernel
    scan = ExclusiveScan(device, block, "scan", **kw)
    assert scan.levels == 0
    x = rng.integers(0, 2**32, block, dtype=np.uint64).astype(np.uint32)  # wraps
    n = block * 2 // 3
    out, tot = scan_on_gpu(device, run, scan, x, n, count_offset=4, total_offset=8)
    check(x, out, n, tot)


def test_two_levels_small_count(device, run, rng, kernel):
    """A capacity past block**2 has two reduce levels; a small count still works."""
    block, kw = kernel
    scan = ExclusiveScan(device, block * block + 1, "scan", **kw)
    assert scan.levels == 2
    x = rng.integers(0, 50, 5000, dtype=np.uint32)
    n = min(4321, block * block - 5)
    out, tot = scan_on_gpu(device, run, scan, x, n, total_offset=1020)
    check(x, out, n, tot)


def test_million(device, run, rng, kernel):
    n = 1_000_003
    scan = ExclusiveScan(device, n, "scan", **kernel[1])
    x = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    out, tot = scan_on_gpu(device, run, scan, x, n, total_offset=0)
    check(x, out, n, tot)


def test_2d_grid(device, run, rng, kernel):
    """An artificial 3-workgroup limit forces 2D grids (and spare groups) at every level."""
    _, kw = kernel
    serial = {"serial_block": 4} if kw else {}  # 30K items: 7,500 blocks, 30 workgroups
    scan = ExclusiveScan(device, BLOCK * BLOCK + 1, "scan", max_workgroups=3, **serial)
    x = rng.integers(0, 1000, 30_000, dtype=np.uint32)
    out, tot = scan_on_gpu(device, run, scan, x, 29_999, total_offset=12)
    check(x, out, 29_999, tot)


def test_count_clamped_to_buffer(device, run, rng, kernel):
    """A count past the data (bad input) scans what is there and stays in bounds."""
    scan = ExclusiveScan(device, 10_000, "scan", **kernel[1])
    x = rng.integers(0, 1000, 3000, dtype=np.uint32)
    out, tot = scan_on_gpu(device, run, scan, x, 2**31, total_offset=0)
    check(x, out, 3000, tot)


def test_capacity_beyond_adapter(device):
    from splatrender.errors import RenderError

    with pytest.raises(RenderError):
        ExclusiveScan(device, device.max_storage_elements(4) + 1, "too-big")
