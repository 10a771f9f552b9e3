"""Helpers for runtime-decoder tests: read a GPU pool back and build the numpy twin."""

from __future__ import annotations

import warnings

import numpy as np

from splatrender.formats import load
from splatrender.reference.pool import broken, to_scene_data
from splatrender.shaders.layout import GEOM_FLOATS, GEOMETRY, LOGIT_MIN, sh_rest_floats


def read_pool(run, scene) -> tuple[np.ndarray, np.ndarray]:
    """(geometry (N,16), sh_rest (N,F)) of every page of a PlainScene's pool, in order."""
    pool = scene.pool
    d = pool.device
    f = sh_rest_floats(pool.sh_degree)
    geo, sh = [], []
    for page in range(pool.num_pages):
        n = pool.counts[page]
        if not n:
            continue
        g, s = pool.page_buffers(page)
        geo.append(np.frombuffer(run(d.read_buffer(g, 0, n * 4 * GEOM_FLOATS)), np.float32))
        if f:
            sh.append(np.frombuffer(run(d.read_buffer(s, 0, n * 4 * f)), np.float32))
    geom = np.concatenate(geo).reshape(-1, GEOM_FLOATS) if geo else np.zeros((0, GEOM_FLOATS))
    rest = np.concatenate(sh).reshape(-1, f) if f and sh else np.zeros((len(geom), f), np.float32)
    return geom, rest


def numpy_twin(source, name: str, sh_degree: int | None = None, **options):
    """(splats, broken mask, geometry, sh_rest, scene data) from the numpy reader + the
    reference packer (reference/pool.py)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = load(source, name=name, **options) if not isinstance(source, str) else load(source)
        if sh_degree is not None and sh_degree < s.sh_degree:
            s = s.with_sh_degree(sh_degree)
        sd = to_scene_data(s, name)
    g = np.frombuffer(sd.geometry, np.float32).reshape(-1, GEOM_FLOATS)
    f = sh_rest_floats(sd.sh_degree)
    r = np.frombuffer(sd.sh_rest, np.float32).reshape(-1, f) if f else np.zeros((len(g), 0))
    return s, broken(s), g, r, sd


def compare(gpu_geom, gpu_sh, bad, ref_geom, ref_sh, *, rtol=1e-5, atol=1e-5, pos_atol=None):
    """GPU pool rows vs the twin's packed rows, row for row (broken splats stay in place,
    stored invisible by both)."""
    assert gpu_geom.shape == ref_geom.shape
    pa = atol if pos_atol is None else pos_atol
    m = GEOMETRY.cols("mean")
    np.testing.assert_allclose(gpu_geom[:, m], ref_geom[:, m], rtol=rtol, atol=pa, err_msg="means")
    rest = slice(m.stop, None)
    np.testing.assert_allclose(
        gpu_geom[:, rest], ref_geom[:, rest], rtol=rtol, atol=atol, err_msg="attrs"
    )
    if ref_sh.shape[1]:
        np.testing.assert_allclose(gpu_sh, ref_sh, rtol=rtol, atol=atol, err_msg="sh")
    assert np.all(gpu_geom[bad, GEOMETRY.offset("opacity")] == LOGIT_MIN), "broken: invisible"
