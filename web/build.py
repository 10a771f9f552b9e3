"""Build the web viewer into ``web/build/`` (never committed).

    python web/build.py                 # Pyodide from npm, served from the same origin
    python web/build.py --cdn URL       # load Pyodide from URL instead (no npm needed)

Steps: ``npm install pyodide@PYODIDE_RANGE`` into ``web/node_modules`` (a cache),
copy the runtime files into ``build/pyodide/``, build a pure-Python wheel of this
repository (the shaders are package data) into ``build/``, copy the page files and
write ``build/config.json`` telling the page where Pyodide and the wheel are.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PYODIDE_RANGE = "~0.29.5"  # Python 3.13 in the browser
FZSTD_RANGE = "~0.1.1"
PYODIDE_CDN = "https://cdn.jsdelivr.net/pyodide/v0.29.5/full/"  # same version as the range
RUNTIME_FILES = (
    "pyodide.mjs",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
PAGE_SUFFIXES = (".html", ".js", ".css")

WEB = Path(__file__).resolve().parent
ROOT = WEB.parent


def npm_install(cache: Path, spec: str, marker: str) -> Path:
    """``npm install spec`` under ``cache/node_modules`` unless ``marker`` (a file in the
    package) is already there; returns the package folder."""
    name = spec.rsplit("@", 1)[0]
    pkg = cache / "node_modules" / name
    if not (pkg / marker).is_file():
        cache.mkdir(parents=True, exist_ok=True)
        npm = shutil.which("npm")
        if npm is None:
            raise SystemExit("web/build.py: npm not found; install Node.js or use --cdn")
        cmd = [npm, "install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund"]
        cmd += ["--prefix", str(cache), spec]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return pkg


def npm_pyodide(cache: Path) -> Path:
    """The pinned pyodide npm package under ``cache/node_modules`` (reused if there)."""
    return npm_install(cache, f"pyodide@{PYODIDE_RANGE}", "pyodide.asm.wasm")


def npm_fzstd(cache: Path) -> Path:
    """fzstd, a small pure-JS zstd decoder: browsers have none for SPZ v4 streams."""
    # Its own prefix: a second --no-save install into one prefix may prune the first.
    return npm_install(cache / "fzstd", f"fzstd@{FZSTD_RANGE}", "umd/index.js")


def build_wheel(out: Path) -> Path:
    """``pip wheel --no-deps`` of a clean copy of the repo (keeps the tree free of build/)."""
    with tempfile.TemporaryDirectory(prefix="splatrender-wheel-") as tmp:
        src = Path(tmp) / "src"
        src.mkdir()
        for name in ("pyproject.toml", "README.md", "LICENSE"):
            if (ROOT / name).is_file():
                shutil.copy2(ROOT / name, src / name)
        if not (src / "README.md").exists():
            (src / "README.md").write_text("splatrender\n")
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
        shutil.copytree(ROOT / "splatrender", src / "splatrender", ignore=ignore)
        wheels = Path(tmp) / "wheels"
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps"]
        cmd += ["--quiet", "-w", str(wheels), str(src)]
        subprocess.run(cmd, check=True)
        (whl,) = wheels.glob("splatrender-*.whl")
        for old in out.glob("splatrender-*.whl"):
            old.unlink()
        return Path(shutil.copy2(whl, out / whl.name))


def build(
    out: Path = WEB / "build",
    cdn: str | None = None,
    cache: Path | None = None,
    wheel: Path | None = None,
) -> Path:
    """Build the viewer into ``out``; returns ``out``. ``wheel``: reuse this wheel."""
    out.mkdir(parents=True, exist_ok=True)
    if cdn:
        pyodide_url = cdn if cdn.endswith("/") else cdn + "/"
        version = ""
    else:
        pkg = npm_pyodide(cache or WEB)
        version = json.loads((pkg / "package.json").read_text())["version"]
        dest = out / "pyodide"
        dest.mkdir(exist_ok=True)
        for name in RUNTIME_FILES:
            shutil.copy2(pkg / name, dest / name)
        pyodide_url = "pyodide/"
    if wheel is None:
        wheel = build_wheel(out)
    elif wheel.resolve().parent != out.resolve():
        for old in out.glob("splatrender-*.whl"):
            old.unlink()
        wheel = Path(shutil.copy2(wheel, out / wheel.name))
    for f in (ROOT / "splatrender" / "web" / "static").iterdir():
        if f.is_file() and f.suffix in PAGE_SUFFIXES:
            shutil.copy2(f, out / f.name)
    config = {"pyodide": pyodide_url, "pyodideVersion": version, "wheel": wheel.name}
    try:
        shutil.copy2(npm_fzstd(cache or WEB) / "umd" / "index.js", out / "fzstd.js")
        config["zstd"] = "fzstd.js"
    except SystemExit:
        if not cdn:
            raise
        print("web/build.py: no npm, so no zstd decoder: SPZ v4 scenes will not load")
    (out / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=WEB / "build", help="output folder")
    p.add_argument(
        "--cdn",
        nargs="?",
        const=PYODIDE_CDN,
        help="load Pyodide from this URL (default: jsDelivr) instead of bundling it",
    )
    p.add_argument("--cache", type=Path, help="npm --prefix folder (default web/)")
    p.add_argument("--wheel", type=Path, help="use this splatrender wheel instead of building")
    args = p.parse_args(argv)
    out = build(args.out, args.cdn, args.cache, args.wheel)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
