"""`bench compare`: a planted 20% slowdown of one stage is flagged; equal runs are not."""

from __future__ import annotations

import numpy as np
import pytest

from splatrender.bench.compare import compare, format_changes
from splatrender.bench.schema import Adapter, Frame, Machine, Results, Run, SceneInfo, Settings

STAGES = {"project": 20.0, "depth-sort": 30.0, "bin": 8.0, "tile-sort": 25.0, "raster": 120.0}


def synth(seed: int, scale: dict[str, float] | None = None, frames: int = 30, noise=0.06):
    """A result file whose stage times are lognormal around STAGES (6% noise)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(frames):
        st = {
            k: float(v * (scale or {}).get(k, 1.0) * rng.lognormal(0, noise))
            for k, v in STAGES.items()
        }
        out.append(Frame(sum(st.values()) * float(rng.lognormal(0, 0.02)), st, 1000))
    run = Run(
        "native",
        "splatrender 0.1.0",
        Adapter("llvmpipe", backend="Vulkan"),
        SceneInfo("scene.ply", splats=1000),
        Settings(320, 240, frames),
        out,
    )
    return Results(Machine(), [run])


def test_planted_slowdown_of_one_stage_is_flagged():
    changes, unmatched = compare(synth(1), synth(2, {"tile-sort": 1.2}))
    assert not unmatched
    verdicts = {c.metric: c.verdict for c in changes}
    assert verdicts["tile-sort"] == "regression"
    assert all(v == "noise" for m, v in verdicts.items() if m not in ("tile-sort", "frame"))
    ts = next(c for c in changes if c.metric == "tile-sort")
    assert 1.1 < ts.ratio < 1.3 and ts.low > 1.05
    assert "REGRESSION" in format_changes(changes, unmatched)


@pytest.mark.parametrize("seed", range(8))
def test_same_distribution_is_not_flagged(seed):
    changes, _ = compare(synth(100 + seed), synth(200 + seed))
    assert [c for c in changes if c.verdict != "noise"] == []


def test_improvement_and_unpaired():
    a = synth(3)
    b = synth(4, {"raster": 0.7}, frames=21)  # different frame counts: unpaired bootstrap
    changes, _ = compare(a, b)
    raster = next(c for c in changes if c.metric == "raster")
    assert not raster.paired and raster.verdict == "improvement"


def test_unmatched_runs_listed():
    b = synth(5)
    b.runs[0].settings.width = 640
    changes, unmatched = compare(synth(6), b)
    assert changes == [] and len(unmatched) == 2
