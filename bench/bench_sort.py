"""Median GPU time of RadixSort on the current adapter (a script, not a test).

    python bench/bench_sort.py [--repeat 7] [--sizes 1M:32,4M:32,1M:12] [--radix-bits 8]

Times with GPU timestamp queries (device.begin_timing/end_timing) when the adapter has
them, else with the CPU clock around waiting for the queue (labelled "cpu wall"). On a
CPU adapter (lavapipe) it also prints the process CPU time, which stays comparable when
other jobs share the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import numpy as np

from splatrender.gpu import COPY_DST, STORAGE, Binding, request_device
from splatrender.render.sort import CHUNKS, RADIX_BITS, WG, RadixSort


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    out = []
    for item in text.split(","):
        n, bits = item.split(":")
        mult = {"K": 1 << 10, "M": 1 << 20}.get(n[-1].upper(), 1)
        out.append((int(n.rstrip("KkMm")) * mult, int(bits)))
    return out


async def bench(args: argparse.Namespace) -> None:
    device = await request_device(args.adapter)
    print(f"adapter: {device.info.describe()}")
    print(f"radix_bits={args.radix_bits} chunks={args.chunks} workgroup={args.workgroup}")
    rng = np.random.default_rng(args.seed)
    for n, bits in _parse_sizes(args.sizes):
        sort = RadixSort(
            device,
            n,
            "sort",
            radix_bits=args.radix_bits,
            chunks=args.chunks,
            workgroup=args.workgroup,
            serial_keys=args.serial_keys,
        )
        keys = device.create_buffer(4 * n, [STORAGE, COPY_DST], "keys")
        values = device.create_buffer(4 * n, [STORAGE, COPY_DST], "values")
        count = device.create_buffer(16, [STORAGE, COPY_DST, "copy_src"], "count")
        device.write_buffer(count, np.array([n, 0, 0, 0], np.uint32).tobytes())
        k = rng.integers(0, 1 << bits, n, dtype=np.uint64).astype(np.uint32)
        v = np.arange(n, dtype=np.uint32)
        gpu_ms, cpu_ms, proc_ms = [], [], []
        for i in range(args.repeat + 1):  # the first run warms up (shader JIT on lavapipe)
            device.write_buffer(keys, k.tobytes())
            device.write_buffer(values, v.tobytes())
            await device.done()
            device.begin_timing()
            enc = device.encoder("bench")
            sort.encode(enc, keys, values, Binding(count, 0), bits)
            t0, p0 = time.perf_counter(), time.process_time()
            device.submit(enc)
            await device.done()
            t1, p1 = time.perf_counter(), time.process_time()
            timing = await device.end_timing()
            if i:
                cpu_ms.append((t1 - t0) * 1e3)
                proc_ms.append((p1 - p0) * 1e3)
                if timing:
                    gpu_ms.append(sum(timing.values()))
        label = f"{n / (1 << 20):g}M keys x {bits} bits ({sort.passes(bits)} passes)"
        if gpu_ms:
            print(f"{label}: {statistics.median(gpu_ms):.1f} ms gpu (median of {len(gpu_ms)})")
        print(f"{label}: {statistics.median(cpu_ms):.1f} ms cpu wall around submit+wait")
        if "cpu" in device.info.adapter_type.lower():
            print(f"{label}: {statistics.median(proc_ms):.1f} ms process cpu time (all threads)")
        for b in (keys, values):
            device.destroy_buffer(b)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="1M:32,4M:32,1M:12")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--radix-bits", type=int, default=RADIX_BITS)
    p.add_argument("--chunks", type=int, default=CHUNKS)
    p.add_argument("--workgroup", type=int, default=WG)
    p.add_argument("--serial-keys", type=int, default=0, help="keys per thread (CPU path)")
    p.add_argument("--adapter", default=None)
    p.add_argument("--seed", type=int, default=0)
    asyncio.run(bench(p.parse_args()))


if __name__ == "__main__":
    main()
