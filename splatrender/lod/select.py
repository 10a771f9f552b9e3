"""Per-frame choice of what to draw: a cut of the hierarchy under a splat budget.

Pure Python, O(nodes) per frame (nodes are chunks of thousands of splats).

``select_cut`` refines greedily from the root set, most important node first (its
screen-space error: the builder's per-node geometric error x focal / distance to the
node's splat centres, in pixels, reduced off screen), while a refinement fits the
budget and the error is above ``pixel_error`` (the set's default for its error kind:
``manifest.DISPLACEMENT_PIXEL_ERROR`` for format 2, where the error is how far merging
moved the node's light; 1.5 px for format 1 and SOG sets, where it is splat size).
The result is the *target* cut. ``drawable_cover`` then turns it into what can be drawn now: descend
from the (always resident) roots into a refined node's children only when every one of
them is resident; otherwise draw the node itself. So a parent stays on screen until
all of its children have arrived (no holes), a node is never drawn with its own
descendants, and the drawn count never exceeds the target's (a parent never has more
splats than its children together).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .manifest import SIZE_PIXEL_ERROR, Hierarchy, Node

# Splats drawn per frame by device class (Spark's defaults).
DEVICE_BUDGETS = {
    "quest": 500_000,
    "android": 1_000_000,
    "iphone": 1_500_000,
    "desktop": 2_500_000,
}
DEFAULT_PIXEL_ERROR = SIZE_PIXEL_ERROR  # sets without an error kind (format 1, SOG)
OFFSCREEN_FACTOR = 0.1  # off-screen nodes refine as if 10x farther (turning stays hole-free)


def device_budget(device_class: str = "desktop", override: int | None = None) -> int:
    if override is not None:
        if override <= 0:
            raise ValueError(f"splat budget must be positive, got {override}")
        return int(override)
    try:
        return DEVICE_BUDGETS[device_class]
    except KeyError:
        raise ValueError(
            f"unknown device class {device_class!r}; one of {', '.join(DEVICE_BUDGETS)}"
        ) from None


@dataclass(frozen=True)
class View:
    """What selection needs of a camera: position, rotation rows, focal, half-fov tangents."""

    position: tuple[float, float, float]
    rows: tuple[tuple[float, float, float], ...]
    focal: float
    tan_x: float
    tan_y: float

    @classmethod
    def of(cls, camera) -> View:
        m = camera.world_to_camera
        rows = ((m[0], m[1], m[2]), (m[4], m[5], m[6]), (m[8], m[9], m[10]))
        return cls(
            tuple(camera.position),
            rows,
            max(camera.fx, camera.fy),
            0.5 * camera.width / camera.fx,
            0.5 * camera.height / camera.fy,
        )

    def importance(self, n: Node) -> float:
        """Screen-space error (px): the node's error x focal / distance to its splats'
        centres (their box; else its bounds), reduced off screen."""
        if n.error <= 0:
            return 0.0
        p, b = self.position, n.centres or n.box
        dx = max(b[0] - p[0], 0.0, p[0] - b[3])
        dy = max(b[1] - p[1], 0.0, p[1] - b[4])
        dz = max(b[2] - p[2], 0.0, p[2] - b[5])
        d = math.sqrt(dx * dx + dy * dy + dz * dz)
        d = max(d, 1e-3 * n.radius, 1e-9)
        size = n.error * self.focal / d
        return size if self.in_view(n) else size * OFFSCREEN_FACTOR

    def in_view(self, n: Node) -> bool:
        """Bounding sphere against the view frustum (no near/far)."""
        c, r = n.center, n.radius
        p = self.position
        v = (c[0] - p[0], c[1] - p[1], c[2] - p[2])
        x, y, z = (row[0] * v[0] + row[1] * v[1] + row[2] * v[2] for row in self.rows)
        if z < -r:
            return False
        for t, u in ((self.tan_x, x), (self.tan_y, y)):
            # plane normal (1, -t) normalised: distance of the centre outside the side plane
            k = 1.0 / math.sqrt(1.0 + t * t)
            if (abs(u) - t * z) * k > r:
                return False
        return True


@dataclass
class Cut:
    """The target cut: nodes to draw at full wish, and which nodes were refined."""

    nodes: list[int]
    refined: set[int]
    count: int
    importance: dict[int, float]


def select_cut(
    h: Hierarchy,
    view: View,
    budget: int,
    pixel_error: float | None = None,
    max_pages: int | None = None,
    pages: Callable[[int], int] | None = None,
) -> Cut:
    """Greedy refinement from the roots under ``budget`` splats (roots always kept).

    With ``max_pages`` and ``pages`` (pool pages a node takes), a refinement must also
    keep the cut's pages, plus the pinned roots', within ``max_pages``: a target the
    page pool cannot hold would leave it short of the budget and thrashing.
    ``pixel_error`` defaults to the set's (``Hierarchy.pixel_error``: its error kind's).
    """
    if pixel_error is None:
        pixel_error = h.pixel_error
    imp: dict[int, float] = {}
    total = 0
    heap: list[tuple[float, int]] = []
    page_total = 0
    roots = set(h.roots)
    for r in h.roots:
        n = h.nodes[r]
        total += n.count
        imp[r] = view.importance(n)
        heapq.heappush(heap, (-imp[r], r))
        if max_pages is not None and pages is not None:
            page_total += pages(r)
    refined: set[int] = set()
    cut: list[int] = []
    while heap:
        neg, i = heapq.heappop(heap)
        n = h.nodes[i]
        if not n.children or -neg <= pixel_error:
            cut.append(i)
            continue
        extra = sum(h.nodes[c].count for c in n.children) - n.count
        extra_pages = 0
        if max_pages is not None and pages is not None:
            # a refined root keeps its (pinned) pages
            extra_pages = sum(pages(c) for c in n.children) - (0 if i in roots else pages(i))
        if total + extra > budget or (
            max_pages is not None and page_total + extra_pages > max_pages
        ):
            # Stop at the first refinement that does not fit: the refined set is then a
            # prefix of the importance order, which keeps refinement monotone.
            cut.append(i)
            cut.extend(j for _, j in heap)
            break
        total += extra
        page_total += extra_pages
        refined.add(i)
        for c in n.children:
            imp[c] = min(view.importance(h.nodes[c]), -neg)  # never above the parent's
            heapq.heappush(heap, (-imp[c], c))
    return Cut(cut, refined, total, imp)


def drawable_cover(
    h: Hierarchy, cut: Cut, resident: Callable[[int], bool]
) -> tuple[list[int], list[tuple[float, int]]]:
    """(nodes to draw now, missing nodes wanted as (priority, id), most important first).

    Roots must be resident. A refined node gives way to its children once each child is
    covered: resident, or refined itself with every child covered (so an intermediate
    node need not stay resident once the cut below it is: a tight pool may have evicted
    it). A missing child of a refined node is wanted with its parent's importance, so
    what blocks the biggest on-screen refinement comes first.
    """
    memo: dict[int, bool] = {}

    def covered(i: int) -> bool:
        got = memo.get(i)
        if got is None:
            kids = h.nodes[i].children
            got = resident(i) or (i in cut.refined and bool(kids) and all(map(covered, kids)))
            memo[i] = got
        return got

    drawn: list[int] = []
    wanted: list[tuple[float, int]] = []
    stack = [r for r in h.roots]
    while stack:
        i = stack.pop()
        n = h.nodes[i]
        if i in cut.refined:
            missing = [c for c in n.children if not covered(c)]
            if not missing:
                stack.extend(n.children)
                continue
            p = cut.importance.get(i, 0.0)
            wanted.extend((p, c) for c in missing)
        drawn.append(i)
    wanted.sort(key=lambda t: -t[0])
    return drawn, wanted


def descendants(h: Hierarchy, i: int) -> Iterable[int]:
    stack = list(h.nodes[i].children)
    while stack:
        j = stack.pop()
        yield j
        stack.extend(h.nodes[j].children)
