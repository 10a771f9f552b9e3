"""Splats -> SceneData: pack the numpy splat type into the GPU pool layout.

Also the single place where values a GPU cannot use are sanitised: splats with a
non-finite mean, scale, rotation or colour are dropped (and counted); opacity
logits and log scales are clamped to ranges where float32 math stays finite.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..render.layout import GEOM_FLOATS, sh_rest_floats
from ..render.scene_data import SceneData
from .splats import Splats

# exp(14) ~ 1.2e6 scene units: larger splats are clamped so that covariance
# products stay inside float32 range; logits beyond +-20 are sigmoid 0 or 1 anyway.
LOG_SCALE_RANGE = (-30.0, 14.0)
LOGIT_RANGE = (-20.0, 20.0)
BOUNDS_PERCENTILE = 1.0
FRAMING_MIN_ALPHA = 0.25


def sanitize(splats: Splats, name: str = "") -> tuple[Splats, int]:
    """Drop splats a GPU cannot draw (non-finite or degenerate); returns (kept, dropped).

    The clamps of ``LOG_SCALE_RANGE`` and ``LOGIT_RANGE`` are applied here too, so the
    reference renderer sees exactly the values the GPU does.
    """
    finite = (
        np.isfinite(splats.means).all(1)
        & np.isfinite(splats.scales).all(1)
        & np.isfinite(splats.quats).all(1)
        & np.isfinite(splats.sh).all(axis=(1, 2))
        & ~np.isnan(splats.opacities)
        & (np.abs(splats.quats).sum(1) > 0)
    )
    dropped = int((~finite).sum())
    if dropped:
        warnings.warn(
            f"{name or splats.source or 'scene'}: dropped {dropped} splats with non-finite "
            "or degenerate values",
            stacklevel=3,
        )
    out = splats.subset(finite) if dropped else splats.subset(slice(None))
    out.opacities = np.clip(out.opacities, *LOGIT_RANGE)
    out.scales = np.clip(out.scales, *LOG_SCALE_RANGE)
    return out, dropped


def robust_bounds(splats: Splats) -> tuple[np.ndarray, np.ndarray]:
    """Bounds for framing: percentiles of the centres of the clearly visible splats.

    Captures carry faint floaters far from the subject; splats under
    ``FRAMING_MIN_ALPHA`` are left out (unless that leaves too few) and the
    ``BOUNDS_PERCENTILE`` tails are trimmed.
    """
    solid = splats.alphas() >= FRAMING_MIN_ALPHA
    subset = splats.subset(solid) if solid.sum() >= max(10, len(splats) // 20) else splats
    return subset.bounds(BOUNDS_PERCENTILE if len(subset) >= 100 else 0.0)


def pack_pool(splats: Splats) -> tuple[bytes, bytes]:
    """(geometry, SH rest) bytes of ``splats`` in the pool layout of ``render.layout``."""
    n = len(splats)
    geom = np.zeros((n, GEOM_FLOATS), np.float32)
    geom[:, 0:3] = splats.means
    geom[:, 3] = splats.opacities
    geom[:, 4:8] = splats.quats
    geom[:, 8:11] = splats.scales
    geom[:, 11:14] = splats.sh[:, 0]
    rest = np.ascontiguousarray(splats.sh[:, 1:].reshape(n, sh_rest_floats(splats.sh_degree)))
    return geom.tobytes(), rest.tobytes()


def to_scene_data(splats: Splats, name: str = "") -> SceneData:
    deg = splats.sh_degree
    splats, dropped = sanitize(splats, name)
    n = len(splats)
    geometry, sh_rest = pack_pool(splats)
    if n:
        lo, hi = robust_bounds(splats)
    else:
        lo, hi = np.full(3, -1.0), np.full(3, 1.0)
    return SceneData(
        count=n,
        sh_degree=deg,
        geometry=geometry,
        sh_rest=sh_rest,
        axes=splats.axes,
        bounds_min=tuple(float(v) for v in lo),
        bounds_max=tuple(float(v) for v in hi),
        name=name or splats.source,
        dropped=dropped,
    )
