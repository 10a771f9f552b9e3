"""merge.collapse: cheapest pairs first, untouched splats exact, inertia = moved light."""

from __future__ import annotations

import numpy as np

from splatrender.formats.splats import Splats
from splatrender.lod.merge import (
    collapse,
    dilated_footprint,
    footprint,
    group_error,
    merge_cost,
    merge_groups,
)
from tests.lod.synth import random_splats
from tests.lod.test_build import _cluster, _cols


def _collapse(s: Splats, target: int, **kw):
    lo, hi = s.means.min(axis=0) - 1, s.means.max(axis=0) + 1
    return collapse(*_cols(s), np.zeros(len(s)), target, lo, hi, **kw)


def test_reaches_target_and_keeps_untouched_splats_exactly():
    s = random_splats(3000, 2, seed=1)
    cols, iner, err = _collapse(s, 1700)
    assert all(len(c) == 1700 for c in cols) and len(iner) == 1700
    out = Splats(*cols[:5], dilation=cols[5])
    rows = {tuple(r) for r in np.column_stack([s.means, s.scales, s.opacities])}
    same = [tuple(r) in rows for r in np.column_stack([out.means, out.scales, out.opacities])]
    # 1300 merges touch at most 2600 inputs; the rest come through bit for bit, inertia 0
    assert sum(same) >= 3000 - 2 * 1300
    assert np.all(iner[np.array(same)] == 0) and np.all(iner[~np.array(same)] > 0)
    assert err > 0


def test_cheap_merges_first():
    """A faint speck beside an opaque splat is absorbed; two distinct opaque splats far
    apart stay as they are."""
    big = _cluster(3, 0)
    big.means[:] = [[0, 0, 0], [5, 0, 0], [0.01, 0, 0]]
    big.scales[:] = np.log([[0.2, 0.2, 0.2], [0.2, 0.2, 0.2], [0.01, 0.01, 0.01]])
    big.opacities[:] = [3.0, 3.0, -3.0]
    cols, iner, _ = _collapse(big, 2)
    out = Splats(*cols[:5], dilation=cols[5])
    assert sorted(np.round(out.means[:, 0], 2).tolist()) == [0.0, 5.0]
    far = int(np.argmax(out.means[:, 0]))
    assert np.array_equal(out.scales[far], big.scales[1]) and iner[far] == 0


def test_one_parent_is_the_moment_match_and_inertia_is_ward_cost():
    kids = _cluster(2, 3)
    cols, iner, err = _collapse(kids, 1)
    ref = merge_groups(*_cols(kids), 2)
    for a, b in zip(cols[:5], ref, strict=True):
        assert np.allclose(a, b, atol=1e-5)
    assert not cols[5].any()  # no extra dilation without classic's
    alpha = 1 / (1 + np.exp(-kids.opacities.astype(np.float64)))
    w = alpha * footprint(kids.scales)
    from splatrender.lod.merge import covariances

    col = 0.28209479177387814 * kids.sh[:, 0].astype(np.float64)
    c = merge_cost(
        kids.means.astype(np.float64),
        covariances(kids.scales, kids.quats),
        w,
        col,
        np.array([0]),
        np.array([1]),
    )
    assert np.isclose(iner[0], c[0])
    assert np.isclose(err, group_error(iner, np.array([w.sum()])))


def test_classic_parents_carry_more_light_than_world_space_ones():
    s = random_splats(2000, 0, seed=4)
    aa, _, _ = _collapse(s, 500)
    cl, _, err = _collapse(s, 500, dilation=0.3, pixel_error=0.25)
    assert np.allclose(aa[0], cl[0])  # same merges, same means
    assert not aa[5].any() and cl[5].max() > 0  # only classic parents carry extra dilation
    # their light as classic rendering shows it where the group takes over
    px2 = (err / 0.25) ** 2
    light = [
        (1 / (1 + np.exp(-c[3]))) * dilated_footprint(np.exp(2.0 * c[1]), (0.3 + c[5]) * px2)
        for c in (aa, cl)
    ]
    assert light[1].sum() > light[0].sum()
