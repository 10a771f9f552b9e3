"""Splats -> SceneData: the numpy twin of the runtime decoders' store into the pool.

``sanitize`` applies the one broken-splat policy of ``decode_common.wgsl`` (a splat
with a non-finite value or a zero rotation is kept in place but made invisible) and
the clamps of ``shaders.layout``, so the reference renderer sees exactly what the GPU
holds; ``to_scene_data`` packs the result in the pool layout.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..formats.splats import Splats, sh_coeffs
from ..render.scene_data import SceneData
from ..scene.bounds import BOUNDS_PERCENTILE, FRAMING_MIN_ALPHA
from ..shaders.layout import (
    GEOM_FLOATS,
    GEOMETRY,
    LOG_SCALE_MAX,
    LOG_SCALE_MIN,
    LOGIT_MAX,
    LOGIT_MIN,
    sh_rest_floats,
)


def broken(splats: Splats) -> np.ndarray:
    """Mask of the splats a GPU cannot draw: a non-finite value or a zero rotation."""
    finite = (
        np.isfinite(splats.means).all(1)
        & np.isfinite(splats.scales).all(1)
        & np.isfinite(splats.quats).all(1)
        & np.isfinite(splats.sh).all(axis=(1, 2))
        & ~np.isnan(splats.opacities)
        & (np.abs(splats.quats).sum(1) > 0)
    )
    return ~finite


def sanitize(splats: Splats, name: str = "") -> tuple[Splats, int]:
    """The splats as the pool holds them; returns (splats, how many were made invisible).

    Broken splats stay at their index, stored as decode_common.wgsl stores them
    (opacity LOGIT_MIN, identity rotation, scales LOG_SCALE_MIN, the rest zero);
    opacity logits and log scales are clamped to the ranges of ``shaders.layout``.
    """
    bad = broken(splats)
    invisible = int(bad.sum())
    out = splats.subset(np.arange(len(splats)))  # a copy: the caller's arrays stay
    if invisible:
        warnings.warn(
            f"{name or splats.source or 'scene'}: {invisible} splats with non-finite values "
            "or a zero rotation are stored invisible",
            stacklevel=3,
        )
        out.means[bad] = 0.0
        out.opacities[bad] = LOGIT_MIN
        out.quats[bad] = (1.0, 0.0, 0.0, 0.0)
        out.scales[bad] = LOG_SCALE_MIN
        out.sh[bad] = 0.0
    out.opacities = np.clip(out.opacities, LOGIT_MIN, LOGIT_MAX)
    out.scales = np.clip(out.scales, LOG_SCALE_MIN, LOG_SCALE_MAX)
    return out, invisible


def robust_bounds(splats: Splats) -> tuple[np.ndarray, np.ndarray]:
    """Bounds for framing: percentiles of the centres of the clearly visible splats.

    Captures carry faint floaters far from the subject; splats under
    ``FRAMING_MIN_ALPHA`` are left out (unless that leaves too few) and the
    ``BOUNDS_PERCENTILE`` tails are trimmed.
    """
    splats = splats.subset(splats.opacities > LOGIT_MIN)  # not the invisible broken ones
    solid = splats.alphas() >= FRAMING_MIN_ALPHA
    subset = splats.subset(solid) if solid.sum() >= max(10, len(splats) // 20) else splats
    return subset.bounds(BOUNDS_PERCENTILE if len(subset) >= 100 else 0.0)


def pack_pool(splats: Splats) -> tuple[bytes, bytes]:
    """(geometry, SH rest) bytes of ``splats`` in the pool layout of ``shaders.layout``."""
    n = len(splats)
    geom = np.zeros((n, GEOM_FLOATS), np.float32)
    geom[:, GEOMETRY.cols("mean")] = splats.means
    geom[:, GEOMETRY.cols("opacity")] = splats.opacities[:, None]
    geom[:, GEOMETRY.cols("quat")] = splats.quats
    geom[:, GEOMETRY.cols("log_scale")] = splats.scales
    geom[:, GEOMETRY.cols("dc")] = splats.sh[:, 0]
    if splats.dilation is not None:
        geom[:, GEOMETRY.offset("dilation")] = splats.dilation
    rest = np.ascontiguousarray(splats.sh[:, 1:].reshape(n, sh_rest_floats(splats.sh_degree)))
    return geom.tobytes(), rest.tobytes()


def unpack_pool(geometry: np.ndarray, sh_rest: np.ndarray, sh_degree: int) -> Splats:
    """Splats of (N, GEOM_FLOATS) pool records and their (N, F) SH rest (``pack_pool``'s
    inverse; a LOD chunk's ``decode_chunk`` output renders with the reference this way)."""
    n = len(geometry)
    sh = np.zeros((n, sh_coeffs(sh_degree), 3), np.float32)
    sh[:, 0] = geometry[:, GEOMETRY.cols("dc")]
    sh[:, 1:] = sh_rest[:, : sh_rest_floats(sh_degree)].reshape(n, -1, 3)
    dilation = geometry[:, GEOMETRY.offset("dilation")]
    return Splats(
        geometry[:, GEOMETRY.cols("mean")],
        geometry[:, GEOMETRY.cols("log_scale")],
        geometry[:, GEOMETRY.cols("quat")],
        geometry[:, GEOMETRY.offset("opacity")],
        sh,
        dilation=dilation if dilation.any() else None,
    )


def to_scene_data(splats: Splats, name: str = "") -> SceneData:
    deg = splats.sh_degree
    splats, invisible = sanitize(splats, name)
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
        invisible=invisible,
    )


def gather_samples(geometry: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The twin of ``shaders/sample_geometry.wgsl``: (x, y, z, opacity logit) rows of
    the (N, GEOM_FLOATS) pool records at ``indices``."""
    cols = [*range(GEOMETRY.cols("mean").start, GEOMETRY.cols("mean").stop)]
    return geometry[indices][:, [*cols, GEOMETRY.offset("opacity")]]
