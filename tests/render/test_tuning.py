"""Per-adapter settings: chosen by adapter kind, invalid combinations refused."""

from __future__ import annotations

import dataclasses

import pytest

from splatrender.render.tuning import CPU_ADAPTER, GPU, Tuning


@pytest.mark.gpu
def test_cpu_adapters_get_the_cpu_settings(device):
    assert device.info.is_software  # lavapipe here
    assert Tuning.for_device(device) is CPU_ADAPTER


@pytest.mark.parametrize("rows, tile", [(2, 16), (8, 4), (16, 16)])
def test_bad_raster_rows_are_refused(rows, tile):
    with pytest.raises(ValueError, match="raster_rows"):
        dataclasses.replace(GPU, raster_rows=rows, tile_size=tile)
