"""The web viewer as a set of files, for ``serve`` and ``web export``.

The page and the element (package data in ``web/static``), splatrender's browser wheel
(:mod:`.bundle`), the Pyodide + fzstd runtime (:mod:`.runtime`: the local copy when there
is one, else their CDN) and ``config.json``, which tells the page where each of them is.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from .bundle import digest, wheel_name, write_wheel
from .runtime import FZSTD, PACKAGES, PYODIDE, cache_root, find_runtime, is_runtime

STATIC = Path(__file__).resolve().parent / "static"
RUNTIME_URL = "runtime/"  # where a local runtime is mounted, beside the page


def browser_wheel() -> Path:
    """The wheel the page installs: the one built with this install, or (in a source
    checkout) one built from the package's sources into the cache."""
    built = sorted(STATIC.glob(wheel_name("*")))
    if built:
        return built[-1]
    package = STATIC.parents[1]
    out = cache_root() / "browser-wheel" / digest(package)
    path = out / wheel_name(__version__)
    return path if path.is_file() else write_wheel(package, out, __version__)


@dataclass(frozen=True)
class Site:
    """URL path (relative to the page) -> file, plus the page's ``config.json``."""

    files: dict[str, Path]
    config: dict[str, str]
    runtime: Path | None  # the local runtime served, or None: the page uses the CDN

    @property
    def runtime_note(self) -> str:
        if self.runtime is not None:
            return f"Pyodide {PYODIDE.version} from {self.runtime}"
        return (
            f"Pyodide {PYODIDE.version} from {PYODIDE.cdn} (not cached here: the page needs "
            "the internet; `splatrender web fetch-runtime` caches it for offline use)"
        )

    def config_bytes(self) -> bytes:
        return (json.dumps(self.config, indent=1) + "\n").encode()

    def lookup(self, path: str) -> Path | bytes | None:
        """The file or bytes at ``path`` ("" is the page), or None."""
        path = path or "index.html"
        if path == "config.json":
            return self.config_bytes()
        return self.files.get(path)

    def export(self, out: Path) -> Path:
        """Write the site as a static folder any web server can host; returns ``out``."""
        out.mkdir(parents=True, exist_ok=True)
        for rel, src in self.files.items():
            (out / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, out / rel)
        (out / "config.json").write_bytes(self.config_bytes())
        return out


def assemble(runtime: Path | None = None, cdn: bool = False) -> Site:
    """The viewer's files. ``runtime``: a folder with the runtime files (default: the
    cached copy, if any); ``cdn``: load Pyodide and fzstd from their CDN regardless."""
    if runtime is not None and not is_runtime(runtime):
        names = ", ".join(n for p in PACKAGES for n in p.files.values())
        raise FileNotFoundError(f"{runtime} is not a runtime folder (needs {names})")
    if not cdn and runtime is None:
        runtime = find_runtime()
    if cdn:
        runtime = None
    files = {f.name: f for f in sorted(STATIC.iterdir()) if f.is_file() and f.suffix != ".whl"}
    wheel = browser_wheel()
    files[wheel.name] = wheel
    config = {"wheel": wheel.name, "pyodideVersion": PYODIDE.version}
    if runtime is None:
        config |= {"pyodide": PYODIDE.cdn, "zstd": FZSTD.cdn}
    else:
        for p in PACKAGES:
            for name in p.files.values():
                files[RUNTIME_URL + name] = runtime / name
        config |= {"pyodide": RUNTIME_URL, "zstd": RUNTIME_URL + "fzstd.js"}
    return Site(files, config, runtime)
