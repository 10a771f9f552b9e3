"""Merging splats into fewer splats that look like them from far away.

``collapse`` (what ``lod build`` uses) reduces a group to a target count by merging the
cheapest pairs first, again and again; ``merge_groups`` merges fixed runs of splats
(the builder's merge before format 2, kept for tests and experiments). Both merge by
the same rules:

Moment matching: the merged Gaussian has the weighted mean and covariance of the
mixture (each child's covariance plus the spread of the means); weights are
opacity x footprint, the share of the image each child covers when small on screen.
Colour and SH are averaged with the same weights. The merged opacity preserves the
children's total footprint (sum alpha_i A_i / A_parent), capped by the opacity of
all children stacked (1 - prod(1 - alpha_i)). For classic rendering ``collapse`` takes
the footprints with classic's dilation where the parent takes over and adds the extra
screen-space dilation (px^2, a column of its own) that sub-pixel clusters need.
"""

from __future__ import annotations

import math

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
    a = alpha.reshape(m, fanout)
    light = (a * area.reshape(m, fanout)).sum(axis=1)
    clear = np.prod(1.0 - a, axis=1)
    psh = np.einsum("gk,gkcj->gcj", wn, shc.reshape(m, fanout, *shc.shape[1:]))
    return _parents(pm, pc, light, clear, psh)


def dilated_footprint(var: np.ndarray, delta: float | np.ndarray) -> np.ndarray:
    """``footprint`` of Gaussians with axis variances ``var`` (N,3), each widened by
    ``delta`` (scalar or (N,): classic rendering's dilation, in world units^2 at some
    pixel size)."""
    v = var + np.asarray(delta)[..., None]
    return np.sqrt(v[:, 0] * v[:, 1]) + np.sqrt(v[:, 1] * v[:, 2]) + np.sqrt(v[:, 0] * v[:, 2])


def _shape(pc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(log scales, quaternions, rotations) of Gaussians with covariances ``pc``."""
    lam, vec = np.linalg.eigh(pc)
    det = np.linalg.det(vec)
    vec[det < 0, :, 0] *= -1  # proper rotation
    pls = 0.5 * np.log(np.maximum(lam, np.exp(2 * MIN_LOG_SCALE)))
    return pls, rotmat_to_quat(vec), vec


def _parents(
    pm: np.ndarray,
    pc: np.ndarray,
    light: np.ndarray,
    clear: np.ndarray,
    psh: np.ndarray,
    delta: float = 0.0,
    shape: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """float32 splat columns of moment-matched parents: means, covariances, the children's
    light (sum alpha x footprint), the light their stack lets through (prod 1 - alpha), SH.
    With ``delta``, ``light`` is the children's light as classic rendering shows it at
    that dilation (``dilated_footprint``) and the parent matches it at the same dilation.
    ``shape``: ``_shape(pc)`` if the caller has it already."""
    pls, pq, _ = _shape(pc) if shape is None else shape
    pls = pls.copy()  # grown below
    parea = dilated_footprint(np.exp(2 * pls), delta) if delta > 0 else footprint(pls)
    cover = light / np.maximum(parea, 1e-300)
    stacked = 1.0 - clear
    pa = np.clip(np.minimum(cover, stacked), 1e-6, MAX_ALPHA)
    # Heavily overlapping opaque children cover more than one opaque Gaussian of the
    # same spread can: grow the parent until its footprint carries their total.
    short = cover / pa
    grow = (np.minimum(cover, stacked) >= MAX_ALPHA) & (short > 1.0)
    if grow.any():
        pls[grow] += 0.25 * np.log(short[grow])[:, None]
    pop = np.log(pa / (1.0 - pa))
    f4 = np.float32
    return pm.astype(f4), pls.astype(f4), pq.astype(f4), pop.astype(f4), psh.astype(f4)


# -- Morton order ------------------------------------------------------------------
def _spread3(v: np.ndarray) -> np.ndarray:
    """Interleave 21-bit integers with two zero bits between each bit."""
    x = v.astype(np.uint64) & np.uint64(0x1FFFFF)
    for shift, mask in (
        (32, 0x1F00000000FFFF),
        (16, 0x1F0000FF0000FF),
        (8, 0x100F00F00F00F00F),
        (4, 0x10C30C30C30C30C3),
        (2, 0x1249249249249249),
    ):
        x = (x | (x << np.uint64(shift))) & np.uint64(mask)
    return x


def morton_codes(means: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    ext = np.maximum(hi - lo, 1e-30)
    g = np.clip((means.astype(np.float64) - lo) / ext * (2**21 - 1), 0, 2**21 - 1)
    g = g.astype(np.uint64)
    return (
        _spread3(g[:, 0])
        | (_spread3(g[:, 1]) << np.uint64(1))
        | (_spread3(g[:, 2]) << np.uint64(2))
    )


# -- cost-driven pair collapse -----------------------------------------------------
SH_C0 = 0.28209479177387814
COLOUR_WEIGHT = 0.5  # colour difference counts as displacement by this x summed variances
NEIGHBOURS = 8  # candidates each side of a splat in each of the two Morton orders
_SHIFT = np.array([1 / 3, 1 / 5, 1 / 7])  # second order: cell boundaries moved


def _njit(f):
    try:
        import numba
    except ImportError:  # pragma: no cover - numba is the `lod` extra
        raise ImportError("lod build needs numba: pip install 'splatrender[lod]'") from None
    return numba.njit(cache=True, nogil=True)(f)


def _best_partner_py(order, mu, tr, w, col, reach, best, cost, cw):
    """Cheapest partner of every cluster among ``reach`` neighbours either side in
    ``order`` (updates ``best``/``cost`` in place; run once per order)."""
    n = len(order)
    for r in range(n):
        i = order[r]
        for s in range(r + 1, min(n, r + reach + 1)):
            j = order[s]
            d = 0.0
            for k in range(3):
                t = mu[i, k] - mu[j, k]
                d += t * t
            e = 0.0
            for k in range(3):
                t = col[i, k] - col[j, k]
                e += t * t
            c = w[i] * w[j] / (w[i] + w[j]) * (d + cw * (tr[i] + tr[j]) * e)
            if c < cost[i]:
                cost[i] = c
                best[i] = j
            if c < cost[j]:
                cost[j] = c
                best[j] = i


_best_partner = None


def merge_cost(mu, cov, w, col, a, b):
    """Ward cost of merging clusters a and b: the light-weighted squared distance their
    light moves (w_a w_b / (w_a + w_b) |mu_a - mu_b|^2), with colour difference counted as
    displacement on the scale of the splats (``COLOUR_WEIGHT`` x summed variances x |dc|^2)."""
    tr = np.trace(cov, axis1=1, axis2=2)
    d = ((mu[a] - mu[b]) ** 2).sum(axis=1)
    e = ((col[a] - col[b]) ** 2).sum(axis=1)
    return w[a] * w[b] / (w[a] + w[b]) * (d + COLOUR_WEIGHT * (tr[a] + tr[b]) * e)


def collapse(
    means: np.ndarray,
    scales: np.ndarray,
    quats: np.ndarray,
    opacities: np.ndarray,
    sh: np.ndarray,
    inertia: np.ndarray,
    target: int,
    lo: np.ndarray,
    hi: np.ndarray,
    dilation: float = 0.0,
    pixel_error: float = 0.0,
    extra: np.ndarray | None = None,
) -> tuple[tuple[np.ndarray, ...], np.ndarray, float]:
    """Reduce splats to ``target`` by merging the cheapest pairs first, repeatedly.

    Each round every cluster finds its cheapest partner (``merge_cost``) among its
    neighbours in two Morton orders; mutual choices merge, cheapest first, up to what
    the target still needs. A merge is a moment match (``merge_groups``' rules for mean,
    covariance, colour and opacity, over the clusters' pieces), so merged clusters can
    merge again. What no merge touched stays exactly as it was: the important splats
    (opaque, large, distinct) survive, cheap ones (faint, small, like their neighbours)
    are absorbed. Returns the float32 columns (Morton-ordered) and each output splat's
    inertia: the inherited ``inertia`` plus the cost of every merge that formed it,
    i.e. sum over the light it carries of w x (distance moved)^2, and the group's
    geometric error (``group_error``).

    With ``dilation`` (classic rendering's 0.3 px^2) and ``pixel_error``, merged splats
    keep the light their pieces show in classic rendering where selection swaps the
    group in (pixel size = error / pixel_error; ``_classic_parents``). ``extra``: the
    inputs' own extra dilation (px^2, merged splats of the level below). The columns
    are means, log scales, quats, opacity logits, SH and extra dilation (0 for splats
    no merge touched, and for every splat without ``dilation``).
    """
    global _best_partner
    if _best_partner is None:
        _best_partner = _njit(_best_partner_py)
    n = len(means)
    target = max(1, min(target, n))
    f8 = np.float64
    alpha = 1.0 / (1.0 + np.exp(-np.clip(opacities.astype(f8), -60, 60)))
    w = np.maximum(alpha * footprint(scales), 1e-300)
    mu = means.astype(f8)
    cov = covariances(scales, quats)
    shc = sh.astype(f8).reshape(n, -1) * w[:, None]  # weighted sums
    clear = 1.0 - alpha
    iner = inertia.astype(f8).copy()
    orig = np.arange(n)  # source row of an untouched splat, -1 once merged
    label = np.arange(n)  # the cluster each input splat is in now
    span = np.maximum(hi - lo, 1e-30)
    while len(mu) > target:
        m = len(mu)
        col = SH_C0 * shc[:, :3] / w[:, None]
        tr = np.trace(cov, axis1=1, axis2=2)
        best = np.full(m, -1, np.int64)
        cost = np.full(m, np.inf)
        for shift in (0.0, _SHIFT):
            order = np.argsort(morton_codes(mu + shift * span, lo - span, hi + span), kind="stable")
            _best_partner(order, mu, tr, w, col, NEIGHBOURS, best, cost, COLOUR_WEIGHT)
        idx = np.arange(m)
        mutual = (best >= 0) & (best[np.maximum(best, 0)] == idx) & (idx < best)
        a = idx[mutual]
        if len(a) == 0:  # cannot happen (the cheapest edge is mutual); stay safe
            a = idx[: (m // 2) * 2 : 2]
            b = a + 1
        else:
            b = best[a]
        need = m - target
        if len(a) > need:
            keep = np.argpartition(cost[a], need - 1)[:need] if len(a) > 1 else slice(None)
            a, b = a[keep], b[keep]
        c = merge_cost(mu, cov, w, col, a, b)
        wa, wb = w[a], w[b]
        tot = wa + wb
        pa, pb = (wa / tot)[:, None], (wb / tot)[:, None]
        nmu = pa * mu[a] + pb * mu[b]
        da, db = mu[a] - nmu, mu[b] - nmu
        ncov = pa[:, :, None] * (cov[a] + da[:, :, None] * da[:, None, :])
        ncov += pb[:, :, None] * (cov[b] + db[:, :, None] * db[:, None, :])
        rest = np.ones(m, bool)
        rest[a] = False
        rest[b] = False
        renum = np.empty(m, np.int64)
        nrest = m - 2 * len(a)
        renum[rest] = np.arange(nrest)
        renum[a] = renum[b] = nrest + np.arange(len(a))
        label = renum[label]
        mu = np.concatenate([mu[rest], nmu])
        cov = np.concatenate([cov[rest], ncov])
        w = np.concatenate([w[rest], tot])
        shc = np.concatenate([shc[rest], shc[a] + shc[b]])
        clear = np.concatenate([clear[rest], clear[a] * clear[b]])
        iner = np.concatenate([iner[rest], iner[a] + iner[b] + c])
        orig = np.concatenate([orig[rest], np.full(len(a), -1)])
    kept = orig >= 0
    out_mu = np.empty((len(mu), 3), np.float32)
    out_ls = np.empty((len(mu), 3), np.float32)
    out_q = np.empty((len(mu), 4), np.float32)
    out_op = np.empty(len(mu), np.float32)
    out_sh = np.empty((len(mu), *sh.shape[1:]), np.float32)
    out_dil = np.empty(len(mu), np.float32)
    extra = np.zeros(n, np.float32) if extra is None else extra
    src = orig[kept]
    out_mu[kept], out_ls[kept], out_q[kept] = means[src], scales[src], quats[src]
    out_op[kept], out_sh[kept], out_dil[kept] = opacities[src], sh[src], extra[src]
    err = group_error(iner, w)
    mg = ~kept
    if mg.any():
        psh = (shc[mg] / w[mg, None]).reshape(-1, *sh.shape[1:])
        if dilation > 0 and pixel_error > 0 and err > 0:
            px2 = (err / pixel_error) ** 2  # world units^2 per px^2 where the group takes over
            cols = _classic_parents(
                mu, cov, clear, psh, mg, label, means, scales, quats, alpha, dilation, px2
            )
        else:
            cols = (*_parents(mu[mg], cov[mg], w[mg], clear[mg], psh), np.zeros(mg.sum()))
        out_mu[mg], out_ls[mg], out_q[mg], out_op[mg], out_sh[mg], out_dil[mg] = cols
    order = np.argsort(morton_codes(out_mu, lo, hi), kind="stable")
    cols = tuple(x[order] for x in (out_mu, out_ls, out_q, out_op, out_sh, out_dil))
    return cols, iner[order], err


# -- classic light of merged splats --------------------------------------------------
MAX_PIECES = 10  # composites of larger clusters are not summed (2^k terms); see below
MAX_DILATION = 16.0  # px^2 of extra dilation a merged splat may carry
# The share of the extra dilation matched where a cluster takes over that its parent
# keeps: under a budget the cut draws most nodes nearer than that (coarser than the
# pixel error asks), where their pieces spread wider than the dilation and composite to
# less. Taebak at 2M splats, s = 0.6 / 1.0: share 0.5 34.2 / 30.7 dB, 0.7 33.8-34.1 /
# 30.8, 1.0 32.9 / 30.2, 1.5 30.3 / 28.4 (bench/results/lod.md).
DILATION_SHARE = 0.7


def _composite_py(start, mu, cov, alpha, out):
    """Light (alpha x footprint units) of each cluster's pieces composited over each
    other, summed over the three coordinate planes of the cluster's frame: the
    inclusion-exclusion sum over subsets S of (-1)^(|S|+1) prod alpha x integral of the
    product of their Gaussians (a Gaussian integral: |P|^-1/2 exp(-(c - b^T P^-1 b)/2)
    with P, b, c the summed precisions, precision-weighted means and Mahalanobis
    constants). Exact for clusters of up to ``MAX_PIECES``; -1 for larger ones."""
    planes = ((1, 2), (0, 2), (0, 1))
    for g in range(len(start) - 1):
        a0, k = start[g], start[g + 1] - start[g]
        if k > MAX_PIECES:
            out[g] = -1.0
            continue
        total = 0.0
        for u, v in planes:
            pa = np.empty(k)
            pb = np.empty(k)
            pc = np.empty(k)
            for i in range(k):
                j = a0 + i
                suu, suv, svv = cov[j, u, u], cov[j, u, v], cov[j, v, v]
                det = suu * svv - suv * suv
                pa[i], pb[i], pc[i] = svv / det, -suv / det, suu / det
            for mask in range(1, 1 << k):
                qa = qb = qc = 0.0
                bu = bv = cc = 0.0
                prod, sign = 1.0, -1.0
                for i in range(k):
                    if mask >> i & 1:
                        j = a0 + i
                        x, y = mu[j, u], mu[j, v]
                        qa += pa[i]
                        qb += pb[i]
                        qc += pc[i]
                        bu += pa[i] * x + pb[i] * y
                        bv += pb[i] * x + pc[i] * y
                        cc += pa[i] * x * x + 2 * pb[i] * x * y + pc[i] * y * y
                        prod *= alpha[j]
                        sign = -sign
                det = qa * qc - qb * qb
                quad = (qc * bu * bu - 2 * qb * bu * bv + qa * bv * bv) / det
                total += sign * prod * math.exp(-0.5 * max(cc - quad, 0.0)) / math.sqrt(det)
        out[g] = total


_composite = None


def _classic_parents(mu, cov, clear, psh, mg, label, means, scales, quats, alpha, dil, px2):
    """Columns of the merged clusters ``mg`` for classic rendering where selection swaps
    them in (``px2`` world units^2 per px^2), each piece widened there by classic's
    dilation (``dil`` px^2).

    Opacity: the pieces' summed light over the parent's widened footprint, capped by the
    pieces stacked (``_parents``). Summing ignores how the pieces cover each other, which
    suits a dense surface (the parent's neighbours overlap it as the pieces' did), but a
    sub-pixel cluster of opaque pieces composites to more than any opacity <= 1 gives
    one blob of the parent's size: four widened pieces of alpha 0.8 cover ~1.9x one
    opaque blob. So the parent also gets ``DILATION_SHARE`` of the extra dilation (px^2)
    that makes its light equal the pieces' composite (``_composite``: exact
    inclusion-exclusion). It stays a fixed size on screen, where a parent grown in world
    space occludes more the nearer it is drawn. The pieces' own extra dilation is not
    counted: compounding it level after level costs Taebak 1-3 dB (bench/results/lod.md)."""
    global _composite
    if _composite is None:
        _composite = _njit(_composite_py)
    f8 = np.float64
    pm, pc = mu[mg], cov[mg]
    # the pieces of each merged cluster, grouped, in the cluster's principal frame
    cid = np.flatnonzero(mg)
    slot = np.full(len(mu), -1)
    slot[cid] = np.arange(len(cid))
    pieces = np.flatnonzero(slot[label] >= 0)
    pieces = pieces[np.argsort(slot[label[pieces]], kind="stable")]
    ps = slot[label[pieces]]
    start = np.searchsorted(ps, np.arange(len(cid) + 1))
    widen = dil * px2
    shown = alpha[pieces] * dilated_footprint(np.exp(2 * scales[pieces].astype(f8)), widen)
    summed = np.bincount(ps, weights=shown, minlength=len(cid))
    shape = _shape(pc)
    cols = _parents(pm, pc, summed, clear[mg], psh, widen, shape)
    rot = shape[2][ps]
    pcov = np.einsum("nji,njk,nkl->nil", rot, covariances(scales[pieces], quats[pieces]), rot)
    pcov += widen * np.eye(3)
    pmu = np.einsum("nji,nj->ni", rot, means[pieces].astype(f8) - pm[ps])
    light = np.empty(len(cid))
    _composite(start, pmu, pcov, alpha[pieces], light)
    # extra dilation e solving pa x footprint(lam, (dil + e) px2) = light (monotone in e)
    lam = np.exp(2 * cols[1].astype(f8))
    need = light * (1.0 + np.exp(-cols[3].astype(f8)))  # light / parent alpha
    # (clusters over MAX_PIECES have light -1: never short, no extra dilation)
    short = need > dilated_footprint(lam, widen) * (1 + 1e-9)
    lo, hi = np.zeros(len(cid)), np.full(len(cid), MAX_DILATION)
    for _ in range(40 if short.any() else 0):
        mid = 0.5 * (lo + hi)
        up = dilated_footprint(lam, widen + mid * px2) < need
        lo, hi = np.where(up, mid, lo), np.where(up, hi, mid)
    return (*cols, (DILATION_SHARE * np.where(short, 0.5 * (lo + hi), 0.0)).astype(np.float32))


def group_error(inertia: np.ndarray, light: np.ndarray) -> float:
    """Geometric error (world units) of splats carrying ``light`` (alpha x footprint)
    with ``inertia``: the RMS over the splats of how far each one's light moved from
    where full detail has it (``collapse``); x focal / distance = pixels on screen."""
    if len(light) == 0:
        return 0.0
    return math.sqrt(float(np.mean(inertia / np.maximum(light, 1e-300))))
