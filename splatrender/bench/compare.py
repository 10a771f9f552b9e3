"""`bench compare A.json B.json`: ratios B/A, and which ones are beyond the noise.

The rule (also in the README section on reading bench reports): runs are matched
by renderer kind, adapter, scene, size, budget, camera path and mode. For the
frame time and every stage, the ratio is median(B) / median(A) of the per-frame
samples, and its 95% confidence interval comes from a bootstrap of those samples
(2,000 resamples, fixed seed, so the verdict is reproducible):

- paired when both runs timed the same number of frames along the same path
  (frame i of A and B saw the same view, so view-to-view variation cancels): the
  median of the per-frame ratios B_i / A_i, resampling frame indices;
- otherwise unpaired: A and B resampled independently, ratio of their medians.

A change is a **regression** when the whole interval lies above ``1 + min_effect``
(default 10%), an **improvement** when it lies below ``1 - min_effect``; otherwise
it is within the measured noise. Noisy runs give wide intervals and so are never
flagged on a hunch; more frames narrow them.

``frame-cpu`` compares the process CPU time per frame. On CPU adapters (lavapipe)
that is the rendering work itself, and unlike wall time it barely moves when other
processes load the machine between two runs: judge those adapters by it.

A shared machine drifts between runs (other jobs start and stop): then every
metric of a run moves the same way by a similar factor. ``format_changes`` says so
when it sees it, so that a uniform shift is read as the machine, not the code;
each run's notes carry the load average at its start and end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .schema import Results, Run, stage_names

RESAMPLES = 2000
CONFIDENCE = 0.95
MIN_EFFECT = 0.10
_EPS_MS = 1e-3  # keeps ratios of (near-)zero stage times finite


@dataclass
class Change:
    run: str
    metric: str
    a_ms: float
    b_ms: float
    ratio: float
    low: float
    high: float
    paired: bool
    verdict: str  # "regression" | "improvement" | "noise"


def ratio_interval(a: list[float], b: list[float], paired: bool, seed: int = 0):
    """(ratio, low, high): median ratio B/A and its bootstrap confidence interval."""
    import numpy as np

    rng = np.random.default_rng(seed)
    av = np.asarray(a, np.float64) + _EPS_MS
    bv = np.asarray(b, np.float64) + _EPS_MS
    tail = (1 - CONFIDENCE) / 2 * 100
    if paired:
        logs = np.log(bv) - np.log(av)
        idx = rng.integers(0, len(logs), (RESAMPLES, len(logs)))
        boot = np.median(logs[idx], axis=1)
        lo, hi = np.percentile(boot, [tail, 100 - tail])
        return math.exp(np.median(logs)), math.exp(lo), math.exp(hi)
    ia = rng.integers(0, len(av), (RESAMPLES, len(av)))
    ib = rng.integers(0, len(bv), (RESAMPLES, len(bv)))
    boot = np.median(bv[ib], axis=1) / np.median(av[ia], axis=1)
    lo, hi = np.percentile(boot, [tail, 100 - tail])
    return float(np.median(bv) / np.median(av)), float(lo), float(hi)


def compare_runs(a: Run, b: Run, min_effect: float = MIN_EFFECT) -> list[Change]:
    paired = len(a.frames) == len(b.frames) and a.settings.path == b.settings.path
    metrics: list[tuple[str, list[float], list[float]]] = [
        ("frame", [f.ms for f in a.frames], [f.ms for f in b.frames])
    ]
    ca = [f.cpu_ms for f in a.frames if f.cpu_ms is not None]
    cb = [f.cpu_ms for f in b.frames if f.cpu_ms is not None]
    if len(ca) == len(a.frames) and len(cb) == len(b.frames):
        metrics.append(("frame-cpu", ca, cb))
    if a.settings.timing == b.settings.timing:
        common = [s for s in stage_names(a) if s in set(stage_names(b))]
        for s in common:
            metrics.append(
                (
                    s,
                    [f.stages.get(s, 0.0) for f in a.frames],
                    [f.stages.get(s, 0.0) for f in b.frames],
                )
            )
    out = []
    for name, sa, sb in metrics:
        if not sa or not sb:
            continue
        ratio, lo, hi = ratio_interval(sa, sb, paired)
        verdict = "noise"
        if lo > 1 + min_effect:
            verdict = "regression"
        elif hi < 1 - min_effect:
            verdict = "improvement"
        out.append(
            Change(_label(a), name, _median(sa), _median(sb), ratio, lo, hi, paired, verdict)
        )
    return out


def _median(v: list[float]) -> float:
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def _label(run: Run) -> str:
    return f"{run.renderer.split()[0]} · {run.adapter.name.split(' (')[0]} · {run.label()}"


def compare(
    a: Results, b: Results, min_effect: float = MIN_EFFECT
) -> tuple[list[Change], list[str]]:
    """All changes between matched runs, plus the labels of runs found in one file only."""
    bmap = {r.key: r for r in b.runs}
    changes: list[Change] = []
    unmatched: list[str] = []
    matched = set()
    for ra in a.runs:
        rb = bmap.get(ra.key)
        if rb is None:
            unmatched.append(f"only in A: {_label(ra)}")
            continue
        matched.add(ra.key)
        changes += compare_runs(ra, rb, min_effect)
    unmatched += [f"only in B: {_label(r)}" for r in b.runs if r.key not in matched]
    return changes, unmatched


def format_changes(changes: list[Change], unmatched: list[str]) -> str:
    rows = [("run", "metric", "A p50 ms", "B p50 ms", "B/A", "95% CI", "verdict")]
    for c in changes:
        mark = {"regression": "REGRESSION", "improvement": "faster", "noise": "~ noise"}
        rows.append(
            (
                c.run,
                c.metric,
                f"{c.a_ms:.2f}",
                f"{c.b_ms:.2f}",
                f"{c.ratio:.3f}",
                f"{c.low:.3f}-{c.high:.3f}",
                mark[c.verdict],
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    lines += unmatched
    by_run: dict[str, list[Change]] = {}
    for c in changes:
        by_run.setdefault(c.run, []).append(c)
    for run, cs in by_run.items():
        ratios = sorted(c.ratio for c in cs)
        mid = ratios[len(ratios) // 2]
        same_way = all(r > 1 for r in ratios) or all(r < 1 for r in ratios)
        if len(cs) > 2 and same_way and abs(mid - 1) > 0.03:
            lines.append(
                f"note: every metric of {run} moved the same way (median ratio {mid:.3f}): "
                "a uniform shift usually means the machine's load changed between runs"
            )
    n = sum(c.verdict == "regression" for c in changes)
    lines.append(f"{n} regression(s) beyond the measured noise" if n else "no regressions")
    return "\n".join(lines)
