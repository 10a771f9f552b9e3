"""RadixSort against a stable numpy argsort: exact permutations, GPU counts, 2D grids."""

from __future__ import annotations

import re

import numpy as np
import pytest

from splatrender.gpu import COPY_DST, COPY_SRC, STORAGE, Binding
from splatrender.reference.sort import radix_sort
from splatrender.render.sort import RadixSort
from splatrender.shaders import load_shader

pytestmark = pytest.mark.gpu

USAGE = [STORAGE, COPY_SRC, COPY_DST]
MY_SHADERS = ("dispatch", "indirect", "scan", "radix_sort")


@pytest.fixture
def rng():
    seed = int(np.random.SeedSequence().entropy % 2**32)
    print(f"seed={seed}")
    return np.random.default_rng(seed)


# Both kernels: workgroup ranking (GPUs) and one block per thread (CPU adapters); the
# serial blocks are small here so the counts below cross many block boundaries.
KERNELS = {"ranking": {}, "serial": {"serial_keys": 1000, "scan_serial_block": 16}}


@pytest.fixture(scope="module", params=list(KERNELS))
def sorter(device, request):
    return RadixSort(device, 20_000, "sort", **KERNELS[request.param])


def sort_on_gpu(device, run, sort, keys, values, count, key_bits=32, count_offset=260):
    kb = device.create_buffer(max(4, keys.nbytes), USAGE, "keys")
    vb = device.create_buffer(max(4, values.nbytes), USAGE, "values")
    device.write_buffer(kb, keys.tobytes())
    device.write_buffer(vb, values.tobytes())
    cbuf = device.create_buffer(1024, USAGE, "count")
    device.write_buffer(cbuf, np.full(256, 0xDEADBEEF, np.uint32).tobytes())
    device.write_buffer(cbuf, np.array([count], np.uint32).tobytes(), count_offset)
    enc = device.encoder()
    ko, vo = sort.encode(enc, kb, vb, Binding(cbuf, count_offset), key_bits)
    device.submit(enc)
    n = min(count, keys.size)
    k = np.frombuffer(run(device.read_buffer(ko, 0, 4 * n)), np.uint32)
    v = np.frombuffer(run(device.read_buffer(vo, 0, 4 * n)), np.uint32)
    return k, v


def check(keys, values, k, v, n):
    rk, rv = radix_sort(keys[:n], values[:n])
    np.testing.assert_array_equal(k, rk)
    np.testing.assert_array_equal(v, rv)  # exact permutation: stability


@pytest.mark.parametrize("count", [0, 1, 255, 256, 257, 4095, 4096, 4097, 12_345, 20_000])
def test_counts(device, run, rng, sorter, count):
    keys = rng.integers(0, 2**32, 20_000, dtype=np.uint64).astype(np.uint32)
    values = rng.permutation(20_000).astype(np.uint32)
    k, v = sort_on_gpu(device, run, sorter, keys, values, count)
    check(keys, values, k, v, count)


@pytest.mark.parametrize("distinct", [1, 2, 16, 300])
def test_duplicates_are_stable(device, run, rng, sorter, distinct):
    pool = rng.integers(0, 2**32, distinct, dtype=np.uint64).astype(np.uint32)
    keys = rng.choice(pool, 20_000)
    values = np.arange(20_000, dtype=np.uint32)
    k, v = sort_on_gpu(device, run, sorter, keys, values, 19_999)
    check(keys, values, k, v, 19_999)


@pytest.mark.parametrize("key_bits", [1, 4, 5, 12, 16, 31])
def test_key_bits(device, run, rng, sorter, key_bits):
    keys = rng.integers(0, 2**key_bits, 15_000, dtype=np.uint64).astype(np.uint32)
    values = np.arange(15_000, dtype=np.uint32)
    k, v = sort_on_gpu(device, run, sorter, keys, values, 15_000, key_bits, count_offset=4)
    check(keys, values, k, v, 15_000)


@pytest.mark.parametrize("kernel", list(KERNELS))
def test_million(device, run, rng, kernel):
    n = 1_000_000
    sort = RadixSort(device, n, "sort", **KERNELS[kernel])
    keys = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    keys[::7] = keys[0]  # plenty of duplicates too
    values = np.arange(n, dtype=np.uint32)
    k, v = sort_on_gpu(device, run, sort, keys, values, n)
    check(keys, values, k, v, n)


def test_two_sorts_in_one_encoder(device, run, rng, sorter):
    """One sorter reused within a submission (depth sort then tile sort) keeps both right."""
    a = rng.integers(0, 2**32, 9000, dtype=np.uint64).astype(np.uint32)
    b = rng.integers(0, 2**12, 7000, dtype=np.uint64).astype(np.uint32)
    bufs = []
    cbuf = device.create_buffer(64, USAGE, "counts")
    device.write_buffer(cbuf, np.array([9000, 6999], np.uint32).tobytes())
    for x in (a, b):
        kb, vb = (device.create_buffer(x.nbytes, USAGE, "kv") for _ in range(2))
        device.write_buffer(kb, x.tobytes())
        device.write_buffer(vb, np.arange(x.size, dtype=np.uint32).tobytes())
        bufs.append((kb, vb))
    enc = device.encoder()
    out_a = sorter.encode(enc, *bufs[0], Binding(cbuf, 0), 32)
    out_b = sorter.encode(enc, *bufs[1], Binding(cbuf, 4), 12)
    device.submit(enc)
    assert sorter.passes(32) % 2 == 0  # so out_a is in a's own buffers, not the scratch
    for x, n, (ko, vo) in ((b, 6999, out_b), (a, 9000, out_a)):
        k = np.frombuffer(run(device.read_buffer(ko, 0, 4 * n)), np.uint32)
        v = np.frombuffer(run(device.read_buffer(vo, 0, 4 * n)), np.uint32)
        check(x, np.arange(x.size, dtype=np.uint32), k, v, n)


@pytest.mark.slow
def test_16m_capacity(device, run, rng):
    """The largest capacity the frame graph promises (16M), with 16-bit keys (2 passes)."""
    n = 16 * 2**20
    sort = RadixSort(device, n, "sort")
    keys = rng.integers(0, 2**16, n, dtype=np.uint32)
    values = np.arange(n, dtype=np.uint32)
    k, v = sort_on_gpu(device, run, sort, keys, values, n - 5, key_bits=16)
    check(keys, values, k, v, n - 5)


@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("radix_bits", [4, 8])
def test_2d_grid(device, run, rng, radix_bits, kernel):
    """An artificial 2-workgroup limit forces 2D grids with spare groups in every kernel."""
    serial = {"serial_keys": 100} if kernel == "serial" else {}  # 445 blocks: 4 workgroups
    sort = RadixSort(device, 50_000, "sort", max_workgroups=2, radix_bits=radix_bits, **serial)
    keys = rng.integers(0, 2**20, 45_000, dtype=np.uint64).astype(np.uint32)
    values = np.arange(45_000, dtype=np.uint32)
    k, v = sort_on_gpu(device, run, sort, keys, values, 44_444, key_bits=20)
    check(keys, values, k, v, 44_444)


def test_count_clamped_to_buffers(device, run, rng, sorter):
    """A count past the key buffer (bad input) sorts what is there and stays in bounds."""
    keys = rng.integers(0, 2**32, 3000, dtype=np.uint64).astype(np.uint32)
    values = np.arange(3000, dtype=np.uint32)
    k, v = sort_on_gpu(device, run, sorter, keys, values, 2**31)
    check(keys, values, k, v, 3000)


def test_count_clamped_to_capacity(device, run, rng, sorter):
    keys = rng.integers(0, 2**32, 30_000, dtype=np.uint64).astype(np.uint32)
    values = np.arange(30_000, dtype=np.uint32)
    k, v = sort_on_gpu(device, run, sorter, keys, values, 25_000)
    n = sorter.capacity
    check(keys, values, k[:n], v[:n], n)


def test_bad_arguments(device, sorter):
    for bits in (0, 33):
        with pytest.raises(ValueError):
            sorter.passes(bits)
    buf = device.create_buffer(64, USAGE, "kv")
    with pytest.raises(ValueError):
        sorter.encode(device.encoder(), buf, buf, Binding(buf, 0), 32)


@pytest.mark.parametrize("name", MY_SHADERS)
def test_shader_compiles_alone(device, name):
    """Every entry point of each file compiles with the file's own default constants."""
    src = load_shader(name)
    entries = re.findall(r"@compute\s+@workgroup_size\([^)]*\)\s*fn\s+(\w+)", src)
    if not entries:  # a helper library: check it with a trivial entry point
        src += "\n@compute @workgroup_size(1) fn compile_check() {}\n"
        entries = ["compile_check"]
    for entry in entries:
        device.compute_pipeline(src, entry, f"{name}:{entry}")


def test_capacity_beyond_adapter(device):
    from splatrender.errors import RenderError

    with pytest.raises(RenderError):
        RadixSort(device, device.max_storage_elements(4) + 1, "too-big")
