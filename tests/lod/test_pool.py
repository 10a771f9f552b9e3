"""Page-table bookkeeping: eviction under pressure, bounded memory, pins, protection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from splatrender.lod.pool import PageTable


def test_lru_eviction_under_pressure():
    t = PageTable(4)
    for k in "abcd":
        assert t.allocate(k, 1) is not None
    t.touch(["a"])  # b is now the least recently used
    assert t.allocate("e", 1) is not None
    assert "b" not in t and all(k in t for k in "acde")
    assert t.evictions == 1
    # multi-page node evicts as many as needed, oldest first
    assert len(t.allocate("big", 2)) == 2
    assert "c" not in t and "d" not in t


def test_pinned_and_protected_survive():
    t = PageTable(3)
    t.allocate("root", 1)
    t.pinned.add("root")
    t.allocate("x", 1)
    t.allocate("y", 1)
    assert t.allocate("z", 1, protected={"x", "y"}) is None  # nothing evictable
    assert all(k in t for k in ("root", "x", "y")) and t.evictions == 0
    assert t.allocate("z", 1, protected={"x"}) is not None
    assert "y" not in t and "root" in t
    assert t.allocate("huge", 4) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 200), st.integers(1, 3)), max_size=300), st.integers(1, 12)
)
def test_pages_never_exceed_pool_and_never_shared(ops, num_pages):
    """Whatever the scene size (keys up to 200 nodes), the table holds <= num_pages pages."""
    t = PageTable(num_pages)
    for key, n in ops:
        t.allocate(key, n, protected={key - 1})
        used = [p for k in t for p in t.pages(k)]
        assert len(used) == len(set(used)) <= num_pages
        assert len(used) + t.free_pages == num_pages
        assert all(0 <= p < num_pages for p in used)


def test_bad_size():
    with pytest.raises(ValueError):
        PageTable(0)
