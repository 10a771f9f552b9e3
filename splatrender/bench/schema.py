"""The bench result file: one JSON document per bench invocation.

Written by ``splatrender bench`` (native runs) and ``bench/peers/run_peers.py``
(browser runs: our web viewer, Spark, PlayCanvas), read by ``bench report`` and
``bench compare``. Schema ``splatrender-bench/1``::

    {
      "schema": "splatrender-bench/1",
      "created": "2026-11-22T01:30:00+00:00",      # UTC, ISO 8601
      "machine": {"hostname", "os", "cpu", "cpu_count", "python", "splatrender"},
      "runs": [                                     # one per adapter x scene x size x budget
        {
          "runtime": "native" | "browser",
          "renderer": "splatrender 0.1.0" | "spark 2.2.0" | "playcanvas 2.23.0 (webgpu)" | ...,
          "adapter": {"name", "vendor", "backend", "type", "driver"},
          "scene": {"name", "location", "splats", "lod"},   # splats at full detail
          "settings": {
            "width", "height",          # image size in pixels
            "budget",                   # splat budget (LOD sets) or null
            "frames", "warmup",         # timed frames; untimed frames before them
            "path",                     # camera path: "orbit" | "flythrough"
            "mode",                     # "classic" | "antialiased"
            "timing"                    # where the figures come from, see below
          },
          "frames": [                   # one entry per timed frame, in path order
            {"ms": 812.4,               # whole frame: encode + submit -> GPU done
             "stages": {"project": 40.1, "depth-sort": 55.0, ...},   # ms per pass label
             "drawn": 90854,            # splats submitted to the frame (after LOD)
             "visible": 90211,          # splats after culling (null if unknown)
             "pairs": 170002,           # splat-tile pairs (null if unknown)
             "lod_ms": null,            # CPU ms of LOD selection + uploads, outside "ms"
             "cpu_ms": 1210.0,          # CPU time this process used during "ms" (all
                                        #   threads; on CPU adapters, the GPU's work)
             "evals": {"listed": 184.7, "until_stop": 93.8, "blended": 41.1,
                       "threads": 88.2, "lockstep": 99.0}}   # optional, see below
          ],
          "peak_gpu_bytes": 123456789,  # renderer + splat pool buffers at their largest
          "screenshot": "guitar-640x360.png" | null,   # relative to the JSON file
          "notes": ["..."],
          "summary": {...}              # derived from "frames" (see ``summarize``);
        }                               # written for readers, recomputed on load
      ]
    }

``settings.timing`` says what the numbers measure:

- ``gpu-timestamps``: stage times from GPU timestamp queries written at the start
  and end of every labelled compute pass, summed per label; frame ``ms`` is wall
  time from encoding to the GPU reporting done (``await device.done()``).
- ``cpu-sync``: the adapter has no timestamp queries (or ``--timing cpu``): each
  pass is submitted on its own and timed on the CPU around ``await device.done()``;
  frame ``ms`` is the sum of those times (plus the frame's buffer clears), so it
  includes one queue round trip per pass and exceeds a frame whose passes run back
  to back.
- ``raf``: browser runs; ``ms`` is the time between frames whose drawing is known
  complete (requestAnimationFrame deltas, or the renderer's own frame-done signal
  where it has one, e.g. our viewer's ``frame`` event). ``stages`` may be empty.

Stage labels are the frame graph's pass labels: ``project``, ``depth-sort``,
``bin``, ``tile-scan``, ``tile-sort``, ``raster``; CPU adapters' counting tile sort
(render/tile_blocks.py) has ``tile-count`` and ``tile-place`` instead of ``tile-sort``.

``evals`` (optional; absent in older files and browser runs): splat-pixel evaluations of
the frame's raster pass per image pixel, counted by an untimed rerun of that pass with
the raster shader's counting variant (``render.raster.RasterStats``): ``listed`` =
pairs x tile pixels; ``until_stop`` = each pixel's evaluations up to the splat that
stopped it, the floor for these tile lists; ``blended`` = those that changed the pixel;
``threads`` = what the raster threads evaluated; ``lockstep`` = per tile, the busiest
thread times the threads (the cost on a CPU adapter, which runs a tile as one SIMD loop).

``cpu_ms`` matters on CPU adapters (lavapipe): they render on this process's
threads, so its CPU time is the work done, while wall time also counts every
other process on a shared machine. Under contention, compare ``cpu_ms``.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FormatError

SCHEMA = "splatrender-bench/1"
TIMING_SOURCES = ("gpu-timestamps", "cpu-sync", "raf")
RUNTIMES = ("native", "browser")


@dataclass
class Machine:
    hostname: str = ""
    os: str = ""
    cpu: str = ""
    cpu_count: int = 0
    python: str = ""
    splatrender: str = ""


@dataclass
class Adapter:
    name: str
    vendor: str = ""
    backend: str = ""
    type: str = ""
    driver: str = ""

    def describe(self) -> str:
        extra = ", ".join(x for x in (self.backend, self.type) if x)
        return f"{self.name} ({extra})" if extra else self.name


@dataclass
class SceneInfo:
    name: str
    location: str = ""
    splats: int = 0
    lod: bool = False


@dataclass
class Settings:
    width: int
    height: int
    frames: int
    budget: int | None = None
    warmup: int = 2
    path: str = "orbit"
    mode: str = "classic"
    timing: str = "gpu-timestamps"

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass
class Frame:
    ms: float
    stages: dict[str, float] = field(default_factory=dict)
    drawn: int = 0
    visible: int | None = None
    pairs: int | None = None
    lod_ms: float | None = None
    cpu_ms: float | None = None
    evals: dict[str, float] | None = None


@dataclass
class Run:
    runtime: str
    renderer: str
    adapter: Adapter
    scene: SceneInfo
    settings: Settings
    frames: list[Frame]
    peak_gpu_bytes: int | None = None
    screenshot: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple:
        """What makes two runs comparable: same renderer kind, adapter, scene and settings."""
        s = self.settings
        kind = self.renderer.split()[0]
        return (self.runtime, kind, self.adapter.name, self.adapter.backend, self.scene.name,
                s.width, s.height, s.budget, s.path, s.mode)  # fmt: skip

    def label(self) -> str:
        s = self.settings
        budget = f" budget {s.budget:,}" if s.budget else ""
        return f"{self.scene.name} {s.size}{budget}"

    def summary(self) -> dict[str, Any]:
        return summarize(self)


@dataclass
class Results:
    machine: Machine
    runs: list[Run] = field(default_factory=list)
    created: str = ""
    schema: str = SCHEMA

    # -- JSON --------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for run, rd in zip(self.runs, d["runs"], strict=True):
            rd["summary"] = summarize(run)
        return {"schema": d.pop("schema"), "created": d.pop("created"), **d}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n"

    def write(self, path: str | Path) -> None:
        Path(path).write_text(self.to_json())

    @classmethod
    def from_dict(cls, d: Any, source: str = "") -> Results:
        try:
            if not isinstance(d, dict) or d.get("schema") != SCHEMA:
                got = d.get("schema") if isinstance(d, dict) else type(d).__name__
                raise FormatError(source, f"not a {SCHEMA} result file (schema: {got!r})")
            runs = [_run_from_dict(r) for r in d.get("runs", [])]
            return cls(Machine(**d.get("machine", {})), runs, str(d.get("created", "")))
        except FormatError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError) as e:
            raise FormatError(source, f"malformed bench result ({e})") from e

    @classmethod
    def read(cls, path: str | Path) -> Results:
        p = Path(path)
        try:
            d = json.loads(p.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise FormatError(str(p), f"cannot read bench results ({e})") from e
        return cls.from_dict(d, str(p))


def _run_from_dict(r: dict) -> Run:
    frames = [Frame(**f) for f in r["frames"]]
    for f in frames:
        if not (isinstance(f.ms, int | float) and math.isfinite(f.ms) and f.ms >= 0):
            raise ValueError(f"frame time {f.ms!r} is not a finite non-negative number")
        f.stages = {str(k): float(v) for k, v in f.stages.items()}
        if f.evals is not None:
            f.evals = {str(k): float(v) for k, v in f.evals.items()}
    settings = Settings(**r["settings"])
    if settings.timing not in TIMING_SOURCES:
        raise ValueError(f"unknown timing source {settings.timing!r}")
    if r["runtime"] not in RUNTIMES:
        raise ValueError(f"unknown runtime {r['runtime']!r}")
    return Run(
        runtime=r["runtime"],
        renderer=r["renderer"],
        adapter=Adapter(**r["adapter"]),
        scene=SceneInfo(**r["scene"]),
        settings=settings,
        frames=frames,
        peak_gpu_bytes=r.get("peak_gpu_bytes"),
        screenshot=r.get("screenshot"),
        notes=list(r.get("notes", [])),
    )


# -- derived figures ---------------------------------------------------------------
def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default method), pure Python."""
    if not values:
        return math.nan
    v = sorted(values)
    pos = (len(v) - 1) * q / 100
    lo = math.floor(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def stage_names(run: Run) -> list[str]:
    names: dict[str, None] = {}
    for f in run.frames:
        names.update(dict.fromkeys(f.stages))
    return list(names)


def summarize(run: Run) -> dict[str, Any]:
    """p50/p95/p99 of frame and stage times, throughput and the median's spread.

    ``frame_ms.spread`` is the interquartile range of the per-frame samples: the
    report states it beside every median and ``bench compare`` measures noise the
    same way (from the per-frame samples).
    """
    ms = [f.ms for f in run.frames]
    s = run.settings

    def dist(values: list[float]) -> dict[str, float]:
        return {
            "p50": percentile(values, 50),
            "p95": percentile(values, 95),
            "p99": percentile(values, 99),
            "min": min(values) if values else math.nan,
            "max": max(values) if values else math.nan,
            "spread": percentile(values, 75) - percentile(values, 25),
        }

    out: dict[str, Any] = {"frames": len(ms)}
    if not ms:
        return out
    out["frame_ms"] = dist(ms)
    out["stages_ms"] = {
        name: dist([f.stages.get(name, 0.0) for f in run.frames]) for name in stage_names(run)
    }
    p50 = out["frame_ms"]["p50"]
    drawn = percentile([float(f.drawn) for f in run.frames], 50)
    out["drawn_p50"] = drawn
    for key in ("visible", "pairs"):
        vals = [float(getattr(f, key)) for f in run.frames if getattr(f, key) is not None]
        out[f"{key}_p50"] = percentile(vals, 50) if vals else None
    evals = [f.evals for f in run.frames if f.evals]
    names = list(dict.fromkeys(k for e in evals for k in e))
    out["evals_p50"] = (
        {k: percentile([e[k] for e in evals if k in e], 50) for k in names} if evals else None
    )
    cpu = [f.cpu_ms for f in run.frames if f.cpu_ms is not None]
    out["cpu_ms"] = dist(cpu) if len(cpu) == len(ms) else None
    out["splats_per_s"] = drawn / (p50 / 1000) if p50 > 0 else None
    out["pixels_per_s"] = s.width * s.height / (p50 / 1000) if p50 > 0 else None
    out = {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in out.items()
    }
    return out
