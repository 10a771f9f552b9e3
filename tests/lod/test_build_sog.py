"""`lod build` from a PlayCanvas streamed SOG set: its full-detail level, out of core."""

from __future__ import annotations

import numpy as np

from splatrender.formats import load
from splatrender.lod.build import build, open_source
from splatrender.lod.manifest import parse_manifest


def _rows(cols) -> np.ndarray:
    """Rows as sortable records (means, scales, opacity, DC) for a multiset comparison."""
    n = len(cols["means"])
    a = np.concatenate(
        [
            cols["means"],
            cols["scales"],
            cols["opacities"][:, None],
            cols["sh"].reshape(n, -1)[:, :3],
        ],
        axis=1,
    )
    return a[np.lexsort(a.T[::-1])]


def test_source_is_the_full_detail_level(scenes_dir, tmp_path):
    meta = scenes_dir / "playbot" / "lod-meta.json"
    src = open_source(meta.parent, tmp_path)  # a folder holding lod-meta.json works too
    full = load(str(meta), lod=0)
    assert src.count == len(full) == 500_000
    assert src.axes == full.axes and src.sh_degree == full.sh_degree
    got = src.read(0, src.count)
    want = {k: getattr(full, k) for k in ("means", "scales", "opacities", "sh")}
    assert np.array_equal(_rows(got), _rows(want))
    idx = np.array([3, 499_999, 17])
    assert np.array_equal(src.take(idx)["means"], got["means"][idx])


def test_build_from_lod_meta(scenes_dir, tmp_path):
    st = build(
        scenes_dir / "playbot" / "lod-meta.json", tmp_path / "out", chunk=65536, progress=False
    )
    assert st.input_count == 500_000 and st.levels[0] == 500_000
    h = parse_manifest((tmp_path / "out" / "lod.json").read_bytes())
    assert sum(n.count for n in h.nodes.values() if n.level == 0) == 500_000
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith("lod-build-")]
