"""pytest-benchmark for the CPU parts: a scene reader and LOD selection.

Few rounds so the suite stays fast; run ``pytest tests/bench/test_cpu_benchmarks.py
--benchmark-only`` (more rounds with ``--benchmark-min-rounds``) to read the
figures. Assertions check the work, never the time.
"""

from __future__ import annotations

import pytest

pytest.importorskip("pytest_benchmark", reason="pytest-benchmark (test extra) not installed")


def test_read_compressed_ply(benchmark, scenes_dir):
    from splatrender.formats import load

    splats = benchmark.pedantic(
        load, args=(str(scenes_dir / "guitar.compressed.ply"),), rounds=3, iterations=1
    )
    assert len(splats) == 90_854


def test_lod_selection(benchmark, scenes_dir, run):
    from splatrender.bench import paths
    from splatrender.lod.select import View, select_cut
    from splatrender.lod.sog_source import SogLodSource

    source = run(SogLodSource.open(str(scenes_dir / "Taebak_Streaming" / "lod-meta.json")))
    h = source.hierarchy
    views = [
        View.of(paths.camera(h.bounds_min, h.bounds_max, h.axes, 640, 360, i, "flythrough", 8))
        for i in range(8)
    ]

    def select_all():
        return [select_cut(h, v, 1_000_000) for v in views]

    cuts = benchmark.pedantic(select_all, rounds=3, iterations=1)
    assert len(cuts) == 8 and all(c.nodes for c in cuts)
