"""Modifiers: an object's own WGSL, compiled into the projection pass.

A modifier is a WGSL source that defines the two functions of
``shaders/modifier.wgsl`` (read it: it documents the hook):

    fn modify_position(p: vec3<f32>, m: ModifierInput) -> vec3<f32>
    fn modify_color(rgba: vec4<f32>, m: ModifierInput) -> vec4<f32>

``m`` holds the splat's index in its object, the renderer's clock in seconds, the
splat's stored centre and the object's four ``params`` (changing params rewrites a
uniform; changing the source compiles another pipeline). It may ``// #import layout``
and must compile on its own. The position is in the object's frame, before its
placement; the colour is after SH, before the scene's edits.

Two examples ship with the package: ``Modifier.builtin("reveal", (speed, edge, rise,
0))`` (a growing sphere reveals the object) and ``Modifier.builtin("grade",
(saturation, contrast, brightness, warmth))`` (a colour grade). Only those two have
float64 twins (reference/modifiers.py); a user's modifier is checked by compiling it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import SplatError
from ..gpu import Device, GPUError
from ..shaders import shader_text
from .transform import finite_values

BUILTIN = ("reveal", "grade")
DEFAULT_PARAMS = {"reveal": (1.0, 0.1, 0.5, 0.0), "grade": (1.0, 1.0, 1.0, 0.0)}


@dataclass(frozen=True)
class Modifier:
    """WGSL defining ``modify_position`` and ``modify_color``, and its parameters."""

    source: str
    params: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    name: str = "modifier"
    animated: bool = False  # uses the clock: the viewer redraws every frame

    def __post_init__(self) -> None:
        for fn in ("fn modify_position", "fn modify_color"):
            if fn not in self.source:
                raise SplatError(f"modifier {self.name!r} must define `{fn}(...)`")
        object.__setattr__(self, "params", finite_values("params", self.params, 4))

    @classmethod
    def builtin(cls, name: str, params: Sequence[float] | None = None) -> Modifier:
        """One of the examples: ``reveal`` (animated) or ``grade``."""
        if name not in BUILTIN:
            raise SplatError(f"no built-in modifier {name!r}; there are {BUILTIN}")
        p = DEFAULT_PARAMS[name] if params is None else params
        source = shader_text(f"modifier_{name}")
        return cls(source, tuple(p), name, animated=name == "reveal")  # type: ignore[arg-type]

    @classmethod
    def from_file(
        cls, path: str | Path, params: Sequence[float] = (0, 0, 0, 0), animated: bool = False
    ) -> Modifier:
        try:
            source = Path(path).read_text(encoding="utf-8")
        except OSError as e:
            raise SplatError(f"{path}: cannot read the modifier: {e.strerror or e}") from None
        return cls(source, tuple(params), Path(path).name, animated)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, d: object) -> Modifier:
        """``{"builtin": "reveal" | "grade", "params": [4 numbers]}`` (a scene file's or
        the page's; WGSL of one's own goes through ``Modifier(source)`` or ``from_file``)."""
        if not isinstance(d, dict) or set(d) - {"builtin", "params"} or "builtin" not in d:
            raise SplatError(f'a modifier is {{"builtin": name, "params": [a, b, c, d]}}: {d!r}')
        return cls.builtin(str(d["builtin"]), d.get("params"))

    def with_params(self, params: Sequence[float]) -> Modifier:
        return Modifier(self.source, tuple(params), self.name, self.animated)  # type: ignore[arg-type]

    def check(self, device: Device) -> None:
        """Compile the projection pass with this modifier: a ``SplatError`` with the
        compiler's message if it does not."""
        from ..render.project import project_source

        try:
            device.validate_shader(project_source(16, "classic", 0, self.source), self.name)
        except GPUError as e:
            raise SplatError(f"modifier {self.name!r} does not compile: {e}") from None
