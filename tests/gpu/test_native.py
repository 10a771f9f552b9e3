"""The native backend: buffers, dispatch, readback, limits held to WebGPU defaults."""

from __future__ import annotations

import struct

import pytest

from splatrender.gpu import COPY_DST, COPY_SRC, STORAGE, Binding

pytestmark = pytest.mark.gpu

SRC = """
@group(0) @binding(0) var<storage, read_write> data: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
    if (g.x < arrayLength(&data)) { data[g.x] = data[g.x] * 3u + 1u; }
}
"""


def test_round_trip_and_dispatch(device, run):
    buf = device.create_buffer(4 * 1000, [STORAGE, COPY_SRC, COPY_DST], "t")
    device.write_buffer(buf, struct.pack("<1000I", *range(1000)))
    p = device.compute_pipeline(SRC, label="t")
    g = device.bind_group(p, 0, {"data": Binding(buf, 0, 4000)})
    enc = device.encoder()
    with enc.compute_pass("triple") as cp:
        cp.dispatch(p, [g], 16)
    device.submit(enc)
    out = struct.unpack("<1000I", run(device.read_buffer(buf, 0, 4000)))
    assert out == tuple(3 * i + 1 for i in range(1000))
    assert run(device.read_buffer(buf, 8, 4)) == struct.pack("<I", 7)
    run(device.done())


def test_limits_are_portable(device):
    assert device.limits.max_storage_buffers_per_stage <= 8
    assert device.limits.max_workgroup_storage <= 16384
    assert device.limits.max_invocations_per_workgroup <= 256
    assert device.info.name


def test_timing_labels(device, run):
    if not device.timestamps_supported():
        pytest.skip(f"{device.info.name} has no timestamp queries")
    buf = device.create_buffer(256, [STORAGE], "t")
    p = device.compute_pipeline(SRC, label="t")
    g = device.bind_group(p, 0, {"data": buf})
    device.begin_timing()
    enc = device.encoder()
    for _ in range(2):
        with enc.compute_pass("stage-a") as cp:
            cp.dispatch(p, [g], 1)
    device.submit(enc)
    t = run(device.end_timing())
    assert set(t) == {"stage-a"} and t["stage-a"] >= 0
