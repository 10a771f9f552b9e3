"""`splatrender adapters`: the WebGPU adapters this machine offers."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("adapters", help="list the WebGPU adapters wgpu can see")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from ..gpu.native import enumerate_adapters

    adapters = asyncio.run(enumerate_adapters())
    if not adapters:
        print("no WebGPU adapter found (for a CPU one, install Debian's mesa-vulkan-drivers)")
        return 1
    for a in adapters:
        print(a.describe())
    return 0
