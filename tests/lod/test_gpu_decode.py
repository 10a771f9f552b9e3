"""lod_decode.wgsl against its numpy twin (codec.decode_chunk) on random chunks."""

from __future__ import annotations

import numpy as np
import pytest

from splatrender.gpu import COPY_SRC, STORAGE
from splatrender.lod.codec import decode_chunk, encode_chunk
from splatrender.lod.gpu_decode import ChunkDecoder
from splatrender.shaders.layout import GEOM_FLOATS, GEOMETRY, sh_rest_floats
from tests.lod.synth import random_splats

pytestmark = pytest.mark.gpu


@pytest.mark.parametrize(
    ("n", "degree", "pool_degree", "dilated"),
    [(1000, 0, 0, False), (777, 3, 3, True), (300, 1, 2, False), (301, 2, 2, True)],
)
def test_gpu_decode_matches_numpy(device, run, n, degree, pool_degree, dilated):
    s = random_splats(n, degree, seed=n)
    dil = np.random.default_rng(n).uniform(0, 3, n) if dilated else None
    data = encode_chunk(s.means, s.scales, s.quats, s.opacities, s.sh, dil)
    dec = ChunkDecoder(device, 1024, pool_degree)
    fr = sh_rest_floats(pool_degree)
    geom = device.create_buffer(1024 * GEOM_FLOATS * 4, [STORAGE, COPY_SRC])
    sh = device.create_buffer(max(16, 1024 * fr * 4), [STORAGE, COPY_SRC])
    assert dec.decode(data, geom, sh) == n
    g = np.frombuffer(run(device.read_buffer(geom)), np.float32)[: n * GEOM_FLOATS]
    g = g.reshape(n, GEOM_FLOATS)
    ref_g, ref_r = decode_chunk(data)
    got = ref_g[:, GEOMETRY.offset("dilation")]
    # the dilation section: 8 bits over [0, max]
    want, tol = (0.0, 0.0) if dil is None else (dil, dil.max() / 255 * 0.51)
    assert np.abs(got - want).max() <= tol
    np.testing.assert_allclose(g, ref_g, rtol=2e-6, atol=2e-6)
    if fr:
        r = np.frombuffer(run(device.read_buffer(sh)), np.float32)[: n * fr].reshape(n, fr)
        m = min(fr, ref_r.shape[1])
        np.testing.assert_allclose(r[:, :m], ref_r[:, :m], rtol=2e-6, atol=2e-6)
        assert np.all(r[:, m:] == 0)
    for b in (geom, sh):
        device.destroy_buffer(b)
    dec.destroy()
