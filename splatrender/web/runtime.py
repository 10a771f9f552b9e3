"""The page's JavaScript runtime: Pyodide and fzstd, cached on this machine or on a CDN.

The wheel does not carry Pyodide (about 12 MB). ``fetch_runtime()`` (``splatrender web
fetch-runtime``) downloads the pinned npm packages straight from the npm registry (no npm
needed), checks them against the pinned SHA-512, and keeps the files the page loads in
the user cache. Without that copy the page loads both from jsDelivr instead.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ..errors import SplatError

NPM_REGISTRY = "https://registry.npmjs.org"


@dataclass(frozen=True)
class NpmPackage:
    """A pinned npm package and the files of it the page loads (tarball member -> name)."""

    name: str
    version: str
    integrity: str  # the registry's ``dist.integrity`` (SRI: sha512-<base64>)
    files: dict[str, str]
    cdn: str  # where the page finds the same files when nothing is cached

    @property
    def tarball(self) -> str:
        return f"{NPM_REGISTRY}/{self.name}/-/{self.name}-{self.version}.tgz"


PYODIDE = NpmPackage(
    "pyodide",
    "0.29.5",  # Python 3.13 in the browser
    "sha512-TkYrUv9m8QmfImADKRmpwZulL48E0uUaBSO+dvRQKyAJc0qh9gu7jn8btyHPh3NZm1r2IH2YrJhIr7Q2B9urAw==",
    {
        f"package/{n}": n
        for n in (
            "pyodide.mjs",
            "pyodide.asm.js",
            "pyodide.asm.wasm",
            "python_stdlib.zip",
            "pyodide-lock.json",
        )
    },
    "https://cdn.jsdelivr.net/pyodide/v0.29.5/full/",
)
# A small pure-JS zstd decoder: browsers have none, and SPZ v4 streams need one.
FZSTD = NpmPackage(
    "fzstd",
    "0.1.1",
    "sha512-dkuVSOKKwh3eas5VkJy1AW1vFpet8TA/fGmVA5krThl8YcOVE/8ZIoEA1+U1vEn5ckxxhLirSdY837azmbaNHA==",
    {"package/umd/index.js": "fzstd.js"},
    "https://cdn.jsdelivr.net/npm/fzstd@0.1.1/umd/index.js",
)
PACKAGES = (PYODIDE, FZSTD)


def cache_root() -> Path:
    """``$SPLATRENDER_CACHE``, else ``$XDG_CACHE_HOME/splatrender`` (``~/.cache``)."""
    if os.environ.get("SPLATRENDER_CACHE"):
        return Path(os.environ["SPLATRENDER_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "splatrender"


def runtime_dir() -> Path:
    """Where this version's runtime files are (or would be) cached."""
    return cache_root() / f"web-runtime-pyodide-{PYODIDE.version}-fzstd-{FZSTD.version}"


def is_runtime(folder: Path) -> bool:
    return all((folder / n).is_file() for p in PACKAGES for n in p.files.values())


def find_runtime() -> Path | None:
    """The cached runtime folder, or None when it has not been fetched."""
    d = runtime_dir()
    return d if is_runtime(d) else None


def fetch_runtime(force: bool = False, progress: bool = True) -> Path:
    """Download Pyodide and fzstd into the cache (unless there already); returns the folder."""
    dest = runtime_dir()
    if not force and is_runtime(dest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".fetch-") as tmp:
        staged = Path(tmp) / "runtime"
        staged.mkdir()
        for pkg in PACKAGES:
            _unpack(pkg, _download(pkg, progress), staged)
        if force and dest.exists():
            shutil.rmtree(dest)
        try:
            staged.rename(dest)  # whole or not at all
        except OSError:
            if not is_runtime(dest):  # else another process fetched it meanwhile
                raise
    return dest


def _download(pkg: NpmPackage, progress: bool) -> bytes:
    from tqdm import tqdm

    try:
        with urllib.request.urlopen(pkg.tarball, timeout=60) as r:
            total = int(r.headers.get("Content-Length") or 0)
            buf = io.BytesIO()
            with tqdm(
                total=total or None,
                unit="B",
                unit_scale=True,
                desc=f"{pkg.name} {pkg.version}",
                disable=not progress,
                file=sys.stderr,
            ) as bar:
                while chunk := r.read(1 << 16):
                    buf.write(chunk)
                    bar.update(len(chunk))
    except OSError as e:
        raise SplatError(f"cannot download {pkg.tarball}: {e}") from None
    data = buf.getvalue()
    algo, _, want = pkg.integrity.partition("-")
    got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
    if got != want:
        raise SplatError(f"{pkg.tarball}: checksum mismatch (download corrupted or altered)")
    return data


def _unpack(pkg: NpmPackage, tgz: bytes, dest: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
        for member, name in pkg.files.items():
            f = tar.extractfile(member)
            if f is None:
                raise SplatError(f"{pkg.tarball} has no {member}")
            (dest / name).write_bytes(f.read())
