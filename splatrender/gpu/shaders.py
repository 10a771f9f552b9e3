"""Load WGSL from package data, resolve ``#import``, and specialise constants.

Each ``.wgsl`` file compiles on its own: it declares its constants with default
values. Python passes the real values, so a constant is defined once (in Python)
and the file's default only keeps the file valid for standalone compilation. We
patch ``const`` declarations rather than use ``override`` because some browsers
ignore an ``override`` used as a workgroup array size.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_IMPORT = re.compile(r"^\s*//\s*#import\s+([\w.]+)\s*$", re.M)
_CONST = r"^(\s*const\s+{name}\s*:\s*(\w+)\s*=\s*)([^;]+)(;)"


@cache
def _raw(name: str) -> str:
    return resources.files("splatrender.shaders").joinpath(f"{name}.wgsl").read_text()


def _resolve(name: str, seen: set[str]) -> str:
    if name in seen:
        return ""
    seen.add(name)
    src = _raw(name)
    return _IMPORT.sub(lambda m: _resolve(m.group(1), seen), src)


def _literal(value: object, wgsl_type: str) -> str:
    if wgsl_type == "u32":
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"u32 constant needs a non-negative int, got {value!r}")
        return f"{value}u"
    if wgsl_type == "i32":
        return f"{int(value)}i"
    if wgsl_type == "f32":
        return f"{float(value)!r}f".replace("inf", "3.4028235e38")
    if wgsl_type == "bool":
        return "true" if value else "false"
    raise ValueError(f"cannot specialise a constant of type {wgsl_type}")


def specialize(source: str, consts: dict[str, object]) -> str:
    """Replace the value of each ``const NAME: T = ...;`` named in ``consts``."""
    for name, value in consts.items():
        pat = re.compile(_CONST.format(name=re.escape(name)), re.M)
        m = pat.search(source)
        if m is None:
            raise KeyError(f"WGSL has no `const {name}` to specialise")
        lit = _literal(value, m.group(2))
        source = source[: m.start(3)] + lit + source[m.end(3) :]
    return source


def load_shader(name: str, consts: dict[str, object] | None = None) -> str:
    """The WGSL source of ``shaders/<name>.wgsl`` with imports and constants applied."""
    return specialize(_resolve(name, set()), consts or {})


def shader_names() -> list[str]:
    files = resources.files("splatrender.shaders").iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".wgsl"))
