"""Image comparison used by golden-image tests."""

from __future__ import annotations

import numpy as np


def psnr(a: np.ndarray, b: np.ndarray, peak: float = 1.0) -> float:
    mse = float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(peak * peak / mse)


def fraction_off(a: np.ndarray, b: np.ndarray, threshold: float = 8 / 255) -> float:
    """Share of pixels whose largest channel difference exceeds ``threshold``."""
    d = np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).max(axis=-1)
    return float(np.mean(d > threshold))
