"""Float64 twins of the example modifiers (shaders/modifier_reveal.wgsl, _grade.wgsl).

Each takes the splats' stored centres (N,3), the clock and the object's params and
returns (position function, colour function) results as the WGSL hooks do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _reveal_weight(local: np.ndarray, time: float, params: Sequence[float]) -> np.ndarray:
    radius = params[0] * time
    edge = max(params[1], 1e-6)
    return np.clip((radius - np.linalg.norm(local, axis=1)) / edge + 0.5, 0.0, 1.0)


def reveal(local, time, params, rgb, opacity):
    w = _reveal_weight(local, time, params)
    moved = local + np.stack([0 * w, params[2] * (1.0 - w), 0 * w], axis=1)
    return moved, rgb, opacity * w


def grade(local, time, params, rgb, opacity):
    luma = rgb @ np.array([0.2126, 0.7152, 0.0722])
    out = luma[:, None] + (rgb - luma[:, None]) * params[0]
    out = ((out - 0.5) * params[1] + 0.5) * params[2]
    out = out * np.array([1.0 + params[3], 1.0, 1.0 - params[3]])
    return local, out, opacity


TWINS = {"reveal": reveal, "grade": grade}


def position(name: str, local: np.ndarray, time: float, params) -> np.ndarray:
    return TWINS[name](local, time, params, np.zeros_like(local), np.ones(len(local)))[0]


def color(name: str, local, time: float, params, rgb, opacity):
    """(rgb >= 0, opacity in [0, 1]) after the modifier, clamped as the GPU clamps."""
    _, rgb, opacity = TWINS[name](local, time, params, rgb, opacity)
    return np.maximum(rgb, 0.0), np.clip(opacity, 0.0, 1.0)
