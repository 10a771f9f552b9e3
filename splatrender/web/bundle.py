"""splatrender's own pure-Python wheel for the browser (Pyodide unpacks it into site-packages).

Built when the wheel is built (``setup.py``'s build hook calls :func:`write_wheel` on the
build tree, so an installed splatrender carries it in ``web/static``); a source checkout
builds it on demand into the user cache. Standard library only: the build hook loads this
file before splatrender is importable.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

NAME = "splatrender"
SUFFIXES = (".py", ".wgsl")  # what the page imports or loads; not the page itself
SKIP = ("web/static",)
_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed timestamps: the same sources give the same bytes


def wheel_name(version: str) -> str:
    return f"{NAME}-{version}-py3-none-any.whl"


def sources(package: Path) -> Iterator[tuple[str, Path]]:
    """(archive name, file) for each module and shader of the package folder, sorted."""
    for f in sorted(package.rglob("*")):
        rel = f.relative_to(package).as_posix()
        if f.suffix in SUFFIXES and "__pycache__" not in rel and not rel.startswith(SKIP):
            yield f"{NAME}/{rel}", f


def digest(package: Path) -> str:
    """A short hash of the sources: the cache key of an on-demand wheel."""
    h = hashlib.sha256()
    for name, f in sources(package):
        h.update(name.encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def write_wheel(package: Path, out_dir: Path, version: str) -> Path:
    """Write the browser wheel of ``package`` (the ``splatrender`` folder) into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / wheel_name(version)
    info = f"{NAME}-{version}.dist-info"
    meta = {
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: splatrender.web.bundle\n"
        "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    fd, tmp = tempfile.mkstemp(dir=out_dir, suffix=".tmp")  # unique: builders may race
    os.close(fd)
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        entries = [(n, f.read_bytes()) for n, f in sources(package)]
        entries += [(n, text.encode()) for n, text in meta.items()]
        for name, data in entries:
            z.writestr(zipfile.ZipInfo(name, _EPOCH), data, zipfile.ZIP_DEFLATED)
            sha = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
            record.append(f"{name},sha256={sha.decode()},{len(data)}")
        record.append(f"{info}/RECORD,,")
        z.writestr(zipfile.ZipInfo(f"{info}/RECORD", _EPOCH), "\n".join(record) + "\n")
    os.replace(tmp, path)
    return path
