"""PlayCanvas streamed SOG (``lod-meta.json``) as a LOD source.

The octree's leaves each carry up to ``lodLevels`` versions (0 = finest), stored as
ranges (``file``, ``offset``, ``count``) of per-level SOG files (``meta.json`` + WebP).
Each (leaf, level) becomes one node; its child is the same leaf one level finer, so
the hierarchy is a chain per leaf and the root set is every leaf at its coarsest
level. A node's error is the mean splat spacing at its level (leaf box footprint /
count), so the same projected-size selection applies.

Decoding WebP needs entropy decoding on the CPU: natively through
``splatrender.formats.sog`` (numpy + Pillow) in a worker thread; a browser build
would plug in its own ``decode_file`` (createImageBitmap). A decoded file serves every
node it holds; a small LRU keeps the last few.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import OrderedDict
from typing import Any

from ..errors import FormatError
from ..render.layout import GEOM_FLOATS, sh_rest_floats
from .manifest import Hierarchy, Node
from .stream import CorruptData, Fetcher, open_fetcher

SOG_PAGE_SIZE = 65536
DECODED_CACHE = 3  # decoded files kept (each up to ~0.5M splats)


def parse_lod_meta(data: bytes, source: str) -> tuple[Hierarchy, list[str], dict[int, tuple]]:
    """(hierarchy, file names, node id -> (file index, offset, count))."""
    try:
        doc = json.loads(data)
        files = [str(f) for f in doc["filenames"]]
        levels = int(doc["lodLevels"])
        tree = doc["tree"]
    except (ValueError, KeyError, TypeError) as e:
        raise FormatError(source, f"malformed lod-meta.json ({e!r})") from e
    if not 0 < levels <= 32 or not files:
        raise FormatError(source, "lod-meta.json has no levels or files")
    nodes: dict[int, Node] = {}
    ranges: dict[int, tuple] = {}
    roots: list[int] = []
    stack = [tree]
    lo = [math.inf] * 3
    hi = [-math.inf] * 3
    total = 0
    while stack:
        t = stack.pop()
        if not isinstance(t, dict):
            raise FormatError(source, "lod-meta.json tree node is not an object")
        stack.extend(t.get("children") or [])
        lods = t.get("lods")
        if not lods:
            continue
        try:
            b = t["bound"]
            box = tuple(float(v) for v in (*b["min"], *b["max"]))
            entries = sorted(((int(k), v) for k, v in lods.items()), reverse=True)
            chain = []
            for lvl, e in entries:
                f, off, cnt = int(e["file"]), int(e["offset"]), int(e["count"])
                if not (0 <= f < len(files) and off >= 0 and cnt > 0):
                    raise ValueError(f"bad range {e}")
                chain.append((lvl, f, off, cnt))
        except (KeyError, TypeError, ValueError) as e:
            raise FormatError(source, f"malformed lod-meta.json leaf ({e!r})") from e
        if len(box) != 6 or not all(math.isfinite(v) for v in box):
            raise FormatError(source, "lod-meta.json bound is not finite")
        for k in range(3):
            lo[k], hi[k] = min(lo[k], box[k]), max(hi[k], box[k + 3])
        ext = [max(box[k + 3] - box[k], 1e-9) for k in range(3)]
        area = ext[0] * ext[1] + ext[1] * ext[2] + ext[0] * ext[2]
        prev = -1
        for j, (lvl, f, off, cnt) in enumerate(chain):  # coarsest first
            nid = len(nodes)
            finest = j == len(chain) - 1
            # mean spacing of this level's splats over the leaf's footprint, x2 (a splat's
            # footprint spans about two spacings)
            err = 0.0 if finest else 2.0 * math.sqrt(area / cnt)
            nodes[nid] = Node(nid, lvl, cnt, box, err, parent=prev)
            ranges[nid] = (f, off, cnt)
            if prev < 0:
                roots.append(nid)
            else:
                nodes[prev].children = (nid,)
            prev = nid
        if not finest:
            raise FormatError(source, "lod chain without a finest level")
        total += chain[-1][3]
    if not roots:
        raise FormatError(source, "lod-meta.json has no leaves with levels")
    h = Hierarchy(nodes, roots, 0, "RDF", SOG_PAGE_SIZE, tuple(lo), tuple(hi), total)
    h.validate(source)
    return h, files, ranges


class SogLodSource:
    """Nodes of a streamed SOG set, decoded on the CPU and written into pool pages."""

    gpu_decode = False

    def __init__(self, data: bytes, fetcher: Fetcher, name: str) -> None:
        self.name = name
        self.fetcher = fetcher
        self.hierarchy, self.files, self.ranges = parse_lod_meta(data, name)
        self._decoded: OrderedDict[int, asyncio.Future] = OrderedDict()
        self.hierarchy.sh_degree = 0  # fixed on the first decoded file (see _decode)
        self.sh_degree: int | None = None

    @classmethod
    async def open(cls, location: str, fetcher: Fetcher | None = None) -> SogLodSource:
        if fetcher is None:
            fetcher, name = open_fetcher(location)
        else:
            name = location
        src = cls(await fetcher.fetch(name), fetcher, location)
        # The SH degree decides the pool layout: read it from the coarsest file's meta.
        meta = json.loads(await fetcher.fetch(src.files[src.ranges[src.hierarchy.roots[0]][0]]))
        bands = int((meta.get("shN") or {}).get("bands", 0))
        src.sh_degree = bands
        src.hierarchy.sh_degree = bands
        return src

    def pages_needed(self, node: int, page_size: int) -> int:
        return -(-self.hierarchy.nodes[node].count // page_size)

    async def _file(self, index: int) -> Any:
        fut = self._decoded.get(index)
        if fut is not None:
            self._decoded.move_to_end(index)
            return await asyncio.shield(fut)
        fut = asyncio.ensure_future(self._decode(index))
        self._decoded[index] = fut
        while len(self._decoded) > DECODED_CACHE:
            self._decoded.popitem(last=False)
        try:
            return await asyncio.shield(fut)
        except BaseException:
            self._decoded.pop(index, None)  # a failed decode is retried from scratch
            raise

    async def _decode(self, index: int) -> Any:
        meta_name = self.files[index]
        base = meta_name.rsplit("/", 1)[0] + "/" if "/" in meta_name else ""
        meta_bytes = await self.fetcher.fetch(meta_name)
        try:
            meta = json.loads(meta_bytes)
            names = [
                f
                for k in ("means", "scales", "quats", "sh0", "shN")
                if k in meta
                for f in meta[k].get("files", [])
            ]
        except (ValueError, AttributeError, TypeError) as e:
            raise CorruptData(f"{meta_name}: {e}") from e
        blobs = dict(
            zip(
                names,
                await asyncio.gather(*(self.fetcher.fetch(base + n) for n in names)),
                strict=True,
            )
        )

        def work():
            from ..formats import sog
            from ..formats._io import Source
            from ..formats.gpu_pack import LOG_SCALE_RANGE, LOGIT_RANGE, pack_pool
            from ..formats.sog_container import parse_meta

            src = Source(meta_bytes, meta_name)
            try:
                s = sog.decode(src, parse_meta(src.name, meta_bytes), blobs.__getitem__)
            except (FormatError, KeyError) as e:
                raise CorruptData(str(e)) from e
            s = s.with_sh_degree(self.sh_degree or 0)
            s.opacities = s.opacities.clip(*LOGIT_RANGE)
            s.scales = s.scales.clip(*LOG_SCALE_RANGE)
            geometry, sh_rest = pack_pool(s)
            return memoryview(geometry), memoryview(sh_rest), len(s)

        return await asyncio.to_thread(work)

    async def load(self, node: int) -> tuple[bytes, bytes, int]:
        f, off, cnt = self.ranges[node]
        geom, sh, n = await self._file(f)
        if off + cnt > n:
            raise CorruptData(f"{self.files[f]}: node {node} range past its {n} splats")
        gs, ss = 4 * GEOM_FLOATS, 4 * sh_rest_floats(self.sh_degree or 0)
        return geom[off * gs : (off + cnt) * gs], sh[off * ss : (off + cnt) * ss], cnt

    def upload(self, payload, node: int, pages: list[int], pool, decoder) -> None:
        geom, sh, n = payload
        gs, ss = pool.geom_stride, pool.sh_stride
        for j, page in enumerate(pages):
            a, b = j * pool.page_size, min((j + 1) * pool.page_size, n)
            pool.write_page(page, geom[a * gs : b * gs], sh[a * ss : b * ss], b - a)

    def payload_size(self, payload) -> int:
        return len(payload[0]) + len(payload[1])
