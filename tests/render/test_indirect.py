"""DispatchArgs: GPU-side counts -> indirect grids, and the 2D linear-group convention."""

from __future__ import annotations

import numpy as np
import pytest

from splatrender.gpu import COPY_DST, COPY_SRC, INDIRECT, STORAGE, Binding
from splatrender.render.indirect import DispatchArgs, word_window
from splatrender.shaders import load_shader

pytestmark = pytest.mark.gpu

USAGE = [STORAGE, COPY_SRC, COPY_DST, INDIRECT]
GROUP = 64

# A count-driven kernel following the project convention: every item < count is hit once.
HIT_KERNEL = """
@group(0) @binding(0) var<storage, read> count: array<u32>;
@group(0) @binding(1) var<storage, read_write> hits: array<atomic<u32>>;

@compute @workgroup_size(64)
fn main(
    @builtin(local_invocation_index) t: u32,
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
) {
    let i = linear_group(wid, nwg) * 64u + t;
    if i >= count[1] {
        return;
    }
    atomicAdd(&hits[i], 1u);
}
"""


def expected_grid(count: int, per_group: int, max_dim: int) -> tuple[int, int, int]:
    groups = -(-count // per_group)
    x = min(groups, max_dim)
    return (x, -(-groups // x) if x else 1, 1)


def words(device, run, buf, offset, n):
    return np.frombuffer(run(device.read_buffer(buf, offset, 4 * n)), np.uint32)


@pytest.mark.parametrize("count", [0, 1, 63, 64, 65, 3000, 10**6, 2**32 - 1])
@pytest.mark.parametrize("max_workgroups", [None, 5])
def test_args_match_formula(device, run, count, max_workgroups):
    args = DispatchArgs(device, "args", max_workgroups)
    cbuf = device.create_buffer(1024, USAGE, "count")
    obuf = device.create_buffer(1024, USAGE, "out")
    device.write_buffer(cbuf, np.array([count], np.uint32).tobytes(), 516)
    enc = device.encoder()
    with enc.compute_pass("args") as cpass:
        args.encode(cpass, Binding(cbuf, 516), GROUP, Binding(obuf, 300))
    device.submit(enc)
    dim = max_workgroups or device.limits.max_workgroups_per_dim
    assert tuple(words(device, run, obuf, 300, 3)) == expected_grid(count, GROUP, dim)


@pytest.mark.parametrize("max_workgroups", [None, 5])
def test_indirect_dispatch_hits_each_item_once(device, run, max_workgroups):
    """Count and args share one buffer (no aliasing); the 2D grid covers exactly count items."""
    seed = int(np.random.SeedSequence().entropy % 2**32)
    print(f"seed={seed}")
    count = int(np.random.default_rng(seed).integers(1000, 4000))
    args = DispatchArgs(device, "args", max_workgroups)
    shared = device.create_buffer(256, USAGE, "count+args")
    device.write_buffer(shared, np.array([7, count], np.uint32).tobytes())
    hits = device.create_buffer(4 * 5000, USAGE, "hits")
    device.write_buffer(hits, bytes(4 * 5000))
    src = load_shader("dispatch") + HIT_KERNEL
    pipe = device.compute_pipeline(src, "main", "hits")
    group = device.bind_group(pipe, 0, {"count": Binding(shared, 0, 16), "hits": hits})
    enc = device.encoder()
    with enc.compute_pass("hits") as cpass:
        args.encode(cpass, Binding(shared, 4), GROUP, Binding(shared, 16))
    with enc.compute_pass("hits") as cpass:
        # shared is INDIRECT and read-only storage in this dispatch: both read usages
        cpass.dispatch_indirect(pipe, [group], shared, 16)
    device.submit(enc)
    grid = tuple(words(device, run, shared, 16, 3))
    dim = max_workgroups or device.limits.max_workgroups_per_dim
    assert grid == expected_grid(count, GROUP, dim)
    if max_workgroups:
        assert grid[1] > 1 and grid[0] * grid[1] * GROUP > count  # 2D, with spare groups
    h = words(device, run, hits, 0, 5000)
    assert (h[:count] == 1).all() and (h[count:] == 0).all()


def test_word_window_alignment(device):
    buf = device.create_buffer(4096, USAGE, "b")
    for off in (0, 4, 252, 256, 260, 4092):
        win, word = word_window(Binding(buf, off))
        assert win.offset % 256 == 0 and win.offset + 4 * word == off
        assert win.offset + win.size <= buf.size and 4 * word + 4 <= win.size
    with pytest.raises(ValueError):
        word_window(Binding(buf, 6))
    with pytest.raises(ValueError):
        word_window(Binding(buf, 4096))
