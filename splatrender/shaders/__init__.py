"""WGSL sources (package data), the ``#import`` step, constants, and binding names.

Each ``.wgsl`` file is one pass (or a library of functions); ``// #import NAME`` pulls in
``NAME.wgsl`` or a generated module (``layout``: :mod:`.layout`, the records, counters,
clamps and frame block that Python defines once). A file declares its per-pipeline
constants (``const TILE_SIZE: u32 = 16u;``) with a default that keeps it compilable;
Python passes the real values (``load_shader(name, {"TILE_SIZE": 8})``). We patch
``const`` declarations rather than use ``override`` because some browsers ignore an
``override`` used as a workgroup array size.

WGSL wants its directives (``enable subgroups;``, ``diagnostic(...);``) before every
declaration, so those of imported files are hoisted to the top of the resolved source.

Bindings are bound by the names the WGSL declares them with: :func:`binding_table`
reads ``@group(g) @binding(b) var<...> name`` declarations, so binding numbers live in
one place, the shader.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

from .layout import layout_wgsl

_IMPORT = re.compile(r"^\s*//\s*#import\s+([\w.]+)\s*$", re.M)
_DIRECTIVE = re.compile(r"^[ \t]*(?:enable|requires|diagnostic)\b[^;]*;[ \t]*\n", re.M)
_CONST = r"^(\s*const\s+{name}\s*:\s*(\w+)\s*=\s*)([^;]+)(;)"
_BINDING = re.compile(r"@group\((\d+)\)\s*@binding\((\d+)\)\s*var(?:<[^>]*>)?\s+(\w+)")
GENERATED = {"layout": layout_wgsl}


@cache
def _raw(name: str) -> str:
    if name in GENERATED:
        return GENERATED[name]()
    return resources.files(__name__).joinpath(f"{name}.wgsl").read_text()


def _resolve(name: str, seen: set[str], modules: dict[str, str] | None = None) -> str:
    if name in seen:
        return ""
    seen.add(name)
    src = modules[name] if modules and name in modules else _raw(name)
    return _IMPORT.sub(lambda m: _resolve(m.group(1), seen, modules), src)


def _literal(value: object, wgsl_type: str) -> str:
    if wgsl_type == "u32":
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"u32 constant needs a non-negative int, got {value!r}")
        return f"{value}u"
    if wgsl_type == "i32":
        return f"{int(value)}i"
    if wgsl_type == "f32":
        return f"{float(value)!r}f".replace("inf", "3.4028234e38")
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


def shader_text(name: str) -> str:
    """``shaders/<name>.wgsl`` as written, its imports unresolved (a modifier's source)."""
    return _raw(name)


def _hoist_directives(source: str) -> str:
    found = list(dict.fromkeys(m.group(0).strip() for m in _DIRECTIVE.finditer(source)))
    if not found:
        return source
    return "\n".join(found) + "\n" + _DIRECTIVE.sub("", source)


def with_imports(source: str) -> str:
    """An inline WGSL source with its ``// #import`` lines resolved (tests, probes)."""
    return _hoist_directives(_IMPORT.sub(lambda m: _resolve(m.group(1), set()), source))


def load_shader(
    name: str, consts: dict[str, object] | None = None, modules: dict[str, str] | None = None
) -> str:
    """The WGSL source of ``shaders/<name>.wgsl`` with imports and constants applied;
    ``modules`` replace imported files by name (an object's modifier for ``modifier``)."""
    return specialize(_hoist_directives(_resolve(name, set(), modules)), consts or {})


def shader_names() -> list[str]:
    files = resources.files(__name__).iterdir()
    return sorted(f.name[:-5] for f in files if f.name.endswith(".wgsl"))


def binding_table(source: str) -> dict[int, dict[str, int]]:
    """``{group: {variable name: binding number}}`` of a WGSL source.

    Entry points of one file may give one binding number different names (each sees
    its own automatic layout); a name must have one number.
    """
    table: dict[int, dict[str, int]] = {}
    for g, b, name in _BINDING.findall(source):
        names = table.setdefault(int(g), {})
        if names.get(name, int(b)) != int(b):
            raise ValueError(f"WGSL binding {name!r} declared at two numbers in group {g}")
        names[name] = int(b)
    return table
