"""Every real scene decoded on the GPU matches its numpy twin, splat for splat.

Tolerance (float32): attributes within rtol 1e-5 / atol 1e-5 of the numpy reader's
values packed by ``reference.pool.to_scene_data`` (observed max error ~1e-6: logit and log
rounding of the GPU's float32 math vs numpy's float64 tables); SOG positions, which go
through exp, within rtol 1e-5 / atol 1e-5 of the scene extent.
"""

from __future__ import annotations

import numpy as np
import pytest

from splatrender.formats.runtime import load_to_pool
from tests.formats.runtime.conftest import REAL, source_of, twin_path
from tests.formats.runtime.twins import compare, numpy_twin, read_pool

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize(("kind", "rel"), REAL, ids=[r[0] for r in REAL])
def test_real_scene_matches_numpy_twin(device, run, scenes_dir, kind, rel):
    path = scenes_dir / rel
    scene = run(load_to_pool(device, source_of(path), name=rel))
    try:
        splats, bad, ref_g, ref_r, sd = numpy_twin(twin_path(path), rel)
        assert scene.count == len(splats)
        assert scene.sh_degree == splats.sh_degree
        assert scene.axes == splats.axes
        assert scene.pool.active == list(range(scene.pool.num_pages))
        assert sum(scene.pool.counts) == scene.count
        geom, sh = read_pool(run, scene)
        extent = float(np.max(np.asarray(sd.bounds_max) - np.asarray(sd.bounds_min)))
        compare(geom, sh, bad, ref_g, ref_r, pos_atol=1e-5 * max(1.0, extent))
        # Robust bounds from a 4096-splat sample: near the twin's (all-splat) bounds.
        lo, hi = np.asarray(scene.bounds_min), np.asarray(scene.bounds_max)
        tol = 0.1 * (np.asarray(sd.bounds_max) - np.asarray(sd.bounds_min)) + 1e-6
        np.testing.assert_array_less(np.abs(lo - sd.bounds_min), tol)
        np.testing.assert_array_less(np.abs(hi - sd.bounds_max), tol)
        # The quirks a user sees match the numpy reader's (where the runtime reports them).
        for q in scene.quirks:
            assert q in splats.quirks, q
    finally:
        scene.destroy()
