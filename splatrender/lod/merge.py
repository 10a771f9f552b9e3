"""Merging groups of splats into one splat that looks like them from far away.

Moment matching: the merged Gaussian has the weighted mean and covariance of the
mixture (each child's covariance plus the spread of the means); weights are
opacity x footprint, the share of the image each child covers when small on screen.
Colour and SH are averaged with the same weights. The merged opacity preserves the
children's total footprint (sum alpha_i A_i / A_parent), capped by the opacity of
all children stacked (1 - prod(1 - alpha_i)).
"""

from __future__ import annotations

import numpy as np

MIN_LOG_SCALE = -16.0
MAX_ALPHA = 0.995


def quat_to_rotmat(q: np.ndarray) -> np.ndarray:
    """(N,3,3) rotations from (N,4) w,x,y,z (normalised here)."""
    q = q.astype(np.float64)
    n = np.linalg.norm(q, axis=1, keepdims=True)
    q = np.where(n > 1e-12, q / np.where(n > 1e-12, n, 1.0), np.array([1.0, 0, 0, 0]))
    w, x, y, z = q.T
    r = np.empty((len(q), 3, 3))
    r[:, 0, 0] = 1 - 2 * (y * y + z * z)
    r[:, 0, 1] = 2 * (x * y - w * z)
    r[:, 0, 2] = 2 * (x * z + w * y)
    r[:, 1, 0] = 2 * (x * y + w * z)
    r[:, 1, 1] = 1 - 2 * (x * x + z * z)
    r[:, 1, 2] = 2 * (y * z - w * x)
    r[:, 2, 0] = 2 * (x * z - w * y)
    r[:, 2, 1] = 2 * (y * z + w * x)
    r[:, 2, 2] = 1 - 2 * (x * x + y * y)
    return r


def rotmat_to_quat(r: np.ndarray) -> np.ndarray:
    """(N,4) unit w,x,y,z of proper rotations (N,3,3) (Shepperd's method)."""
    m = r
    tr = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    cand = np.stack([tr, m[:, 0, 0], m[:, 1, 1], m[:, 2, 2]], axis=1)
    k = np.argmax(cand, axis=1)
    q = np.empty((len(m), 4))
    # k == 0: w largest
    s = np.sqrt(np.maximum(1 + tr, 1e-12)) * 2
    q0 = np.stack(
        [
            0.25 * s,
            (m[:, 2, 1] - m[:, 1, 2]) / s,
            (m[:, 0, 2] - m[:, 2, 0]) / s,
            (m[:, 1, 0] - m[:, 0, 1]) / s,
        ],
        1,
    )
    s = np.sqrt(np.maximum(1 + m[:, 0, 0] - m[:, 1, 1] - m[:, 2, 2], 1e-12)) * 2
    q1 = np.stack(
        [
            (m[:, 2, 1] - m[:, 1, 2]) / s,
            0.25 * s,
            (m[:, 0, 1] + m[:, 1, 0]) / s,
            (m[:, 0, 2] + m[:, 2, 0]) / s,
        ],
        1,
    )
    s = np.sqrt(np.maximum(1 + m[:, 1, 1] - m[:, 0, 0] - m[:, 2, 2], 1e-12)) * 2
    q2 = np.stack(
        [
            (m[:, 0, 2] - m[:, 2, 0]) / s,
            (m[:, 0, 1] + m[:, 1, 0]) / s,
            0.25 * s,
            (m[:, 1, 2] + m[:, 2, 1]) / s,
        ],
        1,
    )
    s = np.sqrt(np.maximum(1 + m[:, 2, 2] - m[:, 0, 0] - m[:, 1, 1], 1e-12)) * 2
    q3 = np.stack(
        [
            (m[:, 1, 0] - m[:, 0, 1]) / s,
            (m[:, 0, 2] + m[:, 2, 0]) / s,
            (m[:, 1, 2] + m[:, 2, 1]) / s,
            0.25 * s,
        ],
        1,
    )
    for i, qi in enumerate((q0, q1, q2, q3)):
        sel = k == i
        q[sel] = qi[sel]
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def footprint(log_scales: np.ndarray) -> np.ndarray:
    """Orientation-averaged footprint proxy of a Gaussian: s0 s1 + s1 s2 + s0 s2."""
    s = np.exp(log_scales.astype(np.float64))
    return s[:, 0] * s[:, 1] + s[:, 1] * s[:, 2] + s[:, 0] * s[:, 2]


def covariances(log_scales: np.ndarray, quats: np.ndarray) -> np.ndarray:
    r = quat_to_rotmat(quats)
    s2 = np.exp(2 * log_scales.astype(np.float64))
    return np.einsum("nij,nj,nkj->nik", r, s2, r)


def merge_groups(
    means: np.ndarray,
    scales: np.ndarray,
    quats: np.ndarray,
    opacities: np.ndarray,
    sh: np.ndarray,
    fanout: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge consecutive groups of ``fanout`` splats (the last may be short).

    Returns float32 (means, log scales, quats, opacity logits, sh) of the parents.
    """
    n = len(means)
    m = -(-n // fanout)
    pad = m * fanout - n
    f8 = np.float64
    alpha = 1.0 / (1.0 + np.exp(-np.clip(opacities.astype(f8), -60, 60)))
    area = footprint(scales)
    w = alpha * area
    cov = covariances(scales, quats)
    mu = means.astype(f8)
    shc = sh.astype(f8)
    if pad:
        w = np.concatenate([w, np.zeros(pad)])
        alpha = np.concatenate([alpha, np.zeros(pad)])
        area = np.concatenate([area, np.zeros(pad)])
        mu = np.concatenate([mu, np.repeat(mu[-1:], pad, 0)])
        cov = np.concatenate([cov, np.repeat(cov[-1:], pad, 0)])
        shc = np.concatenate([shc, np.zeros((pad, *shc.shape[1:]))])
    w = w.reshape(m, fanout)
    valid = np.ones(m * fanout, bool)
    if pad:
        valid[n:] = False
    valid = valid.reshape(m, fanout)
    tot = w.sum(axis=1)
    # Fully transparent groups: fall back to plain averages over the real children.
    bad = ~(tot > 1e-30)
    if bad.any():
        w[bad] = valid[bad].astype(f8)
        tot = w.sum(axis=1)
    wn = w / tot[:, None]
    mu = mu.reshape(m, fanout, 3)
    pm = np.einsum("gk,gki->gi", wn, mu)
    d = mu - pm[:, None, :]
    pc = np.einsum("gk,gkij->gij", wn, cov.reshape(m, fanout, 3, 3))
    pc += np.einsum("gk,gki,gkj->gij", wn, d, d)
    lam, vec = np.linalg.eigh(pc)
    det = np.linalg.det(vec)
    vec[det < 0, :, 0] *= -1  # proper rotation
    pls = 0.5 * np.log(np.maximum(lam, np.exp(2 * MIN_LOG_SCALE)))
    pq = rotmat_to_quat(vec)
    parea = footprint(pls)
    a = alpha.reshape(m, fanout)
    cover = (a * area.reshape(m, fanout)).sum(axis=1) / np.maximum(parea, 1e-300)
    stacked = 1.0 - np.prod(1.0 - a, axis=1)
    pa = np.clip(np.minimum(cover, stacked), 1e-6, MAX_ALPHA)
    # Heavily overlapping opaque children cover more than one opaque Gaussian of the
    # same spread can: grow the parent until its footprint carries their total.
    short = cover / pa
    grow = (np.minimum(cover, stacked) >= MAX_ALPHA) & (short > 1.0)
    if grow.any():
        pls[grow] += 0.25 * np.log(short[grow])[:, None]
    pop = np.log(pa / (1.0 - pa))
    psh = np.einsum("gk,gkcj->gcj", wn, shc.reshape(m, fanout, *shc.shape[1:]))
    f4 = np.float32
    return pm.astype(f4), pls.astype(f4), pq.astype(f4), pop.astype(f4), psh.astype(f4)
