"""The LOD manifest (``lod.json``): the chunk tree the runtime selects from.

Pure Python (runs in the browser). A manifest lists chunks; each has an ``id``,
``level`` (0 = full detail), ``count`` splats, ``box`` (min xyz, max xyz, covering
its splats' 3-sigma extents and its descendants'), ``centres`` (format 2: the box of
its and its descendants' splat centres, what selection measures distance to),
``error`` (world units, 0 for leaves; format 2: the RMS distance its splats' light
moved from full detail when merged, ``merge.collapse``; format 1: the RMS 3-sigma
radius of its splats), ``children`` (ids whose union replaces it), ``file``,
``offset``, ``size`` (bytes, so a bundle is read with HTTP Range) and ``sha256``.
``roots`` is the coarse set drawn when nothing else is resident. Format 2 also names
the ``render_mode`` the set was built for. Formats 1 and 2 are read.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from ..errors import FormatError, SplatError
from ..scene.upright import parse_up
from .chunk import MAX_CHUNK

MANIFEST_NAME = "lod.json"
FORMAT_NAME = "splatrender-lod"
FORMAT_VERSION = 2
READ_VERSIONS = (1, 2)
# Refine a node while its error looks bigger than this many pixels. Format 1's error is
# how big the chunk's splats are (RMS 3-sigma radius; also PlayCanvas SOG sets, which
# carry no error); format 2's is how far merging moved their light (``merge.collapse``).
SIZE_PIXEL_ERROR = 1.5
DISPLACEMENT_PIXEL_ERROR = 0.25
MAX_NODES = 1 << 22  # absurd-count guard


@dataclass
class Node:
    """One selectable unit of the hierarchy (a chunk, or a SOG octree node at one level)."""

    id: int
    level: int
    count: int
    box: tuple[float, float, float, float, float, float]
    error: float
    children: tuple[int, ...] = ()
    parent: int = -1
    file: str = ""
    offset: int = 0
    size: int = 0
    sha256: str = ""
    centres: tuple[float, float, float, float, float, float] | None = None  # splat centres
    center: tuple[float, float, float] = field(init=False)
    radius: float = field(init=False)

    def __post_init__(self) -> None:
        b = self.box
        self.center = ((b[0] + b[3]) / 2, (b[1] + b[4]) / 2, (b[2] + b[5]) / 2)
        self.radius = 0.5 * math.sqrt((b[3] - b[0]) ** 2 + (b[4] - b[1]) ** 2 + (b[5] - b[2]) ** 2)


@dataclass
class Hierarchy:
    """Nodes by id, the root set, and what the renderer needs to size its pool."""

    nodes: dict[int, Node]
    roots: list[int]
    sh_degree: int
    axes: str
    page_size: int
    bounds_min: tuple[float, float, float]
    bounds_max: tuple[float, float, float]
    count: int = 0
    up: str = ""  # "+y", "-y", ... or "x,y,z" when the set says (else its axes' up)
    pixel_error: float = SIZE_PIXEL_ERROR  # default selection threshold for this error kind

    def root_count(self) -> int:
        return sum(self.nodes[r].count for r in self.roots)

    def validate(self, source: str) -> None:
        """Ids resolve, children sets form a tree, no cycles: refuse anything else."""
        seen_parent: dict[int, int] = {}
        for n in self.nodes.values():
            for c in n.children:
                if c not in self.nodes:
                    raise FormatError(source, f"node {n.id} names missing child {c}")
                if c in seen_parent:
                    raise FormatError(source, f"node {c} has two parents")
                seen_parent[c] = n.id
        for r in self.roots:
            if r not in self.nodes:
                raise FormatError(source, f"root {r} is not a node")
            if r in seen_parent:
                raise FormatError(source, f"root {r} is also a child")
        # Every node must be reachable from the roots exactly once (no cycles).
        reach = 0
        stack = list(self.roots)
        while stack:
            i = stack.pop()
            reach += 1
            if reach > len(self.nodes):
                raise FormatError(source, "node tree has a cycle")
            stack.extend(self.nodes[i].children)
        if reach != len(self.nodes):
            raise FormatError(source, f"{len(self.nodes) - reach} nodes unreachable from roots")


def parse_manifest(data: bytes | str, source: str = MANIFEST_NAME) -> Hierarchy:
    """Parse and validate a splatrender ``lod.json``."""
    try:
        m = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise FormatError(source, f"manifest is not JSON ({e})") from e
    if not isinstance(m, dict) or m.get("format") != FORMAT_NAME:
        raise FormatError(source, f"not a {FORMAT_NAME} manifest")
    if m.get("version") not in READ_VERSIONS:
        raise FormatError(source, f"unsupported manifest version {m.get('version')!r}")
    try:
        chunks = m["chunks"]
        if len(chunks) > MAX_NODES:
            raise FormatError(source, f"{len(chunks)} chunks is beyond the limit")
        nodes = {}
        for c in chunks:
            n = Node(
                id=int(c["id"]),
                level=int(c["level"]),
                count=int(c["count"]),
                box=tuple(float(v) for v in c["box"]),
                error=float(c["error"]),
                children=tuple(int(v) for v in c.get("children", ())),
                parent=int(c.get("parent", -1)),
                file=str(c["file"]),
                offset=int(c["offset"]),
                size=int(c["size"]),
                sha256=str(c["sha256"]),
                centres=tuple(float(v) for v in c["centres"]) if "centres" in c else None,
            )
            if not 0 < n.count <= MAX_CHUNK or n.size <= 0 or n.offset < 0 or len(n.box) != 6:
                raise FormatError(source, f"chunk {n.id} has bad count/size/box")
            if not all(math.isfinite(v) for v in (*n.box, n.error)):
                raise FormatError(source, f"chunk {n.id} has non-finite bounds")
            if ".." in n.file.split("/") or n.file.startswith("/"):
                raise FormatError(source, f"chunk {n.id} file {n.file!r} escapes the set")
            nodes[n.id] = n
        b = m.get("bounds", {})
        h = Hierarchy(
            nodes=nodes,
            roots=[int(r) for r in m["roots"]],
            sh_degree=int(m["sh_degree"]),
            axes=str(m.get("axes", m.get("frame", "RDF"))),  # "frame" before 0.2
            page_size=int(m["chunk_capacity"]),
            bounds_min=tuple(b.get("min", (0, 0, 0))),
            bounds_max=tuple(b.get("max", (0, 0, 0))),
            count=int(m.get("count", 0)),
            up=str(m.get("up", "")),
            pixel_error=SIZE_PIXEL_ERROR if m["version"] == 1 else DISPLACEMENT_PIXEL_ERROR,
        )
    except FormatError:
        raise
    except (KeyError, TypeError, ValueError) as e:
        raise FormatError(source, f"malformed manifest ({e!r})") from e
    if not 0 <= h.sh_degree <= 3 or not 0 < h.page_size <= MAX_CHUNK:
        raise FormatError(source, "manifest sh_degree or chunk_capacity out of range")
    if h.up:
        try:
            parse_up(h.up)
        except SplatError as e:
            raise FormatError(source, f"manifest up: {e}") from e
    h.validate(source)
    return h
