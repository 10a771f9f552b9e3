"""Offline LOD builder: splats -> merged-splat hierarchy -> quantised chunks + manifest.

Pipeline (every pass streams fixed-size blocks through memory-mapped scratch files,
so RAM stays bounded whatever the input size):

1. scan: drop non-finite splats, find the bounds.
2. order: 63-bit Morton codes of the means, one argsort (the only O(N) arrays held
   in RAM: ~32 B per input splat, 0.4 GB for 13M splats).
3. level 0 = the input in Morton order, gathered block by block into a memmap.
4. level k+1 = each run of ``fanout`` consecutive level-k splats merged into one
   (``merge.merge_groups``), until a level fits in one chunk (the root).
5. chunks: every level cut into runs of ``chunk`` splats. Because levels are
   contiguous and chunk sizes equal, chunk c of level k has exactly the children
   chunks c*fanout .. c*fanout+fanout-1 of level k-1: the chunk tree is implicit,
   and the manifest writes it out explicitly for the runtime.

Peak RAM ~ 32 B x N + ~1.3 KB x block (degree 3): for 13M splats and the default
block of 131,072 parents, about 0.6 GB (+ page cache, which the OS reclaims).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..formats.splats import Splats, sh_coeffs
from .chunk import MAX_CHUNK, bytes_per_splat
from .codec import encode_chunk
from .manifest import FORMAT_NAME, FORMAT_VERSION, MANIFEST_NAME
from .merge import merge_groups

COLUMNS = ("means", "scales", "quats", "opacities", "sh")
DEFAULT_CHUNK = 32768
DEFAULT_FANOUT = 4
DEFAULT_BLOCK = 131072  # parents merged per block (children = block * fanout)
BUNDLE_NAME = "chunks.bin"


# -- input -------------------------------------------------------------------------
@dataclass
class ColumnSource:
    """Read-only columnar splats that may live on disk; ``read(a, b)`` gives float32 rows."""

    count: int
    sh_degree: int
    axes: str
    read: Callable[[int, int], dict[str, np.ndarray]]
    take: Callable[[np.ndarray], dict[str, np.ndarray]]
    name: str = ""

    @classmethod
    def from_splats(cls, s: Splats) -> ColumnSource:
        def read(a: int, b: int) -> dict[str, np.ndarray]:
            return {k: getattr(s, k)[a:b] for k in COLUMNS}

        def take(idx: np.ndarray) -> dict[str, np.ndarray]:
            return {k: getattr(s, k)[idx] for k in COLUMNS}

        return cls(len(s), s.sh_degree, s.axes, read, take, s.source)

    @classmethod
    def from_inria_ply(cls, path: str | os.PathLike) -> ColumnSource:
        """Memory-mapped binary INRIA PLY (plyfile): nothing is loaded up front."""
        from plyfile import PlyData

        try:
            v = PlyData.read(str(path), mmap="r")["vertex"].data
        except Exception as e:  # plyfile raises many kinds on bad input
            raise FormatError(str(path), f"cannot read PLY: {e}") from e
        names = v.dtype.names or ()
        need = ["x", "y", "z", "opacity", *(f"scale_{i}" for i in range(3))]
        need += [f"rot_{i}" for i in range(4)] + [f"f_dc_{i}" for i in range(3)]
        missing = [k for k in need if k not in names]
        if missing:
            raise FormatError(str(path), f"not a 3DGS PLY (missing {', '.join(missing)})")
        rest = sum(1 for k in names if k.startswith("f_rest_"))
        if rest % 3 or (rest // 3 + 1) not in (1, 4, 9, 16):
            raise FormatError(str(path), f"{rest} f_rest_* properties is not an SH layout")
        k = rest // 3 + 1
        degree = round(math.sqrt(k)) - 1

        def conv(rows: np.ndarray) -> dict[str, np.ndarray]:
            def st(keys: list[str]) -> np.ndarray:
                return np.stack([rows[c].astype(np.float32) for c in keys], axis=1)

            sh = np.empty((len(rows), k, 3), np.float32)
            sh[:, 0] = st([f"f_dc_{i}" for i in range(3)])
            for c in range(3):
                for j in range(1, k):
                    sh[:, j, c] = rows[f"f_rest_{c * (k - 1) + j - 1}"]
            return {
                "means": st(["x", "y", "z"]),
                "scales": st([f"scale_{i}" for i in range(3)]),
                "quats": st([f"rot_{i}" for i in range(4)]),
                "opacities": rows["opacity"].astype(np.float32),
                "sh": sh,
            }

        return cls(
            len(v), degree, "RDF", lambda a, b: conv(v[a:b]), lambda i: conv(v[i]), str(path)
        )

    @classmethod
    def from_sog_lod(cls, path: str | os.PathLike, scratch: Path) -> ColumnSource:
        """The full-detail level of a PlayCanvas streamed SOG set (``lod-meta.json``).

        The finest version of every octree leaf is decoded one level file at a time
        and spilled to float32 memmaps in ``scratch``, so RAM holds one decoded file
        (~0.5M splats), never the whole scene.
        """
        from ..formats import sog
        from ..formats._io import make_source
        from ..formats.sog_container import parse_meta
        from .sog_source import parse_lod_meta

        src = make_source(path)
        h, files, ranges = parse_lod_meta(src.data, src.name)
        by_file: dict[int, list[tuple[int, int]]] = {}
        for i, node in h.nodes.items():
            if not node.children:  # the finest version of a leaf
                f, off, cnt = ranges[i]
                by_file.setdefault(f, []).append((off, cnt))
        n = sum(c for parts in by_file.values() for _, c in parts)
        cols: Columns | None = None
        a = 0
        for f in sorted(by_file):
            name = files[f]
            base = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
            meta = parse_meta(src.name, src.open_sibling(name))
            s = sog.decode(src, meta, lambda rel, b=base: src.open_sibling(b + rel))
            if cols is None:
                cols = Columns(scratch, "input", n, s.sh_degree)
                degree = s.sh_degree
            elif s.sh_degree != degree:
                s = s.with_sh_degree(degree)
            for off, cnt in sorted(by_file[f]):
                if off + cnt > len(s):
                    raise FormatError(src.name, f"{name} has {len(s)} splats, needs {off + cnt}")
                cols.write(a, {c: getattr(s, c)[off : off + cnt] for c in COLUMNS})
                a += cnt
            del s
        assert cols is not None  # parse_lod_meta rejects a set without leaves
        cols.flush()

        def take(idx: np.ndarray) -> dict[str, np.ndarray]:
            return {c: np.asarray(cols.arrays[c][idx]) for c in COLUMNS}

        return cls(n, degree, sog.AXES, cols.read, take, src.name)


def _is_lod_meta(p: Path) -> bool:
    from ..formats.sog import is_lod_meta

    if p.suffix.lower() != ".json" or not p.is_file():
        return False
    with open(p, "rb") as f:
        return is_lod_meta(f.read(4096))


def open_source(path: str | os.PathLike, scratch: Path | None = None) -> ColumnSource:
    """How the builder reads ``path`` without holding the scene in RAM where it can.

    INRIA PLYs are memory-mapped; a streamed SOG set (``lod-meta.json``, or a folder
    holding one) contributes its full-detail level, spilled to memmaps in ``scratch``;
    anything else goes through splatrender.formats.load (in RAM).
    """
    p = Path(path)
    if p.is_dir() and (p / "lod-meta.json").is_file():
        p = p / "lod-meta.json"
    if _is_lod_meta(p):
        if scratch is None:
            raise ValueError("reading a streamed SOG set needs a scratch folder")
        return ColumnSource.from_sog_lod(p, scratch)
    if p.suffix.lower() == ".ply":
        with open(p, "rb") as f:
            head = f.read(4096)
        if b"binary_little_endian" in head and b"f_dc_0" in head and b"scale_0" in head:
            return ColumnSource.from_inria_ply(p)
    from ..formats import load  # the readers (numpy, in RAM)

    return ColumnSource.from_splats(load(str(p)))


# -- scratch columns ---------------------------------------------------------------
class Columns:
    """One hierarchy level as float32 memmaps in a scratch directory."""

    def __init__(self, folder: Path, name: str, n: int, sh_degree: int) -> None:
        k = sh_coeffs(sh_degree)
        shapes = {"means": (3,), "scales": (3,), "quats": (4,), "opacities": (), "sh": (k, 3)}
        self.n = n
        self.arrays = {
            c: np.memmap(folder / f"{name}.{c}", np.float32, "w+", shape=(max(n, 1), *shapes[c]))
            for c in COLUMNS
        }

    def write(self, a: int, cols: dict[str, np.ndarray]) -> None:
        for c in COLUMNS:
            self.arrays[c][a : a + len(cols[c])] = cols[c]

    def read(self, a: int, b: int) -> dict[str, np.ndarray]:
        return {c: np.asarray(self.arrays[c][a:b]) for c in COLUMNS}

    def flush(self) -> None:
        for arr in self.arrays.values():
            arr.flush()


# -- Morton order ------------------------------------------------------------------
def _spread3(v: np.ndarray) -> np.ndarray:
    """Interleave 21-bit integers with two zero bits between each bit."""
    x = v.astype(np.uint64) & np.uint64(0x1FFFFF)
    for shift, mask in (
        (32, 0x1F00000000FFFF),
        (16, 0x1F0000FF0000FF),
        (8, 0x100F00F00F00F00F),
        (4, 0x10C30C30C30C30C3),
        (2, 0x1249249249249249),
    ):
        x = (x | (x << np.uint64(shift))) & np.uint64(mask)
    return x


def morton_codes(means: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    ext = np.maximum(hi - lo, 1e-30)
    g = np.clip((means.astype(np.float64) - lo) / ext * (2**21 - 1), 0, 2**21 - 1)
    g = g.astype(np.uint64)
    return (
        _spread3(g[:, 0])
        | (_spread3(g[:, 1]) << np.uint64(1))
        | (_spread3(g[:, 2]) << np.uint64(2))
    )


def _finite(cols: dict[str, np.ndarray]) -> np.ndarray:
    ok = np.ones(len(cols["means"]), bool)
    for c in COLUMNS:
        a = cols[c].reshape(len(ok), -1)
        ok &= np.isfinite(a).all(axis=1)
    return ok


# -- the builder -------------------------------------------------------------------
@dataclass
class BuildStats:
    input_count: int
    dropped: int
    levels: list[int]
    chunks: int
    bytes: int
    bytes_per_splat: int


def build(
    source: ColumnSource | Splats | str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    chunk: int = DEFAULT_CHUNK,
    fanout: int = DEFAULT_FANOUT,
    block: int = DEFAULT_BLOCK,
    split_files: bool = False,
    scratch: str | os.PathLike | None = None,
    progress: bool = True,
) -> BuildStats:
    """Build a LOD set into ``out_dir`` (manifest ``lod.json`` + ``chunks.bin`` or chunk files)."""
    from tqdm import tqdm

    if not 1 <= chunk <= MAX_CHUNK:
        raise ValueError(f"chunk must be in 1..{MAX_CHUNK}")
    if fanout < 2:
        raise ValueError("fanout must be at least 2")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="lod-build-", dir=scratch or out))
    rblock = block * fanout
    levels: list[Columns] = []
    bar = tqdm(total=None, disable=not progress, unit="splat", unit_scale=True, smoothing=0.1)
    try:
        if isinstance(source, Splats):
            source = ColumnSource.from_splats(source)
        elif not isinstance(source, ColumnSource):
            bar.set_description("read")
            source = open_source(source, tmp)
        src = source
        # 1. scan
        bar.set_description("scan")
        bar.reset(total=src.count)
        lo = np.full(3, np.inf)
        hi = np.full(3, -np.inf)
        valid_parts = []
        for a in range(0, src.count, rblock):
            cols = src.read(a, min(a + rblock, src.count))
            ok = _finite(cols)
            if ok.any():
                lo = np.minimum(lo, cols["means"][ok].min(axis=0))
                hi = np.maximum(hi, cols["means"][ok].max(axis=0))
            valid_parts.append(np.flatnonzero(ok).astype(np.int64) + a)
            bar.update(len(ok))
        valid = np.concatenate(valid_parts) if valid_parts else np.zeros(0, np.int64)
        del valid_parts
        n0 = len(valid)
        dropped = src.count - n0
        if dropped:
            warnings.warn(
                f"{src.name or 'input'}: dropped {dropped} splats with non-finite values",
                stacklevel=2,
            )
        if n0 == 0:
            raise FormatError(src.name or "input", "no finite splats to build a LOD set from")

        # 2. Morton order
        bar.set_description("order")
        bar.reset(total=n0)
        codes = np.empty(n0, np.uint64)
        for a in range(0, n0, rblock):
            idx = valid[a : a + rblock]
            codes[a : a + len(idx)] = morton_codes(_take_sorted(src, idx)["means"], lo, hi)
            bar.update(len(idx))
        order = np.argsort(codes, kind="stable")
        del codes
        valid = valid[order]
        del order

        # 3. level 0
        bar.set_description("level 0")
        bar.reset(total=n0)
        levels.append(Columns(tmp, "L0", n0, src.sh_degree))
        for a in range(0, n0, rblock):
            idx = valid[a : a + rblock]
            levels[0].write(a, _take_sorted(src, idx))
            bar.update(len(idx))
        levels[0].flush()
        del valid

        # 4. merged levels
        while levels[-1].n > chunk:
            child = levels[-1]
            n = -(-child.n // fanout)
            lvl = Columns(tmp, f"L{len(levels)}", n, src.sh_degree)
            bar.set_description(f"level {len(levels)}")
            bar.reset(total=n)
            for p in range(0, n, block):
                q = min(p + block, n)
                cols = child.read(p * fanout, min(q * fanout, child.n))
                merged = merge_groups(*(cols[c] for c in COLUMNS), fanout)
                lvl.write(p, dict(zip(COLUMNS, merged, strict=True)))
                bar.update(q - p)
            lvl.flush()
            levels.append(lvl)

        # 5. chunks, coarsest level first (what a viewer needs first comes first)
        counts = [lv.n for lv in levels]
        nchunks = [-(-c // chunk) for c in counts]
        first_id = {}
        nid = 0
        for k in range(len(levels) - 1, -1, -1):
            first_id[k] = nid
            nid += nchunks[k]
        bar.set_description("chunks")
        bar.reset(total=sum(counts))
        entries = []
        bundle = None if split_files else open(out / BUNDLE_NAME, "wb")  # noqa: SIM115
        if split_files:
            (out / "chunks").mkdir(exist_ok=True)
        offset = 0
        try:
            for k in range(len(levels) - 1, -1, -1):
                for c in range(nchunks[k]):
                    a, b = c * chunk, min((c + 1) * chunk, counts[k])
                    cols = levels[k].read(a, b)
                    data = encode_chunk(*(cols[x] for x in COLUMNS))
                    cid = first_id[k] + c
                    e = _chunk_entry(cid, k, cols)
                    if k > 0:
                        lo_c = c * fanout
                        hi_c = min(lo_c + fanout, nchunks[k - 1])
                        e["children"] = [first_id[k - 1] + j for j in range(lo_c, hi_c)]
                    if k < len(levels) - 1:
                        e["parent"] = first_id[k + 1] + c // fanout
                    e["sha256"] = hashlib.sha256(data).hexdigest()
                    e["size"] = len(data)
                    if bundle is not None:
                        e["file"] = BUNDLE_NAME
                        e["offset"] = offset
                        bundle.write(data)
                    else:
                        name = f"chunks/{cid:06d}.slc"
                        (out / name).write_bytes(data)
                        e["file"] = name
                        e["offset"] = 0
                    offset += len(data)
                    entries.append(e)
                    bar.update(b - a)
        finally:
            if bundle is not None:
                bundle.close()
        _propagate(entries)
        manifest = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "generator": "splatrender lod build",
            "source": os.path.basename(src.name) if src.name else "",
            "axes": src.axes,
            "sh_degree": src.sh_degree,
            "count": n0,
            "chunk_capacity": chunk,
            "fanout": fanout,
            "levels": counts,
            "bytes_per_splat": bytes_per_splat(src.sh_degree),
            "bounds": {"min": lo.tolist(), "max": hi.tolist()},
            "roots": [first_id[len(levels) - 1] + c for c in range(nchunks[-1])],
            "chunks": entries,
        }
        (out / MANIFEST_NAME).write_text(json.dumps(manifest, separators=(",", ":")))
        return BuildStats(
            src.count, dropped, counts, len(entries), offset, bytes_per_splat(src.sh_degree)
        )
    finally:
        bar.close()
        levels.clear()  # drop the memmaps before deleting their files
        shutil.rmtree(tmp, ignore_errors=True)


def _take_sorted(src: ColumnSource, idx: np.ndarray) -> dict[str, np.ndarray]:
    """Rows ``idx`` in that order, reading the source in ascending order (friendlier to mmap)."""
    if len(idx) == 0:
        return src.take(idx)
    srt = np.argsort(idx, kind="stable")
    cols = src.take(idx[srt])
    inv = np.empty_like(srt)
    inv[srt] = np.arange(len(srt))
    return {c: v[inv] for c, v in cols.items()}


def _chunk_entry(cid: int, level: int, cols: dict[str, np.ndarray]) -> dict:
    m = cols["means"].astype(np.float64)
    sig = np.exp(cols["scales"].astype(np.float64).max(axis=1))
    ext = 3.0 * sig
    lo = (m - ext[:, None]).min(axis=0)
    hi = (m + ext[:, None]).max(axis=0)
    # Geometric error: RMS 3-sigma radius of the chunk's splats (how big they look).
    err = float(np.sqrt(np.mean(ext * ext)))
    return {
        "id": cid,
        "level": level,
        "count": len(m),
        "box": [*(float(v) for v in lo), *(float(v) for v in hi)],
        "error": err,
    }


def _propagate(entries: list[dict]) -> None:
    """Parents' boxes contain their children's, and errors never grow going down."""
    by_id = {e["id"]: e for e in entries}
    for e in sorted(entries, key=lambda e: e["level"]):
        if "children" not in e:
            e["error"] = 0.0  # a leaf is exact
            continue
        for cid in e["children"]:
            ch = by_id[cid]
            b, cb = e["box"], ch["box"]
            e["box"] = [
                *(min(b[i], cb[i]) for i in range(3)),
                *(max(b[i], cb[i]) for i in range(3, 6)),
            ]
            e["error"] = max(e["error"], ch["error"])
