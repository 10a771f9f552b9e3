"""Selection: budget, monotone refinement, no node with its descendants, roots drawable."""

from __future__ import annotations

import math
import random

import pytest

from splatrender.lod.build import build
from splatrender.lod.manifest import parse_manifest
from splatrender.lod.select import (
    DEVICE_BUDGETS,
    View,
    descendants,
    device_budget,
    drawable_cover,
    select_cut,
)
from splatrender.render.camera import Camera
from tests.lod.synth import random_splats


@pytest.fixture(scope="module")
def hier(tmp_path_factory):
    out = tmp_path_factory.mktemp("lodsel")
    build(random_splats(60_000, 0, seed=11, extent=20.0), out, chunk=256, fanout=4, progress=False)
    return parse_manifest((out / "lod.json").read_bytes())


def _cam(eye, target=(0.0, 0.0, 0.0)) -> View:
    up = (0.0, -1.0, 0.0)
    return View.of(Camera.look_at(eye, target, up, width=320, height=240, fov_y_deg=60))


def _random_views(n: int, seed: int = 0):
    rng = random.Random(seed)
    for _ in range(n):
        eye = (rng.uniform(-30, 30), rng.uniform(-15, -0.5), rng.uniform(-30, 30))
        tgt = (rng.uniform(-10, 10), 0.0, rng.uniform(-10, 10))
        yield _cam(eye, tgt)


def _check_partition(h, drawn):
    """Every leaf is covered by exactly one drawn node: no holes, no node + descendant."""
    drawn_set = set(drawn)
    assert len(drawn_set) == len(drawn)
    for d in drawn:
        assert not drawn_set.intersection(descendants(h, d))
    covered = {}
    for d in drawn:
        for leaf in [d, *descendants(h, d)]:
            if not h.nodes[leaf].children:
                assert leaf not in covered
                covered[leaf] = d
    assert len(covered) == sum(1 for n in h.nodes.values() if not n.children)


def test_budget_never_exceeded_and_cut_is_a_partition(hier):
    rng = random.Random(1)
    roots = hier.root_count()
    total = sum(n.count for n in hier.nodes.values() if n.level == 0)
    for view in _random_views(25):
        budget = rng.randint(roots, total + 1000)
        cut = select_cut(hier, view, budget, pixel_error=0.0)
        assert cut.count == sum(hier.nodes[i].count for i in cut.nodes) <= budget
        _check_partition(hier, cut.nodes)
        # whatever happens to be resident, what is drawn is a hole-free partition
        # within the budget
        res = {i for i in hier.nodes if rng.random() < 0.7} | set(hier.roots)
        drawn, wanted = drawable_cover(hier, cut, res.__contains__)
        _check_partition(hier, drawn)
        assert set(drawn) <= res  # only what is on the GPU
        assert sum(hier.nodes[i].count for i in drawn) <= cut.count
        assert all(i not in res for _, i in wanted)
        assert [p for p, _ in wanted] == sorted((p for p, _ in wanted), reverse=True)


def test_resident_cut_is_drawn_without_its_intermediate_nodes(hier):
    """A tight pool may evict the nodes between the roots and the cut once the cut is
    resident: the cut is still drawn whole, nothing is wanted."""
    for view in _random_views(5, seed=3):
        cut = select_cut(hier, view, DEVICE_BUDGETS["quest"])
        res = set(cut.nodes) | set(hier.roots)
        drawn, wanted = drawable_cover(hier, cut, res.__contains__)
        assert sorted(drawn) == sorted(cut.nodes)
        assert not wanted


def test_root_set_always_drawable(hier):
    for view in _random_views(5, seed=2):
        cut = select_cut(hier, view, DEVICE_BUDGETS["quest"])
        drawn, wanted = drawable_cover(hier, cut, set(hier.roots).__contains__)
        assert sorted(drawn) == sorted(hier.roots)
        assert wanted  # it asks for what it needs
    # even a budget below the root set draws the roots (the builder keeps them small)
    cut = select_cut(hier, _cam((0, -5, -30)), 1)
    assert sorted(cut.nodes) == sorted(hier.roots)


def _level_of(h, drawn, leaf):
    """Level of the drawn node that covers ``leaf`` (unique: the cut is a partition)."""
    drawn = set(drawn)
    i = leaf
    while i not in drawn:
        i = h.nodes[i].parent
    return h.nodes[i].level


@pytest.mark.parametrize("budget", [20_000, 60_000, 10**9])
def test_refinement_monotone_as_camera_approaches(hier, budget):
    leaf = min(
        (n for n in hier.nodes.values() if not n.children),
        key=lambda n: math.dist(n.center, (3.0, 0.0, 4.0)),
    )
    target = leaf.center
    prev_level, prev_refined, prev_view = math.inf, set(), None
    for t in range(30):
        d = 60.0 * 0.85**t
        eye = (target[0], target[1] - 0.5 * d, target[2] - d)
        view = _cam(eye, target)
        cut = select_cut(hier, view, budget)
        level = _level_of(hier, cut.nodes, leaf.id)
        assert level <= prev_level  # detail where we look never drops while approaching
        if budget > 10**8 and prev_view is not None:
            # unconstrained: a node refined before stays refined if it did not get farther
            for i in prev_refined:
                if view.importance(hier.nodes[i]) >= prev_view.importance(hier.nodes[i]):
                    assert i in cut.refined
        prev_level, prev_refined, prev_view = level, cut.refined, view
    assert prev_level == 0  # full detail at the end


def test_device_budgets():
    assert device_budget("quest") == 500_000
    assert device_budget("iphone") == 1_500_000
    assert device_budget("android", 123) == 123
    with pytest.raises(ValueError):
        device_budget("toaster")


def test_page_cap_never_exceeded(hier):
    """Nodes that fill a page poorly: the cut also fits the pool's pages (roots pinned)."""
    pages = {i: 1 + (n.count * 7) // 256 for i, n in hier.nodes.items()}  # up to 8 pages
    root_pages = sum(pages[r] for r in hier.roots)
    for k, view in enumerate(_random_views(20, seed=3)):
        cap = root_pages + 10 + 5 * k
        cut = select_cut(hier, view, 10**9, max_pages=cap, pages=pages.__getitem__)
        used = sum(pages[i] for i in cut.nodes) + sum(
            pages[r] for r in hier.roots if r not in cut.nodes
        )
        assert used <= cap
        _check_partition(hier, cut.nodes)
        wide = select_cut(hier, view, 10**9)
        assert cut.count <= wide.count
    assert used > root_pages  # the cap still lets it refine
