"""Offline LOD builder: splats -> merged-splat hierarchy -> quantised chunks + manifest.

Pipeline (every pass streams fixed-size blocks through memory-mapped scratch files,
so RAM stays bounded whatever the input size):

1. scan: drop non-finite splats, find the bounds.
2. order: 63-bit Morton codes of the means, one argsort (the only O(N) arrays held
   in RAM: ~32 B per input splat, 0.4 GB for 13M splats).
3. level 0 = the input in Morton order, gathered block by block into a memmap.
4. level k+1: each group of ``fanout`` consecutive level-k chunks (a compact run of
   the Morton order) collapses into one parent chunk of 1/fanout of their splats
   (``merge.collapse``: the cheapest moment-matched pair merges first, repeatedly, so
   faint, small and look-alike splats are absorbed and distinct ones survive as they
   are), until a level fits in one chunk (the root). Each splat carries its inertia
   (the light it carries x the squared distance it moved from full detail), each
   chunk its geometric error: the RMS of that distance over its splats (world units;
   selection turns it into pixels). For classic rendering (``render_mode``, the
   default) merged splats also make up for the 0.3 px^2 dilation their sub-pixel
   pieces get where selection swaps the chunk in: by opacity, then by an extra
   screen-space dilation per splat (the chunk's dilation section).
5. chunks: every level cut into runs of ``chunk`` splats. Because levels are
   contiguous and every group but the last is full, chunk c of level k has exactly the
   children chunks c*fanout .. c*fanout+fanout-1 of level k-1: the chunk tree is
   implicit, and the manifest writes it out explicitly for the runtime.

Peak RAM ~ 32 B x N + ~1.3 KB x block (degree 3) + ~0.7 KB x chunk x fanout (a group
being collapsed): for 13M splats and the defaults, under 1 GB (+ page cache, which
the OS reclaims).
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
from ..shaders.layout import EPS2D
from .chunk import MAX_CHUNK, bytes_per_splat
from .codec import encode_chunk
from .manifest import DISPLACEMENT_PIXEL_ERROR, FORMAT_NAME, FORMAT_VERSION, MANIFEST_NAME
from .merge import collapse, morton_codes

COLUMNS = ("means", "scales", "quats", "opacities", "sh")  # what a source gives
LEVEL_COLUMNS = (*COLUMNS, "dilation")  # what a level holds: + extra dilation (px^2)
DEFAULT_CHUNK = 32768
DEFAULT_FANOUT = 2
RENDER_MODES = ("classic", "antialiased")
CLASSIC_DILATION = EPS2D  # px^2 classic rendering adds to every projected covariance
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
        shapes = {
            "means": (3,), "scales": (3,), "quats": (4,), "opacities": (), "sh": (k, 3),
            "dilation": (),
        }  # fmt: skip
        self.n = n
        self.arrays = {
            c: np.memmap(folder / f"{name}.{c}", np.float32, "w+", shape=(max(n, 1), *shapes[c]))
            for c in LEVEL_COLUMNS
        }  # a new memmap is zero-filled: level 0 (no merges) keeps dilation 0
        # per splat: sum over the light it carries of w x (distance moved)^2 (0 at level 0)
        self.inertia = np.memmap(folder / f"{name}.inertia", np.float64, "w+", shape=(max(n, 1),))

    def write(self, a: int, cols: dict[str, np.ndarray], inertia: np.ndarray | None = None) -> None:
        for c in cols.keys() & self.arrays.keys():
            self.arrays[c][a : a + len(cols[c])] = cols[c]
        if inertia is not None:
            self.inertia[a : a + len(inertia)] = inertia

    def read(self, a: int, b: int) -> dict[str, np.ndarray]:
        return {c: np.asarray(self.arrays[c][a:b]) for c in LEVEL_COLUMNS}

    def flush(self) -> None:
        for arr in self.arrays.values():
            arr.flush()
        self.inertia.flush()


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
    render_mode: str = "classic",
) -> BuildStats:
    """Build a LOD set into ``out_dir`` (manifest ``lod.json`` + ``chunks.bin`` or chunk files)."""
    from tqdm import tqdm

    if not 1 <= chunk <= MAX_CHUNK:
        raise ValueError(f"chunk must be in 1..{MAX_CHUNK}")
    if fanout < 2:
        raise ValueError("fanout must be at least 2")
    if render_mode not in RENDER_MODES:
        raise ValueError(f"render_mode must be one of {RENDER_MODES}, got {render_mode!r}")
    dilation = CLASSIC_DILATION if render_mode == "classic" else 0.0
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

        # 4. merged levels: each group of `fanout` chunks collapses into one parent chunk
        group = chunk * fanout
        errors: dict[tuple[int, int], float] = {}  # (level, chunk) -> geometric error
        while levels[-1].n > chunk:
            child = levels[-1]
            n = -(-child.n // fanout)
            lvl = Columns(tmp, f"L{len(levels)}", n, src.sh_degree)
            bar.set_description(f"level {len(levels)}")
            bar.reset(total=child.n)
            for g, a in enumerate(range(0, child.n, group)):
                b = min(a + group, child.n)
                cols = child.read(a, b)
                merged, iner, errors[len(levels), g] = collapse(
                    *(cols[c] for c in COLUMNS),
                    child.inertia[a:b],
                    -(-(b - a) // fanout),
                    lo,
                    hi,
                    dilation=dilation,
                    pixel_error=DISPLACEMENT_PIXEL_ERROR,
                    extra=cols["dilation"],
                )
                lvl.write(g * chunk, dict(zip(LEVEL_COLUMNS, merged, strict=True)), iner)
                bar.update(b - a)
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
                    data = encode_chunk(*(cols[x] for x in LEVEL_COLUMNS))
                    cid = first_id[k] + c
                    e = _chunk_entry(cid, k, cols, errors.get((k, c), 0.0))
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
            "render_mode": render_mode,
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


def _chunk_entry(cid: int, level: int, cols: dict[str, np.ndarray], err: float) -> dict:
    m = cols["means"].astype(np.float64)
    sig = np.exp(cols["scales"].astype(np.float64).max(axis=1))
    ext = 3.0 * sig
    lo = (m - ext[:, None]).min(axis=0)
    hi = (m + ext[:, None]).max(axis=0)
    # Where the chunk's splats are (their centres): what selection measures distance to.
    # The box above also holds every splat's 3-sigma extent, which a few large splats
    # stretch over much of the scene.
    centres = [*(float(v) for v in m.min(axis=0)), *(float(v) for v in m.max(axis=0))]
    return {
        "id": cid,
        "level": level,
        "count": len(m),
        "box": [*(float(v) for v in lo), *(float(v) for v in hi)],
        "centres": centres,
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
            for key in ("box", "centres"):
                b, cb = e[key], ch[key]
                e[key] = [
                    *(min(b[i], cb[i]) for i in range(3)),
                    *(max(b[i], cb[i]) for i in range(3, 6)),
                ]
            e["error"] = max(e["error"], ch["error"])
