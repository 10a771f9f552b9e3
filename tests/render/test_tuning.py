"""Per-adapter settings: chosen by adapter kind, invalid combinations refused."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from splatrender.gpu.base import AdapterInfo
from splatrender.render.tuning import CPU_ADAPTER, GPU, Tuning, llvmpipe_lanes


@pytest.mark.gpu
def test_cpu_adapters_get_the_cpu_settings(device):
    assert device.info.is_software  # lavapipe here, with subgroups
    chunk = min(8, llvmpipe_lanes(device.info.name))
    lavapipe = dataclasses.replace(CPU_ADAPTER, raster_subgroup_chunk=chunk, subgroup_slots=True)
    assert Tuning.for_device(device) == lavapipe


@pytest.mark.parametrize(
    "name, features, chunk",
    [
        ("llvmpipe (LLVM 15.0.6, 256 bits)", {"subgroups"}, 8),
        ("llvmpipe (LLVM 15.0.6, 128 bits)", {"subgroups"}, 4),
        ("llvmpipe (LLVM 19.1.7, 512 bits)", {"subgroups"}, 8),
        ("llvmpipe (LLVM 15.0.6, 256 bits)", set(), 0),  # no subgroups: main_direct
        ("SwiftShader Device (Subzero)", {"subgroups"}, 0),  # its broadcasts are dear
    ],
)
def test_only_llvmpipe_shares_splats_across_lanes(name, features, chunk):
    device = SimpleNamespace(info=AdapterInfo(name, adapter_type="CPU"), features=features)
    tuning = Tuning.for_device(device)
    assert tuning.raster_subgroup_chunk == chunk
    assert tuning.subgroup_slots == (chunk > 0)


def test_bad_subgroup_chunk_is_refused():
    with pytest.raises(ValueError, match="raster_subgroup_chunk"):
        dataclasses.replace(CPU_ADAPTER, raster_subgroup_chunk=16)


@pytest.mark.parametrize("rows, tile", [(2, 16), (8, 4), (16, 16)])
def test_bad_raster_rows_are_refused(rows, tile):
    with pytest.raises(ValueError, match="raster_rows"):
        dataclasses.replace(GPU, raster_rows=rows, tile_size=tile)


def test_bad_range_run_is_refused():
    with pytest.raises(ValueError, match="range_run"):
        dataclasses.replace(CPU_ADAPTER, range_run=0)


def test_counting_tile_sort_is_for_cpu_adapters_only():
    assert CPU_ADAPTER.tile_block_pairs > 0 and GPU.tile_block_pairs == 0
    with pytest.raises(ValueError, match="tile_block_pairs"):
        dataclasses.replace(CPU_ADAPTER, tile_block_pairs=-1)
