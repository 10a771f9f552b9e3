"""Which pool pages hold which LOD node: fixed page count, LRU eviction (pure Python).

The GPU side is ``render.pool.SplatPool`` (fixed ``num_pages`` x ``page_size``); this
table is its bookkeeping, so GPU memory is bounded by the pool size whatever the
scene. A node needs ``ceil(count / page_size)`` pages (one for a builder chunk).
Pinned nodes (the root set) are never evicted; callers protect what they draw.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Hashable


class PageTable:
    def __init__(self, num_pages: int) -> None:
        if num_pages < 1:
            raise ValueError("a page pool needs at least one page")
        self.num_pages = num_pages
        self._free = list(range(num_pages - 1, -1, -1))
        self._pages: OrderedDict[Hashable, list[int]] = OrderedDict()  # LRU first
        self.pinned: set[Hashable] = set()
        self.evictions = 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._pages

    def __len__(self) -> int:
        return len(self._pages)

    @property
    def free_pages(self) -> int:
        return len(self._free)

    def pages(self, key: Hashable) -> list[int]:
        return self._pages[key]

    def __iter__(self):
        return iter(list(self._pages))

    def touch(self, keys: Collection[Hashable]) -> None:
        """Mark ``keys`` used now (most recently used last)."""
        for k in keys:
            if k in self._pages:
                self._pages.move_to_end(k)

    def allocate(
        self, key: Hashable, n: int, protected: Collection[Hashable] = ()
    ) -> list[int] | None:
        """Pages for ``key`` (evicting least recently used, unprotected, unpinned nodes).

        Returns None, evicting nothing, when it cannot be done.
        """
        if key in self._pages:
            return self._pages[key]
        if n > self.num_pages:
            return None
        if len(self._free) < n:
            victims = []
            got = len(self._free)
            for k, pages in self._pages.items():
                if got >= n:
                    break
                if k in protected or k in self.pinned:
                    continue
                victims.append(k)
                got += len(pages)
            if got < n:
                return None
            for k in victims:
                self.release(k)
                self.evictions += 1
        pages = [self._free.pop() for _ in range(n)]
        self._pages[key] = pages
        return pages

    def release(self, key: Hashable) -> list[int]:
        pages = self._pages.pop(key, [])
        self._free.extend(reversed(pages))
        self.pinned.discard(key)
        return pages
