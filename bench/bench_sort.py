"""Median GPU time of RadixSort kernels side by side on the current adapter (a script).

    python bench/bench_sort.py [--repeat 9] [--sizes 1M:32,4M:32,1M:12]
        [--kernels default,serial:8192,subgroup:2048,ranking] [--frame procedural:1000000]

Each size is sorted by every kernel in turn, the order rotating from one repeat to the
next, so the kernels share whatever else the machine is doing; medians and ratios to the
first kernel are printed. A kernel is ``default`` (this adapter's Tuning), ``ranking``
(workgroup ranking), ``serial:KEYS`` or ``subgroup:KEYS`` (keys per block), optionally
``/THREADS`` per workgroup (``serial:4096/32``; else 128), each with the Tuning's scan.
``--frame SCENE`` renders one 1280x720 frame of SCENE first and adds its depth sort
(visible count, 32-bit keys) and tile sort (pair count, tile-id bits) sizes; the keys
themselves are uniform random of those sizes and bits.

Times with GPU timestamp queries when the adapter has them (else the CPU clock around
waiting for the queue, "cpu wall"); on a CPU adapter (lavapipe) also the process CPU
time (all threads), which stays comparable when other jobs share the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time

import numpy as np

from splatrender.gpu import COPY_DST, STORAGE, Binding, request_device
from splatrender.render.sort import RadixSort
from splatrender.render.tuning import Tuning


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for item in filter(None, text.split(",")):
        n, bits = item.split(":")
        mult = {"K": 1 << 10, "M": 1 << 20}.get(n[-1].upper(), 1)
        out.append((int(n.rstrip("KkMm")) * mult, int(bits)))
    return out


def _kernel_args(name: str, tuning: Tuning) -> dict:
    scan = {"scan_serial_block": tuning.scan_serial_block}
    if name == "default":
        return {
            "serial_keys": tuning.sort_serial_keys,
            "subgroup_keys": tuning.sort_subgroup_keys,
            "workgroup": tuning.sort_workgroup,
            **scan,
        }
    if name == "ranking":
        return {}
    kind, _, keys = name.partition(":")
    keys, _, wg = keys.partition("/")
    if kind not in ("serial", "subgroup") or not keys.isdigit():
        raise SystemExit(
            f"unknown kernel {name!r}: default, ranking, serial:N[/THREADS], subgroup:N[/THREADS]"
        )
    extra = {"workgroup": int(wg)} if wg else {}
    return {f"{kind}_keys": int(keys), **scan, **extra}


async def _frame_sizes(device, location: str) -> list[tuple[int, int, str]]:
    from splatrender.bench import paths
    from splatrender.bench.runner import _open
    from splatrender.render.frame_uniforms import tile_grid
    from splatrender.render.renderer import Renderer
    from splatrender.scene import settle

    r = Renderer(device)
    scene = await _open(location, r, None)
    cam = paths.camera(*scene.bounds, scene.axes, 1280, 720, 0, "orbit", 30)
    await settle(scene, cam)
    for _ in range(3):
        stats = await r.render(cam)
        if not await r.grow_if_needed():
            break
    tx, ty = tile_grid(1280, 720, r.tuning.tile_size)
    tile_bits = max(1, (tx * ty - 1).bit_length())
    await scene.close()
    name = f"{scene.name} 1280x720"
    return [
        (stats.visible, 32, f"{name} depth sort"),
        (stats.pairs, tile_bits, f"{name} tile sort"),
    ]


async def bench(args: argparse.Namespace) -> None:
    device = await request_device(args.adapter)
    tuning = Tuning.for_device(device)
    print(f"adapter: {device.info.describe()}; features: {sorted(device.features)}")
    print(f"tuning: {tuning}")
    kernels = args.kernels.split(",")
    sizes = [(n, b, f"{n / (1 << 20):g}M random") for n, b in _parse_sizes(args.sizes)]
    if args.frame:
        sizes += await _frame_sizes(device, args.frame)
    rng = np.random.default_rng(args.seed)
    cpu_adapter = "cpu" in device.info.adapter_type.lower()
    rows = []
    for n, bits, what in sizes:
        sorts = {}
        for k in kernels:
            sorts[k] = RadixSort(device, n, k, **_kernel_args(k, tuning))
            if k.startswith("subgroup") and not sorts[k].subgroups:
                raise SystemExit("this adapter has no subgroups")
        keys = device.create_buffer(4 * n, [STORAGE, COPY_DST], "keys")
        values = device.create_buffer(4 * n, [STORAGE, COPY_DST], "values")
        count = device.create_buffer(16, [STORAGE, COPY_DST, "copy_src"], "count")
        device.write_buffer(count, np.array([n, 0, 0, 0], np.uint32).tobytes())
        k = rng.integers(0, 1 << bits, n, dtype=np.uint64).astype(np.uint32)
        v = np.arange(n, dtype=np.uint32)
        gpu = {x: [] for x in kernels}
        proc = {x: [] for x in kernels}
        wall = {x: [] for x in kernels}
        load0 = os.getloadavg()[0]
        for i in range(args.repeat + 1):  # the first round warms up (shader JIT on lavapipe)
            order = kernels[i % len(kernels) :] + kernels[: i % len(kernels)]
            for name in order:
                device.write_buffer(keys, k.tobytes())
                device.write_buffer(values, v.tobytes())
                await device.done()
                device.begin_timing()
                enc = device.encoder("bench")
                sorts[name].encode(enc, keys, values, Binding(count, 0), bits)
                t0, p0 = time.perf_counter(), time.process_time()
                device.submit(enc)
                await device.done()
                t1, p1 = time.perf_counter(), time.process_time()
                timing = await device.end_timing()
                if i:
                    wall[name].append((t1 - t0) * 1e3)
                    proc[name].append((p1 - p0) * 1e3)
                    if timing:
                        gpu[name].append(sum(timing.values()))
        load1 = os.getloadavg()[0]
        passes = sorts[kernels[0]].passes(bits)
        print(f"\n{what}: {n} keys x {bits} bits ({passes} passes), load {load0:.1f}->{load1:.1f}")
        base = kernels[0]
        for name in kernels:
            med = {
                m: statistics.median(d[name])
                for m, d in (("gpu", gpu), ("cpu", proc), ("wall", wall))
                if d[name]
            }
            ratio = {
                m: med[m] / statistics.median(d[base])
                for m, d in (("gpu", gpu), ("cpu", proc))
                if m in med
            }
            text = ", ".join(f"{m} {t:.1f} ms" for m, t in med.items() if m != "cpu" or cpu_adapter)
            rtext = ", ".join(f"{m} x{r:.2f}" for m, r in ratio.items())
            print(f"  {name:14s} {text}  ({rtext} vs {base}; median of {args.repeat})")
            rows.append((what, n, bits, name, med, ratio))
        for b in (keys, values, count):
            device.destroy_buffer(b)
    if args.markdown:
        print("\n| keys | n | bits | kernel | gpu ms | process cpu ms | gpu ratio | cpu ratio |")
        print("|---|---:|---:|---|---:|---:|---:|---:|")
        for what, n, bits, name, med, ratio in rows:
            print(
                f"| {what} | {n} | {bits} | {name} | {med.get('gpu', float('nan')):.1f} | "
                f"{med.get('cpu', float('nan')):.1f} | {ratio.get('gpu', float('nan')):.2f} | "
                f"{ratio.get('cpu', float('nan')):.2f} |"
            )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1M:32,4M:32,1M:12")
    p.add_argument("--kernels", default="default,serial:8192,subgroup:2048,ranking")
    p.add_argument("--frame", default=None, help="e.g. procedural:1000000")
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--adapter", default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    asyncio.run(bench(p.parse_args()))


if __name__ == "__main__":
    main()
