"""The one in-memory splat type every reader produces and every writer consumes.

Values are stored as the 3DGS training code stores them (the "raw" parameters):
log scales, opacity logits, unnormalised w,x,y,z quaternions, SH coefficients with
the DC term first. The axis convention of the source is kept as it is and recorded
in ``axes``; the renderer's camera works in those same axes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Axis conventions: which way +x, +y, +z point.
AXES_RDF = "RDF"  # right, down, forward: INRIA/COLMAP PLY, .splat, .ksplat
AXES_RUB = "RUB"  # right, up, back: SPZ, SOG, glTF (three.js)
AXES_NAMES = (AXES_RDF, AXES_RUB)

SH_C0 = 0.28209479177387814


def sh_coeffs(degree: int) -> int:
    """Number of SH coefficients per channel for a degree (1, 4, 9, 16)."""
    return (degree + 1) ** 2


def sh_degree_for(coeffs: int) -> int:
    for d in range(4):
        if sh_coeffs(d) == coeffs:
            return d
    raise ValueError(f"{coeffs} SH coefficients per channel is not a degree 0-3 layout")


@dataclass
class Splats:
    """N Gaussian splats (float32 arrays, C-contiguous).

    means (N,3); scales (N,3) natural-log scale; quats (N,4) w,x,y,z not
    necessarily normalised; opacities (N,) logit; sh (N,K,3) with K=(deg+1)^2,
    ``sh[:, 0]`` the DC term (colour = SH_C0 * dc + 0.5). ``dilation`` (N,) or None:
    extra px^2 of screen-space dilation per splat, what merged LOD splats carry
    (lod/merge.py); no file format stores it, None means 0.
    """

    means: np.ndarray
    scales: np.ndarray
    quats: np.ndarray
    opacities: np.ndarray
    sh: np.ndarray
    axes: str = AXES_RDF
    source: str = ""
    format: str = ""
    quirks: list[str] = field(default_factory=list)
    dilation: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = self.means.shape[0]
        self.means = _f32(self.means, (n, 3), "means")
        self.scales = _f32(self.scales, (n, 3), "scales")
        self.quats = _f32(self.quats, (n, 4), "quats")
        self.opacities = _f32(self.opacities, (n,), "opacities")
        if self.sh.ndim != 3 or self.sh.shape[0] != n or self.sh.shape[2] != 3:
            raise ValueError(f"sh must be (N,K,3), got {self.sh.shape}")
        sh_degree_for(self.sh.shape[1])
        self.sh = np.ascontiguousarray(self.sh, dtype=np.float32)
        if self.dilation is not None:
            self.dilation = _f32(self.dilation, (n,), "dilation")
        if self.axes not in AXES_NAMES:
            raise ValueError(f"unknown axes {self.axes!r}; expected one of {AXES_NAMES}")

    def __len__(self) -> int:
        return self.means.shape[0]

    @property
    def count(self) -> int:
        return self.means.shape[0]

    @property
    def sh_degree(self) -> int:
        return sh_degree_for(self.sh.shape[1])

    @classmethod
    def empty(cls, sh_degree: int = 0, axes: str = AXES_RDF) -> Splats:
        k = sh_coeffs(sh_degree)
        z = np.zeros
        return cls(z((0, 3)), z((0, 3)), z((0, 4)), z((0,)), z((0, k, 3)), axes=axes)

    def subset(self, index: np.ndarray | slice) -> Splats:
        return Splats(
            self.means[index],
            self.scales[index],
            self.quats[index],
            self.opacities[index],
            self.sh[index],
            axes=self.axes,
            source=self.source,
            format=self.format,
            quirks=list(self.quirks),
            dilation=None if self.dilation is None else self.dilation[index],
        )

    def with_sh_degree(self, degree: int) -> Splats:
        """Truncate (or zero-pad) the SH to ``degree``."""
        k = sh_coeffs(degree)
        sh = np.zeros((self.count, k, 3), np.float32)
        m = min(k, self.sh.shape[1])
        sh[:, :m] = self.sh[:, :m]
        out = self.subset(slice(None))
        out.sh = sh
        return out

    def colors(self) -> np.ndarray:
        """View-independent base colour (DC term), unclamped, (N,3)."""
        return SH_C0 * self.sh[:, 0] + 0.5

    def alphas(self) -> np.ndarray:
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-self.opacities.astype(np.float64)))

    def bounds(self, percentile: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """Axis-aligned bounds of the finite means; ``percentile`` trims outliers."""
        m = self.means[np.isfinite(self.means).all(axis=1)]
        if len(m) == 0:
            return np.zeros(3), np.zeros(3)
        if percentile > 0:
            return np.percentile(m, percentile, axis=0), np.percentile(m, 100 - percentile, axis=0)
        return m.min(axis=0), m.max(axis=0)


def _f32(a: np.ndarray, shape: tuple[int, ...], name: str) -> np.ndarray:
    a = np.ascontiguousarray(a, dtype=np.float32)
    if a.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {a.shape}")
    return a
