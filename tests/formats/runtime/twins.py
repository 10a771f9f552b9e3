"""Helpers for runtime-decoder tests: read a GPU pool back and build the numpy twin."""

from __future__ import annotations

import warnings

import numpy as np

from splatrender.formats import load
from splatrender.formats.gpu_pack import sanitize, to_scene_data
from splatrender.render.layout import GEOM_FLOATS, sh_rest_floats


def read_pool(run, scene) -> tuple[np.ndarray, np.ndarray]:
    """(geometry (N,16), sh_rest (N,F)) of every page of a GpuScene's pool, in order."""
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
    """(splats, kept mask, geometry, sh_rest, scene data) from the numpy reader + packer."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = load(source, name=name, **options) if not isinstance(source, str) else load(source)
        if sh_degree is not None and sh_degree < s.sh_degree:
            s = s.with_sh_degree(sh_degree)
        kept = _kept(s)
        sd = to_scene_data(s, name)
    g = np.frombuffer(sd.geometry, np.float32).reshape(-1, GEOM_FLOATS)
    f = sh_rest_floats(sd.sh_degree)
    r = np.frombuffer(sd.sh_rest, np.float32).reshape(-1, f) if f else np.zeros((len(g), 0))
    return s, kept, g, r, sd


def _kept(s) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, dropped = sanitize(s)
    if not dropped:
        return np.ones(len(s), bool)
    return (
        np.isfinite(s.means).all(1)
        & np.isfinite(s.scales).all(1)
        & np.isfinite(s.quats).all(1)
        & np.isfinite(s.sh).all(axis=(1, 2))
        & ~np.isnan(s.opacities)
        & (np.abs(s.quats).sum(1) > 0)
    )


def compare(gpu_geom, gpu_sh, kept, ref_geom, ref_sh, *, rtol=1e-5, atol=1e-5, pos_atol=None):
    """GPU pool rows vs the twin's packed rows; dropped splats must be invisible on the GPU."""
    assert gpu_geom.shape[0] == kept.shape[0]
    g = gpu_geom[kept]
    assert g.shape == ref_geom.shape
    pa = atol if pos_atol is None else pos_atol
    np.testing.assert_allclose(g[:, 0:3], ref_geom[:, 0:3], rtol=rtol, atol=pa, err_msg="means")
    np.testing.assert_allclose(g[:, 3:], ref_geom[:, 3:], rtol=rtol, atol=atol, err_msg="attrs")
    if ref_sh.shape[1]:
        np.testing.assert_allclose(gpu_sh[kept], ref_sh, rtol=rtol, atol=atol, err_msg="sh")
    gone = gpu_geom[~kept]
    if len(gone):
        assert np.all(gone[:, 3] <= -20.0), "dropped splats must be stored invisible"
