"""Time the render core on every adapter wgpu sees, scene by scene, size by size.

A run renders ``warmup`` untimed frames (pipelines compile, buffers grow), then
``frames`` timed ones along a camera path that moves every frame. Each timed frame
is encoded, submitted and awaited on its own (``await device.done()``), so frame
times are latencies, not throughput of overlapped frames.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import SplatError
from ..gpu import Buffer, Device, Encoder
from ..render.renderer import REDRAWS
from ..scene import settle
from . import paths
from .schema import Adapter, Frame, Machine, Results, Run, SceneInfo, Settings

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SCENE = "sample_scenes/playbot"
PROCEDURAL = "procedural:"  # "procedural:1000000" = bench.procedural.surface_scene(1M)


@dataclass
class BenchConfig:
    scenes: list[str] = field(default_factory=lambda: [DEFAULT_SCENE])
    sizes: list[tuple[int, int]] = field(default_factory=lambda: [(320, 240)])
    budgets: list[int | None] = field(default_factory=lambda: [None])
    frames: int = 10
    warmup: int = 2
    path: str = "orbit"
    mode: str = "classic"
    timing: str = "auto"  # "auto": timestamps when supported; "cpu": always cpu-sync
    adapter: str = "all"
    evals: bool = True  # count raster evaluations per pixel (an untimed rerun per frame)


# -- machine and adapters ----------------------------------------------------------
def machine_info() -> Machine:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = __version__
    try:  # which code was measured: the commit, and whether the tree had changes

        def git(*args: str) -> str:
            cmd = ["git", "-C", str(ROOT), *args]
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.strip()

        head = git("rev-parse", "--short", "HEAD")
        if head:
            dirty = git("status", "--porcelain", "--untracked-files=no")
            version += f" ({head}{', modified tree' if dirty else ''})"
    except (OSError, subprocess.SubprocessError):
        pass
    return Machine(
        hostname=platform.node(),
        os=platform.platform(),
        cpu=cpu,
        cpu_count=os.cpu_count() or 0,
        python=sys.version.split()[0],
        splatrender=version,
    )


async def list_adapters(selector: str = "all") -> tuple[list[Any], list[Any]]:
    """(adapters to bench, adapters skipped as duplicates).

    wgpu lists some devices once per backend (lavapipe: Vulkan and OpenGL); one per
    device name is kept, the first (preferred) backend, because
    ``NativeDevice.create`` picks adapters by name.
    """
    from ..gpu.native import enumerate_adapters

    seen: dict[str, Any] = {}
    skipped = []
    for a in await enumerate_adapters():
        if a.name in seen:
            skipped.append(a)
        else:
            seen[a.name] = a
    found = list(seen.values())
    if selector != "all":
        found = [a for a in found if selector.lower() in a.name.lower()]
        skipped = [a for a in skipped if selector.lower() in a.name.lower()]
        if not found:
            raise SplatError(f"no adapter matching {selector!r}; see `splatrender adapters`")
    if not found:
        raise SplatError("no WebGPU adapter found (install mesa-vulkan-drivers for lavapipe)")
    return found, skipped


# -- measurement helpers -----------------------------------------------------------
def gpu_bytes(*roots: object) -> int:
    """Bytes of every GPU buffer reachable from ``roots`` through attributes, lists
    and dicts (the renderer, its sorts and scans, the splat pool), each counted once."""
    seen: set[int] = set()
    total = 0

    def walk(obj: object, depth: int) -> None:
        nonlocal total
        if id(obj) in seen or depth > 4:
            return
        seen.add(id(obj))
        if isinstance(obj, Buffer):
            total += obj.size
        elif isinstance(obj, Device):
            return
        elif isinstance(obj, dict):
            for v in obj.values():
                walk(v, depth + 1)
        elif isinstance(obj, list | tuple):
            for v in obj:
                walk(v, depth + 1)
        elif type(obj).__module__.startswith("splatrender.") and hasattr(obj, "__dict__"):
            for v in vars(obj).values():
                walk(v, depth + 1)

    for r in roots:
        walk(r, 0)
    return total


class SegmentEncoder(Encoder):
    """An encoder that starts a new command buffer at every compute pass, so each
    pass can be submitted and timed on its own (``cpu-sync`` timing)."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.segments: list[tuple[str, Encoder]] = [("setup", device.encoder("setup"))]

    def compute_pass(self, label: str = ""):
        enc = self.device.encoder(label)
        self.segments.append((label or "pass", enc))
        return enc.compute_pass(label)

    def copy_buffer(self, src, src_offset, dst, dst_offset, size) -> None:
        self.segments[-1][1].copy_buffer(src, src_offset, dst, dst_offset, size)

    def clear_buffer(self, buffer, offset=0, size=None) -> None:
        self.segments[-1][1].clear_buffer(buffer, offset, size)


async def _timed_frame(renderer, camera, timing: str) -> tuple[float, dict[str, float], float]:
    """(frame ms, ms per stage, process CPU ms) of one frame, awaited to completion."""
    dev = renderer.device
    c0 = time.process_time()
    if timing == "gpu-timestamps":
        dev.begin_timing()
        t0 = time.perf_counter()
        enc = dev.encoder("frame")
        renderer.encode(enc, camera)
        dev.submit(enc)
        await dev.done()
        ms = 1000 * (time.perf_counter() - t0)
        cpu = 1000 * (time.process_time() - c0)
        return ms, await dev.end_timing(), cpu
    seg = SegmentEncoder(dev)
    renderer.encode(seg, camera)
    stages: dict[str, float] = {}
    total = 0.0
    for label, enc in seg.segments:
        t0 = time.perf_counter()
        dev.submit(enc)
        await dev.done()
        dt = 1000 * (time.perf_counter() - t0)
        total += dt
        if label != "setup":
            stages[label] = stages.get(label, 0.0) + dt
    return total, stages, 1000 * (time.process_time() - c0)


async def count_evals(renderer) -> dict[str, float]:
    """Splat-pixel evaluations per pixel of the last frame: its raster pass rerun, untimed,
    with the counting pipeline (``Rasterizer.encode_stats``)."""
    dev = renderer.device
    enc = dev.encoder("raster-stats")
    renderer.rasterizer.encode_stats(enc, renderer.buffers)
    dev.submit(enc)
    st = await renderer.rasterizer.read_stats(renderer.buffers)
    return {k: round(v, 3) for k, v in st.per_pixel().items()}


# -- scenes ------------------------------------------------------------------------
def resolve_scene(spec: str) -> str:
    """A scene argument as a location: as given, else relative to the project root."""
    if spec.startswith(PROCEDURAL) or spec.startswith(("http://", "https://")):
        return spec
    if Path(spec).exists():
        return spec
    alt = ROOT / spec
    if alt.exists():
        return str(alt)
    raise SplatError(f"scene not found: {spec}")


async def _open(location: str, renderer, budget: int | None):
    """The scene at ``location`` opened the way users open it (``open_scene``), attached
    to ``renderer``; a procedural scene is written as PLY bytes and decoded likewise."""
    from ..scene import open_scene

    source, name = location, None
    if location.startswith(PROCEDURAL):
        from ..formats import ply
        from .procedural import surface_scene

        try:
            n = int(location[len(PROCEDURAL) :])
        except ValueError:
            raise SplatError(f"expected procedural:N (N splats), got {location!r}") from None
        source, name = ply.to_bytes(surface_scene(n)), f"procedural-{n}"
    scene = await open_scene(source, renderer.device, name=name, budget=budget)
    renderer.set_pool(scene.pool)
    return scene


# -- the run -----------------------------------------------------------------------
async def bench_config(
    renderer, scene, location: str, size: tuple[int, int], budget: int | None,
    config: BenchConfig, timing: str, tick: Callable[[], None] = lambda: None,
) -> Run:  # fmt: skip
    """Time one (scene, size, budget) on the renderer's device."""
    w, h = size
    n = config.frames

    def cam(i: int):
        return paths.camera(*scene.bounds, scene.axes, w, h, i, config.path, n)

    async def frame(i: int) -> Frame:
        lod_ms = None
        if scene.streamed:
            t0 = time.perf_counter()
            await scene.update(cam(i))
            lod_ms = 1000 * (time.perf_counter() - t0)
        for _ in range(REDRAWS):  # a frame whose buffers overflowed is redrawn, not counted
            ms, stages, cpu = await _timed_frame(renderer, cam(i), timing)
            if not await renderer.grow_if_needed():
                break
        s = renderer.stats
        lod = None if lod_ms is None else round(lod_ms, 4)
        rounded = {k: round(v, 4) for k, v in stages.items()}
        evals = await count_evals(renderer) if config.evals else None
        return Frame(round(ms, 4), rounded, s.splats, s.visible, s.pairs, lod, round(cpu, 4), evals)

    load0 = os.getloadavg()[0]
    await settle(scene, cam(0))
    await renderer.render(cam(0))  # compile pipelines, size buffers
    for _ in range(config.warmup):
        await frame(0)
        tick()
    frames: list[Frame] = []
    peak = 0
    for i in range(n):
        frames.append(await frame(i))
        peak = max(peak, gpu_bytes(renderer, renderer.pool))
        tick()
    d = renderer.device.info
    notes = [f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)"]
    if timing == "cpu-sync":
        notes.append("stage times: CPU time around a queue sync per pass (no GPU timestamps)")
    if scene.streamed:
        notes.append(f"LOD set: {scene.budget:,}-splat budget, streamed until settled")
    return Run(
        runtime="native",
        renderer=f"splatrender {__version__}",
        adapter=Adapter(d.name, d.vendor, d.backend, d.adapter_type, d.driver),
        scene=SceneInfo(scene.name, location, scene.count, scene.streamed),
        settings=Settings(
            w,
            h,
            n,
            budget if scene.streamed else None,
            config.warmup,
            config.path,
            config.mode,
            timing,
        ),
        frames=frames,
        peak_gpu_bytes=peak,
        notes=notes,
    )


async def run_bench(
    config: BenchConfig,
    progress: bool = True,
    on_run: Callable[[Run], None] | None = None,
    warn: Callable[[str], None] | None = None,
) -> Results:
    """Run every scene x size x budget on every selected adapter."""
    from tqdm import tqdm

    from ..gpu.native import NativeDevice
    from ..render.renderer import Renderer

    if config.path not in paths.PATHS:
        raise SplatError(f"unknown camera path {config.path!r}; choose one of {paths.PATHS}")
    if config.frames < 1:
        raise SplatError("--frames must be at least 1")
    adapters, duplicates = await list_adapters(config.adapter)
    locations = [resolve_scene(s) for s in config.scenes]
    per_run = config.frames + config.warmup
    total = len(adapters) * len(locations) * len(config.sizes) * len(config.budgets) * per_run
    results = Results(machine_info(), [], datetime.now(UTC).isoformat(timespec="seconds"))
    bar = tqdm(total=total, unit="frame", disable=not progress, file=sys.stderr, smoothing=0)
    say = warn or (lambda m: bar.write(m, file=sys.stderr))
    for a in duplicates:
        say(f"not benched: {a.describe()} (same device as another backend's adapter)")
    try:
        for info in adapters:
            device = await NativeDevice.create(adapter=info.name)
            timing = "cpu-sync"
            if config.timing == "auto" and device.timestamps_supported():
                timing = "gpu-timestamps"
            renderer = Renderer(device, mode=config.mode)
            for location in locations:
                done_budgets: set = set()
                for budget in config.budgets:
                    try:
                        scene = await _open(location, renderer, budget)
                    except SplatError as e:
                        say(f"skipping {location}: {e}")
                        bar.update(per_run * len(config.sizes) * (len(config.budgets)))
                        break
                    key = budget if scene.streamed else None
                    if key in done_budgets:  # plain scenes have no budget: run once
                        await scene.close()
                        bar.update(per_run * len(config.sizes))
                        continue
                    done_budgets.add(key)
                    try:
                        for size in config.sizes:
                            bar.set_description(
                                f"{info.name[:16]} {scene.name[:24]} {size[0]}x{size[1]}"
                            )
                            run = await bench_config(
                                renderer, scene, location, size, key, config, timing, bar.update
                            )
                            results.runs.append(run)
                            if on_run:
                                on_run(run)
                    finally:
                        await scene.close()
    finally:
        bar.close()
    return results


def parse_sizes(texts: Sequence[str]) -> list[tuple[int, int]]:
    """``["1280x720", ...]`` as (width, height) pairs."""
    out = []
    for t in texts:
        try:
            w, h = (int(v) for v in t.lower().split("x"))
        except ValueError:
            raise SplatError(f"expected WIDTHxHEIGHT, got {t!r}") from None
        out.append((w, h))
    return out
