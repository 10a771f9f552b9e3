"""RadixSort against a stable numpy argsort: exact permutations, GPU counts, 2D grids."""

from __future__ import annotations

import re

import numpy as np
import pytest

from splatrender.gpu import COPY_DST, COPY_SRC, STORAGE, Binding
from splatrender.gpu.base import SUBGROUPS
from splatrender.reference.sort import radix_sort
from splatrender.render.sort import MAX_SUBGROUP_KEYS, RadixSort
from splatrender.shaders import load_shader

pytestmark = pytest.mark.gpu

USAGE = [STORAGE, COPY_SRC, COPY_DST]
MY_SHADERS = ("dispatch", "indirect", "scan", "radix_sort", "radix_sort_subgroup")


@pytest.fixture
def rng():
    seed = int(np.random.SeedSequence().entropy % 2**32)
    print(f"seed={seed}")
    return np.random.default_rng(seed)


# The three kernels: workgroup ranking (GPUs), one block per thread (CPU adapters) and
# one block per subgroup (ballot ranking, where the device has subgroups); the blocks
# are small here so the counts below cross many block boundaries (and, serial with the
# CPU adapters' 32 threads, workgroup boundaries).
KERNELS = {
    "ranking": {},
    "serial": {"serial_keys": 500, "scan_serial_block": 16, "workgroup": 32},
    "subgroup": {"subgroup_keys": 1000, "scan_serial_block": 16},
}


def make_sorter(device, capacity, kernel, **kw):
    sort = RadixSort(device, capacity, "sort", **KERNELS[kernel], **kw)
    if kernel == "subgroup" and not sort.subgroups:
        pytest.skip("this adapter has no subgroups")
    return sort


@pytest.fixture(scope="module", params=list(KERNELS))
def sorter(device, request):
    return make_sorter(device, 20_000, request.param)


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
    sort = make_sorter(device, n, kernel)
    keys = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    keys[::7] = keys[0]  # plenty of duplicates too
    values = np.arange(n, dtype=np.uint32)
    k, v = sort_on_gpu(device, run, sort, keys, values, n)
    check(keys, values, k, v, n)


@pytest.fixture(scope="module")
def real_keys(scenes_dir):
    """A real capture's sort inputs as the frame graph makes them, from the twins: depth
    keys (float32 bits of the view depth of the visible splats, in id order) and tile keys
    (tile ids of the splat-tile pairs, emitted in depth order), biker.spz at 1280x720."""
    from splatrender.formats import load
    from splatrender.reference.pool import sanitize
    from splatrender.reference.project import project
    from splatrender.reference.raster import bin_tiles, depth_order
    from splatrender.render.camera import Camera

    splats = sanitize(load(scenes_dir / "biker.spz"))[0]
    lo, hi = np.percentile(splats.means, [2, 98], axis=0)
    cam = Camera.framing(lo, hi, splats.axes, width=1280, height=720)
    proj = project(splats, cam, tile=8)
    depth = proj.depth[proj.visible].astype(np.float32).view(np.uint32)
    tiles, _ = bin_tiles(proj, depth_order(proj), -(-1280 // 8), 8)
    return {"depth": (depth, 32), "tile": (tiles.astype(np.uint32), 14)}


@pytest.mark.parametrize("kernel", list(KERNELS))
@pytest.mark.parametrize("which", ["depth", "tile"])
def test_real_scene_keys(device, run, real_keys, kernel, which):
    keys, bits = real_keys[which]
    assert keys.size > 100_000 and int(keys.max()) < 2**bits
    sort = make_sorter(device, keys.size, kernel)
    values = np.arange(keys.size, dtype=np.uint32)
    k, v = sort_on_gpu(device, run, sort, keys, values, keys.size, bits)
    check(keys, values, k, v, keys.size)


def test_subgroup_blocks_at_the_limit(device, run, rng):
    """The largest subgroup blocks: a subgroup may take 32 of them, which stays inside
    llvmpipe's 65535 loop iterations per invocation (past it, keys went missing)."""
    n = 2_000_000
    if SUBGROUPS not in device.features:
        pytest.skip("this adapter has no subgroups")
    sort = RadixSort(device, n, "sort", subgroup_keys=MAX_SUBGROUP_KEYS)
    keys = rng.integers(0, 2**32, n, dtype=np.uint64).astype(np.uint32)
    values = np.arange(n, dtype=np.uint32)
    k, v = sort_on_gpu(device, run, sort, keys, values, n - 3)
    check(keys, values, k, v, n - 3)
    with pytest.raises(ValueError, match="subgroup_keys"):
        RadixSort(device, n, "sort", subgroup_keys=MAX_SUBGROUP_KEYS + 1)


class _WithoutSubgroups:
    """The test device as an adapter without the subgroups feature would show it."""

    def __init__(self, device):
        self._device = device
        self.features = device.features - {SUBGROUPS}

    def __getattr__(self, name):
        return getattr(self._device, name)


def test_subgroup_kernel_falls_back_without_subgroups(device, run, rng):
    sort = RadixSort(_WithoutSubgroups(device), 9000, "sort", serial_keys=700, subgroup_keys=500)
    assert not sort.subgroups and sort.serial and sort.block_keys == 700
    assert sort.tickets is None and not any(
        p.label.endswith("-subgroup") for p in sort.pipes.values()
    )
    keys = rng.integers(0, 2**32, 9000, dtype=np.uint64).astype(np.uint32)
    values = np.arange(9000, dtype=np.uint32)
    k, v = sort_on_gpu(device, run, sort, keys, values, 8999)
    check(keys, values, k, v, 8999)


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
    # serial: 445 blocks, 4 workgroups; subgroup: the scatter's grid (a subgroup per
    # block) is 2D too, and its tickets share 445 blocks among however many there are
    small = {"serial": {"serial_keys": 100}, "subgroup": {"subgroup_keys": 100}}.get(kernel, {})
    sort = RadixSort(device, 50_000, "sort", max_workgroups=2, radix_bits=radix_bits, **small)
    if kernel == "subgroup" and not sort.subgroups:
        pytest.skip("this adapter has no subgroups")
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
    if name.endswith("_subgroup") and SUBGROUPS not in device.features:
        pytest.skip("this adapter has no subgroups")
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
