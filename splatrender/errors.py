"""The project's own exceptions: every failure a user can cause ends in one of these."""

from __future__ import annotations


class SplatError(Exception):
    """Base class of splatrender's errors."""


class FormatError(SplatError):
    """A scene file that cannot be read: names the file and the problem."""

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}" if source else problem)


class RuntimeUnsupported(FormatError):
    """A valid file the GPU decoders do not read (ASCII or non-float PLY, a point cloud):
    natively ``open_scene`` converts it with the numpy reader; a web page cannot."""


class RenderError(SplatError):
    """A frame that cannot be rendered (bad camera, size beyond the adapter's limits)."""
