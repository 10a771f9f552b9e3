"""PlayCanvas streamed SOG (``lod-meta.json``) as a LOD source (numpy-free).

The octree's leaves each carry up to ``lodLevels`` versions (0 = finest), stored as
ranges (``file``, ``offset``, ``count``) of per-level SOG files (``meta.json`` + WebP).
Each (leaf, level) becomes one node; its child is the same leaf one level finer, so
the hierarchy is a chain per leaf and the root set is every leaf at its coarsest
level. A node's error is the mean splat spacing at its level (leaf box footprint /
count), so the same projected-size selection applies.

Decoding is the runtime path on every backend (``formats.runtime.sog``): the CPU only
entropy-decodes the WebP textures through *codecs* (natively Pillow in a worker
thread, in the browser ``io.browser_codecs``), and ``shaders/decode_sog.wgsl`` writes
a node's range of texels straight into its pool pages at upload. A decoded file (its
RGBA texels, ~24 B/splat) serves every node it holds; an LRU under a byte budget keeps
decoded files, so nodes evicted from a full pool come back without a refetch.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import OrderedDict
from typing import Any

from ..errors import FormatError
from ..io.fetch import CorruptData, Fetcher, open_fetcher
from .manifest import Hierarchy, Node

# Pool page size for SOG sets. Their nodes hold a few thousand to ~60K splats, so 64K
# pages sat mostly empty (Taebak at a 1M budget: 284 MiB pool at 64K, 140 MiB at 16K).
SOG_PAGE_SIZE = 16384
# Decoded files kept (texel bytes). Playbot's seven levels together take ~25 MB; one
# Taebak level file up to ~100 MB: room for the working set of a view plus its parents.
DEFAULT_CACHE_BYTES = 192 << 20


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
    """Nodes of a streamed SOG set: WebP decoded on the CPU, texels decoded into pool
    pages on the GPU."""

    format = "sog-lod"

    gpu_decode = False  # LodScene's chunk decoder is not used; this source has its own

    def __init__(
        self,
        data: bytes,
        fetcher: Fetcher,
        name: str,
        *,
        codecs: Any = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> None:
        self.name = name
        self.fetcher = fetcher
        self.hierarchy, self.files, self.ranges = parse_lod_meta(data, name)
        if codecs is None:
            from ..io.codecs import ThreadedCodecs

            codecs = ThreadedCodecs()
        self.codecs = codecs
        self.cache_bytes = cache_bytes
        self._files: OrderedDict[int, asyncio.Future] = OrderedDict()  # LRU first
        self._sizes: dict[int, int] = {}  # bytes of each decoded file in the cache
        self._metas: dict[int, bytes] = {}  # meta.json read by open(), used once
        self._writer = None
        self.decodes = 0  # files decoded so far (tests, benchmarks)
        self.hierarchy.sh_degree = 0  # set by open() from the coarsest file
        self.sh_degree: int | None = None

    @classmethod
    async def open(
        cls,
        location: str,
        fetcher: Fetcher | None = None,
        *,
        codecs: Any = None,
        cache_bytes: int = DEFAULT_CACHE_BYTES,
    ) -> SogLodSource:
        if fetcher is None:
            fetcher, name = open_fetcher(location)
        else:
            name = location
        src = cls(await fetcher.fetch(name), fetcher, location, codecs=codecs,
                  cache_bytes=cache_bytes)  # fmt: skip
        # The SH degree decides the pool layout: read it from the coarsest file's meta.
        first = src.ranges[src.hierarchy.roots[0]][0]
        meta_bytes = await fetcher.fetch(src.files[first])
        try:
            bands = int((json.loads(meta_bytes).get("shN") or {}).get("bands", 0))
        except (ValueError, TypeError, AttributeError) as e:
            raise FormatError(src.files[first], f"malformed SOG meta.json ({e})") from e
        if not 0 <= bands <= 3:
            raise FormatError(src.files[first], f"SOG shN.bands {bands} is not 0-3")
        src._metas[first] = meta_bytes
        src.sh_degree = bands
        src.hierarchy.sh_degree = bands
        return src

    def pages_needed(self, node: int, page_size: int) -> int:
        return -(-self.hierarchy.nodes[node].count // page_size)

    # -- decoded files -----------------------------------------------------------------
    @property
    def cached_bytes(self) -> int:
        return sum(self._sizes.values())

    async def _file(self, index: int) -> tuple[int, Any]:
        fut = self._files.get(index)
        if fut is None:
            fut = asyncio.ensure_future(self._decode(index))
            self._files[index] = fut
            fut.add_done_callback(lambda f: self._settled(index, f))
        else:
            self._files.move_to_end(index)
        return await asyncio.shield(fut)

    def _settled(self, index: int, fut: asyncio.Future) -> None:
        """Account a finished decode and trim the cache; a failed one is forgotten."""
        if self._files.get(index) is not fut:
            return
        if fut.cancelled() or fut.exception() is not None:
            del self._files[index]
            return
        count, part = fut.result()
        self._sizes[index] = part.fixed + count * part.per_splat
        self._trim(keep=index)

    def _trim(self, keep: int) -> None:
        over = self.cached_bytes - self.cache_bytes
        for i in list(self._files):
            if over <= 0:
                break
            if i == keep or i not in self._sizes:  # the newest and in-flight decodes stay
                continue
            over -= self._sizes.pop(i)
            del self._files[i]

    async def _decode(self, index: int) -> tuple[int, Any]:
        from ..formats.runtime import sog as runtime_sog

        meta_name = self.files[index]
        base = meta_name.rsplit("/", 1)[0] + "/" if "/" in meta_name else ""
        meta_bytes = self._metas.pop(index, None) or await self.fetcher.fetch(meta_name)
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
        if not all(isinstance(n, str) and ".." not in n.split("/") for n in names):
            raise CorruptData(f"{meta_name}: bad file names")
        blobs = await asyncio.gather(*(self.fetcher.fetch(base + n) for n in names))
        files = {n.rsplit("/", 1)[-1]: b for n, b in zip(names, blobs, strict=True)}
        try:
            dec = await runtime_sog.prepare(meta_bytes, meta_name, codecs=self.codecs, files=files)
        except FormatError as e:
            raise CorruptData(str(e)) from e
        self.decodes += 1
        (part,) = dec.plan.parts
        return dec.count, part

    # -- LodSource -----------------------------------------------------------------------
    async def load(self, node: int) -> tuple[Any, int, int]:
        f, off, cnt = self.ranges[node]
        n, part = await self._file(f)
        if off + cnt > n:
            raise CorruptData(f"{self.files[f]}: node {node} range past its {n} splats")
        return part, off, cnt

    def upload(self, payload, node: int, pages: list[int], pool, decoder) -> None:
        from ..formats.runtime.fill import PartWriter

        part, off, cnt = payload
        if self._writer is None or self._writer.pool is not pool:
            if self._writer is not None:
                self._writer.destroy()
            self._writer = PartWriter(pool.device, pool, "decode_sog")
        self._writer.write(part, off, cnt, pages)

    def payload_size(self, payload) -> int:
        part, _, cnt = payload
        return cnt * part.per_splat

    def close(self) -> None:
        """Free the decode buffers and the cached files."""
        if self._writer is not None:
            self._writer.destroy()
            self._writer = None
        self._files.clear()
        self._sizes.clear()
