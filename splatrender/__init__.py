"""splatrender: Gaussian-splat rendering on WebGPU for low-power devices."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Camera", "Renderer", "load", "show"]


def __getattr__(name: str):
    # Lazy: importing splatrender must not pull numpy or wgpu in (browser, CLI start-up).
    if name == "Camera":
        from .render.camera import Camera

        return Camera
    if name == "Renderer":
        from .render.renderer import Renderer

        return Renderer
    if name == "load":
        from .formats import load

        return load
    if name == "show":
        from .notebook import show

        return show
    raise AttributeError(name)
