"""Headless Chromium with WebGPU on SwiftShader, as the web tests and the browser
benchmarks start it (native side; never a downloaded browser).

With ``--enable-unsafe-webgpu`` alone the device is lost at the first canvas frame;
the ANGLE/Vulkan SwiftShader flags make canvases work, and the network flags keep
Chromium from reaching out of this machine.
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("SPLATRENDER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--enable-unsafe-webgpu",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    "--enable-features=Vulkan",
    "--use-vulkan=swiftshader",
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright):
    """A headless Chromium browser from Playwright's ``playwright.chromium``."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
